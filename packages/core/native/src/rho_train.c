// The training pass of the Llama model (packages/core/src/model/llama.ts, `forward` +
// `tokenLosses`) in C: per-token next-token losses, and the gradients of every weight given the
// upstream gradient of those losses. One native call per direction replaces the ~1,850 tfjs kernel
// dispatches of a step, and its elementwise passes run on all cores.
//
// Precision: the products of weights with activations are oneDNN matmuls with BF16 inputs and
// FP32 accumulation at bf16 (weight copies rounded once per forward and reused by the backward),
// FP32 at fp32. Attention's products (activations by activations), norms, softmax, SwiGLU, RoPE,
// the loss and every gradient accumulate in FP32, as autocast trains.
//
// Memory: the forward keeps what the backward needs in C memory behind a handle; the attention
// probabilities are recomputed in the backward instead of kept (B·H·T² floats a layer).
#include "rho_train.h"
#include "rho_math.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rho_bf16.h"
#include "rho_dnnl.h"
#include "rho_napi.h"

#define TRAIN_MAGIC 0x52545247u  // "RTRG"

// Per-layer weights in the order the caller passes them (after the embedding).
enum { P_IN_NORM, P_Q, P_K, P_V, P_O, P_POST_NORM, P_GATE, P_UP, P_DOWN, P_PER_LAYER };
// dims argument: [B, T, L, D, H, KV, hd, F, V, window (-1: none), tied, bf16]
enum { D_B, D_T, D_L, D_D, D_H, D_KV, D_HD, D_F, D_V, D_WINDOW, D_TIED, D_BF16, D_COUNT };

typedef struct {
  const float *f;     // FP32 values, or NULL where only the BF16 copy is kept
  const uint16_t *h;  // BF16 copy, or NULL (converted on use at bf16)
} mat_t;

typedef struct {
  float *h_in, *h_mid;       // residual stream before the layer and after attention [N,D]
  float *rstd1, *rstd2;      // 1/rms of h_in, h_mid [N]
  float *xn, *yn;            // normed inputs of the projections [N,D] (fp32 only)
  uint16_t *xn_h, *yn_h;     // ... their BF16 copies (bf16 only: all the backward needs of them)
  float *q, *k, *v;          // after RoPE, head-major: q [B,H,T,hd], k/v [B,KV,T,hd]
  float *ctx;                // attention output, token-major [N,H*hd] (fp32 only)
  uint16_t *ctx_h;           // its BF16 copy (bf16 only)
  float *gate, *up;          // [N,F]
} layer_t;

typedef struct {
  uint32_t magic;
  int B, T, L, D, H, KV, hd, F, V, window, tied, bf16;
  float eps;
  double theta;
  int N, R;                   // tokens B·T, loss rows B·(T−1)
  int32_t *ids, *pos;         // [N]
  uint8_t *key_ok;            // [N]: 1 for a real token (attendable key)
  float *tmask;               // [R]: 1 where the target is real
  int32_t *targets;           // [R]
  float *cosv, *sinv;         // [N, hd/2]
  uint16_t **wh;              // BF16 weight copies by weight index (bf16; NULL for norms)
  int nw;
  layer_t *layers;
  float *h_fin, *rstdf;       // final residual stream [N,D] and its 1/rms
  float *hn;                  // normed rows that reach the head [R,D] (fp32 only)
  uint16_t *hn_h;             // ... BF16 copy (bf16 only)
  float *logits, *lse;        // [R,V], [R]
} train_t;

// ---------------------------------------------------------------------------------------------
// Buffers: every step asks for the same sizes again, and fresh pages cost a fault each on first
// touch (measured: a forward's weight products 2-4x slower on new buffers than on reused ones), so
// freed buffers are kept, up to POOL_BYTES, and handed out again for the same size: a caching
// allocator, as PyTorch's.
#define POOL_CAP 512
#define POOL_BYTES ((size_t)1 << 30)
#define HEADER 64

static struct {
  void *raw;
  size_t bytes;
} pool[POOL_CAP];
static int pool_n;
static size_t pool_bytes;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void *talloc(size_t bytes) {
  pthread_mutex_lock(&pool_lock);
  for (int i = pool_n - 1; i >= 0; i--)
    if (pool[i].bytes == bytes) {
      void *raw = pool[i].raw;
      pool_bytes -= bytes;
      pool[i] = pool[--pool_n];
      pthread_mutex_unlock(&pool_lock);
      return (char *)raw + HEADER;
    }
  pthread_mutex_unlock(&pool_lock);
  char *raw = malloc(HEADER + bytes);
  if (!raw) return NULL;
  *(size_t *)raw = bytes;
  return raw + HEADER;
}

