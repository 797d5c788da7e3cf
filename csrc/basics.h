#ifndef PYSTORY_BASICS_H
#define PYSTORY_BASICS_H
// Chapter 00: the two smallest ops. Outputs come first, as in llm.c.
void axpy(float* out, float a, const float* x, const float* y, int n);
void rowsum(float* out, const float* x, int R, int C);
#endif
