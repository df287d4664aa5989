// The native inference engine: a Llama / Mistral causal LM over weights as they are stored
// (memory-mapped BF16 or F32 safetensors, or copies handed over from JS), with the prompt pass and
// KV-cache decoding in one function. Everything lives in C memory, outside tfjs's 32-bit wasm heap,
// so a 7B BF16 checkpoint (14.5 GB) runs in 24 GB. The layer is the Hugging Face LlamaForCausalLM /
// MistralForCausalLM formula (RMSNorm, rotate_half RoPE, grouped-query attention with an optional
// sliding window, SwiGLU), the same arithmetic as packages/core/src/model/llama.ts.
//
// Products of weights with activations (`linear`): oneDNN BF16 GEMMs (FP32 accumulation) for many
// rows at precision bf16; a bandwidth-bound kernel that widens BF16 weights to FP32 in registers for
// a few rows (decoding), whatever the precision; FP32 GEMMs otherwise. Threads: OpenMP, the pool
// oneDNN uses too.
#include "rho_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cblas.h>
#include <immintrin.h>

#include "rho_bf16.h"
#include "rho_dnnl.h"
#include "rho_math.h"
#include "rho_napi.h"

enum { DT_F32 = 0, DT_BF16 = 1, DT_F16 = 2 };
enum { PREC_FP32 = 0, PREC_BF16 = 1 };
// rows at or below which `linear` streams the weights (memory-bound) instead of calling a GEMM
#define SMALL_M 8
// rows up to which precision bf16 uses the pair-dot-product tiles instead of a oneDNN GEMM (which
// repacks the weights on every call: three passes over them where the tiles make one)
#define DP_MAX_M 64
// ... and above which: up to 4 rows are memory-bound, so they keep FP32 activations for free
#define DP_MIN_M 4

#define MAP_MAGIC 0x524d4150u    // "RMAP"
#define MODEL_MAGIC 0x52454e47u  // "RENG"
#define CACHE_MAGIC 0x524b5643u  // "RKVC"

// ---------------------------------------------------------------------------------------------
// Memory-mapped files, shared by the models that point into them (reference counted, so a model
// outlives the JS handle of its file).
typedef struct {
  uint32_t magic;
  int refs;
  void *base;
  size_t size;
} mapping_t;

static void mapping_unref(mapping_t *m) {
  if (!m || --m->refs > 0) return;
  if (m->base && m->size) munmap(m->base, m->size);
  m->magic = 0;
  free(m);
}

static void finalize_mapping(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  mapping_unref(data);
}

// mapFile(path): an opaque handle on the whole file, mapped read-only.
static napi_value MapFile(napi_env env, napi_callback_info info) {
  RHO_ARGS("mapFile", 1);
  char path[4096];
  size_t len = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    char msg[4300];
    snprintf(msg, sizeof msg, "cannot open %s: %s", path, strerror(errno));
    napi_throw_error(env, "RHO_NATIVE", msg);
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    close(fd);
    napi_throw_error(env, "RHO_NATIVE", "cannot map an empty or unreadable file");
    return NULL;
  }
  void *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (base == MAP_FAILED) {
    char msg[4300];
    snprintf(msg, sizeof msg, "cannot map %s: %s", path, strerror(errno));
    napi_throw_error(env, "RHO_NATIVE", msg);
    return NULL;
  }
  mapping_t *m = calloc(1, sizeof *m);
  if (!m) {
    munmap(base, (size_t)st.st_size);
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  *m = (mapping_t){MAP_MAGIC, 1, base, (size_t)st.st_size};
  return rho_external(env, m, finalize_mapping);
}

static mapping_t *get_mapping(napi_env env, napi_value v) {
  mapping_t *m = NULL;
  if (napi_get_value_external(env, v, (void **)&m) != napi_ok || !m || m->magic != MAP_MAGIC) {
    napi_throw_type_error(env, "RHO_NATIVE", "expected a mapping handle");
    return NULL;
  }
  return m;
}

// mapSize(mapping): its length in bytes.
static napi_value MapSize(napi_env env, napi_callback_info info) {
  RHO_ARGS("mapSize", 1);
  mapping_t *m = get_mapping(env, argv[0]);
  if (!m) return NULL;
  napi_value out;
  CHECK(napi_create_double(env, (double)m->size, &out));
  return out;
}

