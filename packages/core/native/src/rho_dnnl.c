// Matrix products through oneDNN's C API (2.x: matmul descriptors). Operands stay in the caller's
// row-major memory: transposes and leading dimensions become strides of the memory descriptors, so
// nothing is copied except where the caller hands us FP32 data for a BF16 product (the JS entry
// points), which is converted once per call into scratch buffers that are kept between calls.
#include "rho_dnnl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rho_bf16.h"
#include "rho_napi.h"

#include <omp.h>
#include <pthread.h>

#ifdef RHO_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>

// Shapes seen by one process: training and scoring use a few dozen, tfjs decoding a new attention
// shape per step; a bounded cache keeps the latter from growing without end.
#define CACHE_CAP 256

typedef struct {
  // all int64 so the key has no padding and compares with memcmp
  int64_t dt, ta, tb, batch, batch_a, batch_b, M, N, K, lda, ldb, ldc, sa, sb, sc, beta;
} pkey_t;

typedef struct {
  pkey_t key;
  uint64_t hash;  // of key, compared first: the scan runs on every product
  dnnl_primitive_t prim;
  dnnl_memory_t a, b, c;  // created once, their data handles set per call
  uint64_t used;          // LRU tick; 0 = empty slot
} entry_t;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
// One product at a time: oneDNN already spreads each over every core, and the cached memory
// objects (whose data handles are set per call) are shared.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static int ready_flag, bf16_flag;
static char isa_text[160] = "oneDNN not initialised";
static entry_t cache[CACHE_CAP];
static uint64_t tick;

static int make_desc(dnnl_memory_desc_t *md, int batched, int64_t batch, int64_t rows, int64_t cols, int64_t sbatch,
                     int64_t srow, int64_t scol, dnnl_data_type_t dt) {
  dnnl_dims_t dims = {0}, strides = {0};
  if (batched) {
    dims[0] = batch, dims[1] = rows, dims[2] = cols;
    strides[0] = sbatch, strides[1] = srow, strides[2] = scol;
    return dnnl_memory_desc_init_by_strides(md, 3, dims, dt, strides) == dnnl_success ? 0 : -1;
  }
  dims[0] = rows, dims[1] = cols;
  strides[0] = srow, strides[1] = scol;
  return dnnl_memory_desc_init_by_strides(md, 2, dims, dt, strides) == dnnl_success ? 0 : -1;
}

// The primitive descriptor of a product (NULL when oneDNN has none for it).
static dnnl_primitive_desc_t describe(const pkey_t *k, dnnl_memory_desc_t *ad, dnnl_memory_desc_t *bd,
                                      dnnl_memory_desc_t *cd) {
  const dnnl_data_type_t in = k->dt ? dnnl_bf16 : dnnl_f32;
  const int batched = k->batch > 1;
  // op(A) is [M,K]; stored [K,M] when transposed. op(B) is [K,N]; stored [N,K] when transposed.
  if (make_desc(ad, batched, k->batch_a, k->M, k->K, k->sa, k->ta ? 1 : k->lda, k->ta ? k->lda : 1, in) ||
      make_desc(bd, batched, k->batch_b, k->K, k->N, k->sb, k->tb ? 1 : k->ldb, k->tb ? k->ldb : 1, in) ||
      make_desc(cd, batched, k->batch, k->M, k->N, k->sc, k->ldc, 1, dnnl_f32))
    return NULL;
  dnnl_matmul_desc_t desc;
  if (dnnl_matmul_desc_init(&desc, ad, bd, NULL, cd) != dnnl_success) return NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t ops = NULL;
  dnnl_primitive_desc_t pd = NULL;
  if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
  // beta = 1 as a sum post-op: the kernel adds its tile to C while it is still in registers
  if (k->beta) {
    if (dnnl_post_ops_create(&ops) != dnnl_success || dnnl_post_ops_append_sum(ops, 1.0f) != dnnl_success ||
        dnnl_primitive_attr_set_post_ops(attr, ops) != dnnl_success)
      goto done;
  }
  if (dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) != dnnl_success) pd = NULL;
