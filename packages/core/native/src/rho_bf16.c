#include "rho_bf16.h"

#include <math.h>

// The conversions run once per operand of every BF16 matmul, so they are memory-bound passes that
// should run at bandwidth. The build has no -march (the addon must load on any x86-64), so the
// loops are cloned per ISA and the loader picks one (target_clones). The AVX-512 clone is the same
// integer round-to-nearest-even as rho_bf16_round, bit for bit: VCVTNEPS2BF16 would be shorter but
// flushes denormal inputs to zero, which PyTorch's conversion does not.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RHO_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RHO_CLONES
#endif

// Below this many elements a pass takes a few microseconds and handing out work to threads costs
// as much; above it the pass is split over OpenMP's threads (which, with no parallel region around
// the caller, are the ones oneDNN uses right after).
#define PARALLEL_MIN ((size_t)1 << 18)
#define CHUNK ((size_t)1 << 14)

RHO_CLONES static void to_bf16_range(const float *src, uint16_t *dst, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) dst[i] = rho_bf16_round(src[i]);
}

RHO_CLONES static void to_f32_range(const uint16_t *src, float *dst, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) dst[i] = rho_bf16_value(src[i]);
}

// A conversion over [0, n): inline when short, else in CHUNK-sized pieces split over the threads.
#define IN_CHUNKS(range, src, dst, n)                                                   \
  do {                                                                                  \
    if ((n) < PARALLEL_MIN) {                                                           \
      range(src, dst, n);                                                               \
      break;                                                                            \
    }                                                                                   \
    const size_t chunks = ((n) + CHUNK - 1) / CHUNK;                                    \
    _Pragma("omp parallel for schedule(static)") for (size_t c = 0; c < chunks; c++) {  \
      const size_t begin = c * CHUNK, len = begin + CHUNK <= (n) ? CHUNK : (n) - begin; \
      range((src) + begin, (dst) + begin, len);                                         \
    }                                                                                   \
  } while (0)

void rho_f32_to_bf16(const float *src, uint16_t *dst, size_t n) { IN_CHUNKS(to_bf16_range, src, dst, n); }

void rho_bf16_to_f32(const uint16_t *src, float *dst, size_t n) { IN_CHUNKS(to_f32_range, src, dst, n); }

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
