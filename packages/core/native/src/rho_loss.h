#ifndef RHO_LOSS_H
#define RHO_LOSS_H
#include <node_api.h>
#include <stdbool.h>

// Adds crossEntropyForward and crossEntropyBackward to `exports`.
bool rho_loss_register(napi_env env, napi_value exports);

#endif