// mapTouch(mapping, offset, length): reads one byte a page, so the pages are resident afterwards.
static napi_value MapTouch(napi_env env, napi_callback_info info) {
  RHO_ARGS("mapTouch", 3);
  mapping_t *m = get_mapping(env, argv[0]);
  if (!m) return NULL;
  double off = 0, len = 0;
  CHECK(napi_get_value_double(env, argv[1], &off));
  CHECK(napi_get_value_double(env, argv[2], &len));
  if (off < 0 || len < 0 || off + len > (double)m->size) {
    napi_throw_range_error(env, "RHO_NATIVE", "mapTouch: range outside the mapping");
    return NULL;
  }
  const volatile unsigned char *p = (const unsigned char *)m->base + (size_t)off;
  size_t n = (size_t)len;
  madvise((void *)((uintptr_t)p & ~(uintptr_t)4095), n + ((uintptr_t)p & 4095), MADV_WILLNEED);
  unsigned sum = 0;
  for (size_t i = 0; i < n; i += 4096) sum += p[i];
  (void)sum;
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// A weight matrix as stored: [rows, cols] row-major (Hugging Face [out, in] for linear layers).
typedef struct {
  int dtype;        // DT_F32, DT_BF16 or DT_F16
  const void *data;
  void *owned;      // non-NULL when `data` is a copy this model frees
  size_t owned_mapped;  // non-zero when `owned` is an anonymous mapping of this many bytes
  mapping_t *map;   // non-NULL when `data` points into a mapping this model holds a reference on
  size_t rows, cols;
} weight_t;

enum { W_IN_NORM, W_Q, W_K, W_V, W_O, W_POST_NORM, W_GATE, W_UP, W_DOWN, W_PER_LAYER };

typedef struct {
  uint32_t magic;
  int L, D, H, KV, hd, F, V, window, precision;
  float eps;
  float *invfreq;  // hd/2
  weight_t embed, norm, head;
  weight_t *layers;  // L * W_PER_LAYER; norm weights always F32 copies
} model_t;

typedef struct {
  int len, cap;
  void *k, *v;  // [L][KV][cap][hd], elements of cache_t.es bytes
} row_cache_t;

typedef struct {
  uint32_t magic;
  int B, L, KV, hd;
  // Bytes a key/value element: 4 (FP32), or 2 (BF16) at precision bf16, where PyTorch keeps k/v
  // in BF16 too; half the memory per token (more sequences in a KV budget) and half the bytes
  // decode attention reads. Each value is rounded once, when written.
  int es;
  // Batch-invariant kernels: a row's numbers do not depend on which other rows share a call, how
  // many tokens a call has, or whether its prefix came from another cache (continuous batching and
  // the shared prefix produce exactly the tokens a lone sequence would).
  int invariant;
  row_cache_t *rows;
} cache_t;

// Keys/values in BF16 at precision bf16 (see cache_t.es), FP32 otherwise.
static int kv_element_bytes(const model_t *m) { return m->precision == PREC_BF16 ? 2 : 4; }

static size_t cache_token_bytes(const cache_t *c) { return 2 * (size_t)c->L * c->KV * c->hd * c->es; }

// Every buffer the kernels stream rows of (weights, activations, keys/values) starts on a cache
// line: a 64-byte load across two lines costs the load ports twice, and the pair-dot kernels keep
// those ports busy (TinyLlama-1.1B weights 48 bytes off a line: the batch-16 decoding step ~15%
// slower, its down projection ~30%).
#define LINE 64
static void *line_alloc(size_t bytes) { return aligned_alloc(LINE, (bytes + LINE - 1) & ~(size_t)(LINE - 1)); }

// Memory a thread's calls reuse (each JS thread drives its own models): a decoding step's
// activations are a few MB, and fresh pages for them on every call cost page faults and, once
// freed, TLB shootdowns on the other core. Larger requests (long prompts) come and go; the
// scratch itself (at most 2 x SCRATCH_MAX) lasts as long as its thread.
#define SCRATCH_MAX ((size_t)64 << 20)
typedef struct {
  void *p;
  size_t cap;
} scratch_t;
static __thread scratch_t forward_scratch, product_scratch;

// `bytes` on a cache line: from `s` (grown as needed, kept) up to SCRATCH_MAX, else a block of its
// own, which *own says the caller frees.
static void *scratch_take(scratch_t *s, size_t bytes, bool *own) {
  *own = bytes > SCRATCH_MAX;
  if (*own) return line_alloc(bytes);
  if (bytes > s->cap) {
    free(s->p);
    s->p = line_alloc(bytes);
    s->cap = s->p ? bytes : 0;
  }
  return s->p;
}

// A weight's copy: large ones in their own anonymous mapping on 2 MB pages where the kernel grants
// them (page faults on 4 KB pages made copying a 2.2 GB checkpoint take ~10 s here, and the
// kernels' weight streams miss the TLB less), small ones from the heap; on a cache line either way.
#define WEIGHT_MAP_MIN (1u << 20)
static void *weight_alloc(weight_t *w, size_t bytes) {
  if (bytes < WEIGHT_MAP_MIN) return w->owned = line_alloc(bytes);
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  madvise(p, bytes, MADV_HUGEPAGE);
  w->owned_mapped = bytes;
  return w->owned = p;
}

static void weight_free(weight_t *w) {
  if (w->owned_mapped) munmap(w->owned, w->owned_mapped);
  else free(w->owned);
  mapping_unref(w->map);
  memset(w, 0, sizeof *w);
}

static void model_free(model_t *m) {
  if (!m) return;
  weight_free(&m->embed);
  weight_free(&m->norm);
  weight_free(&m->head);
  if (m->layers)
    for (int i = 0; i < m->L * W_PER_LAYER; i++) weight_free(&m->layers[i]);
  free(m->layers);
  free(m->invfreq);
  m->layers = NULL;
  m->invfreq = NULL;
  m->magic = 0;
}

static void cache_free(cache_t *c) {
  if (!c) return;
  if (c->rows)
    for (int b = 0; b < c->B; b++) free(c->rows[b].k), free(c->rows[b].v);
  free(c->rows);
  c->rows = NULL;
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

// ---------------------------------------------------------------------------------------------
// Kernels

// Seconds spent per part of the forward pass since the last engineProfile() call: where the time
// goes, for benchmarks.
enum { T_LINEAR, T_ATTENTION, T_OTHER, T_PARTS };
static double spent[T_PARTS];
#define TIMED(part, stmt)                  \
  do {                                     \
    double t0_ = omp_get_wtime();          \
    stmt;                                  \
    spent[part] += omp_get_wtime() - t0_;  \
  } while (0)

static inline float dot_f32(const float *a, const float *b, int n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// The streaming kernel: y[m][n] = sum_k x[m][k] * w[n][k] in FP32, 16-bit weights widened exactly
// in registers. Register tiles of up to 4 rows of x by 4 rows of w (16 accumulators): each weight
// tile is loaded from memory once and reused from L1 for every 4 rows of x, so few rows (decoding)
// run at memory bandwidth and more rows at a good share of the FMA peak.
#define TILE_MAX 4

static inline float w_value(const void *w, int dtype, size_t k) {
  if (dtype == DT_F32) return ((const float *)w)[k];
  uint16_t h = ((const uint16_t *)w)[k];
  if (dtype == DT_BF16) return rho_bf16_value(h);
  float f;
  rho_f16_to_f32(&h, &f, 1);
  return f;
}

#define LOAD_BF16(w, i) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)(w) + (i)))), 16))
#define LOAD_F16(w, i) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)(w) + (i))))
#define LOAD_F32(w, i) _mm512_loadu_ps((const float *)(w) + (i))

// out[a*4+b] = x_a · w_b for 4 rows of x and 4 consecutive weight rows (16 accumulators in registers)
#define KERNEL_4X4(NAME, LOADW, DT)                                                                                   \
  __attribute__((target("avx512f,avx512bw"))) static void NAME(const float *const xs[4], const void *w, size_t n0, int K, float out[16]) { \
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;     \
    __m512 c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;                     \
    const float *x0 = xs[0], *x1 = xs[1], *x2 = xs[2], *x3 = xs[3];                                                    \
    const size_t r0 = n0 * K, r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;                                                   \
    const int K16 = K & ~15;                                                                                           \
    for (int k = 0; k < K16; k += 16) {                                                                                \
      __m512 b0 = LOADW(w, r0 + k), b1 = LOADW(w, r1 + k), b2 = LOADW(w, r2 + k), b3 = LOADW(w, r3 + k);               \
      __m512 a = _mm512_loadu_ps(x0 + k);                                                                              \
      c00 = _mm512_fmadd_ps(a, b0, c00), c01 = _mm512_fmadd_ps(a, b1, c01), c02 = _mm512_fmadd_ps(a, b2, c02), c03 = _mm512_fmadd_ps(a, b3, c03); \
      a = _mm512_loadu_ps(x1 + k);                                                                                     \
      c10 = _mm512_fmadd_ps(a, b0, c10), c11 = _mm512_fmadd_ps(a, b1, c11), c12 = _mm512_fmadd_ps(a, b2, c12), c13 = _mm512_fmadd_ps(a, b3, c13); \
      a = _mm512_loadu_ps(x2 + k);                                                                                     \
      c20 = _mm512_fmadd_ps(a, b0, c20), c21 = _mm512_fmadd_ps(a, b1, c21), c22 = _mm512_fmadd_ps(a, b2, c22), c23 = _mm512_fmadd_ps(a, b3, c23); \
      a = _mm512_loadu_ps(x3 + k);                                                                                     \
      c30 = _mm512_fmadd_ps(a, b0, c30), c31 = _mm512_fmadd_ps(a, b1, c31), c32 = _mm512_fmadd_ps(a, b2, c32), c33 = _mm512_fmadd_ps(a, b3, c33); \
    }                                                                                                                  \
    const __m512 cs[16] = {c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33};            \
    for (int i = 0; i < 16; i++) {                                                                                     \
      float sum = _mm512_reduce_add_ps(cs[i]);                                                                         \
      for (int k = K16; k < K; k++) sum += xs[i / 4][k] * w_value(w, DT, (n0 + i % 4) * (size_t)K + k);                \
      out[i] = sum;                                                                                                    \
    }                                                                                                                  \
  }

// out[b] = x · w_b for one row of x and 4 consecutive weight rows
#define KERNEL_1X4(NAME, LOADW, DT)                                                                                   \
  __attribute__((target("avx512f,avx512bw"))) static void NAME(const float *x, const void *w, size_t n0, int K, float out[4]) { \
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;                                                        \
    const size_t r0 = n0 * K, r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;                                                   \
    const int K16 = K & ~15;                                                                                           \
    for (int k = 0; k < K16; k += 16) {                                                                                \
      __m512 a = _mm512_loadu_ps(x + k);                                                                               \
      c0 = _mm512_fmadd_ps(a, LOADW(w, r0 + k), c0), c1 = _mm512_fmadd_ps(a, LOADW(w, r1 + k), c1);                    \
      c2 = _mm512_fmadd_ps(a, LOADW(w, r2 + k), c2), c3 = _mm512_fmadd_ps(a, LOADW(w, r3 + k), c3);                    \
    }                                                                                                                  \
    const __m512 cs[4] = {c0, c1, c2, c3};                                                                             \
    for (int i = 0; i < 4; i++) {                                                                                      \
      float sum = _mm512_reduce_add_ps(cs[i]);                                                                         \
      for (int k = K16; k < K; k++) sum += x[k] * w_value(w, DT, (n0 + i) * (size_t)K + k);                            \
      out[i] = sum;                                                                                                    \
    }                                                                                                                  \
  }

KERNEL_4X4(k4x4_bf16, LOAD_BF16, DT_BF16)
KERNEL_4X4(k4x4_f16, LOAD_F16, DT_F16)
KERNEL_4X4(k4x4_f32, LOAD_F32, DT_F32)
KERNEL_1X4(k1x4_bf16, LOAD_BF16, DT_BF16)
KERNEL_1X4(k1x4_f16, LOAD_F16, DT_F16)
KERNEL_1X4(k1x4_f32, LOAD_F32, DT_F32)

// rows m0..m0+mt (mt <= 4) of y, columns n0..n0+3: the 1x4 kernel for one row, else the 4x4 one
// (fewer than 4 rows repeat the last; their extra results are dropped)
static void tile_avx512(int mt, int dtype, const float *x, int K, const void *w, float *y, int N, int n0) {
  float out[16];
  if (mt == 1) {
    if (dtype == DT_BF16) k1x4_bf16(x, w, (size_t)n0, K, out);
    else if (dtype == DT_F16) k1x4_f16(x, w, (size_t)n0, K, out);
    else k1x4_f32(x, w, (size_t)n0, K, out);
    for (int b = 0; b < 4; b++) y[n0 + b] = out[b];
    return;
  }
  const float *xs[4];
  for (int a = 0; a < 4; a++) xs[a] = x + (size_t)(a < mt ? a : mt - 1) * K;
  if (dtype == DT_BF16) k4x4_bf16(xs, w, (size_t)n0, K, out);
  else if (dtype == DT_F16) k4x4_f16(xs, w, (size_t)n0, K, out);
  else k4x4_f32(xs, w, (size_t)n0, K, out);
  for (int a = 0; a < mt; a++)
    for (int b = 0; b < 4; b++) y[(size_t)a * N + n0 + b] = out[a * 4 + b];
}

static void tile_plain(int MT, int NT, int dtype, const float *x, int K, const void *w, float *y, int N, int n0) {
  float row[1024];
  for (int b = 0; b < NT; b++) {
    float acc[TILE_MAX] = {0};
    for (int k0 = 0; k0 < K; k0 += 1024) {
      int kn = K - k0 < 1024 ? K - k0 : 1024;
      for (int k = 0; k < kn; k++) row[k] = w_value(w, dtype, (size_t)(n0 + b) * K + k0 + k);
      for (int a = 0; a < MT; a++) acc[a] += dot_f32(x + (size_t)a * K + k0, row, kn);
    }
    for (int a = 0; a < MT; a++) y[(size_t)a * N + n0 + b] = acc[a];
  }
}

static int have_avx512 = -1;

// y[M,N] = x[M,K] · w[N,K]^T by the streaming kernel, weight tiles split over the threads.
static void linear_stream(const float *x, int M, const weight_t *w, float *y) {
  const int N = (int)w->rows, K = (int)w->cols;
  if (have_avx512 < 0) have_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  const int tiles = (N + TILE_MAX - 1) / TILE_MAX;
#pragma omp parallel for schedule(static)
  for (int t = 0; t < tiles; t++) {
    const int n0 = t * TILE_MAX, nt = N - n0 < TILE_MAX ? N - n0 : TILE_MAX;
    for (int m0 = 0; m0 < M; m0 += TILE_MAX) {
      const int mt = M - m0 < TILE_MAX ? M - m0 : TILE_MAX;
      if (have_avx512 && nt == TILE_MAX) tile_avx512(mt, w->dtype, x + (size_t)m0 * K, K, w->data, y + (size_t)m0 * N, N, n0);
      else tile_plain(mt, nt, w->dtype, x + (size_t)m0 * K, K, w->data, y + (size_t)m0 * N, N, n0);
    }
  }
}

// The same tiles with BF16 activations (rounded once per call) and AVX512_BF16 pair dot products
// (vdpbf16ps: 32 products a lane pair, no widening of the weights): twice the arithmetic rate of
// the FP32 kernel, for precision bf16 where a GEMM would spend more time packing the weights than
// multiplying (a few rows against a multi-GB model).
#define DP(acc, a, b) acc = _mm512_dpbf16_ps(acc, (__m512bh)(a), (__m512bh)(b))
// acc[a*4+b] += the lane-wise pair dot products of x_a and w_b over [k0, k1) (multiples of 32), for
// 4 rows of x and 4 consecutive weight rows from w0 (16 accumulators in registers). `pf`, when
// given, is the next tile's first weight row: its 4 rows are prefetched alongside, so the weights
// stream from memory while this tile multiplies. Accumulators go through memory between calls, so
// a row's lanes see the same products in the same order however K is cut.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void kdp4x4(const uint16_t *const xs[4], const uint16_t *w0, int K, int k0, int k1, __m512 acc[16], const uint16_t *pf) {
  __m512 c00 = acc[0], c01 = acc[1], c02 = acc[2], c03 = acc[3], c10 = acc[4], c11 = acc[5], c12 = acc[6], c13 = acc[7];
  __m512 c20 = acc[8], c21 = acc[9], c22 = acc[10], c23 = acc[11], c30 = acc[12], c31 = acc[13], c32 = acc[14], c33 = acc[15];
  const uint16_t *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
  for (int k = k0; k < k1; k += 32) {
    if (pf) {
      _mm_prefetch((const char *)(pf + k), _MM_HINT_T0), _mm_prefetch((const char *)(pf + K + k), _MM_HINT_T0);
      _mm_prefetch((const char *)(pf + 2 * (size_t)K + k), _MM_HINT_T0), _mm_prefetch((const char *)(pf + 3 * (size_t)K + k), _MM_HINT_T0);
    }
    __m512i b0 = _mm512_loadu_si512(w0 + k), b1 = _mm512_loadu_si512(w1 + k), b2 = _mm512_loadu_si512(w2 + k), b3 = _mm512_loadu_si512(w3 + k);
    __m512i a = _mm512_loadu_si512(xs[0] + k);
    DP(c00, a, b0), DP(c01, a, b1), DP(c02, a, b2), DP(c03, a, b3);
    a = _mm512_loadu_si512(xs[1] + k);
    DP(c10, a, b0), DP(c11, a, b1), DP(c12, a, b2), DP(c13, a, b3);
    a = _mm512_loadu_si512(xs[2] + k);
    DP(c20, a, b0), DP(c21, a, b1), DP(c22, a, b2), DP(c23, a, b3);
    a = _mm512_loadu_si512(xs[3] + k);
    DP(c30, a, b0), DP(c31, a, b1), DP(c32, a, b2), DP(c33, a, b3);
  }
  acc[0] = c00, acc[1] = c01, acc[2] = c02, acc[3] = c03, acc[4] = c10, acc[5] = c11, acc[6] = c12, acc[7] = c13;
  acc[8] = c20, acc[9] = c21, acc[10] = c22, acc[11] = c23, acc[12] = c30, acc[13] = c31, acc[14] = c32, acc[15] = c33;
}

// The lane sums of 16 accumulators at once, lane i of the result acc[i]'s: each by the tree of
// _mm512_reduce_add_ps (lane i with i+8, then with i+4, i+2, i+1), so bit for bit the sums that
// kdp1x4 takes one at a time, in 15 adds and 30 shuffles rather than 16 reductions.
__attribute__((target("avx512f"))) static inline __m512 reduce16(const __m512 acc[16]) {
  __m512 w[8], u[4], s[2];
  for (int i = 0; i < 8; i++) {  // inputs in transposed order (4b+a takes acc[4a+b]): lane i comes out acc[i]'s
    const int i0 = 2 * i, i1 = 2 * i + 1;
    const __m512 p = acc[(i0 % 4) * 4 + i0 / 4], q = acc[(i1 % 4) * 4 + i1 / 4];
    w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(p, q, 0x44), _mm512_shuffle_f32x4(p, q, 0xEE));
  }
  for (int i = 0; i < 4; i++) u[i] = _mm512_add_ps(_mm512_shuffle_f32x4(w[2 * i], w[2 * i + 1], 0x88), _mm512_shuffle_f32x4(w[2 * i], w[2 * i + 1], 0xDD));
  for (int i = 0; i < 2; i++) s[i] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * i], u[2 * i + 1], 0x44), _mm512_shuffle_ps(u[2 * i], u[2 * i + 1], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_ps(s[0], s[1], 0x88), _mm512_shuffle_ps(s[0], s[1], 0xDD));
}

