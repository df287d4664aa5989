// Batched single-precision GEMM through the system's CBLAS (Debian's OpenBLAS).
// tfjs kernels on the cpu and wasm backends hand us Float32Array views of their own storage
// (JS heap or the wasm heap), so the product is written in place with no copies.
#include <node_api.h>
#include <cblas.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rho_blas.h"
#include "rho_napi.h"

// OpenBLAS threads one GEMM at a time, which pays off for large products but not for the many
// small ones of attention (B·heads products of T×T×headDim): there its thread hand-off costs more
// than the arithmetic (measured 4x slower than one thread). Batches of small products are instead
// split across our own threads, each running single-threaded OpenBLAS.
#define SMALL_GEMM_FLOPS (1u << 26)
#define MAX_THREADS 64

static int configured_threads = 0;

typedef struct {
  const float *a, *b;
  float *c;
  const int32_t *aoff, *boff;
  size_t begin, end;
  int m, n, k, lda, ldb;
  enum CBLAS_TRANSPOSE ta, tb;
} job_t;

static void run_range(const job_t *j) {
  for (size_t i = j->begin; i < j->end; i++) {
    cblas_sgemm(CblasRowMajor, j->ta, j->tb, j->m, j->n, j->k, 1.0f, j->a + j->aoff[i], j->lda, j->b + j->boff[i],
                j->ldb, 0.0f, j->c + i * (size_t)j->m * j->n, j->n);
  }
}

static void *run_job(void *p) {
  run_range((const job_t *)p);
  return NULL;
}

// sgemmBatched(a, b, c, aOffsets: Int32Array, bOffsets: Int32Array, m, n, k, transA, transB)
// For batch i: C[i] (m x n, row-major, contiguous) = op(A at aOffsets[i]) * op(B at bOffsets[i]).
// Offsets are computed by the caller, which is how broadcast batch dimensions are expressed.
static napi_value SgemmBatched(napi_env env, napi_callback_info info) {
  RHO_ARGS("sgemmBatched", 10);
  rho_gemm_args_t g;
  if (!rho_gemm_args(env, argv, &g)) return NULL;
  float *a = g.a, *b = g.b, *c = g.c;
  int32_t *aoff = g.aoff, *boff = g.boff;
  const int32_t m = g.m, n = g.n, k = g.k;
  const bool ta = g.ta, tb = g.tb;
  const size_t batch = g.batch;
  if (m == 0 || n == 0) return NULL;
  if (k == 0) {
    for (size_t i = 0; i < batch * (size_t)m * n; i++) c[i] = 0.0f;
    return NULL;
  }
  job_t all = {a, b, c, aoff, boff, 0, batch, m, n, k, ta ? m : k, tb ? k : n,
               ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans};
  int threads = configured_threads;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if ((size_t)threads > batch) threads = (int)batch;
  const double flops = 2.0 * m * n * k;
  if (threads < 2 || flops >= SMALL_GEMM_FLOPS) {
    run_range(&all);
    return NULL;
  }
  openblas_set_num_threads(1);
  pthread_t tid[MAX_THREADS];
  bool running[MAX_THREADS] = {false};
  job_t jobs[MAX_THREADS];
  for (int t = 0; t < threads; t++) {
    jobs[t] = all;
    jobs[t].begin = batch * t / threads;
    jobs[t].end = batch * (t + 1) / threads;
  }
  // jobs 1.. on new threads, job 0 here; a thread that cannot start runs here too
  for (int t = 1; t < threads; t++) {
    running[t] = pthread_create(&tid[t], NULL, run_job, &jobs[t]) == 0;
    if (!running[t]) run_range(&jobs[t]);
  }
  run_range(&jobs[0]);
  for (int t = 1; t < threads; t++) {
    if (running[t]) pthread_join(tid[t], NULL);
  }
  openblas_set_num_threads(configured_threads);
  return NULL;
}

static napi_value Threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1) {
    int32_t t;
    CHECK(napi_get_value_int32(env, argv[0], &t));
    if (t > 0) {
      openblas_set_num_threads(t);
      configured_threads = t;
    }
  }
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

bool rho_blas_register(napi_env env, napi_value exports) {
  napi_value fn;
  configured_threads = openblas_get_num_threads();
  return napi_create_function(env, "sgemmBatched", NAPI_AUTO_LENGTH, SgemmBatched, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, "sgemmBatched", fn) == napi_ok &&
         napi_create_function(env, "threads", NAPI_AUTO_LENGTH, Threads, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, "threads", fn) == napi_ok;
}
