#ifndef RHO_ENGINE_H
#define RHO_ENGINE_H
#include <node_api.h>
#include <stdbool.h>

// Adds mapFile and the engine functions (engineModel, engineCache, engineForward, ...) to `exports`.
bool rho_engine_register(napi_env env, napi_value exports);
#endif