static void *tcalloc(size_t n, size_t size) {
  void *p = talloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

static void tfree(void *p) {
  if (!p) return;
  void *raw = (char *)p - HEADER;
  const size_t bytes = *(size_t *)raw;
  pthread_mutex_lock(&pool_lock);
  if (pool_n < POOL_CAP && pool_bytes + bytes <= POOL_BYTES) {
    pool[pool_n].raw = raw, pool[pool_n].bytes = bytes;
    pool_n++, pool_bytes += bytes;
    raw = NULL;
  }
  pthread_mutex_unlock(&pool_lock);
  free(raw);
}

static size_t n_weights(int L, int tied) { return 2 + (size_t)L * P_PER_LAYER + (tied ? 0 : 1); }
static int w_layer(int l, int j) { return 1 + l * P_PER_LAYER + j; }
static int w_norm(const train_t *s) { return 1 + s->L * P_PER_LAYER; }
// The LM head: its own weight, or the embedding when tied.
static int w_head(const train_t *s) { return s->tied ? 0 : 2 + s->L * P_PER_LAYER; }

static void train_free(train_t *s) {
  if (!s) return;
  tfree(s->ids), tfree(s->pos), tfree(s->key_ok), tfree(s->tmask), tfree(s->targets), tfree(s->cosv), tfree(s->sinv);
  if (s->wh)
    for (int i = 0; i < s->nw; i++) tfree(s->wh[i]);
  tfree(s->wh);
  if (s->layers)
    for (int l = 0; l < s->L; l++) {
      layer_t *a = &s->layers[l];
      tfree(a->h_in), tfree(a->h_mid), tfree(a->rstd1), tfree(a->rstd2), tfree(a->xn), tfree(a->yn), tfree(a->xn_h), tfree(a->yn_h);
      tfree(a->q), tfree(a->k), tfree(a->v), tfree(a->ctx), tfree(a->ctx_h), tfree(a->gate), tfree(a->up);
    }
  tfree(s->layers);
  tfree(s->h_fin), tfree(s->rstdf), tfree(s->hn), tfree(s->hn_h), tfree(s->logits), tfree(s->lse);
  memset(s, 0, sizeof *s);
}

static void finalize_train(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  train_free(data);
  free(data);
}

// ---------------------------------------------------------------------------------------------
// Products

// Seconds in the weight products and in attention's products, for RHO_TRAIN_PROFILE=1 (stderr).
static double t_gemm, t_bgemm;

static uint16_t *bf16_of(const float *f, size_t n) {
  uint16_t *h = talloc((n ? n : 1) * sizeof *h);
  if (h) rho_f32_to_bf16(f, h, n);
  return h;
}

// C[M,N] = beta·C + op(A)·op(B) (see rho_dnnl.h for the layouts). At bf16 an operand without a
// BF16 copy is rounded here; at fp32 the BF16 copies are never used.
static int gemm_(int bf16, bool ta, bool tb, int M, int N, int K, mat_t A, int lda, mat_t B, int ldb, float beta, float *C, int ldc);
static int gemm(int bf16, bool ta, bool tb, int M, int N, int K, mat_t A, int lda, mat_t B, int ldb, float beta, float *C, int ldc) {
  const double t0 = omp_get_wtime();
  const int rc = gemm_(bf16, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
  t_gemm += omp_get_wtime() - t0;
  return rc;
}
static int gemm_(int bf16, bool ta, bool tb, int M, int N, int K, mat_t A, int lda, mat_t B, int ldb, float beta, float *C, int ldc) {
  if (M == 0 || N == 0) return 0;
  if (bf16) {
    uint16_t *ah = NULL, *bh = NULL;
    const uint16_t *a = A.h, *b = B.h;
    if (!a) a = ah = bf16_of(A.f, (size_t)(ta ? K : M) * lda);
    if (!b) b = bh = bf16_of(B.f, (size_t)(tb ? N : K) * ldb);
    int rc = a && b ? rho_dnnl_gemm_bf16(ta, tb, M, N, K, a, lda, b, ldb, beta, C, ldc) : -2;
    tfree(ah), tfree(bh);
    return rc;
  }
  if (rho_dnnl_gemm_f32(ta, tb, M, N, K, A.f, lda, B.f, ldb, beta, C, ldc) == 0) return 0;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.f, A.f, lda, B.f, ldb, beta, C, ldc);
  return 0;
}

// Attention's per-(row, key/value head) products, FP32, as one strided batch.
static void bgemm(bool ta, bool tb, int batch, int M, int N, int K, const float *A, int lda, long sa, const float *B, int ldb, long sb, float *C, int ldc, long sc) {
  const double t0 = omp_get_wtime();
  if (rho_dnnl_gemm_f32_strided(ta, tb, batch, M, N, K, A, lda, sa, B, ldb, sb, 0.f, C, ldc, sc) == 0) {
    t_bgemm += omp_get_wtime() - t0;
    return;
  }
#pragma omp parallel for schedule(static)
  for (int i = 0; i < batch; i++)
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.f, A + i * sa, lda, B + i * sb, ldb, 0.f,
                C + i * sc, ldc);
  t_bgemm += omp_get_wtime() - t0;
}


// ---------------------------------------------------------------------------------------------
// Row kernels: vectorised (the build has no -march, so each is cloned per ISA and the loader
// picks one), with exp as plain arithmetic rather than a libm call per element.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

// exp(x) for x <= 0, clamped at -87 (exp(-87) ~ 1.6e-38): the vectorisable Cephes polynomial.
static inline float exp_neg(float x) { return rho_exp_clamped(x < -87.f ? -87.f : x); }

static inline float sigmoid(float g) {
  const float e = exp_neg(-fabsf(g));
  const float inv = 1.f / (1.f + e);
  return g >= 0.f ? inv : e * inv;
}

// log Σ exp(x) of a row
CLONES static float row_lse(const float *x, int n) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < n; j++) sum += exp_neg(x[j] - m);
  return m + logf(sum);
}

// x = exp(x − lse)·c
CLONES static void row_softmax_scaled(float *x, int n, float lse, float c) {
#pragma omp simd
  for (int j = 0; j < n; j++) x[j] = exp_neg(x[j] - lse) * c;
}

// act = silu(gate)·up
CLONES static void swiglu(const float *g, const float *u, float *act, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) act[i] = g[i] * sigmoid(g[i]) * u[i];
}

// d = d(act) in: d(gate) to dg (in place over d), d(up) to du
CLONES static void swiglu_backward(const float *g, const float *u, float *d, float *du, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) {
    const float gt = g[i], sg = sigmoid(gt), dd = d[i];
    du[i] = dd * gt * sg;
    d[i] = dd * u[i] * sg * (1.f + gt * (1.f - sg));
  }
}

// A softmax row over keys [0, n): `ok` marks the keys it may see (at least one); others get 0.
CLONES static void row_masked_softmax(float *row, const uint8_t *ok, int n, float scale) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int j = 0; j < n; j++) {
    const float v = ok[j] ? row[j] * scale : -INFINITY;
    m = v > m ? v : m;
  }
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < n; j++) {
    const float e = ok[j] ? exp_neg(row[j] * scale - m) : 0.f;
    row[j] = e;
    sum += e;
  }
  const float inv = 1.f / sum;
#pragma omp simd
  for (int j = 0; j < n; j++) row[j] *= inv;
}

// Splits n elements into chunks over OpenMP's threads.
#define CHUNKED(n, body)                                                   \
  do {                                                                     \
    const size_t n_all = (n), chunk = 1 << 15;                             \
    _Pragma("omp parallel for schedule(static)") for (size_t c0 = 0; c0 < n_all; c0 += chunk) { \
      const size_t len = c0 + chunk < n_all ? chunk : n_all - c0;          \
      body;                                                                \
    }                                                                      \
  } while (0)

// ---------------------------------------------------------------------------------------------
// Elementwise kernels

