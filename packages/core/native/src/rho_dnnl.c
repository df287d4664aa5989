// Placeholder until the oneDNN wrapper lands: reports oneDNN as absent.
#include "rho_dnnl.h"
int rho_dnnl_ready(void) { return 0; }
int rho_dnnl_bf16(void) { return 0; }
const char *rho_dnnl_isa(void) { return "oneDNN not built in"; }
int rho_dnnl_gemm_bf16(bool ta, bool tb, int M, int N, int K, const uint16_t *A, int lda, const uint16_t *B, int ldb, float beta, float *C, int ldc) {
  (void)ta, (void)tb, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)B, (void)ldb, (void)beta, (void)C, (void)ldc;
  return -1;
}
int rho_dnnl_gemm_f32(bool ta, bool tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  (void)ta, (void)tb, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)B, (void)ldb, (void)beta, (void)C, (void)ldc;
  return -1;
}
bool rho_dnnl_register(napi_env env, napi_value exports) { (void)env, (void)exports; return true; }