done:
  if (ops) dnnl_post_ops_destroy(ops);
  dnnl_primitive_attr_destroy(attr);
  return pd;
}

static void entry_clear(entry_t *e) {
  if (e->prim) dnnl_primitive_destroy(e->prim);
  if (e->a) dnnl_memory_destroy(e->a);
  if (e->b) dnnl_memory_destroy(e->b);
  if (e->c) dnnl_memory_destroy(e->c);
  memset(e, 0, sizeof *e);
}

static int entry_build(entry_t *e, const pkey_t *k) {
  dnnl_memory_desc_t ad, bd, cd;
  dnnl_primitive_desc_t pd = describe(k, &ad, &bd, &cd);
  if (!pd) return -1;
  e->key = *k;
  const int ok = dnnl_primitive_create(&e->prim, pd) == dnnl_success &&
                 dnnl_memory_create(&e->a, &ad, engine, DNNL_MEMORY_NONE) == dnnl_success &&
                 dnnl_memory_create(&e->b, &bd, engine, DNNL_MEMORY_NONE) == dnnl_success &&
                 dnnl_memory_create(&e->c, &cd, engine, DNNL_MEMORY_NONE) == dnnl_success;
  dnnl_primitive_desc_destroy(pd);
  if (!ok) {
    entry_clear(e);
    return -1;
  }
  return 0;
}

// The cached primitive for `k`, built on a miss in the least recently used slot; a shape oneDNN
// rejects is cached too (prim NULL), so it is not described again on every call. Under `lock`.
static uint64_t key_hash(const pkey_t *k) {
  const int64_t *w = (const int64_t *)k;
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the words
  for (size_t i = 0; i < sizeof *k / sizeof *w; i++) h = (h ^ (uint64_t)w[i]) * 1099511628211ull;
  return h;
}

static entry_t *lookup(const pkey_t *k) {
  const uint64_t h = key_hash(k);
  entry_t *victim = &cache[0];
  for (int i = 0; i < CACHE_CAP; i++) {
    entry_t *e = &cache[i];
    if (e->used && e->hash == h && memcmp(&e->key, k, sizeof *k) == 0) {
      e->used = ++tick;
      return e;
    }
    if (e->used < victim->used) victim = e;
  }
  entry_clear(victim);
  if (entry_build(victim, k)) victim->key = *k;
  victim->hash = h;
  victim->used = ++tick;
  return victim;
}

static const char *impl_of(dnnl_data_type_t dt) {
  static char buf[128];
  pkey_t k = {.dt = dt == dnnl_bf16, .batch = 1, .batch_a = 1, .batch_b = 1, .M = 64, .N = 64, .K = 64,
              .lda = 64, .ldb = 64, .ldc = 64};
  dnnl_memory_desc_t ad, bd, cd;
  dnnl_primitive_desc_t pd = describe(&k, &ad, &bd, &cd);
  if (!pd) return NULL;
  const char *impl = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl) impl = "unknown";
  snprintf(buf, sizeof buf, "%s", impl);
  dnnl_primitive_desc_destroy(pd);
  return buf;
}

static const char *effective_isa(void) {
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown ISA";
  }
}

// "brg:avx512_core_bf16" -> "avx512_core_bf16", the ISA the kernel was generated for; an
// implementation that does not name one ("gemm:jit") is described by the CPU's effective ISA
static void set_isa(const char *impl) {
  const char *colon = strrchr(impl, ':');
  const char *tail = colon ? colon + 1 : impl;
  if (strstr(tail, "avx") || strstr(tail, "amx") || strstr(tail, "sse")) snprintf(isa_text, sizeof isa_text, "%s", tail);
  else snprintf(isa_text, sizeof isa_text, "%s (%s)", effective_isa(), impl);
}