// out = x · r · w with r = 1/sqrt(mean(x²) + eps) per row; r saved for the backward.
static void rms_norm(const float *x, int M, int D, const float *w, float eps, float *out, float *rstd) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < M; i++) {
    const float *xr = x + (size_t)i * D;
    float *o = out + (size_t)i * D;
    float ss = 0.f;
#pragma omp simd reduction(+ : ss)
    for (int j = 0; j < D; j++) ss += xr[j] * xr[j];
    const float r = 1.f / sqrtf(ss / (float)D + eps);
    rstd[i] = r;
#pragma omp simd
    for (int j = 0; j < D; j++) o[j] = xr[j] * r * w[j];
  }
}

// Gradient of rms_norm, added to dx and dw: dx += r·(dy·w) − x·r³·mean(dy·w·x); dw += Σ_rows dy·x·r.
static int rms_norm_backward(const float *x, const float *rstd, const float *w, const float *dy, int M, int D, float *dx, float *dw) {
  const int nt = omp_get_max_threads();
  float *part = tcalloc((size_t)nt * D, sizeof *part);
  if (!part) return -1;
#pragma omp parallel num_threads(nt)
  {
    float *pw = part + (size_t)omp_get_thread_num() * D;
#pragma omp for schedule(static)
    for (int i = 0; i < M; i++) {
      const float *xr = x + (size_t)i * D, *g = dy + (size_t)i * D;
      float *o = dx + (size_t)i * D;
      const float r = rstd[i];
      float dot = 0.f;
#pragma omp simd reduction(+ : dot)
      for (int j = 0; j < D; j++) dot += g[j] * w[j] * xr[j];
      const float c = r * r * r * dot / (float)D;
#pragma omp simd
      for (int j = 0; j < D; j++) {
        o[j] += r * g[j] * w[j] - c * xr[j];
        pw[j] += g[j] * xr[j] * r;
      }
    }
  }
  for (int j = 0; j < D; j++) {
    float s = 0.f;
    for (int t = 0; t < nt; t++) s += part[(size_t)t * D + j];
    dw[j] += s;
  }
  tfree(part);
  return 0;
}

// rotate_half RoPE of a token-major projection src [N, n·hd] into head-major dst [B,n,T,hd]:
// out[i] = x[i]·cos − x[i+h]·sin, out[i+h] = x[i+h]·cos + x[i]·sin (h = hd/2).
static void rope_to_heads(const train_t *s, const float *src, int n, float *dst) {
  const int T = s->T, hd = s->hd, half = hd / 2;
#pragma omp parallel for schedule(static)
  for (int t = 0; t < s->N; t++) {
    const int b = t / T, i = t % T;
    const float *c = s->cosv + (size_t)t * half, *sn = s->sinv + (size_t)t * half;
    for (int h = 0; h < n; h++) {
      const float *x = src + ((size_t)t * n + h) * hd;
      float *o = dst + (((size_t)b * n + h) * T + i) * hd;
      for (int j = 0; j < half; j++) {
        const float a = x[j], z = x[j + half];
        o[j] = a * c[j] - z * sn[j];
        o[j + half] = z * c[j] + a * sn[j];
      }
    }
  }
}

// The transpose of rope_to_heads (an orthogonal map: the inverse rotation), head-major gradient
// back to token-major.
static void unrope_from_heads(const train_t *s, const float *src, int n, float *dst) {
  const int T = s->T, hd = s->hd, half = hd / 2;
#pragma omp parallel for schedule(static)
  for (int t = 0; t < s->N; t++) {
    const int b = t / T, i = t % T;
    const float *c = s->cosv + (size_t)t * half, *sn = s->sinv + (size_t)t * half;
    for (int h = 0; h < n; h++) {
      const float *g = src + (((size_t)b * n + h) * T + i) * hd;
      float *o = dst + ((size_t)t * n + h) * hd;
      for (int j = 0; j < half; j++) {
        const float a = g[j], z = g[j + half];
        o[j] = a * c[j] + z * sn[j];
        o[j + half] = z * c[j] - a * sn[j];
      }
    }
  }
}

// Head-major [B,n,T,hd] to token-major [N, n·hd] (no rotation: V's gradient).
static void from_heads(const train_t *s, const float *src, int n, float *dst) {
  const int T = s->T, hd = s->hd;
#pragma omp parallel for schedule(static)
  for (int t = 0; t < s->N; t++) {
    const int b = t / T, i = t % T;
    for (int h = 0; h < n; h++) memcpy(dst + ((size_t)t * n + h) * hd, src + (((size_t)b * n + h) * T + i) * hd, (size_t)hd * sizeof *dst);
  }
}

static void to_heads(const train_t *s, const float *src, int n, float *dst) {
  const int T = s->T, hd = s->hd;
#pragma omp parallel for schedule(static)
  for (int t = 0; t < s->N; t++) {
    const int b = t / T, i = t % T;
    for (int h = 0; h < n; h++) memcpy(dst + (((size_t)b * n + h) * T + i) * hd, src + ((size_t)t * n + h) * hd, (size_t)hd * sizeof *dst);
  }
}

/**
 * Scores [B,H,T,T] to probabilities in place. Query i of row b sees key j when j ≤ i, j is a real
 * token and (with a window w) pos(i) − pos(j) ≤ w: the rule of mask.ts attentionBias. A query that
 * sees no key (left padding) gets a uniform row over all T keys, as the tfjs model's softmax of
 * uniformly −1e9-biased scores does, so the losses at such positions agree too.
 */
static int softmax_rows(const train_t *s, float *S, float scale) {
  const int T = s->T, H = s->H, w = s->window, nt = omp_get_max_threads();
  const long rows = (long)s->B * H * T;
  uint8_t *oks = talloc((size_t)nt * T);  // per thread: the keys the current query sees
  if (!oks) return -1;
#pragma omp parallel num_threads(nt)
  {
    uint8_t *ok = oks + (size_t)omp_get_thread_num() * T;
#pragma omp for schedule(static)
    for (long r = 0; r < rows; r++) {
      const int i = (int)(r % T), b = (int)(r / ((long)H * T));
      float *row = S + (size_t)r * T;
      const int32_t *pos = s->pos + (size_t)b * T;
      const uint8_t *real = s->key_ok + (size_t)b * T;
      int any = 0;
      for (int j = 0; j <= i; j++) any |= ok[j] = real[j] && (w < 0 || pos[i] - pos[j] <= w);
      if (!any) {
        for (int j = 0; j < T; j++) row[j] = 1.f / (float)T;
        continue;
      }
      row_masked_softmax(row, ok, i + 1, scale);
      memset(row + i + 1, 0, (size_t)(T - i - 1) * sizeof *row);
    }
  }
  tfree(oks);
  return 0;
}

