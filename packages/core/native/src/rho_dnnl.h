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

// Strided batches of the products above: for i < batch, C + i*strideC = beta*(C + i*strideC)
// + op(A + i*strideA)·op(B + i*strideB), strides in elements. A stride of 0 broadcasts that operand;
// otherwise it is at least one whole matrix. strideC >= M*ldc when batch > 1. One oneDNN call for
// the whole batch (attention's per-head products). Same return codes.
int rho_dnnl_gemm_bf16_strided(bool transA, bool transB, int batch, int M, int N, int K, const uint16_t *A, int lda,
                               long strideA, const uint16_t *B, int ldb, long strideB, float beta, float *C, int ldc,
                               long strideC);
int rho_dnnl_gemm_f32_strided(bool transA, bool transB, int batch, int M, int N, int K, const float *A, int lda,
                              long strideA, const float *B, int ldb, long strideB, float beta, float *C, int ldc,
                              long strideC);

// OpenMP's thread count for the calling thread's parallel regions (oneDNN's products, the engine's
// kernels): sets it when n > 0, returns the count in effect. RHO_THREADS, read once at the first
// oneDNN call, sets it too; the default is every core.
int rho_dnnl_threads(int n);

// Adds the JS-facing functions (dnnlInfo, dnnlThreads, gemmBf16Batched, gemmF32Batched, f32ToBf16, bf16ToF32) to `exports`.
bool rho_dnnl_register(napi_env env, napi_value exports);
#endif
