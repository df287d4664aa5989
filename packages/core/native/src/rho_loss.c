// Sparse softmax cross-entropy over rows of logits, forward and gradient, for the cpu and wasm
// backends. At the small training preset the logits are 2048 x 8192: tfjs-wasm's single-threaded
// exp, max, sum and broadcasts over them took a fifth of each training step. Here each pass is one
// vectorised loop per row, rows split over threads.
#include "rho_loss.h"
#include "rho_napi.h"
#include "rho_parallel.h"

#include <math.h>
#include <stdint.h>

#include "rho_math.h"
#include <stdlib.h>

typedef struct {
  const float *x, *dy, *lse_in;
  const int32_t *t;
  float *loss, *lse, *dx;
  size_t v;
} job_t;

// out = max(row - shift, -87). A separate pass: GCC does not vectorise the clamp inside the exp loops.
static inline void clamped_shift(const float *restrict row, float *restrict out, size_t v, float shift) {
  for (size_t k = 0; k < v; k++) {
    const float d = row[k] - shift;
    out[k] = d < -87.0f ? -87.0f : d;
  }
}

static inline void scaled_softmax(const float *restrict row, float *restrict out, size_t v, float lse, float g) {
  clamped_shift(row, out, v, lse);
  for (size_t k = 0; k < v; k++) out[k] = rho_exp_clamped(out[k]) * g;
}

__attribute__((target_clones("avx2", "default"))) static void forward_rows(void *ctx, size_t begin, size_t end) {
  const job_t *j = ctx;
  const size_t v = j->v;
  float *d = malloc(v * sizeof(float));  // row - max, clamped: see scaled_softmax
  if (!d) {
    for (size_t i = begin; i < end; i++) j->lse[i] = j->loss[i] = NAN;
    return;
  }
  for (size_t i = begin; i < end; i++) {
    const float *row = j->x + i * v;
    float m = -INFINITY;
#pragma omp simd reduction(max : m)
    for (size_t k = 0; k < v; k++) m = row[k] > m ? row[k] : m;
    clamped_shift(row, d, v, m);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (size_t k = 0; k < v; k++) sum += rho_exp_clamped(d[k]);
    const float lse = m + logf(sum);
    j->lse[i] = lse;
    j->loss[i] = lse - row[j->t[i]];
  }
  free(d);
}



__attribute__((target_clones("avx2", "default"))) static void backward_rows(void *ctx, size_t begin, size_t end) {
  const job_t *j = ctx;
  const size_t v = j->v;
  for (size_t i = begin; i < end; i++) {
    scaled_softmax(j->x + i * v, j->dx + i * v, v, j->lse_in[i], j->dy[i]);
    j->dx[i * v + j->t[i]] -= j->dy[i];  // softmax - onehot(target), scaled by dy
  }
}

static bool check_targets(napi_env env, const int32_t *t, size_t n, size_t v) {
  for (size_t i = 0; i < n; i++)
    if (t[i] < 0 || (size_t)t[i] >= v) {
      napi_throw_range_error(env, "RHO_NATIVE", "cross-entropy: a target is outside [0, vocab)");
      return false;
    }
  return true;
}

// crossEntropyForward(x: Float32Array [n*v], targets: Int32Array [n], v, loss: Float32Array [n], lse: Float32Array [n], threads)
static napi_value Forward(napi_env env, napi_callback_info info) {
  RHO_ARGS("crossEntropyForward", 6);
  size_t nx = 0, nt = 0, nl = 0, ns = 0;
  int32_t v, threads;
  const float *x = rho_typed(env, argv[0], napi_float32_array, &nx);
  const int32_t *t = rho_typed(env, argv[1], napi_int32_array, &nt);
  float *loss = rho_typed(env, argv[3], napi_float32_array, &nl), *lse = rho_typed(env, argv[4], napi_float32_array, &ns);
  if (napi_get_value_int32(env, argv[2], &v) != napi_ok || napi_get_value_int32(env, argv[5], &threads) != napi_ok || v <= 0 || !x ||
      !t || !loss || !lse || nx != nt * (size_t)v || nl != nt || ns != nt) {
    napi_throw_type_error(env, "RHO_NATIVE", "crossEntropyForward: x [n*v], targets [n], v > 0, loss [n], lse [n], threads");
    return NULL;
  }
  if (!check_targets(env, t, nt, v)) return NULL;
  job_t job = {.x = x, .t = t, .loss = loss, .lse = lse, .v = v};
  rho_parallel(nt, threads, forward_rows, &job);
  return NULL;
}

// crossEntropyBackward(x [n*v], targets [n], lse [n], dy [n], v, dx [n*v], threads)
static napi_value Backward(napi_env env, napi_callback_info info) {
  RHO_ARGS("crossEntropyBackward", 7);
  size_t nx = 0, nt = 0, ns = 0, nd = 0, no = 0;
  int32_t v, threads;
  const float *x = rho_typed(env, argv[0], napi_float32_array, &nx);
  const int32_t *t = rho_typed(env, argv[1], napi_int32_array, &nt);
  const float *lse = rho_typed(env, argv[2], napi_float32_array, &ns), *dy = rho_typed(env, argv[3], napi_float32_array, &nd);
  float *dx = rho_typed(env, argv[5], napi_float32_array, &no);
  if (napi_get_value_int32(env, argv[4], &v) != napi_ok || napi_get_value_int32(env, argv[6], &threads) != napi_ok || v <= 0 || !x ||
      !t || !lse || !dy || !dx || nx != nt * (size_t)v || ns != nt || nd != nt || no != nx) {
    napi_throw_type_error(env, "RHO_NATIVE", "crossEntropyBackward: x [n*v], targets [n], lse [n], dy [n], v > 0, dx [n*v], threads");
    return NULL;
  }
  if (!check_targets(env, t, nt, v)) return NULL;
  job_t job = {.x = x, .t = t, .lse_in = lse, .dy = dy, .dx = dx, .v = v};
  rho_parallel(nt, threads, backward_rows, &job);
  return NULL;
}

bool rho_loss_register(napi_env env, napi_value exports) {
  napi_value fn;
  return napi_create_function(env, "crossEntropyForward", NAPI_AUTO_LENGTH, Forward, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, "crossEntropyForward", fn) == napi_ok &&
         napi_create_function(env, "crossEntropyBackward", NAPI_AUTO_LENGTH, Backward, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, "crossEntropyBackward", fn) == napi_ok;
}