// dP to dS (the gradient of the scaled scores, times the scale) in place: P∘(dP − Σ P∘dP)·scale.
static void softmax_backward_rows(long rows, int T, const float *P, float *dP, float scale) {
#pragma omp parallel for schedule(static)
  for (long r = 0; r < rows; r++) {
    const float *p = P + (size_t)r * T;
    float *g = dP + (size_t)r * T;
    float dot = 0.f;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < T; j++) dot += p[j] * g[j];
#pragma omp simd
    for (int j = 0; j < T; j++) g[j] = p[j] * (g[j] - dot) * scale;
  }
}

// Scores then probabilities for one layer: S [B,H,T,T]. The query heads of one key/value head are
// stacked along M, [G·T, hd]·[T, hd]ᵀ, as the tfjs model does, so keys are never repeated.
static int attention_probs(const train_t *s, const layer_t *a, float *S) {
  const int T = s->T, hd = s->hd, G = s->H / s->KV;
  bgemm(false, true, s->B * s->KV, G * T, T, hd, a->q, hd, (long)G * T * hd, a->k, hd, (long)T * hd, S, T, (long)G * T * T);
  return softmax_rows(s, S, 1.f / sqrtf((float)hd));
}

// ---------------------------------------------------------------------------------------------
// Forward

#define NEW(ptr, count)                                              \
  do {                                                               \
    const size_t n_ = (size_t)(count);                               \
    (ptr) = talloc((n_ ? n_ : 1) * sizeof *(ptr));                   \
    if (!(ptr)) goto oom;                                            \
  } while (0)
#define TRY(call) \
  do {            \
    if ((call) != 0) goto gemm_failed; \
  } while (0)

static mat_t weight_mat(const train_t *s, float *const *w, int i) { return (mat_t){w[i], s->bf16 ? s->wh[i] : NULL}; }

// y[N,out] = x · Wᵀ (W [out,in])
static int linear(const train_t *s, mat_t x, float *const *w, int wi, int M, int out, int in, float *y) {
  return gemm(s->bf16, false, true, M, out, in, x, in, weight_mat(s, w, wi), in, 0.f, y, out);
}

/**
 * Fills `s` (dims, ids, mask already set) and writes the losses [R]. Returns NULL or an error.
 * Keeps in `s` what the backward needs; the caller frees it when no backward follows.
 */
static const char *forward(train_t *s, float *const *w, float *losses) {
  const int N = s->N, D = s->D, H = s->H, KV = s->KV, hd = s->hd, F = s->F, V = s->V, T = s->T, B = s->B, R = s->R;
  const int qd = H * hd, kvd = KV * hd, G = H / KV, half = hd / 2;
  float *qt = NULL, *kt = NULL, *vt = NULL, *S = NULL, *ctxh = NULL, *act = NULL, *tmp = NULL;
  // positions (real tokens before each one, as positionsFromMask), cos/sin as transformers: float32 angle = pos · inv_freq
  NEW(s->cosv, (size_t)N * half);
  NEW(s->sinv, (size_t)N * half);
  {
    // inv_freq as the tfjs model holds it (a double power rounded to float32), angle in float32
    float *invf = talloc((size_t)half * sizeof *invf);
    if (!invf) goto oom;
    for (int j = 0; j < half; j++) invf[j] = (float)(1.0 / pow(s->theta, (2.0 * j) / hd));
#pragma omp parallel for schedule(static)
    for (int t = 0; t < N; t++)
      for (int j = 0; j < half; j++) {
        const float ang = (float)s->pos[t] * invf[j];
        s->cosv[(size_t)t * half + j] = cosf(ang);
        s->sinv[(size_t)t * half + j] = sinf(ang);
      }
    tfree(invf);
  }
  if (s->bf16) {
    s->nw = (int)n_weights(s->L, s->tied);
    s->wh = tcalloc((size_t)s->nw, sizeof *s->wh);
    if (!s->wh) goto oom;
    // one rounding per weight per step: every product of this forward and its backward uses it
    const int mats[] = {P_Q, P_K, P_V, P_O, P_GATE, P_UP, P_DOWN};
    for (int l = 0; l < s->L; l++)
      for (size_t m = 0; m < sizeof mats / sizeof *mats; m++) {
        const int j = mats[m];
        const size_t n = j == P_Q || j == P_O ? (size_t)qd * D : j == P_K || j == P_V ? (size_t)kvd * D : (size_t)F * D;
        if (!(s->wh[w_layer(l, j)] = bf16_of(w[w_layer(l, j)], n))) goto oom;
      }
    if (!(s->wh[w_head(s)] = bf16_of(w[w_head(s)], (size_t)V * D))) goto oom;
  }
  s->layers = tcalloc((size_t)s->L, sizeof *s->layers);
  if (!s->layers) goto oom;
  NEW(qt, (size_t)N * qd);
  NEW(kt, (size_t)N * kvd);
  NEW(vt, (size_t)N * kvd);
  NEW(S, (size_t)s->B * H * T * T);
  NEW(ctxh, (size_t)N * qd);
  NEW(act, (size_t)N * F);
  NEW(tmp, (size_t)N * (D > qd ? D : qd));
  // the embedding gather
  float *h;
  NEW(h, (size_t)N * D);
#pragma omp parallel for schedule(static)
  for (int t = 0; t < N; t++) memcpy(h + (size_t)t * D, w[0] + (size_t)s->ids[t] * D, (size_t)D * sizeof *h);
  for (int l = 0; l < s->L; l++) {
    layer_t *a = &s->layers[l];
    a->h_in = h;
    NEW(a->rstd1, N);
    NEW(a->rstd2, N);
    NEW(a->xn, (size_t)N * D);
    rms_norm(h, N, D, w[w_layer(l, P_IN_NORM)], s->eps, a->xn, a->rstd1);
    mat_t x = {a->xn, NULL};
    if (s->bf16) {
      if (!(a->xn_h = bf16_of(a->xn, (size_t)N * D))) goto oom;
      x.h = a->xn_h;
    }
    TRY(linear(s, x, w, w_layer(l, P_Q), N, qd, D, qt));
    TRY(linear(s, x, w, w_layer(l, P_K), N, kvd, D, kt));
    TRY(linear(s, x, w, w_layer(l, P_V), N, kvd, D, vt));
    if (s->bf16) tfree(a->xn), a->xn = NULL;
    NEW(a->q, (size_t)N * qd);
    NEW(a->k, (size_t)N * kvd);
    NEW(a->v, (size_t)N * kvd);
    rope_to_heads(s, qt, H, a->q);
    rope_to_heads(s, kt, KV, a->k);
    to_heads(s, vt, KV, a->v);
    if (attention_probs(s, a, S)) goto oom;
    bgemm(false, false, s->B * KV, G * T, hd, T, S, T, (long)G * T * T, a->v, hd, (long)T * hd, ctxh, hd, (long)G * T * hd);
    NEW(a->ctx, (size_t)N * qd);
    from_heads(s, ctxh, H, a->ctx);
    mat_t c = {a->ctx, NULL};
    if (s->bf16) {
      if (!(a->ctx_h = bf16_of(a->ctx, (size_t)N * qd))) goto oom;
      c.h = a->ctx_h;
    }
    TRY(linear(s, c, w, w_layer(l, P_O), N, D, qd, tmp));
    if (s->bf16) tfree(a->ctx), a->ctx = NULL;
    NEW(a->h_mid, (size_t)N * D);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < (size_t)N * D; i++) a->h_mid[i] = h[i] + tmp[i];
    NEW(a->yn, (size_t)N * D);
    rms_norm(a->h_mid, N, D, w[w_layer(l, P_POST_NORM)], s->eps, a->yn, a->rstd2);
    mat_t y = {a->yn, NULL};
    if (s->bf16) {
      if (!(a->yn_h = bf16_of(a->yn, (size_t)N * D))) goto oom;
      y.h = a->yn_h;
    }
    NEW(a->gate, (size_t)N * F);
    NEW(a->up, (size_t)N * F);
    TRY(linear(s, y, w, w_layer(l, P_GATE), N, F, D, a->gate));
    TRY(linear(s, y, w, w_layer(l, P_UP), N, F, D, a->up));
    if (s->bf16) tfree(a->yn), a->yn = NULL;
    CHUNKED((size_t)N * F, swiglu(a->gate + c0, a->up + c0, act + c0, len));
    TRY(linear(s, (mat_t){act, NULL}, w, w_layer(l, P_DOWN), N, D, F, tmp));
    NEW(h, (size_t)N * D);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < (size_t)N * D; i++) h[i] = a->h_mid[i] + tmp[i];
  }
  s->h_fin = h;
  // final norm of the rows that have a target (all but each row's last), then the head
  NEW(s->rstdf, N);
  NEW(s->hn, (size_t)R * D);
  {
    float *r = talloc((size_t)R * sizeof *r);
    if (!r) goto oom;
    for (int b = 0; b < B; b++)
      rms_norm(h + (size_t)b * T * D, T - 1, D, w[w_norm(s)], s->eps, s->hn + (size_t)b * (T - 1) * D, r + (size_t)b * (T - 1));
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) s->rstdf[b * T + t] = t < T - 1 ? r[b * (T - 1) + t] : 0.f;
    tfree(r);
  }
  mat_t hn = {s->hn, NULL};
  if (s->bf16) {
    if (!(s->hn_h = bf16_of(s->hn, (size_t)R * D))) goto oom;
    hn.h = s->hn_h;
  }
  NEW(s->logits, (size_t)R * V);
  NEW(s->lse, R);
  TRY(linear(s, hn, w, w_head(s), R, V, D, s->logits));
  if (s->bf16) tfree(s->hn), s->hn = NULL;