static void init(void) {
  // RHO_THREADS caps the products' threads (say, beside other jobs); OpenMP's default is every core
  const char *t = getenv("RHO_THREADS");
  if (t && atoi(t) > 0) omp_set_num_threads(atoi(t));
  if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) {
    snprintf(isa_text, sizeof isa_text, "oneDNN has no CPU engine");
    return;
  }
  if (dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) {
    snprintf(isa_text, sizeof isa_text, "oneDNN stream creation failed");
    return;
  }
  const char *f32 = impl_of(dnnl_f32);
  if (!f32) {
    snprintf(isa_text, sizeof isa_text, "oneDNN has no f32 matmul here");
    return;
  }
  ready_flag = 1;
  set_isa(f32);
  const char *bf16 = impl_of(dnnl_bf16);
  // Native BF16 only: on a CPU without AVX512_BF16 / AMX oneDNN still offers bf16 products, by
  // emulation, slower than f32. The effective ISA is checked too, so ONEDNN_MAX_CPU_ISA=AVX512_CORE
  // turns BF16 off as a CPU without it would.
  const dnnl_cpu_isa_t eff = dnnl_get_effective_cpu_isa();
  const int isa_bf16 = (eff & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
  if (bf16 && isa_bf16 && (strstr(bf16, "bf16") || strstr(bf16, "amx"))) {
    bf16_flag = 1;
    set_isa(bf16);
  }
}

static void ensure_init(void) { pthread_once(&init_once, init); }

int rho_dnnl_ready(void) {
  ensure_init();
  return ready_flag;
}
int rho_dnnl_bf16(void) {
  ensure_init();
  return ready_flag && bf16_flag;
}
const char *rho_dnnl_isa(void) {
  ensure_init();
  return isa_text;
}

int rho_dnnl_threads(int n) {
  ensure_init();
  if (n > 0) omp_set_num_threads(n);
  return omp_get_max_threads();
}

// The product `k` over the given pointers. Under `lock`.
static int run_locked(const pkey_t *k, const void *A, const void *B, float *C) {
  if (k->M == 0 || k->N == 0 || k->batch == 0) return 0;
  if (k->K == 0) {
    // oneDNN rejects an empty reduction; the product is zero
    for (int64_t i = 0; i < k->batch; i++)
      for (int64_t r = 0; r < k->M; r++) {
        float *row = C + i * k->sc + r * k->ldc;
        for (int64_t j = 0; j < k->N; j++) row[j] = k->beta ? row[j] : 0.0f;
      }
    return 0;
  }
  entry_t *e = lookup(k);
  if (!e->prim) return 2;
  if (dnnl_memory_set_data_handle(e->a, (void *)A) != dnnl_success ||
      dnnl_memory_set_data_handle(e->b, (void *)B) != dnnl_success ||
      dnnl_memory_set_data_handle(e->c, C) != dnnl_success)
    return 3;
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}};
  if (dnnl_primitive_execute(e->prim, stream, 3, args) != dnnl_success) return 4;
  return dnnl_stream_wait(stream) == dnnl_success ? 0 : 5;
}

