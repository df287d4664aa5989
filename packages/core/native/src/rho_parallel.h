#ifndef RHO_PARALLEL_H
#define RHO_PARALLEL_H
#include <stddef.h>

typedef void (*rho_range_fn)(void *ctx, size_t begin, size_t end);

// Runs fn over [0, n) split into `threads` contiguous ranges, one per thread (this one included),
// and returns when all are done. Each index is handled by exactly one call, so results do not
// depend on the thread count.
void rho_parallel(size_t n, int threads, rho_range_fn fn, void *ctx);

#endif