// y[(m0+a)*N + n0+b] for a < mt from the accumulators of kdp4x4 (lanes summed, then the K % 32 tail
// in order: the same per-row sum as kdp1x4's)
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void kdp_store(const __m512 acc[16], const uint16_t *const xs[4], const uint16_t *w0, int K, int mt, float *y, int N) {
  const int K32 = K & ~31;
  if (K32 == K) {
    float sums[16];
    _mm512_storeu_ps(sums, reduce16(acc));
    for (int a = 0; a < mt; a++) memcpy(y + (size_t)a * N, sums + 4 * a, 4 * sizeof *sums);
    return;
  }
  for (int a = 0; a < mt; a++)
    for (int b = 0; b < 4; b++) {
      float sum = _mm512_reduce_add_ps(acc[a * 4 + b]);
      for (int k = K32; k < K; k++) sum += rho_bf16_value(xs[a][k]) * rho_bf16_value(w0[(size_t)b * K + k]);
      y[(size_t)a * N + b] = sum;
    }
}

__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void kdp1x4(const uint16_t *x, const uint16_t *w, size_t n0, int K, float out[4]) {
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
  const uint16_t *w0 = w + n0 * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
  const int K32 = K & ~31;
  for (int k = 0; k < K32; k += 32) {
    __m512i a = _mm512_loadu_si512(x + k);
    DP(c0, a, _mm512_loadu_si512(w0 + k)), DP(c1, a, _mm512_loadu_si512(w1 + k));
    DP(c2, a, _mm512_loadu_si512(w2 + k)), DP(c3, a, _mm512_loadu_si512(w3 + k));
  }
  const __m512 cs[4] = {c0, c1, c2, c3};
  const uint16_t *ws[4] = {w0, w1, w2, w3};
  for (int i = 0; i < 4; i++) {
    float sum = _mm512_reduce_add_ps(cs[i]);
    for (int k = K32; k < K; k++) sum += rho_bf16_value(x[k]) * rho_bf16_value(ws[i][k]);
    out[i] = sum;
  }
}
#undef DP

static int have_avx512bf16 = -1;

// Rows of x per block: a block's BF16 activations stay in L2 while every weight tile passes over
// them (512 rows of a 2048-wide x are 2 MB, which the weight tiles would stream from L3 four times
// over); the weights are read once per block, prefetched.
#define DP_ROWS_BLOCK 128
// Weight rows longer than this are cut into K blocks of DP_K_BLOCK: a tile of 4 rows of a longer
// row (Llama's down projection, 4 x 5632) overflows L1 while the 4-row groups of x pass over it.
#define DP_K_SPLIT 2560
#define DP_K_BLOCK 512

// y[M,N] = bf16(x)[M,K] · w[N,K]^T (w BF16) by the pair-dot-product tiles; N a multiple of 4 is
// not required (the last rows go through the FP32 tiles' scalar path). Every path gives each row
// the same sums, bit for bit (same lanes, same order, same final reduction): blocking over M or K
// changes speed, never a number, so results do not depend on M.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void linear_stream_bf16dp(const float *x, int M, const weight_t *w, float *y) {
  const int N = (int)w->rows, K = (int)w->cols, K32 = K & ~31;
  bool own_xb;
  uint16_t *xb = scratch_take(&product_scratch, (size_t)M * K * sizeof *xb, &own_xb);
  if (!xb) {  // no room for the rounded copy: the FP32 tiles need none
    linear_stream(x, M, w, y);
    return;
  }
  rho_f32_to_bf16(x, xb, (size_t)M * K);
  const uint16_t *wd = w->data;
  const int tiles = N / 4;
  const int kblocks = K > DP_K_SPLIT && M > 4;
  const int rows_block = kblocks ? DP_ROWS_BLOCK / 2 : DP_ROWS_BLOCK;
#pragma omp parallel
  {
    // per thread, K-blocked products only: the accumulators of a block's 4-row groups, kept between K blocks
    __m512 *acc = kblocks ? aligned_alloc(64, (size_t)(rows_block / 4) * 16 * sizeof(__m512)) : NULL;
    for (int mb = 0; mb < M; mb += rows_block) {
      const int me = mb + rows_block < M ? mb + rows_block : M, groups = (me - mb + 3) / 4;
#pragma omp for schedule(static)
      for (int t = 0; t < tiles; t++) {
        const int n0 = t * 4;
        const uint16_t *w0 = wd + (size_t)n0 * K, *next = t + 1 < tiles ? w0 + 4 * (size_t)K : NULL;
        if (me - mb == 1) {
          float out[4];
          kdp1x4(xb + (size_t)mb * K, wd, (size_t)n0, K, out);
          for (int b = 0; b < 4; b++) y[(size_t)mb * N + n0 + b] = out[b];
          continue;
        }
        // fewer than 4 rows in a group repeat the last; their extra sums are dropped
        const uint16_t *xs[4];
#define GROUP_ROWS(g)                                                        \
  const int m0 = mb + (g) * 4, mt = me - m0 < 4 ? me - m0 : 4;              \
  for (int a = 0; a < 4; a++) xs[a] = xb + (size_t)(m0 + (a < mt ? a : mt - 1)) * K
        // one pass over K (or no memory for the accumulators): a group at a time, its
        // accumulators in registers, never zeroed or stored in memory (at a narrow K that
        // costs as much as the products)
        if (!kblocks || !acc) {
          __m512 one[16];
          for (int g = 0; g < groups; g++) {
            GROUP_ROWS(g);
            for (int i = 0; i < 16; i++) one[i] = _mm512_setzero_ps();
            kdp4x4(xs, w0, K, 0, K32, one, g == 0 ? next : NULL);
            kdp_store(one, xs, w0, K, mt, y + (size_t)m0 * N + n0, N);
          }
          continue;
        }
        for (int i = 0; i < groups * 16; i++) acc[i] = _mm512_setzero_ps();
        for (int k0 = 0; k0 < K32; k0 += DP_K_BLOCK) {
          const int k1 = k0 + DP_K_BLOCK < K32 ? k0 + DP_K_BLOCK : K32;
          for (int g = 0; g < groups; g++) {
            GROUP_ROWS(g);
            kdp4x4(xs, w0, K, k0, k1, acc + g * 16, g == 0 ? next : NULL);
          }
        }
        for (int g = 0; g < groups; g++) {
          GROUP_ROWS(g);
          kdp_store(acc + g * 16, xs, w0, K, mt, y + (size_t)m0 * N + n0, N);
        }
#undef GROUP_ROWS
      }
    }
    free(acc);
  }
  if (N % 4)
    for (int m0 = 0; m0 < M; m0 += 4) {
      const int mt = M - m0 < 4 ? M - m0 : 4;
      tile_plain(mt, N % 4, DT_BF16, x + (size_t)m0 * K, K, w->data, y + (size_t)m0 * N, N, N - N % 4);
    }
  if (own_xb) free(xb);
}

