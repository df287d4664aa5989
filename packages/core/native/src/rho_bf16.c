#include "rho_bf16.h"

#include <math.h>

void rho_f32_to_bf16(const float *src, uint16_t *dst, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) dst[i] = rho_bf16_round(src[i]);
}

void rho_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) dst[i] = rho_bf16_value(src[i]);
}

static float half_value(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp == 0) {
    float v = ldexpf((float)frac, -24);
    return sign ? -v : v;
  }
  union { uint32_t u; float f; } v;
  v.u = exp == 31 ? (sign | 0x7f800000u | (frac << 13)) : (sign | ((exp + 112) << 23) | (frac << 13));
  return v.f;
}

void rho_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = half_value(src[i]);
}
