// Fused Llama decoding step for the cpu and wasm backends: one call per generated token instead of
// ~200 small tfjs kernel calls, whose dispatch cost dominated batch-1 decoding. It computes exactly
// LlamaModel.forwardInference for one new token per row (inference weights: [in, out], RMSNorm
// weights folded into the projection after them, 1/sqrt(head_dim) folded into q), attending to a
// key/value cache that lives here, in plain C memory. Prefill stays in tfjs (big matmuls).
#include "rho_decode.h"
#include "rho_napi.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_MAGIC 0x52484f4du  // "RHOM"
#define CACHE_MAGIC 0x52484f43u  // "RHOC"

typedef struct {
  uint32_t magic;
  int L, D, H, KV, hd, F, V;
  float eps;
  float *invfreq;  // hd/2
  float *embed;    // V*D
  float **w;       // 7 per layer: q, k, v, o, gate, up, down, each [in, out]
  float *head;     // D*V
} model_t;

typedef struct {
  uint32_t magic;
  int L, B, KV, hd, cap, len;
  int32_t *start;  // per row: the first real (unpadded) slot
  float *k, *v;    // [L][B][KV][cap][hd]
} cache_t;

static float *copy_f32(napi_env env, napi_value v, size_t want, const char *what) {
  size_t len = 0;
  float *src = rho_typed(env, v, napi_float32_array, &len);
  if (!src || len != want) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: expected a Float32Array of %zu values, got %zu", what, want, src ? len : 0);
    napi_throw_range_error(env, "RHO_NATIVE", msg);
    return NULL;
  }
  float *dst = malloc(want * sizeof(float));
  if (!dst) {
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  memcpy(dst, src, want * sizeof(float));
  return dst;
}

static void model_free(model_t *m) {
  if (!m) return;
  free(m->invfreq);
  free(m->embed);
  if (m->w)
    for (int i = 0; i < 7 * m->L; i++) free(m->w[i]);
  free(m->w);
  free(m->head);
  m->magic = 0;
  m->invfreq = m->embed = m->head = NULL;
  m->w = NULL;
}

static void cache_free(cache_t *c) {
  if (!c) return;
  free(c->start);
  free(c->k);
  free(c->v);
  c->start = NULL;
  c->k = c->v = NULL;
  c->magic = 0;
}

static void finalize_model(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  model_free(data);
  free(data);
}

static void finalize_cache(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  cache_free(data);
  free(data);
}

static void *unwrap(napi_env env, napi_value v, uint32_t magic) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok || !p ||
      *(uint32_t *)p != magic) {
    napi_throw_type_error(env, "RHO_NATIVE", magic == MODEL_MAGIC ? "not a live decoder model" : "not a live decoder cache");
    return NULL;
  }
  return p;
}

// decoderModel(dims: Int32Array [L, D, H, KV, hd, F, V], eps, invFreq, embed, layerWeights: Float32Array[7L], head)
static napi_value DecoderModel(napi_env env, napi_callback_info info) {
  RHO_ARGS("decoderModel", 6);
  size_t nd = 0;
  int32_t *dims = rho_typed(env, argv[0], napi_int32_array, &nd);
  if (!dims || nd != 7) {
    napi_throw_type_error(env, "RHO_NATIVE", "dims must be an Int32Array [L, D, H, KV, hd, F, V]");
    return NULL;
  }
  for (int i = 0; i < 7; i++)
    if (dims[i] <= 0) {
      napi_throw_range_error(env, "RHO_NATIVE", "dims must be positive");
      return NULL;
    }
  if (dims[2] % dims[3] != 0 || dims[4] % 2 != 0) {
    napi_throw_range_error(env, "RHO_NATIVE", "heads must be a multiple of kv heads and head_dim even");
    return NULL;
  }
  double eps;
  CHECK(napi_get_value_double(env, argv[1], &eps));
  model_t *m = calloc(1, sizeof *m);
  if (!m) {
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  m->L = dims[0], m->D = dims[1], m->H = dims[2], m->KV = dims[3], m->hd = dims[4], m->F = dims[5], m->V = dims[6];
  m->eps = (float)eps;
  const size_t D = m->D, F = m->F, qd = (size_t)m->H * m->hd, kd = (size_t)m->KV * m->hd;
  bool ok = (m->invfreq = copy_f32(env, argv[2], m->hd / 2, "invFreq")) && (m->embed = copy_f32(env, argv[3], (size_t)m->V * D, "embed"));
  uint32_t n = 0;
  bool is_array = false;
  if (ok && (napi_is_array(env, argv[4], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[4], &n) != napi_ok ||
             n != 7u * m->L)) {
    napi_throw_type_error(env, "RHO_NATIVE", "layerWeights must be an array of 7 Float32Arrays per layer");
    ok = false;
  }
  if (ok) ok = (m->w = calloc(7 * (size_t)m->L, sizeof(float *))) != NULL;
  const size_t sizes[7] = {D * qd, D * kd, D * kd, qd * D, D * F, D * F, F * D};
  static const char *names[7] = {"q", "k", "v", "o", "gate", "up", "down"};
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value el;
    char what[64];
    snprintf(what, sizeof what, "layer %u %s", i / 7, names[i % 7]);
    ok = napi_get_element(env, argv[4], i, &el) == napi_ok && (m->w[i] = copy_f32(env, el, sizes[i % 7], what)) != NULL;
  }
  if (ok) ok = (m->head = copy_f32(env, argv[5], D * m->V, "head")) != NULL;
  if (!ok) {
    model_free(m);
    free(m);
    return NULL;  // an exception is pending
  }
  m->magic = MODEL_MAGIC;
  return rho_external(env, m, finalize_model);
}