static int strided(int bf16, bool ta, bool tb, int batch, int M, int N, int K, const void *A, int lda, long sa,
                   const void *B, int ldb, long sb, float beta, float *C, int ldc, long sc) {
  ensure_init();
  if (!ready_flag || (bf16 && !bf16_flag)) return -1;
  if (batch < 0 || M < 0 || N < 0 || K < 0 || sa < 0 || sb < 0 || sc < 0 || (beta != 0.0f && beta != 1.0f)) return 1;
  if (lda < (ta ? M : K) || ldb < (tb ? K : N) || ldc < N || (batch > 1 && sc < (long)M * ldc)) return 1;
  pkey_t k = {.dt = bf16, .ta = ta, .tb = tb, .batch = batch, .batch_a = sa ? batch : 1, .batch_b = sb ? batch : 1,
              .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc, .beta = beta != 0.0f};
  if (batch > 1) {
    k.sa = sa ? sa : (int64_t)M * K, k.sb = sb ? sb : (int64_t)K * N, k.sc = sc;
  }
  pthread_mutex_lock(&lock);
  int rc = run_locked(&k, A, B, C);
  // a shape oneDNN will not batch (overlapping batches, say): one product per batch entry
  if (rc == 2 && batch > 1) {
    pkey_t one = k;
    one.batch = one.batch_a = one.batch_b = 1, one.sa = one.sb = one.sc = 0;
    const size_t es = bf16 ? 2 : 4;
    rc = 0;
    for (int i = 0; i < batch && rc == 0; i++)
      rc = run_locked(&one, (const char *)A + es * (size_t)sa * i, (const char *)B + es * (size_t)sb * i,
                      C + (size_t)sc * i);
  }
  pthread_mutex_unlock(&lock);
  return rc;
}
#else
int rho_dnnl_ready(void) { return 0; }
int rho_dnnl_bf16(void) { return 0; }
const char *rho_dnnl_isa(void) { return "oneDNN not built in"; }
// Without oneDNN the engine's kernels still run on OpenMP: the same thread setting applies.
int rho_dnnl_threads(int n) {
  static int read_env = 0;
  if (!read_env) {
    read_env = 1;
    const char *t = getenv("RHO_THREADS");
    if (t && atoi(t) > 0) omp_set_num_threads(atoi(t));
  }
  if (n > 0) omp_set_num_threads(n);
  return omp_get_max_threads();
}
static int strided(int bf16, bool ta, bool tb, int batch, int M, int N, int K, const void *A, int lda, long sa,
                   const void *B, int ldb, long sb, float beta, float *C, int ldc, long sc) {
  (void)bf16, (void)ta, (void)tb, (void)batch, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)sa, (void)B,
      (void)ldb, (void)sb, (void)beta, (void)C, (void)ldc, (void)sc;
  return -1;
}
#endif

int rho_dnnl_gemm_bf16(bool transA, bool transB, int M, int N, int K, const uint16_t *A, int lda, const uint16_t *B,
                       int ldb, float beta, float *C, int ldc) {
  return strided(1, transA, transB, 1, M, N, K, A, lda, 0, B, ldb, 0, beta, C, ldc, 0);
}
int rho_dnnl_gemm_f32(bool transA, bool transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                      float beta, float *C, int ldc) {
  return strided(0, transA, transB, 1, M, N, K, A, lda, 0, B, ldb, 0, beta, C, ldc, 0);
}
int rho_dnnl_gemm_bf16_strided(bool transA, bool transB, int batch, int M, int N, int K, const uint16_t *A, int lda,
                               long strideA, const uint16_t *B, int ldb, long strideB, float beta, float *C, int ldc,
                               long strideC) {
  return strided(1, transA, transB, batch, M, N, K, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC);
}
int rho_dnnl_gemm_f32_strided(bool transA, bool transB, int batch, int M, int N, int K, const float *A, int lda,
                              long strideA, const float *B, int ldb, long strideB, float beta, float *C, int ldc,
                              long strideC) {
  return strided(0, transA, transB, batch, M, N, K, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC);
}

// ---- JS entry points ----

// FP32 operands of a BF16 product, converted per call. Kept between calls (training repeats the
// same shapes every step); one conversion at a time, as the products themselves.
static pthread_mutex_t scratch_lock = PTHREAD_MUTEX_INITIALIZER;
static uint16_t *scratch[2];
static size_t scratch_len[2];

static uint16_t *scratch_for(int which, size_t n) {
  if (scratch_len[which] < n) {
    free(scratch[which]);
    // 64-byte aligned rows help oneDNN's loads; the size is rounded up as aligned_alloc requires
    scratch[which] = aligned_alloc(64, ((n * sizeof(uint16_t)) + 63) & ~(size_t)63);
    scratch_len[which] = scratch[which] ? n : 0;
  }
  return scratch[which];
}

