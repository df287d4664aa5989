// One AdamW update of a parameter in a single pass over p, g, m and v, for the cpu and wasm
// backends. Composed from tfjs ops it is about a dozen elementwise passes per parameter, each
// single-threaded on wasm. The arithmetic is packages/core/src/train/adamw.ts's, in its order.
#include "rho_optim.h"

#include <math.h>
#include <stdint.h>

#include "rho_napi.h"
#include "rho_parallel.h"

typedef struct {
  const float *p, *g, *m, *v;
  float *po, *mo, *vo;
  float beta1, one_minus_beta1, beta2, one_minus_beta2, eps, decay, step_size, bc2_sqrt;
} adamw_t;

// restrict parameters (not pointers read from a struct) are what lets GCC vectorise this loop
static inline void update(const float *restrict p, const float *restrict g, const float *restrict m, const float *restrict v,
                          float *restrict po, float *restrict mo, float *restrict vo, size_t n, float b1, float c1, float b2,
                          float c2, float eps, float decay, float step, float bc2) {
  for (size_t k = 0; k < n; k++) {
    const float m1 = m[k] * b1 + g[k] * c1;
    const float v1 = v[k] * b2 + (g[k] * g[k]) * c2;
    const float denom = sqrtf(v1) / bc2 + eps;
    po[k] = p[k] * decay - (m1 / denom) * step;
    mo[k] = m1;
    vo[k] = v1;
  }
}

__attribute__((target_clones("avx2", "default"))) static void update_range(void *ctx, size_t begin, size_t end) {
  const adamw_t *a = ctx;
  update(a->p + begin, a->g + begin, a->m + begin, a->v + begin, a->po + begin, a->mo + begin, a->vo + begin, end - begin, a->beta1,
         a->one_minus_beta1, a->beta2, a->one_minus_beta2, a->eps, a->decay, a->step_size, a->bc2_sqrt);
}

// adamwUpdate(p, g, m, v, pOut, mOut, vOut: Float32Array of one length,
//             coefs: Float64Array [beta1, beta2, eps, decay, stepSize, bc2Sqrt], threads)
static napi_value AdamwUpdate(napi_env env, napi_callback_info info) {
  RHO_ARGS("adamwUpdate", 9);
  float *arr[7];
  size_t len[7], nc = 0;
  bool ok = true;
  for (int i = 0; ok && i < 7; i++) ok = (arr[i] = rho_typed(env, argv[i], napi_float32_array, &len[i])) != NULL && len[i] == len[0];
  const double *c = ok ? rho_typed(env, argv[7], napi_float64_array, &nc) : NULL;
  int32_t threads = 1;
  if (!ok || !c || nc != 6 || napi_get_value_int32(env, argv[8], &threads) != napi_ok) {
    napi_throw_type_error(env, "RHO_NATIVE", "adamwUpdate: p, g, m, v, pOut, mOut, vOut (Float32Arrays of one length), coefs (Float64Array of 6), threads");
    return NULL;
  }
  // the scalars as tfjs makes them: float32 values of what JS computed in double
  adamw_t a = {arr[0], arr[1], arr[2], arr[3], arr[4], arr[5], arr[6],
               (float)c[0], (float)(1 - c[0]), (float)c[1], (float)(1 - c[1]), (float)c[2], (float)c[3], (float)c[4], (float)c[5]};
  // below ~64k values a thread costs more than it saves
  rho_parallel(len[0], len[0] < (1u << 16) ? 1 : threads, update_range, &a);
  return NULL;
}

bool rho_optim_register(napi_env env, napi_value exports) {
  napi_value fn;
  return napi_create_function(env, "adamwUpdate", NAPI_AUTO_LENGTH, AdamwUpdate, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, "adamwUpdate", fn) == napi_ok;
}
