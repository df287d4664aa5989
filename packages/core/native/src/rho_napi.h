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

// In a napi_callback: `argv` holds exactly `count` arguments, or a TypeError naming `name` is thrown.
#define RHO_ARGS(name, count)                                                                  \
  size_t argc = count;                                                                         \
  napi_value argv[count];                                                                      \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                                 \
  if (argc != count) {                                                                         \
    napi_throw_type_error(env, "RHO_NATIVE", name " expects " #count " arguments");            \
    return NULL;                                                                               \
  }

// `data` as a JS external freed by `finalize` at garbage collection; on failure it is freed now
// and an error is thrown (NULL returned).
static inline napi_value rho_external(napi_env env, void *data, napi_finalize finalize) {
  napi_value out;
  if (napi_create_external(env, data, finalize, NULL, &out) != napi_ok) {
    finalize(env, data, NULL);
    napi_throw_error(env, "RHO_NATIVE", "napi_create_external failed");
    return NULL;
  }
  return out;
}

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
