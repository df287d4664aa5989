// The addon's entry point: every part registers its functions into one module, beside `version`.
// packages/core/src/backend/native.ts refuses an addon whose version is not the one its types
// describe, so a build left from older sources is rebuilt rather than probed function by function.
#include <node_api.h>

#include "rho_blas.h"
#include "rho_dnnl.h"
#include "rho_engine.h"
#include "rho_loss.h"
#include "rho_optim.h"
#include "rho_train.h"

// Bump with NATIVE_ADDON_VERSION in packages/core/src/backend/native.ts whenever a function is
// added or removed or its arguments change.
#define RHO_ADDON_VERSION 2

static napi_value Init(napi_env env, napi_value exports) {
  napi_value version;
  if (napi_create_int32(env, RHO_ADDON_VERSION, &version) != napi_ok ||
      napi_set_named_property(env, exports, "version", version) != napi_ok || !rho_blas_register(env, exports) ||
      !rho_loss_register(env, exports) || !rho_optim_register(env, exports) || !rho_dnnl_register(env, exports) ||
      !rho_engine_register(env, exports) || !rho_train_register(env, exports)) {
    napi_throw_error(env, "RHO_NATIVE", "registering the addon's functions failed");
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
