#ifndef RHO_TRAIN_H
#define RHO_TRAIN_H
#include <node_api.h>
#include <stdbool.h>

// Adds trainForward and trainBackward (the native training pass of the Llama model) to `exports`.
bool rho_train_register(napi_env env, napi_value exports);
#endif
