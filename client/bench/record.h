/*
 * record.h - the clock of a run, the open loop's schedule, and what one
 * call counts for (record.c): what the blocking callers (load.c) and the
 * async load (chains.c) share.
 *
 * Threads: all may be called from any caller at once; bench_record writes
 * the caller's own results and the run's atomics.
 */
#ifndef CRUDDUR_BENCH_RECORD_H
#define CRUDDUR_BENCH_RECORD_H

#include <stdint.h>

#include "bench.h"

/* CLOCK_MONOTONIC, in ns. */
int64_t bench_now_ns(void);
void    bench_sleep_until_ns(int64_t t);
/* Open loop: when slot k is due (from b->schedule_ns, at b->opt.rate). */
int64_t bench_slot_due_ns(const bench *b, uint64_t k);
/* Counts one call of m that ended with outcome out, sent (or due) at
 * from_ns and ended at to_ns, if it belongs to the measuring window. */
void    bench_record(bench_caller *c, bench_method m, int out, int64_t from_ns, int64_t to_ns);

#endif /* CRUDDUR_BENCH_RECORD_H */
