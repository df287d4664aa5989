#ifndef RHO_NAPI_H
#define RHO_NAPI_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

// In a napi_callback: a failed N-API call throws and returns NULL.
#define CHECK(call)                                                      \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      napi_throw_error(env, "RHO_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

// The data of a typed array argument of the wanted element type, or NULL when it is anything else.
// An empty array may have no buffer; it still counts as given (a non-NULL pointer, length 0).
static inline void *rho_typed(napi_env env, napi_value v, napi_typedarray_type want, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return NULL;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok || type != want) return NULL;
  return ptr ? ptr : (void *)"";
}

#endif