static void sgemm_nt(int M, int N, int K, const float *x, int lda, const float *w, int ldb, float *y, int ldc) {
  if (rho_dnnl_gemm_f32(false, true, M, N, K, x, lda, w, ldb, 0.f, y, ldc) == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.f, x, lda, w, ldb, 0.f, y, ldc);
}

// y[M,N] = x[M,K] · w^T, w stored [N,K]. Few rows (decoding) stream the weights once; at bf16
// more rows are a oneDNN BF16 GEMM; FP32 weights an FP32 GEMM; FP32 arithmetic on 16-bit weights
// the streaming kernel at any size (widening inside it beats widening copies of whole matrices).
//
// `invariant`: one kernel for every M, whose per-row sums do not depend on M (the tiles of 4 and
// of 1 accumulate each row in the same order): the pair dot products at bf16, else the streaming
// kernel.
static int linear(const model_t *m, const float *x, int M, const weight_t *w, float *y, bool invariant) {
  const int N = (int)w->rows, K = (int)w->cols;
  if (have_avx512bf16 < 0) have_avx512bf16 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bf16");
  if (invariant) {
    if (m->precision == PREC_BF16 && w->dtype == DT_BF16 && have_avx512bf16) linear_stream_bf16dp(x, M, w, y);
    else linear_stream(x, M, w, y);
    return 0;
  }
  if (M > DP_MIN_M && M <= DP_MAX_M && m->precision == PREC_BF16 && w->dtype == DT_BF16 && have_avx512bf16) {
    linear_stream_bf16dp(x, M, w, y);
    return 0;
  }
  if (M <= SMALL_M) {
    linear_stream(x, M, w, y);
    return 0;
  }
  if (w->dtype == DT_F32) {
    sgemm_nt(M, N, K, x, K, w->data, K, y, N);
    return 0;
  }
  if (w->dtype == DT_BF16 && m->precision == PREC_BF16 && rho_dnnl_bf16()) {
    bool own_xb;
    uint16_t *xb = scratch_take(&product_scratch, (size_t)M * K * sizeof *xb, &own_xb);
    if (!xb) return -1;
    rho_f32_to_bf16(x, xb, (size_t)M * K);
    int rc = rho_dnnl_gemm_bf16(false, true, M, N, K, xb, K, w->data, K, 0.f, y, N);
    if (own_xb) free(xb);
    if (rc == 0) return 0;
  }
  linear_stream(x, M, w, y);
  return 0;
}

// out[m] = x[m] / sqrt(mean(x[m]^2) + eps) * weight
static void rms_norm(const float *x, int M, int D, const float *weight, float eps, float *out) {
#pragma omp parallel for schedule(static) if (M > 1)
  for (int r = 0; r < M; r++) {
    const float *xr = x + (size_t)r * D;
    float *o = out + (size_t)r * D;
    float ss = dot_f32(xr, xr, D);
    float inv = 1.f / sqrtf(ss / (float)D + eps);
#pragma omp simd
    for (int i = 0; i < D; i++) o[i] = weight[i] * (xr[i] * inv);
  }
}

// rotate_half RoPE of `n` heads of one token in place (pairs i, i + hd/2).
static void rope(float *v, int n, int hd, const float *cosv, const float *sinv) {
  const int half = hd / 2;
  for (int h = 0; h < n; h++) {
    float *x = v + (size_t)h * hd;
    for (int i = 0; i < half; i++) {
      float a = x[i], b = x[i + half];
      x[i] = a * cosv[i] - b * sinv[i];
      x[i + half] = b * cosv[i + half] + a * sinv[i + half];
    }
  }
}

// Room for `need` tokens in a row: doubling from 64, or exactly `need` when `exact`.
static int row_reserve(const cache_t *c, row_cache_t *r, int need, bool exact) {
  if (need <= r->cap) return 0;
  int cap = exact ? need : r->cap ? r->cap : 64;
  while (cap < need) cap *= 2;
  const size_t es = c->es, per = (size_t)c->L * c->KV * cap * c->hd * es;
  char *k = line_alloc(per), *v = line_alloc(per);
  if (!k || !v) {
    free(k), free(v);
    return -1;
  }
  // layout [L][KV][cap][hd]: each (layer, head) block moves to its new stride
  for (int l = 0; l < c->L; l++)
    for (int h = 0; h < c->KV; h++) {
      size_t from = ((size_t)l * c->KV + h) * r->cap * c->hd * es, to = ((size_t)l * c->KV + h) * cap * c->hd * es;
      if (r->len) {
        memcpy(k + to, (const char *)r->k + from, (size_t)r->len * c->hd * es);
        memcpy(v + to, (const char *)r->v + from, (size_t)r->len * c->hd * es);
      }
    }
  free(r->k), free(r->v);
  r->k = k, r->v = v, r->cap = cap;
  return 0;
}

// The keys (or values) of one (layer, key/value head) of a row from token t on: FP32 or BF16 as
// the cache stores them.
static inline void *kv_block(const cache_t *c, const row_cache_t *r, void *base, int l, int kh, int t) {
  return (char *)base + ((((size_t)l * c->KV + kh) * r->cap + t) * c->hd) * c->es;
}

static const float *weight_f32(const weight_t *w) { return (const float *)w->data; }

// The embedding row of a token, widened to FP32.
static void embed_row(const model_t *m, int token, float *out) {
  const size_t D = (size_t)m->D;
  if (m->embed.dtype == DT_BF16) rho_bf16_to_f32((const uint16_t *)m->embed.data + (size_t)token * D, out, D);
  else if (m->embed.dtype == DT_F16) rho_f16_to_f32((const uint16_t *)m->embed.data + (size_t)token * D, out, D);
  else memcpy(out, (const float *)m->embed.data + (size_t)token * D, D * sizeof *out);
}

// Sequences at least this long in one call (prompt passes) attend through GEMMs, head by head.
#define RUN_GEMM 16

static void gemm_f32(bool tb, int M, int N, int K, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
  if (rho_dnnl_gemm_f32(false, tb, M, N, K, a, lda, b, ldb, 0.f, c, ldc) == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.f, a, lda, b, ldb, 0.f, c, ldc);
}

// The first min(n, 16) lanes: the keys of a block of 16, a partial last one masked
static inline __mmask16 first_lanes(int n) { return (__mmask16)((1u << (n < 16 ? n : 16)) - 1); }

