// Chapter 04: the latent code of a VAE in C — the same ops as pystory/latent.py.
//
// Every op here is elementwise over the n = B * Z numbers of a batch, so each
// is one loop; OpenMP splits it when n is large enough to pay for waking the
// threads (a VAE's B * Z is usually a few thousand: serial). The random
// numbers come from csrc/philox.c, so eps and the dropped positions are the
// ones NumPy and CUDA draw.
#include <math.h>
#include "latent.h"
#include "philox.h"

#define PAR_MIN (1 << 16)   // elements below which a loop stays on one thread

// kl = 1/2 (mu^2 + exp(logvar) - 1 - logvar), per element.
void gaussian_kl_forward(float* restrict kl, const float* restrict mu, const float* restrict logvar, int n) {
    #pragma omp parallel for if (n > PAR_MIN)
    for (int i = 0; i < n; i++) {
        kl[i] = 0.5f * (mu[i] * mu[i] + expf(logvar[i]) - 1.0f - logvar[i]);
    }
}

// dmu = dkl * mu,  dlogvar = dkl * 1/2 (exp(logvar) - 1).
void gaussian_kl_backward(float* restrict dmu, float* restrict dlogvar, const float* restrict dkl,
                          const float* restrict mu, const float* restrict logvar, int n) {
    #pragma omp parallel for if (n > PAR_MIN)
    for (int i = 0; i < n; i++) {
        dmu[i] = dkl[i] * mu[i];
        dlogvar[i] = dkl[i] * 0.5f * (expf(logvar[i]) - 1.0f);
    }
}

// eps = the n normals of the stream from `offset`; z = mu + exp(logvar / 2) * eps.
// The normals are written straight into the caller's eps (no scratch).
void reparameterize_forward(float* restrict z, float* restrict eps, const float* restrict mu,
                            const float* restrict logvar, uint64_t seed, uint64_t offset, int n) {
    if (n <= 0) return;
    philox_normal(eps, seed, offset, n);
    #pragma omp parallel for if (n > PAR_MIN)
    for (int i = 0; i < n; i++) {
        z[i] = mu[i] + expf(0.5f * logvar[i]) * eps[i];
    }
}

// dmu = dz,  dlogvar = dz * eps * 1/2 exp(logvar / 2).
void reparameterize_backward(float* restrict dmu, float* restrict dlogvar, const float* restrict dz,
                             const float* restrict eps, const float* restrict logvar, int n) {
    #pragma omp parallel for if (n > PAR_MIN)
    for (int i = 0; i < n; i++) {
        dmu[i] = dz[i];
        dlogvar[i] = dz[i] * eps[i] * 0.5f * expf(0.5f * logvar[i]);
    }
}

// out[b, t] = unk_id if t >= 1 and u[b*T + t] < p, else ids[b, t], with
// u = philox_uniform(seed, offset, B*T). The uniforms come in chunks of
// CHUNK into a buffer on the stack: no allocation, and a chunk is far below
// philox_uniform's own threading threshold, so this stays one simple loop.
#define CHUNK 1024
void word_dropout(int* restrict out, const int* restrict ids, float p, int unk_id, uint64_t seed,
                  uint64_t offset, int B, int T) {
    long n = (long)B * T;
    float u[CHUNK];
    for (long i0 = 0; i0 < n; i0 += CHUNK) {
        int len = (int)(n - i0 < CHUNK ? n - i0 : CHUNK);
        philox_uniform(u, seed, offset + (uint64_t)i0, len);
        for (int k = 0; k < len; k++) {
            long i = i0 + k;
            int t = (int)(i % T);
            out[i] = (t >= 1 && u[k] < p) ? unk_id : ids[i];
        }
    }
}