// decoderCache(model, batch, capacity, keys: Float32Array[L], values: Float32Array[L], past, start: Int32Array[batch])
// keys/values of layer l: [batch, KV, past, hd] (what the tfjs prefill returns); start[b]: first real slot of row b.
static napi_value DecoderCache(napi_env env, napi_callback_info info) {
  RHO_ARGS("decoderCache", 7);
  model_t *m = unwrap(env, argv[0], MODEL_MAGIC);
  if (!m) return NULL;
  int32_t B, cap, past;
  CHECK(napi_get_value_int32(env, argv[1], &B));
  CHECK(napi_get_value_int32(env, argv[2], &cap));
  CHECK(napi_get_value_int32(env, argv[5], &past));
  size_t ns = 0;
  int32_t *start = rho_typed(env, argv[6], napi_int32_array, &ns);
  if (B <= 0 || past < 0 || cap < past || cap <= 0 || !start || ns != (size_t)B) {
    napi_throw_range_error(env, "RHO_NATIVE", "decoderCache: need batch > 0, 0 <= past <= capacity, capacity > 0, start of batch entries");
    return NULL;
  }
  for (int b = 0; b < B; b++)
    if (start[b] < 0 || start[b] > past) {
      napi_throw_range_error(env, "RHO_NATIVE", "decoderCache: start out of range");
      return NULL;
    }
  cache_t *c = calloc(1, sizeof *c);
  if (!c) {
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  c->L = m->L, c->B = B, c->KV = m->KV, c->hd = m->hd, c->cap = cap, c->len = past;
  const size_t per_layer = (size_t)B * c->KV * cap * c->hd;
  c->start = malloc(B * sizeof(int32_t));
  c->k = malloc(per_layer * c->L * sizeof(float));
  c->v = malloc(per_layer * c->L * sizeof(float));
  if (!c->start || !c->k || !c->v) {
    cache_free(c);
    free(c);
    napi_throw_error(env, "RHO_NATIVE", "out of memory for the key/value cache");
    return NULL;
  }
  memcpy(c->start, start, B * sizeof(int32_t));
  const size_t rows = (size_t)B * c->KV;  // (b, kvh) pairs, each `past` slots of hd
  for (int l = 0; l < c->L; l++) {
    for (int which = 0; which < 2; which++) {
      napi_value el;
      size_t len = 0;
      float *src = NULL;
      if (napi_get_element(env, argv[3 + which], l, &el) == napi_ok) src = rho_typed(env, el, napi_float32_array, &len);
      if (!src || len != rows * past * c->hd) {
        cache_free(c);
        free(c);
        napi_throw_range_error(env, "RHO_NATIVE", "decoderCache: keys/values must be L Float32Arrays of [batch, KV, past, hd]");
        return NULL;
      }
      float *dst = (which ? c->v : c->k) + l * per_layer;
      for (size_t r = 0; r < rows; r++) memcpy(dst + r * cap * c->hd, src + r * past * c->hd, (size_t)past * c->hd * sizeof(float));
    }
  }
  c->magic = CACHE_MAGIC;
  return rho_external(env, c, finalize_cache);
}

// Re-lays the cache out with room for `cap` slots per row (the slot count is the row stride).
static bool cache_grow(cache_t *c, int cap) {
  const size_t rows = (size_t)c->L * c->B * c->KV, row_old = (size_t)c->cap * c->hd, row_new = (size_t)cap * c->hd;
  float *k = malloc(rows * row_new * sizeof(float)), *v = malloc(rows * row_new * sizeof(float));
  if (!k || !v) {
    free(k);
    free(v);
    return false;
  }
  for (size_t r = 0; r < rows; r++) {
    memcpy(k + r * row_new, c->k + r * row_old, (size_t)c->len * c->hd * sizeof(float));
    memcpy(v + r * row_new, c->v + r * row_old, (size_t)c->len * c->hd * sizeof(float));
  }
  free(c->k);
  free(c->v);
  c->k = k, c->v = v, c->cap = cap;
  return true;
}

// y[B, out] = x[B, in] · w[in, out]
static void linear(const float *x, const float *w, float *y, int B, int in, int out) {
  if (B == 1)
    cblas_sgemv(CblasRowMajor, CblasTrans, in, out, 1.0f, w, out, x, 1, 0.0f, y, 1);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, out, in, 1.0f, x, in, w, out, 0.0f, y, out);
}

