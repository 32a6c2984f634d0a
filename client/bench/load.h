/*
 * load.h - the run (load.c): warm-up, the measuring window, and the
 * blocking callers of --sync.
 */
#ifndef CRUDDUR_BENCH_LOAD_H
#define CRUDDUR_BENCH_LOAD_H

#include "bench.h"

/* Runs warm-up then the measured run, on the main thread; returns 0 or
 * -1. */
int bench_load_run(bench *b);

#endif /* CRUDDUR_BENCH_LOAD_H */