// The 16 lane sums of v[0..15] in one vector: lane 4L+j holds the sum of v[4j+L]. A butterfly
// that adds lanes k and k+8 of every input, then k and k+4, k+2, k+1: each sum is taken in the
// same order whichever slot its input had, so a key's score does not depend on where its block of
// 16 starts (the batch-invariant mode relies on that), and one pass costs 15 adds, not 16 reductions.
__attribute__((target("avx512f"))) static inline __m512 hsum16(const __m512 v[16]) {
  __m512 a[8], b[4];
  for (int i = 0; i < 8; i++)
    a[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  for (int i = 0; i < 4; i++)
    b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 c0 = _mm512_add_ps(_mm512_shuffle_ps(b[0], b[1], _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_ps(b[0], b[1], _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 c1 = _mm512_add_ps(_mm512_shuffle_ps(b[2], b[3], _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_ps(b[2], b[3], _MM_SHUFFLE(3, 2, 3, 2)));
  return _mm512_add_ps(_mm512_shuffle_ps(c0, c1, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(c0, c1, _MM_SHUFFLE(3, 1, 3, 1)));
}

// The scores of one block of 16 keys (FP32 rows of hd = 16c in kf) for G heads: c is a constant at
// each call site below, so a head's query stays in registers across the 16 keys.
__attribute__((target("avx512f"), always_inline)) static inline void scores_block(const float *q, int G, int c, const float *kf, int nb, float scale, float *p, int n) {
  for (int h = 0; h < G; h++) {
    const float *qh = q + (size_t)h * 16 * c;
    __m512 qr[16], acc[16];
    for (int i = 0; i < c; i++) qr[i] = _mm512_loadu_ps(qh + 16 * i);
    for (int k = 0; k < 16; k++) {
      const float *kr = kf + (size_t)k * 16 * c;
      __m512 a = _mm512_mul_ps(qr[0], _mm512_loadu_ps(kr));
      for (int i = 1; i < c; i++) a = _mm512_fmadd_ps(qr[i], _mm512_loadu_ps(kr + 16 * i), a);
      acc[4 * (k & 3) + (k >> 2)] = a;  // so that lane k of the sums is key k of the block
    }
    _mm512_mask_storeu_ps(p + (size_t)h * n, first_lanes(nb), _mm512_mul_ps(hsum16(acc), _mm512_set1_ps(scale)));
  }
}

// p[h*n + j] = q_h·k_j · scale for G query heads (q: G rows of hd) against keys lo..lo+n-1 (rows of
// kb: FP32, or BF16 widened exactly); hd a multiple of 16, up to 256. Keys go in blocks of 16, each
// widened once into `kf` (16 * hd floats) and taken by every head in turn, so a head group reads
// its keys from memory once.
#define SCORES(NAME, T, LOADK)                                                                                         \
  __attribute__((target("avx512f"))) static void NAME(const float *q, int G, const T *kb, int lo, int n, int hd, float scale, float *p, float *kf) { \
    const int c = hd / 16;                                                                                             \
    for (int j0 = 0; j0 < n; j0 += 16) {                                                                               \
      const int nb = n - j0 < 16 ? n - j0 : 16;                                                                        \
      for (int k = 0; k < 16; k++)                                                                                     \
        for (int i = 0; i < c; i++)                                                                                    \
          _mm512_storeu_ps(kf + (size_t)k * hd + 16 * i, k < nb ? LOADK(kb + (size_t)(lo + j0 + k) * hd, 16 * i) : _mm512_setzero_ps()); \
      if (c == 4) scores_block(q, G, 4, kf, nb, scale, p + j0, n);                                                     \
      else if (c == 8) scores_block(q, G, 8, kf, nb, scale, p + j0, n);                                                \
      else scores_block(q, G, c, kf, nb, scale, p + j0, n);                                                            \
    }                                                                                                                  \
  }

// out[h] = Σ_j p[h*n + j] · v_j for G heads (out rows hd apart) over rows lo..lo+n-1 of vb. Values
// go in blocks of 16, each widened once into `vf` (16 * hd floats) and taken by every head in turn
// (a group reads its values from memory once), four heads at a time sharing each load; each head's
// sums run over the keys in order, 64 floats of the head at a time (16 past the groups of four),
// held in registers within a block and in `out` between blocks.
#define WEIGHTED_SUM(NAME, T, LOADV)                                                                                   \
  __attribute__((target("avx512f"))) static void NAME(const float *p, int G, const T *vb, int lo, int n, int hd, float *out, float *vf) { \
    memset(out, 0, (size_t)G * hd * sizeof *out);                                                                      \
    for (int j0 = 0; j0 < n; j0 += 16) {                                                                               \
      const int nb = n - j0 < 16 ? n - j0 : 16;                                                                        \
      for (int k = 0; k < nb; k++)                                                                                     \
        for (int i = 0; i < hd; i += 16) _mm512_storeu_ps(vf + (size_t)k * hd + i, LOADV(vb + (size_t)(lo + j0 + k) * hd, i)); \
      int h = 0;                                                                                                       \
      if (hd % 64 == 0)                                                                                                \
        for (; h + 4 <= G; h += 4) weighted_block4(p + (size_t)h * n + j0, n, vf, nb, hd, out + (size_t)h * hd);       \
      for (; h < G; h++) {                                                                                             \
        const float *ph = p + (size_t)h * n + j0;                                                                      \
        float *oh = out + (size_t)h * hd;                                                                              \
        for (int c = 0; c < hd; c += 16) {                                                                             \
          __m512 a = _mm512_loadu_ps(oh + c);                                                                          \
          for (int k = 0; k < nb; k++) a = _mm512_fmadd_ps(_mm512_set1_ps(ph[k]), _mm512_loadu_ps(vf + (size_t)k * hd + c), a); \
          _mm512_storeu_ps(oh + c, a);                                                                                 \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
  }

// Four heads' sums over one block of nb widened values (rows hd apart in vf), 64 floats of each
// head at a time: 16 accumulators, each value load shared by the four.
__attribute__((target("avx512f"))) static void weighted_block4(const float *p, int n, const float *vf, int nb, int hd, float *out) {
  for (int c = 0; c < hd; c += 64) {
    __m512 a[16];
    for (int h = 0; h < 4; h++)
      for (int i = 0; i < 4; i++) a[h * 4 + i] = _mm512_loadu_ps(out + (size_t)h * hd + c + 16 * i);
    for (int k = 0; k < nb; k++) {
      const float *vr = vf + (size_t)k * hd + c;
      const __m512 v0 = _mm512_loadu_ps(vr), v1 = _mm512_loadu_ps(vr + 16), v2 = _mm512_loadu_ps(vr + 32), v3 = _mm512_loadu_ps(vr + 48);
      for (int h = 0; h < 4; h++) {
        const __m512 wj = _mm512_set1_ps(p[(size_t)h * n + k]);
        a[h * 4] = _mm512_fmadd_ps(wj, v0, a[h * 4]), a[h * 4 + 1] = _mm512_fmadd_ps(wj, v1, a[h * 4 + 1]);
        a[h * 4 + 2] = _mm512_fmadd_ps(wj, v2, a[h * 4 + 2]), a[h * 4 + 3] = _mm512_fmadd_ps(wj, v3, a[h * 4 + 3]);
      }
    }
    for (int h = 0; h < 4; h++)
      for (int i = 0; i < 4; i++) _mm512_storeu_ps(out + (size_t)h * hd + c + 16 * i, a[h * 4 + i]);
  }
}

SCORES(scores_f32, float, LOAD_F32)
SCORES(scores_bf16, uint16_t, LOAD_BF16)
WEIGHTED_SUM(weighted_sum_f32, float, LOAD_F32)
WEIGHTED_SUM(weighted_sum_bf16, uint16_t, LOAD_BF16)

static inline float dot_f32_bf16(const float *a, const uint16_t *b, int n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; i++) s += a[i] * rho_bf16_value(b[i]);
  return s;
}

// p[0..n) = softmax(p) in place
static void softmax_row(float *p, int n) {
  float mx = -INFINITY;
  for (int j = 0; j < n; j++) mx = fmaxf(mx, p[j]);
  float sum = 0.f;
  // the vectorisable exp (rho_math.h): libm's expf is a call per key
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < n; j++) sum += (p[j] = rho_exp_clamped(fmaxf(p[j] - mx, -87.f)));
  const float inv = 1.f / sum;
#pragma omp simd
  for (int j = 0; j < n; j++) p[j] *= inv;
}

// rho_exp_clamped on 16 lanes, operation for operation
__attribute__((target("avx512f"))) static inline __m512 exp16_clamped(__m512 x) {
  const __m512 shifter = _mm512_set1_ps(12582912.0f);
  const __m512 n = _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), shifter), shifter);
  __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
  r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(-2.12194440e-4f)));
  __m512 q = _mm512_set1_ps(1.9875691500e-4f);
  q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(1.3981999507e-3f));
  q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(8.3334519073e-3f));
  q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(4.1665795894e-2f));
  q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(1.6666665459e-1f));
  q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(q, r), r), r), _mm512_set1_ps(1.0f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

// softmax_row 16 keys at a time (a partial last block masked): the scalar loop above ran at a few
// ns a key, more than the scores and the weighted sum together
__attribute__((target("avx512f"))) static void softmax_row_avx512(float *p, int n) {
  __m512 vmx = _mm512_set1_ps(-INFINITY), vsum = _mm512_setzero_ps();
  for (int j = 0; j < n; j += 16) {
    const __mmask16 k = first_lanes(n - j);
    vmx = _mm512_mask_max_ps(vmx, k, vmx, _mm512_maskz_loadu_ps(k, p + j));
  }
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmx)), floor = _mm512_set1_ps(-87.f);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 k = first_lanes(n - j);
    const __m512 e = exp16_clamped(_mm512_max_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, p + j), mx), floor));
    _mm512_mask_storeu_ps(p + j, k, e);
    vsum = _mm512_mask_add_ps(vsum, k, vsum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(vsum));
  for (int j = 0; j < n; j += 16) {
    const __mmask16 k = first_lanes(n - j);
    _mm512_mask_storeu_ps(p + j, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + j), inv));
  }
}

/**
 * G query heads (q: G rows of hd; out likewise) that share one key/value head, against its
 * keys/values lo..lo+n-1 (FP32, or BF16 when `bf16`): scores, softmax, weighted sum; p is scratch
 * for G*n floats. The same arithmetic for a token wherever it is computed (prompt or decoding
 * step, alone or batched), which the batch-invariant mode relies on.
 */
static void attend_group(const float *q, int G, const void *kb, const void *vb, bool bf16, int lo, int n, int hd, float scale, float *p, float *out) {
  if (have_avx512 < 0) have_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  if (have_avx512 && hd % 16 == 0 && hd <= 256) {
    float kf[16 * 256];
    if (bf16) scores_bf16(q, G, kb, lo, n, hd, scale, p, kf);
    else scores_f32(q, G, kb, lo, n, hd, scale, p, kf);
    for (int h = 0; h < G; h++) softmax_row_avx512(p + (size_t)h * n, n);
    if (bf16) weighted_sum_bf16(p, G, vb, lo, n, hd, out, kf);
    else weighted_sum_f32(p, G, vb, lo, n, hd, out, kf);
    return;
  }
  for (int h = 0; h < G; h++) {
    const float *qv = q + (size_t)h * hd;
    float *o = out + (size_t)h * hd;
    for (int j = 0; j < n; j++)
      p[j] = (bf16 ? dot_f32_bf16(qv, (const uint16_t *)kb + (size_t)(lo + j) * hd, hd) : dot_f32(qv, (const float *)kb + (size_t)(lo + j) * hd, hd)) * scale;
    softmax_row(p, n);
    memset(o, 0, hd * sizeof *o);
    for (int j = 0; j < n; j++) {
      if (bf16) {
        const uint16_t *vr = (const uint16_t *)vb + (size_t)(lo + j) * hd;
#pragma omp simd
        for (int d = 0; d < hd; d++) o[d] += p[j] * rho_bf16_value(vr[d]);
        continue;
      }
      const float *vr = (const float *)vb + (size_t)(lo + j) * hd;
#pragma omp simd
      for (int d = 0; d < hd; d++) o[d] += p[j] * vr[d];
    }
  }
}

/**
 * Attention of T consecutive tokens of one row (positions p0..p0+T-1, keys and values already in
 * the cache) for every head: scores = q·Kᵀ over the keys any of them may see, masked to each
 * token's causal window, softmax, times V. q and ctx are [T, H*hd] (rows of the whole call).
 */