#pragma omp parallel for schedule(static)
  for (int r = 0; r < R; r++) {
    const float *x = s->logits + (size_t)r * V;
    s->lse[r] = row_lse(x, V);
    losses[r] = (s->lse[r] - x[s->targets[r]]) * s->tmask[r];
  }
  tfree(qt), tfree(kt), tfree(vt), tfree(S), tfree(ctxh), tfree(act), tfree(tmp);
  return NULL;
oom:
  tfree(qt), tfree(kt), tfree(vt), tfree(S), tfree(ctxh), tfree(act), tfree(tmp);
  return "trainForward: out of memory";
gemm_failed:
  tfree(qt), tfree(kt), tfree(vt), tfree(S), tfree(ctxh), tfree(act), tfree(tmp);
  return "trainForward: a oneDNN product failed";
}

// ---------------------------------------------------------------------------------------------
// Backward

// An activation gradient as a product operand: at bf16 rounded once for the two products that
// read it (the weight gradient and the input gradient).
static int operand(const train_t *s, const float *f, size_t n, mat_t *m, uint16_t **own) {
  *m = (mat_t){f, NULL};
  *own = NULL;
  if (!s->bf16) return 0;
  if (!(*own = bf16_of(f, n))) return -1;
  m->h = *own;
  return 0;
}

/**
 * Gradients of Σ dl·losses into g (one array per weight, the weights' shapes). Consumes the
 * activations in `s` layer by layer. Returns NULL or an error.
 */
