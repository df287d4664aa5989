#ifndef RHO_OPTIM_H
#define RHO_OPTIM_H
#include <node_api.h>
#include <stdbool.h>

// Adds adamwUpdate to `exports`.
bool rho_optim_register(napi_env env, napi_value exports);

#endif