static int attention_run(const model_t *m, const cache_t *c, const row_cache_t *rc, int l, int p0, int T, const float *q, float *ctx) {
  const int H = m->H, hd = m->hd, qd = H * hd, group = H / m->KV, w = m->window;
  const int hi = p0 + T - 1, klo = w > 0 && p0 - w > 0 ? p0 - w : 0, n = hi - klo + 1;
  const bool bf16 = c->es == 2;
  float *sc = malloc((size_t)T * n * sizeof *sc);
  // BF16 keys/values widened (exactly) once per key/value head for the FP32 GEMMs
  float *kw = bf16 ? malloc((size_t)n * hd * sizeof *kw) : NULL, *vw = bf16 ? malloc((size_t)n * hd * sizeof *vw) : NULL;
  if (!sc || (bf16 && (!kw || !vw))) {
    free(sc), free(kw), free(vw);
    return -1;
  }
  const float scale = 1.f / sqrtf((float)hd);
  for (int hh = 0; hh < H; hh++) {
    const int kh = hh / group;
    const void *ks = kv_block(c, rc, rc->k, l, kh, klo), *vs = kv_block(c, rc, rc->v, l, kh, klo);
    if (bf16 && hh % group == 0) rho_bf16_to_f32(ks, kw, (size_t)n * hd), rho_bf16_to_f32(vs, vw, (size_t)n * hd);
    const float *kb = bf16 ? kw : ks, *vb = bf16 ? vw : vs;
    gemm_f32(true, T, n, hd, q + (size_t)hh * hd, qd, kb, hd, sc, n);
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
      float *r = sc + (size_t)t * n;
      const int p = p0 + t, lo = (w > 0 && p - w > klo ? p - w : klo) - klo, top = p - klo;
      float mx = -INFINITY;
      for (int j = lo; j <= top; j++) mx = fmaxf(mx, r[j] * scale);
      float sum = 0.f;
#pragma omp simd reduction(+ : sum)
      for (int j = 0; j < n; j++) {
        float e = j >= lo && j <= top ? rho_exp_clamped(fmaxf(r[j] * scale - mx, -87.f)) : 0.f;
        r[j] = e;
        sum += e;
      }
      const float inv = 1.f / sum;
      for (int j = lo; j <= top; j++) r[j] *= inv;
    }
    gemm_f32(false, T, hd, n, sc, n, vb, hd, ctx + (size_t)hh * hd, qd);
  }
  free(sc), free(kw), free(vw);
  return 0;
}

/**
 * Runs M new tokens through the model: token i belongs to cache row rows[i] and takes the next
 * position of that row (tokens of one row, in order, extend it). Writes the logits of the tokens
 * listed in `want` (nwant of them) to `logits` [nwant, V]. Returns 0, or an error message.
 */
static const char *forward(model_t *m, cache_t *c, int M, const int32_t *rows, const int32_t *tokens, int nwant, const int32_t *want, float *logits) {
  double t_start = omp_get_wtime(), t_in = spent[T_LINEAR] + spent[T_ATTENTION];
  const int D = m->D, H = m->H, KV = m->KV, hd = m->hd, F = m->F, L = m->L;
  const int group = H / KV, qd = H * hd, kvd = KV * hd;
  const bool inv = c->invariant;
  int *pos = malloc((size_t)M * sizeof *pos);
  if (!pos) return "out of memory";
  // positions (each row's next, in order), and room in the cache for every new token
  int *next = malloc((size_t)c->B * sizeof *next);
  if (!next) {
    free(pos);
    return "out of memory";
  }
  for (int b = 0; b < c->B; b++) next[b] = c->rows[b].len;
  for (int i = 0; i < M; i++) pos[i] = next[rows[i]]++;
  free(next);
  for (int i = 0; i < M; i++)
    if (row_reserve(c, &c->rows[rows[i]], pos[i] + 1, false) != 0) {
      free(pos);
      return "out of memory for the key/value cache";
    }
  size_t wide = (size_t)(F > qd ? F : qd);
  if ((size_t)D > wide) wide = D;
  // the activations, each on a cache line, in one block of scratch
  const size_t widths[] = {D, D, qd, kvd, kvd, qd, F, F, wide, 2 * (size_t)hd};
  size_t at[10], total = 0;
  for (int i = 0; i < 10; i++) at[i] = total, total += ((size_t)M * widths[i] * sizeof(float) + LINE - 1) & ~(size_t)(LINE - 1);
  bool own_block;
  char *block = scratch_take(&forward_scratch, total, &own_block);
  float *h = NULL, *x = NULL, *q = NULL, *k = NULL, *v = NULL, *ctx = NULL, *g = NULL, *u = NULL, *tmp = NULL, *cs = NULL;
  if (block) {
    float **bufs[] = {&h, &x, &q, &k, &v, &ctx, &g, &u, &tmp, &cs};
    for (int i = 0; i < 10; i++) *bufs[i] = (float *)(block + at[i]);
  }
  char *in_run = calloc((size_t)M, 1);
  const char *err = NULL;
  if (!block || !in_run) {
    err = "out of memory";
    goto done;
  }
  for (int i = 0; i < M; i++) embed_row(m, tokens[i], h + (size_t)i * D);
  // cos/sin per token, as transformers computes them: float32 angle = position * inv_freq
  for (int i = 0; i < M; i++) {
    float *cv = cs + (size_t)i * 2 * hd, *sv = cv + hd;
    for (int j = 0; j < hd / 2; j++) {
      float a = (float)pos[i] * m->invfreq[j];
      cv[j] = cv[j + hd / 2] = cosf(a);
      sv[j] = sv[j + hd / 2] = sinf(a);
    }
  }
  const float scale = 1.f / sqrtf((float)hd);
  for (int l = 0; l < L; l++) {
    const weight_t *W = m->layers + (size_t)l * W_PER_LAYER;
    rms_norm(h, M, D, weight_f32(&W[W_IN_NORM]), m->eps, x);
    int rc = 0;
    TIMED(T_LINEAR, rc = linear(m, x, M, &W[W_Q], q, inv) || linear(m, x, M, &W[W_K], k, inv) || linear(m, x, M, &W[W_V], v, inv));
    if (rc) {
      err = "out of memory";
      goto done;
    }
    for (int i = 0; i < M; i++) {
      const float *cv = cs + (size_t)i * 2 * hd;
      rope(q + (size_t)i * qd, H, hd, cv, cv + hd);
      rope(k + (size_t)i * kvd, KV, hd, cv, cv + hd);
      row_cache_t *rc = &c->rows[rows[i]];
      for (int kh = 0; kh < KV; kh++) {
        const float *ks = k + (size_t)i * kvd + (size_t)kh * hd, *vs = v + (size_t)i * kvd + (size_t)kh * hd;
        void *kd = kv_block(c, rc, rc->k, l, kh, pos[i]), *vd = kv_block(c, rc, rc->v, l, kh, pos[i]);
        // BF16 rounded here, once: every later read (any call, batch or fork) sees the same values
        if (c->es == 2) rho_f32_to_bf16(ks, kd, hd), rho_f32_to_bf16(vs, vd, hd);
        else memcpy(kd, ks, hd * sizeof(float)), memcpy(vd, vs, hd * sizeof(float));
      }
    }
    // attention: runs of many tokens of one row through GEMMs; the rest (decoding: one token a
    // row) query by query, over keys lo..pos[i] of its row
    double ta = omp_get_wtime();
    for (int i = 0; i < M;) {
      int e = i + 1;
      while (e < M && rows[e] == rows[i] && pos[e] == pos[e - 1] + 1) e++;
      if (!inv && e - i >= RUN_GEMM) {
        if (attention_run(m, c, &c->rows[rows[i]], l, pos[i], e - i, q + (size_t)i * qd, ctx + (size_t)i * qd)) {
          err = "out of memory";
          goto done;
        }
        for (int j = i; j < e; j++) in_run[j] = 1;
      }
      i = e;
    }
#pragma omp parallel
    {
      float *p = NULL;
      int pcap = 0;
      // a (token, key/value head) pair a task: its query heads together, keys in blocks of 16 that
      // each head takes in turn, so the head's keys and values come from memory once
#pragma omp for schedule(dynamic, 2)
      for (int t = 0; t < M * KV; t++) {
        int i = t / KV, kh = t % KV;
        if (in_run[i]) continue;
        const row_cache_t *rc = &c->rows[rows[i]];
        int hi = pos[i], lo = m->window > 0 && hi - m->window > 0 ? hi - m->window : 0;
        int n = hi - lo + 1;
        if ((size_t)n * group > (size_t)pcap) {
          free(p);
          pcap = n * group * 2;
          p = malloc((size_t)pcap * sizeof *p);
        }
        float *out = ctx + (size_t)i * qd + (size_t)kh * group * hd;
        if (!p) {  // allocation failure: leave zeros rather than crash; reported below
          memset(out, 0, (size_t)group * hd * sizeof *out);
          continue;
        }
        attend_group(q + (size_t)i * qd + (size_t)kh * group * hd, group, kv_block(c, rc, rc->k, l, kh, 0), kv_block(c, rc, rc->v, l, kh, 0), c->es == 2, lo, n, hd, scale, p, out);
      }
      free(p);
    }
    spent[T_ATTENTION] += omp_get_wtime() - ta;
    TIMED(T_LINEAR, rc = linear(m, ctx, M, &W[W_O], tmp, inv));
    if (rc) {
      err = "out of memory";
      goto done;
    }
    for (size_t e = 0; e < (size_t)M * D; e++) h[e] += tmp[e];
    rms_norm(h, M, D, weight_f32(&W[W_POST_NORM]), m->eps, x);
    TIMED(T_LINEAR, rc = linear(m, x, M, &W[W_GATE], g, inv) || linear(m, x, M, &W[W_UP], u, inv));
    if (rc) {
      err = "out of memory";
      goto done;
    }
#pragma omp parallel for schedule(static)
    for (size_t e = 0; e < (size_t)M * F; e++) {
      float a = g[e];
      g[e] = a / (1.f + expf(-a)) * u[e];
    }
    TIMED(T_LINEAR, rc = linear(m, g, M, &W[W_DOWN], tmp, inv));
    if (rc) {
      err = "out of memory";
      goto done;
    }
    for (size_t e = 0; e < (size_t)M * D; e++) h[e] += tmp[e];
  }
  for (int i = 0; i < M; i++) c->rows[rows[i]].len = pos[i] + 1 > c->rows[rows[i]].len ? pos[i] + 1 : c->rows[rows[i]].len;
  if (nwant > 0) {
    // the final norm and the head, only for the tokens whose logits are wanted
    for (int j = 0; j < nwant; j++) memcpy(x + (size_t)j * D, h + (size_t)want[j] * D, D * sizeof *x);
    rms_norm(x, nwant, D, weight_f32(&m->norm), m->eps, x);
    int rc = 0;
    TIMED(T_LINEAR, rc = linear(m, x, nwant, &m->head, logits, inv));
    if (rc) err = "out of memory";
  }
done:
  spent[T_OTHER] += omp_get_wtime() - t_start - (spent[T_LINEAR] + spent[T_ATTENTION] - t_in);
  free(pos), free(in_run);
  if (own_block) free(block);
  return err;
}

