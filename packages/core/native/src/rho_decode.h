#ifndef RHO_DECODE_H
#define RHO_DECODE_H
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>

// Adds decoderModel, decoderCache, decodeStep, decoderRelease and decoderCacheLength to `exports`.
bool rho_decode_register(napi_env env, napi_value exports);

#endif