static const char *backward(train_t *s, float *const *w, const float *dl, float *const *g) {
  const int N = s->N, D = s->D, H = s->H, KV = s->KV, hd = s->hd, F = s->F, V = s->V, T = s->T, R = s->R;
  const int qd = H * hd, kvd = KV * hd, G = H / KV;
  const int bf = s->bf16;
  const float scale = 1.f / sqrtf((float)hd);
  float *dh = NULL, *dhn = NULL, *dx = NULL, *act = NULL, *dact = NULL, *P = NULL, *dP = NULL, *dctx = NULL, *dch = NULL, *dqh = NULL,
        *dkh = NULL, *dvh = NULL, *dq = NULL, *dk = NULL, *dv = NULL;
  uint16_t *o1 = NULL, *o2 = NULL, *o3 = NULL;
  mat_t m1, m2, m3;
  for (int i = 0; i < (int)n_weights(s->L, s->tied); i++) {
    const int l = (i - 1) / P_PER_LAYER, j = (i - 1) % P_PER_LAYER;
    size_t n = i == 0 || i == w_head(s) ? (size_t)V * D : (size_t)D;
    if (i > 0 && l < s->L) n = j == P_Q || j == P_O ? (size_t)qd * D : j == P_K || j == P_V ? (size_t)kvd * D : j == P_GATE || j == P_UP || j == P_DOWN ? (size_t)F * D : (size_t)D;
    memset(g[i], 0, n * sizeof(float));
  }
  // the loss: dlogits = (softmax − onehot(target))·dl·mask, in place of the logits
  float *dlog = s->logits;
#pragma omp parallel for schedule(static)
  for (int r = 0; r < R; r++) {
    float *x = dlog + (size_t)r * V;
    const float c = dl[r] * s->tmask[r];
    row_softmax_scaled(x, V, s->lse[r], c);
    x[s->targets[r]] -= c;
  }
  if (operand(s, dlog, (size_t)R * V, &m1, &o1)) goto oom;
  // the head: its weight gradient (the embedding's, tied) and the normed rows' gradient
  TRY(gemm(bf, true, false, V, D, R, m1, V, (mat_t){s->hn, s->hn_h}, D, 0.f, g[w_head(s)], D));
  NEW(dhn, (size_t)R * D);
  TRY(gemm(bf, false, false, R, D, V, m1, V, weight_mat(s, w, w_head(s)), D, 0.f, dhn, D));
  tfree(o1), o1 = NULL;
  tfree(s->logits), s->logits = NULL;
  // the final norm, over every row (a row's last position had no target: zero gradient)
  dh = tcalloc((size_t)N * D, sizeof *dh);
  NEW(dx, (size_t)N * D);
  if (!dh) goto oom;
  memset(dx, 0, (size_t)N * D * sizeof *dx);
  for (int b = 0; b < s->B; b++) memcpy(dx + (size_t)b * T * D, dhn + (size_t)b * (T - 1) * D, (size_t)(T - 1) * D * sizeof *dx);
  if (rms_norm_backward(s->h_fin, s->rstdf, w[w_norm(s)], dx, N, D, dh, g[w_norm(s)])) goto oom;
  NEW(act, (size_t)N * F);
  NEW(dact, (size_t)N * F);
  NEW(P, (size_t)s->B * H * T * T);
  NEW(dP, (size_t)s->B * H * T * T);
  NEW(dctx, (size_t)N * qd);
  NEW(dch, (size_t)N * qd);
  NEW(dqh, (size_t)N * qd);
  NEW(dkh, (size_t)N * kvd);
  NEW(dvh, (size_t)N * kvd);
  NEW(dq, (size_t)N * qd);
  NEW(dk, (size_t)N * kvd);
  NEW(dv, (size_t)N * kvd);
  for (int l = s->L - 1; l >= 0; l--) {
    layer_t *a = &s->layers[l];
    // MLP: down, then SwiGLU, then gate and up
    CHUNKED((size_t)N * F, swiglu(a->gate + c0, a->up + c0, act + c0, len));
    if (operand(s, dh, (size_t)N * D, &m1, &o1)) goto oom;
    TRY(gemm(bf, true, false, D, F, N, m1, D, (mat_t){act, NULL}, F, 0.f, g[w_layer(l, P_DOWN)], F));
    TRY(gemm(bf, false, false, N, F, D, m1, D, weight_mat(s, w, w_layer(l, P_DOWN)), F, 0.f, dact, F));
    tfree(o1), o1 = NULL;
    // dact → d(gate) in dact, d(up) in act
    CHUNKED((size_t)N * F, swiglu_backward(a->gate + c0, a->up + c0, dact + c0, act + c0, len));
    tfree(a->gate), a->gate = NULL;
    tfree(a->up), a->up = NULL;
    const mat_t yn = {a->yn, a->yn_h};
    if (operand(s, dact, (size_t)N * F, &m1, &o1) || operand(s, act, (size_t)N * F, &m2, &o2)) goto oom;
    TRY(gemm(bf, true, false, F, D, N, m1, F, yn, D, 0.f, g[w_layer(l, P_GATE)], D));
    TRY(gemm(bf, true, false, F, D, N, m2, F, yn, D, 0.f, g[w_layer(l, P_UP)], D));
    TRY(gemm(bf, false, false, N, D, F, m1, F, weight_mat(s, w, w_layer(l, P_GATE)), D, 0.f, dx, D));
    TRY(gemm(bf, false, false, N, D, F, m2, F, weight_mat(s, w, w_layer(l, P_UP)), D, 1.f, dx, D));
    tfree(o1), tfree(o2), o1 = o2 = NULL;
    if (rms_norm_backward(a->h_mid, a->rstd2, w[w_layer(l, P_POST_NORM)], dx, N, D, dh, g[w_layer(l, P_POST_NORM)])) goto oom;
    // o_proj
    if (operand(s, dh, (size_t)N * D, &m1, &o1)) goto oom;
    TRY(gemm(bf, true, false, D, qd, N, m1, D, (mat_t){a->ctx, a->ctx_h}, qd, 0.f, g[w_layer(l, P_O)], qd));
    TRY(gemm(bf, false, false, N, qd, D, m1, D, weight_mat(s, w, w_layer(l, P_O)), qd, 0.f, dctx, qd));
    tfree(o1), o1 = NULL;
    // attention: P recomputed; dV = Pᵀ dO, dP = dO Vᵀ, dS = P∘(dP − Σ P∘dP), dQ = dS K·scale,
    // dK = dSᵀ Q·scale. With the group's query heads stacked along M, the products over them sum
    // dK and dV over the group.
    to_heads(s, dctx, H, dch);
    if (attention_probs(s, a, P)) goto oom;
    const int BK = s->B * KV;
    bgemm(true, false, BK, T, hd, G * T, P, T, (long)G * T * T, dch, hd, (long)G * T * hd, dvh, hd, (long)T * hd);
    bgemm(false, true, BK, G * T, T, hd, dch, hd, (long)G * T * hd, a->v, hd, (long)T * hd, dP, T, (long)G * T * T);
    softmax_backward_rows((long)s->B * H * T, T, P, dP, scale);
    bgemm(false, false, BK, G * T, hd, T, dP, T, (long)G * T * T, a->k, hd, (long)T * hd, dqh, hd, (long)G * T * hd);
    bgemm(true, false, BK, T, hd, G * T, dP, T, (long)G * T * T, a->q, hd, (long)G * T * hd, dkh, hd, (long)T * hd);
    tfree(a->q), tfree(a->k), tfree(a->v), a->q = a->k = a->v = NULL;
    unrope_from_heads(s, dqh, H, dq);
    unrope_from_heads(s, dkh, KV, dk);
    from_heads(s, dvh, KV, dv);
    // q, k, v projections
    const mat_t xn = {a->xn, a->xn_h};
    if (operand(s, dq, (size_t)N * qd, &m1, &o1) || operand(s, dk, (size_t)N * kvd, &m2, &o2) || operand(s, dv, (size_t)N * kvd, &m3, &o3)) goto oom;
    TRY(gemm(bf, true, false, qd, D, N, m1, qd, xn, D, 0.f, g[w_layer(l, P_Q)], D));
    TRY(gemm(bf, true, false, kvd, D, N, m2, kvd, xn, D, 0.f, g[w_layer(l, P_K)], D));
    TRY(gemm(bf, true, false, kvd, D, N, m3, kvd, xn, D, 0.f, g[w_layer(l, P_V)], D));
    TRY(gemm(bf, false, false, N, D, qd, m1, qd, weight_mat(s, w, w_layer(l, P_Q)), D, 0.f, dx, D));
    TRY(gemm(bf, false, false, N, D, kvd, m2, kvd, weight_mat(s, w, w_layer(l, P_K)), D, 1.f, dx, D));
    TRY(gemm(bf, false, false, N, D, kvd, m3, kvd, weight_mat(s, w, w_layer(l, P_V)), D, 1.f, dx, D));
    tfree(o1), tfree(o2), tfree(o3), o1 = o2 = o3 = NULL;
    if (rms_norm_backward(a->h_in, a->rstd1, w[w_layer(l, P_IN_NORM)], dx, N, D, dh, g[w_layer(l, P_IN_NORM)])) goto oom;
  }
  // the embedding: scatter-add of the rows' gradients, threads over disjoint column blocks (a
  // token may repeat, so splitting rows would race)
  {
    const int blocks = (D + 15) / 16;
    float *ge = g[0];
#pragma omp parallel for schedule(static)
    for (int c = 0; c < blocks; c++) {
      const int j0 = c * 16, j1 = j0 + 16 < D ? j0 + 16 : D;
      for (int t = 0; t < N; t++) {
        float *dst = ge + (size_t)s->ids[t] * D;
        const float *src = dh + (size_t)t * D;
        for (int j = j0; j < j1; j++) dst[j] += src[j];
      }
    }
  }
  const char *err = NULL;
  goto done;
oom:
  err = "trainBackward: out of memory";
  goto done;
gemm_failed:
  err = "trainBackward: a oneDNN product failed";
done:
  tfree(o1), tfree(o2), tfree(o3);
  tfree(dh), tfree(dhn), tfree(dx), tfree(act), tfree(dact), tfree(P), tfree(dP), tfree(dctx), tfree(dch), tfree(dqh), tfree(dkh), tfree(dvh), tfree(dq), tfree(dk), tfree(dv);
  return err;
}