// ---------------------------------------------------------------------------------------------
// N-API

static model_t *get_model(napi_env env, napi_value v) {
  model_t *m = NULL;
  if (napi_get_value_external(env, v, (void **)&m) != napi_ok || !m || m->magic != MODEL_MAGIC) {
    napi_throw_type_error(env, "RHO_NATIVE", "expected an engine model handle (released already?)");
    return NULL;
  }
  return m;
}

static cache_t *get_cache(napi_env env, napi_value v) {
  cache_t *c = NULL;
  if (napi_get_value_external(env, v, (void **)&c) != napi_ok || !c || c->magic != CACHE_MAGIC) {
    napi_throw_type_error(env, "RHO_NATIVE", "expected an engine cache handle (released already?)");
    return NULL;
  }
  return c;
}

static bool throw_range(napi_env env, const char *what) {
  napi_throw_range_error(env, "RHO_NATIVE", what);
  return false;
}

enum { K_NORM, K_EMBED, K_MATRIX };

/**
 * One weight from JS: a Float32Array (copied), or [mapping, byteOffset, dtype] pointing into a
 * mapped file. Norm weights (K_NORM) are always FP32. The embedding (K_EMBED) stays as stored
 * (F16 widened), since a gather is no product. Matrices (K_MATRIX) at precision bf16 are BF16 (F32
 * and F16 rounded once, here); at fp32 BF16 stays BF16 (widened inside the kernels) and F16 is
 * widened. Data kept as stored is used in place in its mapping where it starts on a cache line
 * (matrices) or on its element size (the rest), else copied once onto a line (Hub shards put
 * tensors wherever their header ends); anything converted is copied.
 */
static bool read_weight(napi_env env, napi_value v, size_t rows, size_t cols, int precision, int kind, weight_t *out, const char *what) {
  char msg[200];
  size_t n = rows * cols;
  memset(out, 0, sizeof *out);
  out->rows = rows, out->cols = cols;
  size_t len = 0;
  float *f = rho_typed(env, v, napi_float32_array, &len);
  const void *src = NULL;
  int dtype = DT_F32;
  mapping_t *map = NULL;
  size_t es = 4;
  if (f) {
    if (len != n) {
      snprintf(msg, sizeof msg, "%s: expected %zu values, got %zu", what, n, len);
      return throw_range(env, msg);
    }
    src = f;
  } else {
    bool is_array = false;
    napi_is_array(env, v, &is_array);
    uint32_t alen = 0;
    if (is_array) napi_get_array_length(env, v, &alen);
    if (!is_array || alen != 3) {
      snprintf(msg, sizeof msg, "%s: expected a Float32Array or [mapping, byteOffset, dtype]", what);
      return throw_range(env, msg);
    }
    napi_value e0, e1, e2;
    double off = 0;
    int32_t dt = 0;
    if (napi_get_element(env, v, 0, &e0) != napi_ok || napi_get_element(env, v, 1, &e1) != napi_ok || napi_get_element(env, v, 2, &e2) != napi_ok ||
        napi_get_value_external(env, e0, (void **)&map) != napi_ok || !map || map->magic != MAP_MAGIC ||
        napi_get_value_double(env, e1, &off) != napi_ok || napi_get_value_int32(env, e2, &dt) != napi_ok) {
      snprintf(msg, sizeof msg, "%s: malformed [mapping, byteOffset, dtype]", what);
      return throw_range(env, msg);
    }
    es = dt == DT_F32 ? 4 : 2;
    if (dt < 0 || dt > 2 || off < 0 || (size_t)off + n * es > map->size) {
      snprintf(msg, sizeof msg, "%s: %zu values of dtype %d at byte %.0f lie outside the file", what, n, dt, off);
      return throw_range(env, msg);
    }
    src = (const char *)map->base + (size_t)off;
    dtype = dt;
  }
  bool want_bf16 = kind == K_MATRIX && precision == PREC_BF16;
  bool keep_bf16 = dtype == DT_BF16 && kind != K_NORM;
  // F16 stays F16 (2 bytes a weight, widened inside the kernels), except at bf16 precision where
  // matrices are rounded to BF16 once so the BF16 GEMMs can take them
  bool keep_f16 = dtype == DT_F16 && kind != K_NORM && !want_bf16;
  if (map && (keep_bf16 || keep_f16 || (dtype == DT_F32 && !want_bf16))) {  // as stored
    if ((uintptr_t)src % (kind == K_MATRIX ? LINE : es) == 0) {  // in place
      map->refs++;
      out->map = map, out->dtype = dtype, out->data = src;
      return true;
    }
    // a copy on a cache line; the mapping's pages of it are dropped (they stay in the page cache),
    // so the copy does not double the resident memory
    const size_t bytes = n * es;
    void *dst = weight_alloc(out, bytes);
    if (!dst) return throw_range(env, "out of memory copying weights");
    const size_t chunk = 2u << 20;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < bytes; i += chunk) memcpy((char *)dst + i, (const char *)src + i, bytes - i < chunk ? bytes - i : chunk);
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const uintptr_t first = ((uintptr_t)src + page - 1) & ~(page - 1), end = ((uintptr_t)src + bytes) & ~(page - 1);
    if (end > first) madvise((void *)first, end - first, MADV_DONTNEED);
    out->data = dst, out->dtype = dtype;
    return true;
  }
  // a converted copy
  bool bf = want_bf16 || keep_bf16;
  void *dst = weight_alloc(out, n * (bf ? 2 : 4));
  if (!dst) return throw_range(env, "out of memory copying weights");
  if (bf) {
    uint16_t *d = dst;
    if (dtype == DT_BF16) memcpy(d, src, n * 2);
    else if (dtype == DT_F32) {
      const float *s = src;
      for (size_t i = 0; i < n; i++) d[i] = rho_bf16_round(s[i]);
    } else {
      float tmpf[1024];
      for (size_t i = 0; i < n; i += 1024) {
        size_t c = n - i < 1024 ? n - i : 1024;
        uint16_t tmph[1024];
        memcpy(tmph, (const uint16_t *)src + i, c * 2);
        rho_f16_to_f32(tmph, tmpf, c);
        for (size_t j = 0; j < c; j++) d[i + j] = rho_bf16_round(tmpf[j]);
      }
    }
  } else {
    float *d = dst;
    if (dtype == DT_F32) memcpy(d, src, n * 4);
    else {
      for (size_t i = 0; i < n; i += 1024) {
        size_t c = n - i < 1024 ? n - i : 1024;
        uint16_t tmph[1024];
        memcpy(tmph, (const uint16_t *)src + i, c * 2);
        if (dtype == DT_BF16) rho_bf16_to_f32(tmph, d + i, c);
        else rho_f16_to_f32(tmph, d + i, c);
      }
    }
  }
  out->data = dst, out->dtype = bf ? DT_BF16 : DT_F32;
  return true;
}

