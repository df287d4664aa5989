#ifndef RHO_BLAS_H
#define RHO_BLAS_H
#include <node_api.h>
#include <stdbool.h>

// Adds sgemmBatched and threads (OpenBLAS's thread count) to `exports`.
bool rho_blas_register(napi_env env, napi_value exports);

#endif