// ---------------------------------------------------------------------------------------------
// N-API

static void profile(const char *what, double total) {
  static int on = -1;
  if (on < 0) on = getenv("RHO_TRAIN_PROFILE") && getenv("RHO_TRAIN_PROFILE")[0] == '1';
  if (on) fprintf(stderr, "rho_train %s: %.0f ms (weight products %.0f, attention products %.0f, rest %.0f)\n", what, total * 1e3, t_gemm * 1e3, t_bgemm * 1e3, (total - t_gemm - t_bgemm) * 1e3);
}

// The Float32Arrays of a JS array, checked against the expected lengths. NULL (thrown) on mismatch.
static float **get_weights(napi_env env, napi_value arr, const train_t *s, const char *what) {
  const size_t n = n_weights(s->L, s->tied);
  uint32_t len = 0;
  bool is_arr = false;
  if (napi_is_array(env, arr, &is_arr) != napi_ok || !is_arr || napi_get_array_length(env, arr, &len) != napi_ok || len != n) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: expected an array of %zu Float32Arrays", what, n);
    napi_throw_type_error(env, "RHO_NATIVE", msg);
    return NULL;
  }
  float **w = calloc(n, sizeof *w);
  if (!w) {
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  const size_t D = s->D, qd = (size_t)s->H * s->hd, kvd = (size_t)s->KV * s->hd, F = s->F, V = s->V;
  const size_t per[P_PER_LAYER] = {D, qd * D, kvd * D, kvd * D, D * qd, D, F * D, F * D, D * F};
  for (uint32_t i = 0; i < len; i++) {
    napi_value v;
    size_t got = 0;
    const size_t want = i == 0 || (int)i == w_head(s) ? V * D : (int)i == w_norm(s) ? D : per[(i - 1) % P_PER_LAYER];
    if (napi_get_element(env, arr, i, &v) != napi_ok || !(w[i] = rho_typed(env, v, napi_float32_array, &got)) || got != want) {
      char msg[200];
      snprintf(msg, sizeof msg, "%s: weight %u must be a Float32Array of %zu elements", what, i, want);
      free(w);
      napi_throw_type_error(env, "RHO_NATIVE", msg);
      return NULL;
    }
  }
  return w;
}

