// Chapter 02: embeddings in C — lookup, scatter-add, positions, GPT's encoder.
//
// Layout: table (V, C) and out (N, C) row-major, so a lookup is a memcpy of
// one contiguous row. The binding has checked that every id is in [0, V).
#include <math.h>
#include <string.h>
#include "embedding.h"

#ifdef _OPENMP
#include <omp.h>
#define THREAD_ID() omp_get_thread_num()
#define NUM_THREADS() omp_get_num_threads()
#else
#define THREAD_ID() 0
#define NUM_THREADS() 1
#endif

// out[i, :] = table[ids[i], :]. Rows are independent: OpenMP over i.
void embedding_forward(float* restrict out, const int* restrict ids, const float* restrict table,
                       int N, int V, int C) {
    (void)V;  // the binding checked ids against V
    #pragma omp parallel for if ((long)N * C > (1 << 16))
    for (int i = 0; i < N; i++) {
        memcpy(out + (long)i * C, table + (long)ids[i] * C, sizeof(float) * C);
    }
}

// The channel range [c0, c1) that thread `tid` of `nth` owns, cut at multiples
// of 16 floats (one 64-byte cache line) so that two threads never write the
// same cache line of a row (no false sharing).
static void channel_slice(int C, int tid, int nth, int* c0, int* c1) {
    int lines = (C + 15) / 16;
    int per = (lines + nth - 1) / nth;
    *c0 = tid * per * 16 < C ? tid * per * 16 : C;
    *c1 = (tid + 1) * per * 16 < C ? (tid + 1) * per * 16 : C;
}

// dtable = 0; dtable[ids[i], :] += dout[i, :] for i = 0 .. N-1, in that order.
// Two tokens with the same id write the same row, so splitting the tokens
// across threads would race. Instead each thread owns a slice of the
// channels and walks all the tokens: no two threads touch the same float,
// and each float is summed in token order, exactly as np.add.at does, so the
// result is deterministic and equal to the NumPy reference bit for bit.
void embedding_backward(float* restrict dtable, const int* restrict ids, const float* restrict dout,
                        int V, int N, int C) {
    #pragma omp parallel if ((long)N * C > (1 << 16))
    {
        int c0, c1;
        channel_slice(C, THREAD_ID(), NUM_THREADS(), &c0, &c1);
        for (int v = 0; v < V; v++) {
            memset(dtable + (long)v * C + c0, 0, sizeof(float) * (c1 - c0));
        }
        for (int i = 0; i < N; i++) {
            float* restrict row = dtable + (long)ids[i] * C;
            const float* restrict g = dout + (long)i * C;
            #pragma omp simd
            for (int c = c0; c < c1; c++) {
                row[c] += g[c];
            }
        }
    }
}

// out[t, 2i] = sin(t / 10000^(2i/C)), out[t, 2i+1] = cos(t / 10000^(2i/C)).
// In double, rounded to float, as the NumPy reference does.
void sinusoidal_positions(float* restrict out, int T, int C) {
    #pragma omp parallel for if ((long)T * C > (1 << 16))
    for (int t = 0; t < T; t++) {
        for (int c = 0; c < C; c++) {
            int i2 = c - c % 2;  // 2i: the pair's even channel
            double angle = (double)t / pow(10000.0, (double)i2 / C);
            out[(long)t * C + c] = (float)(c % 2 == 0 ? sin(angle) : cos(angle));
        }
    }
}

// out[b, t, :] = wte[ids[b, t], :] + wpe[t, :]. One (b, t) per iteration.
void encoder_forward(float* restrict out, const int* restrict ids, const float* restrict wte,
                     const float* restrict wpe, int B, int T, int C) {
    #pragma omp parallel for if ((long)B * T * C > (1 << 16))
    for (int bt = 0; bt < B * T; bt++) {
        int t = bt % T;
        const float* tok = wte + (long)ids[bt] * C;
        const float* pos = wpe + (long)t * C;
        float* o = out + (long)bt * C;
        #pragma omp simd
        for (int c = 0; c < C; c++) {
            o[c] = tok[c] + pos[c];
        }
    }
}

// dwte: the scatter-add of embedding_backward. dwpe[t] = sum over b of
// dout[b, t] (b in order), rows t >= T stay zero. Both are deterministic.
void encoder_backward(float* restrict dwte, float* restrict dwpe, const int* restrict ids,
                      const float* restrict dout, int V, int max_t, int B, int T, int C) {
    embedding_backward(dwte, ids, dout, V, B * T, C);
    memset(dwpe, 0, sizeof(float) * (size_t)max_t * C);
    #pragma omp parallel for if ((long)B * T * C > (1 << 16))
    for (int t = 0; t < T; t++) {
        float* restrict d = dwpe + (long)t * C;
        for (int b = 0; b < B; b++) {
            const float* restrict g = dout + ((long)b * T + t) * C;
            #pragma omp simd
            for (int c = 0; c < C; c++) {
                d[c] += g[c];
            }
        }
    }
}
