#include "rho_parallel.h"

#include <pthread.h>
#include <stdbool.h>

#define MAX_THREADS 64

typedef struct {
  rho_range_fn fn;
  void *ctx;
  size_t begin, end;
} part_t;

static void *run_part(void *p) {
  const part_t *part = p;
  part->fn(part->ctx, part->begin, part->end);
  return NULL;
}

void rho_parallel(size_t n, int threads, rho_range_fn fn, void *ctx) {
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if ((size_t)threads > n) threads = (int)n;
  if (threads < 2) {
    if (n > 0) fn(ctx, 0, n);
    return;
  }
  pthread_t tid[MAX_THREADS];
  bool running[MAX_THREADS] = {false};
  part_t parts[MAX_THREADS];
  for (int i = 0; i < threads; i++) parts[i] = (part_t){fn, ctx, n * i / threads, n * (i + 1) / threads};
  // parts 1.. on new threads, part 0 here; a thread that cannot start runs here too
  for (int i = 1; i < threads; i++) {
    running[i] = pthread_create(&tid[i], NULL, run_part, &parts[i]) == 0;
    if (!running[i]) run_part(&parts[i]);
  }
  run_part(&parts[0]);
  for (int i = 1; i < threads; i++)
    if (running[i]) pthread_join(tid[i], NULL);
}
