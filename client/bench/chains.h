/*
 * chains.h - the async load (chains.c): closed loop as chains of calls,
 * open loop as one scheduler thread.
 */
#ifndef CRUDDUR_BENCH_CHAINS_H
#define CRUDDUR_BENCH_CHAINS_H

#include "bench.h"

/* Starts the async load (closed or open loop); returns 0 or -1 after
 * printing why. bench_async_wait, after b->stop is set, returns once no
 * call is in flight. Both from the main thread. */
int  bench_async_start(bench *b);
void bench_async_wait(bench *b);

#endif /* CRUDDUR_BENCH_CHAINS_H */