// Offsets as one stride when they are a[i] = a[0] + i*stride, stride 0 (a broadcast operand) or
// at least a whole matrix apart; else -1, and the batch runs product by product.
static long regular_stride(const int32_t *off, size_t batch, size_t matrix) {
  if (batch < 2) return 0;
  const long s = (long)off[1] - off[0];
  if (s < 0 || (s > 0 && (size_t)s < matrix)) return -1;
  for (size_t i = 2; i < batch; i++)
    if ((long)off[i] - off[i - 1] != s) return -1;
  return s;
}

static void min_max(const int32_t *off, size_t batch, int32_t *lo, int32_t *hi) {
  *lo = *hi = batch ? off[0] : 0;
  for (size_t i = 1; i < batch; i++) {
    if (off[i] < *lo) *lo = off[i];
    if (off[i] > *hi) *hi = off[i];
  }
}

// gemmBf16Batched / gemmF32Batched(a, b, c, aOffsets, bOffsets, m, n, k, transA, transB): as
// sgemmBatched. For batch i, c[i*m*n ..] = op(a at aOffsets[i]) · op(b at bOffsets[i]).
static napi_value GemmBatched(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  void *data = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, &data));
  const int bf16 = data != NULL;
  const char *name = bf16 ? "gemmBf16Batched" : "gemmF32Batched";
  if (argc != 10) {
    napi_throw_type_error(env, "RHO_NATIVE", bf16 ? "gemmBf16Batched expects 10 arguments" : "gemmF32Batched expects 10 arguments");
    return NULL;
  }
  rho_gemm_args_t g;
  if (!rho_gemm_args(env, argv, &g)) return NULL;
  float *a = g.a, *b = g.b, *c = g.c;
  int32_t *aoff = g.aoff, *boff = g.boff;
  const int32_t m = g.m, n = g.n, k = g.k;
  const bool ta = g.ta, tb = g.tb;
  const size_t batch = g.batch, amat = (size_t)m * k, bmat = (size_t)k * n;
  if (batch == 0 || m == 0 || n == 0) return NULL;
  if (batch > INT32_MAX) {
    napi_throw_range_error(env, "RHO_NATIVE", "batch too large");
    return NULL;
  }
  int32_t alo, ahi, blo, bhi;
  min_max(aoff, batch, &alo, &ahi);
  min_max(boff, batch, &blo, &bhi);
  const long sa = regular_stride(aoff, batch, amat), sb = regular_stride(boff, batch, bmat);
  const int lda = ta ? m : k, ldb = tb ? k : n;
  const size_t es = bf16 ? sizeof(uint16_t) : sizeof(float);
  int rc = 0;
  pthread_mutex_lock(&scratch_lock);
  const char *A = (const char *)a, *B = (const char *)b;
  int32_t abase = 0, bbase = 0;  // where A and B start, in elements of a and b
  if (bf16 && rho_dnnl_bf16()) {
    // only the span the offsets reach is converted, and offsets become relative to its start
    const size_t an = (size_t)(ahi - alo) + amat, bn = (size_t)(bhi - blo) + bmat;
    uint16_t *a16 = scratch_for(0, an), *b16 = scratch_for(1, bn);
    if (!a16 || !b16) rc = 6;
    else {
      rho_f32_to_bf16(a + alo, a16, an);
      rho_f32_to_bf16(b + blo, b16, bn);
      A = (const char *)a16, B = (const char *)b16, abase = alo, bbase = blo;
    }
  }
  if (rc == 0 && sa >= 0 && sb >= 0) {
    rc = bf16 ? rho_dnnl_gemm_bf16_strided(ta, tb, (int)batch, m, n, k, (const uint16_t *)(A + es * (size_t)(aoff[0] - abase)), lda, sa,
                                           (const uint16_t *)(B + es * (size_t)(boff[0] - bbase)), ldb, sb, 0.0f, c, n, (long)m * n)
              : rho_dnnl_gemm_f32_strided(ta, tb, (int)batch, m, n, k, (const float *)(A + es * (size_t)(aoff[0] - abase)), lda, sa,
                                          (const float *)(B + es * (size_t)(boff[0] - bbase)), ldb, sb, 0.0f, c, n, (long)m * n);
  } else {
    for (size_t i = 0; i < batch && rc == 0; i++) {
      float *ci = c + i * (size_t)m * n;
      rc = bf16 ? rho_dnnl_gemm_bf16(ta, tb, m, n, k, (const uint16_t *)(A + es * (size_t)(aoff[i] - abase)), lda,
                                     (const uint16_t *)(B + es * (size_t)(boff[i] - bbase)), ldb, 0.0f, ci, n)
                : rho_dnnl_gemm_f32(ta, tb, m, n, k, (const float *)(A + es * (size_t)(aoff[i] - abase)), lda,
                                    (const float *)(B + es * (size_t)(boff[i] - bbase)), ldb, 0.0f, ci, n);
    }
  }
  pthread_mutex_unlock(&scratch_lock);
  if (rc == -1) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s: oneDNN %s (%s)", name, rho_dnnl_ready() ? "has no native BF16 here" : "is not available",
             rho_dnnl_isa());
    napi_throw_error(env, "RHO_NATIVE", msg);
  } else if (rc != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: oneDNN product failed (code %d) for m=%d n=%d k=%d batch=%zu", name, rc, m, n, k, batch);
    napi_throw_error(env, "RHO_NATIVE", msg);
  }
  return NULL;
}

