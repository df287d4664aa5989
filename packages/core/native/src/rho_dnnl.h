#ifndef RHO_DNNL_H
#define RHO_DNNL_H
// Matrix products through oneDNN (Debian libdnnl-dev), which picks AMX, AVX512_BF16 or AVX-512 at run
// time. Built only when oneDNN's headers are found (RHO_HAVE_DNNL); without it every function here
// reports "not available" and callers take their OpenBLAS / plain-C path.
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

// 1 when oneDNN is linked and usable at all (f32 products).
int rho_dnnl_ready(void);
// 1 when oneDNN is linked and the CPU multiplies BF16 natively (AVX512_BF16 or AMX).
int rho_dnnl_bf16(void);
// The instruction set oneDNN dispatches to ("avx512_core_amx", "avx512_core_bf16", ...), or a reason
// why there is none ("oneDNN not built in").
const char *rho_dnnl_isa(void);

// C[M,N] = beta*C + op(A)·op(B), row-major with leading dimensions (row strides, in elements).
// op(A) is [M,K]: A is [M,K] (lda >= K), or [K,M] when transA (lda >= M).
// op(B) is [K,N]: B is [K,N] (ldb >= N), or [N,K] when transB (ldb >= K) -- a Hugging Face weight.
// beta is 0 or 1. Primitives are created once per shape and cached. Returns 0 on success, -1 when
// oneDNN is not available (or lacks BF16, for the bf16 variant), another non-zero on failure.
int rho_dnnl_gemm_bf16(bool transA, bool transB, int M, int N, int K, const uint16_t *A, int lda,
                       const uint16_t *B, int ldb, float beta, float *C, int ldc);
int rho_dnnl_gemm_f32(bool transA, bool transB, int M, int N, int K, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc);

// Adds the JS-facing functions (dnnlInfo, gemmBf16Batched, ...) to `exports`.
bool rho_dnnl_register(napi_env env, napi_value exports);
#endif