// trainForward(weights: Float32Array[], ids: Int32Array [B·T], mask: Int32Array [B·T] | null,
//   dims: Int32Array [B, T, L, D, H, KV, hd, F, V, window (-1: none), tied, bf16], eps, theta,
//   losses: Float32Array [B·(T−1)], keep: boolean) → a handle for trainBackward when keep, else undefined.
// Weights: embed, per layer (input_layernorm, q, k, v, o, post_attention_layernorm, gate, up,
// down), model.norm, then lm_head unless tied.
static napi_value TrainForward(napi_env env, napi_callback_info info) {
  RHO_ARGS("trainForward", 8);
  size_t nd = 0, ni = 0, nm = 0, nl = 0;
  const int32_t *dims = rho_typed(env, argv[3], napi_int32_array, &nd);
  if (!dims || nd != D_COUNT) {
    napi_throw_type_error(env, "RHO_NATIVE", "trainForward: dims must be an Int32Array [B, T, L, D, H, KV, hd, F, V, window, tied, bf16]");
    return NULL;
  }
  train_t *s = calloc(1, sizeof *s);
  if (!s) {
    napi_throw_error(env, "RHO_NATIVE", "out of memory");
    return NULL;
  }
  s->B = dims[D_B], s->T = dims[D_T], s->L = dims[D_L], s->D = dims[D_D], s->H = dims[D_H], s->KV = dims[D_KV], s->hd = dims[D_HD];
  s->F = dims[D_F], s->V = dims[D_V], s->window = dims[D_WINDOW], s->tied = dims[D_TIED] != 0, s->bf16 = dims[D_BF16] != 0;
  const char *bad = NULL;
  if (s->B < 1 || s->T < 2 || s->L < 0 || s->D < 1 || s->H < 1 || s->KV < 1 || s->H % s->KV || s->hd < 2 || s->hd % 2 || s->F < 1 || s->V < 1 ||
      s->window < -1)
    bad = "trainForward: dims need B ≥ 1, T ≥ 2, heads a multiple of kv heads, an even head size, window ≥ -1";
  else if ((double)s->B * s->H * s->T * s->T > 2e9 || (double)s->B * (s->T - 1) * s->V > 4e9)
    bad = "trainForward: the batch is too large for one native pass";
  else if (s->bf16 && !rho_dnnl_bf16())
    bad = "trainForward: bf16 asked for, but oneDNN has no native BF16 products here";
  if (bad) {
    free(s);
    napi_throw_range_error(env, "RHO_NATIVE", bad);
    return NULL;
  }
  s->N = s->B * s->T, s->R = s->B * (s->T - 1);
  double eps = 0, theta = 0;
  bool keep = false;
  napi_valuetype mt;
  const int32_t *ids = rho_typed(env, argv[1], napi_int32_array, &ni);
  const int32_t *mask = NULL;
  float *losses = rho_typed(env, argv[6], napi_float32_array, &nl);
  if (napi_typeof(env, argv[2], &mt) != napi_ok || (mt != napi_null && mt != napi_undefined && !(mask = rho_typed(env, argv[2], napi_int32_array, &nm))) ||
      napi_get_value_double(env, argv[4], &eps) != napi_ok || napi_get_value_double(env, argv[5], &theta) != napi_ok ||
      napi_get_value_bool(env, argv[7], &keep) != napi_ok || !ids || ni != (size_t)s->N || (mask && nm != (size_t)s->N) || !losses ||
      nl != (size_t)s->R || !(theta > 0) || !(eps >= 0)) {
    free(s);
    napi_throw_type_error(env, "RHO_NATIVE", "trainForward: ids [B·T], mask [B·T] or null, eps, theta > 0, losses [B·(T−1)], keep");
    return NULL;
  }
  for (int i = 0; i < s->N; i++)
    if (ids[i] < 0 || ids[i] >= s->V) {
      free(s);
      napi_throw_range_error(env, "RHO_NATIVE", "trainForward: a token id is outside [0, vocab)");
      return NULL;
    }
  s->eps = (float)eps, s->theta = theta;
  float **w = get_weights(env, argv[0], s, "trainForward");
  if (!w) {
    free(s);
    return NULL;
  }
  const char *err = NULL;
  s->ids = talloc((size_t)s->N * sizeof *s->ids);
  s->pos = talloc((size_t)s->N * sizeof *s->pos);
  s->key_ok = talloc((size_t)s->N);
  s->targets = talloc((size_t)s->R * sizeof *s->targets);
  s->tmask = talloc((size_t)s->R * sizeof *s->tmask);
  if (!s->ids || !s->pos || !s->key_ok || !s->targets || !s->tmask) err = "trainForward: out of memory";
  else {
    memcpy(s->ids, ids, (size_t)s->N * sizeof *ids);
    // positions as positionsFromMask: real tokens before each one (a padded slot before any real
    // token is position 0)
    for (int b = 0; b < s->B; b++) {
      int seen = 0;
      for (int t = 0; t < s->T; t++) {
        const int i = b * s->T + t, real = mask ? mask[i] != 0 : 1;
        seen += real;
        s->pos[i] = seen > 0 ? seen - 1 : 0;
        s->key_ok[i] = (uint8_t)real;
        if (t > 0) {
          s->targets[b * (s->T - 1) + t - 1] = ids[i];
          s->tmask[b * (s->T - 1) + t - 1] = (float)real;
        }
      }
    }
    rho_dnnl_threads(0);  // reads RHO_THREADS before the first parallel region
    const double t0 = omp_get_wtime();
    t_gemm = t_bgemm = 0;
    err = forward(s, w, losses);
    profile("forward", omp_get_wtime() - t0);
  }
  free(w);
  if (err || !keep) {
    train_free(s);
    free(s);
    if (err) napi_throw_error(env, "RHO_NATIVE", err);
    return NULL;
  }
  s->magic = TRAIN_MAGIC;
  return rho_external(env, s, finalize_train);
}

// trainBackward(handle, weights: Float32Array[] (as given to trainForward, unchanged),
//   dLosses: Float32Array [B·(T−1)], grads: Float32Array[] (the weights' lengths)). The gradients
// of Σ dLosses·losses are written to grads; the handle's activations are freed (one backward per forward).
static napi_value TrainBackward(napi_env env, napi_callback_info info) {
  RHO_ARGS("trainBackward", 4);
  train_t *s = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&s) != napi_ok || !s || s->magic != TRAIN_MAGIC || !s->layers) {
    napi_throw_type_error(env, "RHO_NATIVE", "trainBackward: expected a trainForward handle not yet used by a backward");
    return NULL;
  }
  size_t nl = 0;
  const float *dl = rho_typed(env, argv[2], napi_float32_array, &nl);
  if (!dl || nl != (size_t)s->R) {
    napi_throw_type_error(env, "RHO_NATIVE", "trainBackward: dLosses must be a Float32Array [B·(T−1)]");
    return NULL;
  }
  float **w = get_weights(env, argv[1], s, "trainBackward");
  if (!w) return NULL;
  float **g = get_weights(env, argv[3], s, "trainBackward (grads)");
  if (!g) {
    free(w);
    return NULL;
  }
  const double t0 = omp_get_wtime();
  t_gemm = t_bgemm = 0;
  const char *err = backward(s, w, dl, g);
  profile("backward", omp_get_wtime() - t0);
  free(w), free(g);
  train_free(s);  // magic cleared: a second backward is refused; the finalizer frees the struct
  if (err) napi_throw_error(env, "RHO_NATIVE", err);
  return NULL;
}

bool rho_train_register(napi_env env, napi_value exports) {
  napi_value fn;
  return napi_create_function(env, "trainForward", NAPI_AUTO_LENGTH, TrainForward, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, "trainForward", fn) == napi_ok &&
         napi_create_function(env, "trainBackward", NAPI_AUTO_LENGTH, TrainBackward, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, "trainBackward", fn) == napi_ok;
}
