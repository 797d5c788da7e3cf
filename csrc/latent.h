#ifndef PYSTORY_LATENT_H
#define PYSTORY_LATENT_H
#include <stdint.h>  // uint64_t (cffi drops this line; it knows the type)
// Chapter 04: the latent code of a VAE (see csrc/latent.c). mu, logvar and
// every other float array are (B, Z) row-major; n = B * Z. ids are (B, T).
// Outputs first; every buffer belongs to the caller.
void gaussian_kl_forward(float* kl, const float* mu, const float* logvar, int n);
void gaussian_kl_backward(float* dmu, float* dlogvar, const float* dkl, const float* mu,
                          const float* logvar, int n);
void reparameterize_forward(float* z, float* eps, const float* mu, const float* logvar,
                            uint64_t seed, uint64_t offset, int n);
void reparameterize_backward(float* dmu, float* dlogvar, const float* dz, const float* eps,
                             const float* logvar, int n);
void word_dropout(int* out, const int* ids, float p, int unk_id, uint64_t seed, uint64_t offset,
                  int B, int T);
#endif
