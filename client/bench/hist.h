/*
 * hist.h - an HDR-style log-linear latency histogram in microseconds.
 *
 * Values below 2^HIST_SUB_BITS are counted exactly; above, each power of
 * two is split into 2^(HIST_SUB_BITS-1) equal buckets, so every bucket is
 * at most 1/64 (1.6 %) of its values wide. A histogram is a flat array of
 * counters: recording is one increment, merging is an addition, and it
 * never allocates. One histogram per caller thread, merged at the end, so
 * that recording takes no lock.
 */
#ifndef CRUDDUR_BENCH_HIST_H
#define CRUDDUR_BENCH_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS 7
#define HIST_HALF (1u << (HIST_SUB_BITS - 1))
/* Up to 2^40 us (12 days): far beyond any deadline. */
#define HIST_MAX_BITS 40
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 2) * HIST_HALF)

typedef struct hist {
	uint64_t count;
	uint64_t max_us;
	uint64_t sum_us;
	uint64_t buckets[HIST_BUCKETS];
} hist;

void     hist_record(hist *h, uint64_t us);
void     hist_merge(hist *into, const hist *from);
/* The value at quantile q (0..1): the upper edge of the bucket holding it,
 * capped at the largest value recorded; 0 for an empty histogram. */
uint64_t hist_quantile(const hist *h, double q);
/* The non-empty buckets as a JSON array of {"from_us","to_us","count"}. */
void     hist_write_json(const hist *h, FILE *f);

#endif /* CRUDDUR_BENCH_HIST_H */
