// N-API addon: batched single-precision GEMM through the system's CBLAS (Debian's OpenBLAS).
// tfjs kernels on the cpu and wasm backends hand us Float32Array views of their own storage
// (JS heap or the wasm heap), so the product is written in place with no copies.
#include <node_api.h>
#include <cblas.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CHECK(call)                                                      \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      napi_throw_error(env, "RHO_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

static bool get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = (float *)ptr;
  return true;
}

static bool get_i32(napi_env env, napi_value v, int32_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok) return false;
  if (type != napi_int32_array) return false;
  *data = (int32_t *)ptr;
  return true;
}

// sgemmBatched(a, b, c, aOffsets: Int32Array, bOffsets: Int32Array, m, n, k, transA, transB)
// For batch i: C[i] (m x n, row-major, contiguous) = op(A at aOffsets[i]) * op(B at bOffsets[i]).
// Offsets are computed by the caller, which is how broadcast batch dimensions are expressed.
static napi_value SgemmBatched(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 10) {
    napi_throw_type_error(env, "RHO_NATIVE", "sgemmBatched expects 10 arguments");
    return NULL;
  }
  float *a, *b, *c;
  size_t alen, blen, clen, aolen, bolen;
  int32_t *aoff, *boff;
  if (!get_f32(env, argv[0], &a, &alen) || !get_f32(env, argv[1], &b, &blen) ||
      !get_f32(env, argv[2], &c, &clen)) {
    napi_throw_type_error(env, "RHO_NATIVE", "a, b, c must be Float32Arrays");
    return NULL;
  }
  if (!get_i32(env, argv[3], &aoff, &aolen) || !get_i32(env, argv[4], &boff, &bolen) || aolen != bolen) {
    napi_throw_type_error(env, "RHO_NATIVE", "aOffsets and bOffsets must be Int32Arrays of equal length");
    return NULL;
  }
  int32_t m, n, k;
  bool ta, tb;
  CHECK(napi_get_value_int32(env, argv[5], &m));
  CHECK(napi_get_value_int32(env, argv[6], &n));
  CHECK(napi_get_value_int32(env, argv[7], &k));
  CHECK(napi_get_value_bool(env, argv[8], &ta));
  CHECK(napi_get_value_bool(env, argv[9], &tb));
  size_t batch = aolen;
  if (m < 0 || n < 0 || k < 0 || clen < batch * (size_t)m * (size_t)n) {
    napi_throw_range_error(env, "RHO_NATIVE", "output too small for batch*m*n");
    return NULL;
  }
  for (size_t i = 0; i < batch; i++) {
    if (aoff[i] < 0 || boff[i] < 0 || (size_t)aoff[i] + (size_t)m * k > alen ||
        (size_t)boff[i] + (size_t)k * n > blen) {
      napi_throw_range_error(env, "RHO_NATIVE", "operand offset out of range");
      return NULL;
    }
  }
  if (m == 0 || n == 0) return NULL;
  if (k == 0) {
    for (size_t i = 0; i < batch * (size_t)m * n; i++) c[i] = 0.0f;
    return NULL;
  }
  const int lda = ta ? m : k;
  const int ldb = tb ? k : n;
  for (size_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                a + aoff[i], lda, b + boff[i], ldb, 0.0f, c + i * (size_t)m * n, n);
  }
  return NULL;
}

static napi_value Threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1) {
    int32_t t;
    CHECK(napi_get_value_int32(env, argv[0], &t));
    if (t > 0) openblas_set_num_threads(t);
  }
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK(napi_create_function(env, "sgemmBatched", NAPI_AUTO_LENGTH, SgemmBatched, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "sgemmBatched", fn));
  CHECK(napi_create_function(env, "threads", NAPI_AUTO_LENGTH, Threads, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "threads", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
