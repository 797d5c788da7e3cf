// Exercise 02.2 — the Philox-4x32-10 round function in C.
//
// One round maps the four 32-bit words x[0..3] with the round key (k0, k1):
//   (hi0, lo0) = the high and low 32 bits of the 64-bit product 0xD2511F53 * x[0]
//   (hi1, lo1) = the high and low 32 bits of the 64-bit product 0xCD9E8D57 * x[2]
//   x = (hi1 ^ x[1] ^ k0,  lo1,  hi0 ^ x[3] ^ k1,  lo0)
// Careful: compute all four new words from the OLD x before writing any.
// philox4x32_10 below (given) runs ten rounds, bumping the key between them.
// Check your work: make grade CH=02   (it checks Random123's known answers)
#include <stdint.h>

static void philox_round(uint32_t x[4], uint32_t k0, uint32_t k1) {
    // TODO: your round here.
    (void)x; (void)k0; (void)k1;
}

// Given: ten rounds with the key bumped by the Weyl constants between rounds,
// on n (counter, key) pairs: ctr (n, 4), key (n, 2) -> out (n, 4).
void philox4x32_10(uint32_t* out, const uint32_t* ctr, const uint32_t* key, int n) {
    for (int i = 0; i < n; i++) {
        uint32_t x[4] = {ctr[4 * i], ctr[4 * i + 1], ctr[4 * i + 2], ctr[4 * i + 3]};
        uint32_t k0 = key[2 * i], k1 = key[2 * i + 1];
        for (int r = 0; r < 10; r++) {
            if (r > 0) {
                k0 += 0x9E3779B9u;
                k1 += 0xBB67AE85u;
            }
            philox_round(x, k0, k1);
        }
        for (int j = 0; j < 4; j++) out[4 * i + j] = x[j];
    }
}