static void rms_unit(const float *x, float *y, int B, int D, float eps) {
  for (int b = 0; b < B; b++) {
    const float *xr = x + (size_t)b * D;
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int i = 0; i < D; i++) ss += xr[i] * xr[i];
    const float r = 1.0f / sqrtf(ss / D + eps);
    for (int i = 0; i < D; i++) y[(size_t)b * D + i] = xr[i] * r;
  }
}

// HF rotate_half convention on `n` heads of one token: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)
static void rope(float *x, int n, int hd, int pos, const float *invfreq, float *cs, float *sn) {
  const int half = hd / 2;
  for (int i = 0; i < half; i++) {
    const float angle = (float)pos * invfreq[i];  // float32, as transformers and the tfjs path compute it
    cs[i] = cosf(angle);
    sn[i] = sinf(angle);
  }
  for (int h = 0; h < n; h++) {
    float *r = x + (size_t)h * hd;
    for (int i = 0; i < half; i++) {
      const float a = r[i], b = r[i + half];
      r[i] = a * cs[i] - b * sn[i];
      r[i + half] = b * cs[i] + a * sn[i];
    }
  }
}

// decodeStep(model, cache, rows: Int32Array, tokens: Int32Array, positions: Int32Array, logits: Float32Array[n*V])
// One new token for each listed cache row, written to slot cache.len (which then grows by one;
// the cache's capacity is only its initial size).
static napi_value DecodeStep(napi_env env, napi_callback_info info) {
  RHO_ARGS("decodeStep", 6);
  model_t *m = unwrap(env, argv[0], MODEL_MAGIC);
  if (!m) return NULL;
  cache_t *c = unwrap(env, argv[1], CACHE_MAGIC);
  if (!c) return NULL;
  size_t nr = 0, nt = 0, np = 0, nl = 0;
  int32_t *rows = rho_typed(env, argv[2], napi_int32_array, &nr);
  int32_t *tokens = rho_typed(env, argv[3], napi_int32_array, &nt);
  int32_t *positions = rho_typed(env, argv[4], napi_int32_array, &np);
  float *logits = rho_typed(env, argv[5], napi_float32_array, &nl);
  const int B = (int)nr;
  if (!rows || !tokens || !positions || !logits || nt != nr || np != nr || nl != nr * (size_t)m->V || B == 0) {
    napi_throw_type_error(env, "RHO_NATIVE", "decodeStep: rows, tokens, positions (Int32Array) of one length n > 0, logits Float32Array of n*vocab");
    return NULL;
  }
  if (c->L != m->L || c->KV != m->KV || c->hd != m->hd) {
    napi_throw_type_error(env, "RHO_NATIVE", "decodeStep: cache belongs to another model shape");
    return NULL;
  }
  // room is made as decoding goes (doubling), so memory follows the tokens actually generated
  if (c->len >= c->cap && !cache_grow(c, c->cap < 64 ? 128 : 2 * c->cap)) {
    napi_throw_error(env, "RHO_NATIVE", "decodeStep: out of memory growing the key/value cache");
    return NULL;
  }
  for (int b = 0; b < B; b++) {
    if (rows[b] < 0 || rows[b] >= c->B || tokens[b] < 0 || tokens[b] >= m->V || positions[b] < 0) {
      napi_throw_range_error(env, "RHO_NATIVE", "decodeStep: row, token or position out of range");
      return NULL;
    }
  }
  const int D = m->D, H = m->H, KV = m->KV, hd = m->hd, F = m->F, group = H / KV;
  const int qd = H * hd, kd = KV * hd, slot = c->len, cap = c->cap;
  const size_t layer_stride = (size_t)c->B * KV * cap * hd;
  const size_t span = (size_t)slot + 1;
  // one scratch block: x, xn, q, k, v, ctx, tmp (D or more), gate, up, scores, cos, sin
  const size_t need = (size_t)B * (2 * D + qd + 2 * kd + qd + (D > qd ? D : qd) + 2 * F) + span + hd;
  float *scratch = malloc(need * sizeof(float));
  if (!scratch) {
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  float *x = scratch, *xn = x + (size_t)B * D, *q = xn + (size_t)B * D, *k = q + (size_t)B * qd, *v = k + (size_t)B * kd;
  float *ctx = v + (size_t)B * kd, *tmp = ctx + (size_t)B * qd, *gate = tmp + (size_t)B * (D > qd ? D : qd);
  float *up = gate + (size_t)B * F, *scores = up + (size_t)B * F, *cs = scores + span, *sn = cs + hd / 2;

  for (int b = 0; b < B; b++) memcpy(x + (size_t)b * D, m->embed + (size_t)tokens[b] * D, D * sizeof(float));
  for (int l = 0; l < m->L; l++) {
    float *const *w = m->w + 7 * l;
    rms_unit(x, xn, B, D, m->eps);
    linear(xn, w[0], q, B, D, qd);
    linear(xn, w[1], k, B, D, kd);
    linear(xn, w[2], v, B, D, kd);
    float *kc = c->k + l * layer_stride, *vc = c->v + l * layer_stride;
    for (int b = 0; b < B; b++) {
      rope(q + (size_t)b * qd, H, hd, positions[b], m->invfreq, cs, sn);
      rope(k + (size_t)b * kd, KV, hd, positions[b], m->invfreq, cs, sn);
      const size_t row = (size_t)rows[b] * KV;
      for (int g = 0; g < KV; g++) {
        memcpy(kc + ((row + g) * cap + slot) * hd, k + (size_t)b * kd + (size_t)g * hd, hd * sizeof(float));
        memcpy(vc + ((row + g) * cap + slot) * hd, v + (size_t)b * kd + (size_t)g * hd, hd * sizeof(float));
      }
      const int first = c->start[rows[b]];
      const int n = slot + 1 - first;
      for (int h = 0; h < H; h++) {
        const float *qh = q + (size_t)b * qd + (size_t)h * hd;
        const float *kh = kc + ((row + h / group) * cap + first) * hd;
        const float *vh = vc + ((row + h / group) * cap + first) * hd;
        float best = -INFINITY;
        for (int s = 0; s < n; s++) {
          float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
          for (int i = 0; i < hd; i++) dot += qh[i] * kh[(size_t)s * hd + i];
          scores[s] = dot;
          if (dot > best) best = dot;
        }
        float sum = 0.0f;
        for (int s = 0; s < n; s++) sum += (scores[s] = expf(scores[s] - best));
        float *out = ctx + (size_t)b * qd + (size_t)h * hd;
        memset(out, 0, hd * sizeof(float));
        for (int s = 0; s < n; s++) {
          const float p = scores[s] / sum;
          const float *vr = vh + (size_t)s * hd;
#pragma omp simd
          for (int i = 0; i < hd; i++) out[i] += p * vr[i];
        }
      }
    }
    linear(ctx, w[3], tmp, B, qd, D);
    for (size_t i = 0; i < (size_t)B * D; i++) x[i] += tmp[i];
    rms_unit(x, xn, B, D, m->eps);
    linear(xn, w[4], gate, B, D, F);
    linear(xn, w[5], up, B, D, F);
    for (size_t i = 0; i < (size_t)B * F; i++) {
      const float g = gate[i];
      gate[i] = g / (1.0f + expf(-g)) * up[i];  // SwiGLU: silu(gate) * up
    }
    linear(gate, w[6], tmp, B, F, D);
    for (size_t i = 0; i < (size_t)B * D; i++) x[i] += tmp[i];
  }
  rms_unit(x, xn, B, D, m->eps);
  linear(xn, m->head, logits, B, D, m->V);
  free(scratch);
  c->len++;
  return NULL;
}

// decoderRelease(handle): frees a model's or cache's memory now rather than at garbage collection
static napi_value DecoderRelease(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  napi_valuetype t;
  if (argc != 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external || napi_get_value_external(env, argv[0], &p) != napi_ok || !p)
    return NULL;
  if (*(uint32_t *)p == MODEL_MAGIC) model_free(p);
  else if (*(uint32_t *)p == CACHE_MAGIC) cache_free(p);
  return NULL;
}

// decoderCacheLength(cache): the number of filled slots
static napi_value DecoderCacheLength(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1) return NULL;
  cache_t *c = unwrap(env, argv[0], CACHE_MAGIC);
  if (!c) return NULL;
  napi_value out;
  CHECK(napi_create_int32(env, c->len, &out));
  return out;
}

bool rho_decode_register(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"decoderModel", DecoderModel}, {"decoderCache", DecoderCache}, {"decodeStep", DecodeStep},
             {"decoderRelease", DecoderRelease}, {"decoderCacheLength", DecoderCacheLength}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok)
      return false;
  }
  return true;
}
