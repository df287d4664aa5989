#ifndef RHO_NAPI_H
#define RHO_NAPI_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// In a napi_callback: a failed N-API call throws and returns NULL.
#define CHECK(call)                                                      \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      napi_throw_error(env, "RHO_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

// In a napi_callback: `argv` holds exactly `count` arguments, or a TypeError naming `name` is thrown.
#define RHO_ARGS(name, count)                                                                  \
  size_t argc = count;                                                                         \
  napi_value argv[count];                                                                      \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                                 \
  if (argc != count) {                                                                         \
    napi_throw_type_error(env, "RHO_NATIVE", name " expects " #count " arguments");            \
    return NULL;                                                                               \
  }

// `data` as a JS external freed by `finalize` at garbage collection; on failure it is freed now
// and an error is thrown (NULL returned).
static inline napi_value rho_external(napi_env env, void *data, napi_finalize finalize) {
  napi_value out;
  if (napi_create_external(env, data, finalize, NULL, &out) != napi_ok) {
    finalize(env, data, NULL);
    napi_throw_error(env, "RHO_NATIVE", "napi_create_external failed");
    return NULL;
  }
  return out;
}

// The data of a typed array argument of the wanted element type, or NULL when it is anything else.
// An empty array may have no buffer; it still counts as given (a non-NULL pointer, length 0).
static inline void *rho_typed(napi_env env, napi_value v, napi_typedarray_type want, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return NULL;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok || type != want) return NULL;
  return ptr ? ptr : (void *)"";
}

// The arguments of a batched product call (sgemmBatched, gemmBf16Batched, gemmF32Batched):
// (a, b, c: Float32Array, aOffsets, bOffsets: Int32Array, m, n, k, transA, transB). For batch i,
// c[i*m*n ..] = op(a at aOffsets[i]) · op(b at bOffsets[i]).
typedef struct {
  float *a, *b, *c;
  size_t alen, blen, clen, batch;
  int32_t *aoff, *boff;
  int32_t m, n, k;
  bool ta, tb;
} rho_gemm_args_t;

// Reads and checks them (types, output size, every offset in range); false with a JS error thrown.
static inline bool rho_gemm_args(napi_env env, napi_value *argv, rho_gemm_args_t *g) {
  size_t aolen = 0, bolen = 0;
  g->a = (float *)rho_typed(env, argv[0], napi_float32_array, &g->alen);
  g->b = (float *)rho_typed(env, argv[1], napi_float32_array, &g->blen);
  g->c = (float *)rho_typed(env, argv[2], napi_float32_array, &g->clen);
  g->aoff = (int32_t *)rho_typed(env, argv[3], napi_int32_array, &aolen);
  g->boff = (int32_t *)rho_typed(env, argv[4], napi_int32_array, &bolen);
  if (!g->a || !g->b || !g->c) {
    napi_throw_type_error(env, "RHO_NATIVE", "a, b, c must be Float32Arrays");
    return false;
  }
  if (!g->aoff || !g->boff || aolen != bolen) {
    napi_throw_type_error(env, "RHO_NATIVE", "aOffsets and bOffsets must be Int32Arrays of equal length");
    return false;
  }
  if (napi_get_value_int32(env, argv[5], &g->m) != napi_ok || napi_get_value_int32(env, argv[6], &g->n) != napi_ok ||
      napi_get_value_int32(env, argv[7], &g->k) != napi_ok || napi_get_value_bool(env, argv[8], &g->ta) != napi_ok ||
      napi_get_value_bool(env, argv[9], &g->tb) != napi_ok) {
    napi_throw_type_error(env, "RHO_NATIVE", "m, n, k must be integers and transA, transB booleans");
    return false;
  }
  g->batch = aolen;
  if (g->m < 0 || g->n < 0 || g->k < 0 || g->clen < g->batch * (size_t)g->m * (size_t)g->n) {
    napi_throw_range_error(env, "RHO_NATIVE", "output too small for batch*m*n");
    return false;
  }
  const size_t amat = (size_t)g->m * g->k, bmat = (size_t)g->k * g->n;
  for (size_t i = 0; i < g->batch; i++) {
    if (g->aoff[i] < 0 || g->boff[i] < 0 || (size_t)g->aoff[i] + amat > g->alen || (size_t)g->boff[i] + bmat > g->blen) {
      napi_throw_range_error(env, "RHO_NATIVE", "operand offset out of range");
      return false;
    }
  }
  return true;
}

#endif
