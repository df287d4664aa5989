#ifndef RHO_BF16_H
#define RHO_BF16_H
// Conversions between float32 and bfloat16 (round to nearest even, NaN kept quiet: as PyTorch's
// .to(torch.bfloat16)), vectorised where the compiler can.
#include <stddef.h>
#include <stdint.h>

void rho_f32_to_bf16(const float *src, uint16_t *dst, size_t n);
void rho_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
void rho_f16_to_f32(const uint16_t *src, float *dst, size_t n);

static inline uint16_t rho_bf16_round(float f) {
  union { float f; uint32_t u; } v = {f};
  uint32_t x = v.u;
  if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu)) return (uint16_t)((x >> 16) | 0x40);
  return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
static inline float rho_bf16_value(uint16_t h) {
  union { uint32_t u; float f; } v = {(uint32_t)h << 16};
  return v.f;
}
#endif
