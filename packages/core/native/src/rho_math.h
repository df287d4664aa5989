#ifndef RHO_MATH_H
#define RHO_MATH_H
#include <stdint.h>

// exp(x) for -87 <= x <= 0 (logits minus their row max), Cephes' expf polynomial: within 2 ulp of
// expf. Written with plain arithmetic and integer bit tricks so the compiler vectorises the loops
// that call it (libm's expf is a function call per element). Callers clamp x at -87 (exp(-87) ~
// 1.6e-38, nothing next to a sum >= 1), which keeps the exponent bits valid.
static inline float rho_exp_clamped(float x) {
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to the nearest integer
  const float t = x * 1.44269504088896341f + shifter;
  const float n = t - shifter;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  union {
    int32_t i;
    float f;
  } scale = {.i = bits};
  return y * scale.f;
}

#endif