// dnnlInfo(): { ready, bf16, isa, threads }
static napi_value DnnlInfo(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_get_boolean(env, rho_dnnl_ready() != 0, &v));
  CHECK(napi_set_named_property(env, out, "ready", v));
  CHECK(napi_get_boolean(env, rho_dnnl_bf16() != 0, &v));
  CHECK(napi_set_named_property(env, out, "bf16", v));
  CHECK(napi_create_string_utf8(env, rho_dnnl_isa(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "isa", v));
  CHECK(napi_create_int32(env, rho_dnnl_threads(0), &v));
  CHECK(napi_set_named_property(env, out, "threads", v));
  return out;
}

// dnnlThreads(n?): sets the OpenMP thread count (oneDNN's and the engine's) when n > 0; returns it.
static napi_value DnnlThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t t = 0;
  if (argc == 1) CHECK(napi_get_value_int32(env, argv[0], &t));
  napi_value out;
  CHECK(napi_create_int32(env, rho_dnnl_threads(t), &out));
  return out;
}

// f32ToBf16(src: Float32Array, dst: Uint16Array) and bf16ToF32(src: Uint16Array, dst: Float32Array):
// the conversions the BF16 products use, for tests and for preparing weights.
static napi_value Convert(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *data = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, &data));
  const int to16 = data != NULL;
  size_t slen = 0, dlen = 0;
  void *src = argc == 2 ? rho_typed(env, argv[0], to16 ? napi_float32_array : napi_uint16_array, &slen) : NULL;
  void *dst = argc == 2 ? rho_typed(env, argv[1], to16 ? napi_uint16_array : napi_float32_array, &dlen) : NULL;
  if (!src || !dst || dlen < slen) {
    napi_throw_type_error(env, "RHO_NATIVE", to16 ? "f32ToBf16(src: Float32Array, dst: Uint16Array at least as long)"
                                                   : "bf16ToF32(src: Uint16Array, dst: Float32Array at least as long)");
    return NULL;
  }
  if (to16) rho_f32_to_bf16(src, dst, slen);
  else rho_bf16_to_f32(src, dst, slen);
  return NULL;
}

bool rho_dnnl_register(napi_env env, napi_value exports) {
  static const int on = 1;
  const struct {
    const char *name;
    napi_callback fn;
    void *data;
  } fns[] = {
      {"dnnlInfo", DnnlInfo, NULL},
      {"dnnlThreads", DnnlThreads, NULL},
      {"gemmBf16Batched", GemmBatched, (void *)&on},
      {"gemmF32Batched", GemmBatched, NULL},
      {"f32ToBf16", Convert, (void *)&on},
      {"bf16ToF32", Convert, NULL},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, fns[i].data, &fn) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok)
      return false;
  }
  return true;
}