// engineModel(dims Int32Array [L, D, H, KV, hd, F, V, window, precision], eps, invFreq Float32Array,
// weights Array: embed, per layer (in_norm, q, k, v, o, post_norm, gate, up, down), norm, head)
static napi_value EngineModel(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineModel", 4);
  size_t nd = 0, nf = 0;
  int32_t *dims = rho_typed(env, argv[0], napi_int32_array, &nd);
  if (!dims || nd != 9) {
    napi_throw_range_error(env, "RHO_NATIVE", "dims: expected an Int32Array [L, D, H, KV, hd, F, V, window, precision]");
    return NULL;
  }
  double eps;
  CHECK(napi_get_value_double(env, argv[1], &eps));
  float *invfreq = rho_typed(env, argv[2], napi_float32_array, &nf);
  model_t *m = calloc(1, sizeof *m);
  if (!m) {
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  *m = (model_t){.L = dims[0], .D = dims[1], .H = dims[2], .KV = dims[3], .hd = dims[4], .F = dims[5], .V = dims[6], .window = dims[7], .precision = dims[8], .eps = (float)eps};
  if (m->L <= 0 || m->D <= 0 || m->H <= 0 || m->KV <= 0 || m->H % m->KV || m->hd <= 0 || m->hd % 2 || m->F <= 0 || m->V <= 0 || !invfreq || nf != (size_t)m->hd / 2) {
    free(m);
    napi_throw_range_error(env, "RHO_NATIVE", "engineModel: inconsistent dimensions");
    return NULL;
  }
  uint32_t count = 0;
  CHECK(napi_get_array_length(env, argv[3], &count));
  if (count != (uint32_t)(3 + W_PER_LAYER * m->L)) {
    free(m);
    napi_throw_range_error(env, "RHO_NATIVE", "engineModel: wrong number of weights");
    return NULL;
  }
  m->invfreq = malloc(nf * sizeof(float));
  m->layers = calloc((size_t)m->L * W_PER_LAYER, sizeof(weight_t));
  if (!m->invfreq || !m->layers) {
    model_free(m);
    free(m);
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  memcpy(m->invfreq, invfreq, nf * sizeof(float));
  const size_t D = m->D, q = (size_t)m->H * m->hd, kv = (size_t)m->KV * m->hd, F = m->F, V = m->V;
  const size_t shape[W_PER_LAYER][2] = {{1, D}, {q, D}, {kv, D}, {kv, D}, {D, q}, {1, D}, {F, D}, {F, D}, {D, F}};
  static const char *names[W_PER_LAYER] = {"input_layernorm", "q_proj", "k_proj", "v_proj", "o_proj", "post_attention_layernorm", "gate_proj", "up_proj", "down_proj"};
  napi_value e;
  bool ok = napi_get_element(env, argv[3], 0, &e) == napi_ok && read_weight(env, e, V, D, m->precision, K_EMBED, &m->embed, "embed_tokens");
  for (int l = 0; ok && l < m->L; l++)
    for (int j = 0; ok && j < W_PER_LAYER; j++) {
      char what[96];
      snprintf(what, sizeof what, "layers.%d.%s", l, names[j]);
      ok = napi_get_element(env, argv[3], (uint32_t)(1 + l * W_PER_LAYER + j), &e) == napi_ok &&
           read_weight(env, e, shape[j][0], shape[j][1], m->precision, shape[j][0] == 1 ? K_NORM : K_MATRIX, &m->layers[(size_t)l * W_PER_LAYER + j], what);
    }
  ok = ok && napi_get_element(env, argv[3], count - 2, &e) == napi_ok && read_weight(env, e, 1, D, m->precision, K_NORM, &m->norm, "norm") &&
       napi_get_element(env, argv[3], count - 1, &e) == napi_ok && read_weight(env, e, V, D, m->precision, K_MATRIX, &m->head, "lm_head");
  if (!ok) {
    model_free(m);
    free(m);
    return NULL;  // an exception is pending
  }
  m->magic = MODEL_MAGIC;
  return rho_external(env, m, finalize_model);
}

// engineCache(model, batch, invariant): an empty key/value cache with `batch` rows, each growing
// as tokens come; `invariant` (0/1) picks the batch-invariant kernels for every call on it.
static napi_value EngineCache(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineCache", 3);
  model_t *m = get_model(env, argv[0]);
  if (!m) return NULL;
  int32_t b = 0;
  bool invariant = false;
  CHECK(napi_get_value_int32(env, argv[1], &b));
  CHECK(napi_get_value_bool(env, argv[2], &invariant));
  if (b <= 0) {
    napi_throw_range_error(env, "RHO_NATIVE", "engineCache: batch must be positive");
    return NULL;
  }
  cache_t *c = calloc(1, sizeof *c);
  if (c) c->rows = calloc((size_t)b, sizeof(row_cache_t));
  if (!c || !c->rows) {
    free(c);
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  c->magic = CACHE_MAGIC, c->B = b, c->L = m->L, c->KV = m->KV, c->hd = m->hd, c->es = kv_element_bytes(m), c->invariant = invariant;
  return rho_external(env, c, finalize_cache);
}

// engineForward(model, cache, rows Int32Array[M], tokens Int32Array[M], want Int32Array, logits Float32Array)
static napi_value EngineForward(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineForward", 6);
  model_t *m = get_model(env, argv[0]);
  if (!m) return NULL;
  cache_t *c = get_cache(env, argv[1]);
  if (!c) return NULL;
  if (c->L != m->L || c->KV != m->KV || c->hd != m->hd || c->es != kv_element_bytes(m)) {
    napi_throw_range_error(env, "RHO_NATIVE", "engineForward: the cache belongs to another model");
    return NULL;
  }
  size_t nr = 0, nt = 0, nw = 0, nl = 0;
  int32_t *rows = rho_typed(env, argv[2], napi_int32_array, &nr);
  int32_t *tokens = rho_typed(env, argv[3], napi_int32_array, &nt);
  int32_t *want = rho_typed(env, argv[4], napi_int32_array, &nw);
  float *logits = rho_typed(env, argv[5], napi_float32_array, &nl);
  if (!rows || !tokens || !want || !logits || nr != nt || nr == 0 || nl < nw * (size_t)m->V) {
    napi_throw_range_error(env, "RHO_NATIVE", "engineForward: rows/tokens must be equally long Int32Arrays, logits [want.length, vocab]");
    return NULL;
  }
  for (size_t i = 0; i < nr; i++) {
    if (rows[i] < 0 || rows[i] >= c->B) {
      napi_throw_range_error(env, "RHO_NATIVE", "engineForward: row outside the cache");
      return NULL;
    }
    if (tokens[i] < 0 || tokens[i] >= m->V) {
      napi_throw_range_error(env, "RHO_NATIVE", "engineForward: token id outside the vocabulary");
      return NULL;
    }
  }
  for (size_t i = 0; i < nw; i++)
    if (want[i] < 0 || (size_t)want[i] >= nr) {
      napi_throw_range_error(env, "RHO_NATIVE", "engineForward: want indexes a token not given");
      return NULL;
    }
  const char *err = forward(m, c, (int)nr, rows, tokens, (int)nw, want, logits);
  if (err) {
    napi_throw_error(env, "RHO_NATIVE", err);
    return NULL;
  }
  return NULL;
}

// A cache and one of its rows from (cache, row) arguments, or NULL with an exception pending.
static row_cache_t *get_row(napi_env env, napi_value cv, napi_value rv, cache_t **out, const char *what) {
  cache_t *c = get_cache(env, cv);
  if (!c) return NULL;
  int32_t r = 0;
  if (napi_get_value_int32(env, rv, &r) != napi_ok || r < 0 || r >= c->B) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s: row outside the cache", what);
    napi_throw_range_error(env, "RHO_NATIVE", msg);
    return NULL;
  }
  *out = c;
  return &c->rows[r];
}

static bool get_count(napi_env env, napi_value v, int32_t *n, const char *what) {
  if (napi_get_value_int32(env, v, n) == napi_ok && *n >= 0) return true;
  char msg[96];
  snprintf(msg, sizeof msg, "%s: expected a non-negative token count", what);
  napi_throw_range_error(env, "RHO_NATIVE", msg);
  return false;
}

// engineCacheLength(cache, row): tokens held for a row.
static napi_value EngineCacheLength(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineCacheLength", 2);
  cache_t *c = NULL;
  row_cache_t *r = get_row(env, argv[0], argv[1], &c, "engineCacheLength");
  if (!r) return NULL;
  napi_value out;
  CHECK(napi_create_int32(env, r->len, &out));
  return out;
}

// engineCacheFork(src, srcRow, dst, dstRow, n, capacity): row dstRow of dst holds the first n
// tokens of src's row srcRow (a shared prefix, copied), with room for `capacity` tokens.
static napi_value EngineCacheFork(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineCacheFork", 6);
  cache_t *src = NULL, *dst = NULL;
  row_cache_t *from = get_row(env, argv[0], argv[1], &src, "engineCacheFork");
  if (!from) return NULL;
  row_cache_t *to = get_row(env, argv[2], argv[3], &dst, "engineCacheFork");
  if (!to) return NULL;
  int32_t n = 0, cap = 0;
  if (!get_count(env, argv[4], &n, "engineCacheFork") || !get_count(env, argv[5], &cap, "engineCacheFork")) return NULL;
  if (src->L != dst->L || src->KV != dst->KV || src->hd != dst->hd || src->es != dst->es) {
    napi_throw_range_error(env, "RHO_NATIVE", "engineCacheFork: the caches belong to different models");
    return NULL;
  }
  if (n > from->len) {
    napi_throw_range_error(env, "RHO_NATIVE", "engineCacheFork: the source row holds fewer tokens");
    return NULL;
  }
  if (from == to) {
    to->len = n;
    return NULL;
  }
  to->len = 0;
  if (row_reserve(dst, to, n > cap ? n : cap, true) != 0) {
    napi_throw_error(env, "RHO_NATIVE", "out of memory for the key/value cache");
    return NULL;
  }
  const size_t bytes = (size_t)n * dst->hd * dst->es;
  for (int l = 0; l < dst->L; l++)
    for (int h = 0; h < dst->KV; h++) {
      memcpy(kv_block(dst, to, to->k, l, h, 0), kv_block(src, from, from->k, l, h, 0), bytes);
      memcpy(kv_block(dst, to, to->v, l, h, 0), kv_block(src, from, from->v, l, h, 0), bytes);
    }
  to->len = n;
  return NULL;
}

// engineCacheReset(cache, row): the row empty, its memory freed.
static napi_value EngineCacheReset(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineCacheReset", 2);
  cache_t *c = NULL;
  row_cache_t *r = get_row(env, argv[0], argv[1], &c, "engineCacheReset");
  if (!r) return NULL;
  free(r->k), free(r->v);
  memset(r, 0, sizeof *r);
  return NULL;
}

// engineCacheBytes(cache): bytes of keys and values the cache holds room for.
static napi_value EngineCacheBytes(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineCacheBytes", 1);
  cache_t *c = get_cache(env, argv[0]);
  if (!c) return NULL;
  double bytes = 0;
  for (int b = 0; b < c->B; b++) bytes += (double)c->rows[b].cap * cache_token_bytes(c);
  napi_value out;
  CHECK(napi_create_double(env, bytes, &out));
  return out;
}

// engineCacheTokenBytes(cache): bytes of keys and values one token takes (every layer), as this
// cache stores them: what a KV budget is counted in.
static napi_value EngineCacheTokenBytes(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineCacheTokenBytes", 1);
  cache_t *c = get_cache(env, argv[0]);
  if (!c) return NULL;
  napi_value out;
  CHECK(napi_create_double(env, (double)cache_token_bytes(c), &out));
  return out;
}

// engineRelease(handle): frees a model's copies (its mappings once unreferenced) or a cache now.
static napi_value EngineRelease(napi_env env, napi_callback_info info) {
  RHO_ARGS("engineRelease", 1);
  void *p = NULL;
  CHECK(napi_get_value_external(env, argv[0], &p));
  if (p && *(uint32_t *)p == MODEL_MAGIC) model_free(p);
  else if (p && *(uint32_t *)p == CACHE_MAGIC) cache_free(p);
  return NULL;
}

// engineProfile(): seconds in [linear, attention, other] since the last call, then zeroed.
static napi_value EngineProfile(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, x;
  CHECK(napi_create_array_with_length(env, T_PARTS, &out));
  for (int i = 0; i < T_PARTS; i++) {
    CHECK(napi_create_double(env, spent[i], &x));
    CHECK(napi_set_element(env, out, (uint32_t)i, x));
    spent[i] = 0;
  }
  return out;
}

bool rho_engine_register(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"mapFile", MapFile}, {"mapSize", MapSize}, {"mapTouch", MapTouch},         {"engineModel", EngineModel},         {"engineCache", EngineCache},     {"engineForward", EngineForward},
      {"engineCacheLength", EngineCacheLength}, {"engineRelease", EngineRelease}, {"engineProfile", EngineProfile},
      {"engineCacheFork", EngineCacheFork},     {"engineCacheReset", EngineCacheReset}, {"engineCacheBytes", EngineCacheBytes},
      {"engineCacheTokenBytes", EngineCacheTokenBytes},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn) != napi_ok) return false;
    if (napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok) return false;
  }
  return true;
}
