/*
 * metrics.c - lock-free counters and log-linear latency histograms.
 *
 * A latency v (microseconds) falls in bucket v for v < 16; above that the
 * bucket is 16 sub-buckets per power of two: with e = floor(log2 v),
 *     bucket = 16 + (e - 4) * 16 + ((v >> (e - 4)) & 15)
 * so a bucket spans at most 1/16 (about 6%) of its values. Values up to
 * 2^40 us (12 days) fit; larger ones land in the last bucket.
 *
 * The exported histogram (metrics_le_us) has its own counters, one per
 * bound plus +Inf, not cumulative (one increment per request); the
 * snapshot sums them up into Prometheus' cumulative form.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "obs/metrics.h"

#define SUB_BITS 4
#define SUB (1 << SUB_BITS)
#define MAX_EXP 40
#define BUCKETS (SUB + (MAX_EXP - SUB_BITS + 1) * SUB)

const int64_t metrics_le_us[METRICS_LE_BUCKETS] = {
	50, 100, 250, 500,                      /* 50 us .. 0.5 ms */
	1000, 2500, 5000, 10000, 25000, 50000,  /* 1 ms .. 50 ms */
	100000, 250000, 500000,                 /* 0.1 s .. 0.5 s */
	1000000, 2500000, 5000000, 10000000,    /* 1 s .. 10 s */
};

typedef struct method_metrics {
	atomic_uint_least64_t by_status[METRICS_STATUSES];
	atomic_uint_least64_t buckets[BUCKETS];
	atomic_uint_least64_t le[METRICS_LE_BUCKETS + 1]; /* the last: over 10 s */
	atomic_uint_least64_t sum_us;
	atomic_int_least64_t  max_us;
} method_metrics;

struct metrics {
	size_t          n; /* methods + 1: the last is "unknown" */
	method_metrics *methods;
};

static size_t
bucket_of(uint64_t v)
{
	if (v < SUB)
		return (size_t)v;
	int e = 63 - __builtin_clzll(v);
	if (e > MAX_EXP)
		return BUCKETS - 1;
	return SUB + (size_t)(e - SUB_BITS) * SUB + ((v >> (e - SUB_BITS)) & (SUB - 1));
}

/* The first exported bucket whose bound is at least v (METRICS_LE_BUCKETS:
 * +Inf). Most requests are fast, so a scan from the bottom ends soon. */
static size_t
le_bucket_of(uint64_t v)
{
	size_t i = 0;
	while (i < METRICS_LE_BUCKETS && v > (uint64_t)metrics_le_us[i])
		i++;
	return i;
}

/* The middle of bucket b's range of values. */
static int64_t
bucket_middle(size_t b)
{
	if (b < SUB)
		return (int64_t)b;
	size_t   e = (b - SUB) / SUB + SUB_BITS, sub = (b - SUB) % SUB;
	uint64_t low = (uint64_t)(SUB + sub) << (e - SUB_BITS);
	uint64_t width = (uint64_t)1 << (e - SUB_BITS);
	return (int64_t)(low + width / 2);
}

metrics *
metrics_new(size_t n_methods)
{
	metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->n = n_methods + 1;
	/* calloc's zero bytes are valid zero atomics on every platform we build for. */
	if ((m->methods = calloc(m->n, sizeof(*m->methods))) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
metrics_free(metrics *m)
{
	if (m != NULL)
		free(m->methods);
	free(m);
}

static method_metrics *
slot(metrics *m, size_t method)
{
	return &m->methods[method < m->n - 1 ? method : m->n - 1];
}

void
metrics_record(metrics *m, size_t method, cruddur_status st, int64_t us)
{
	method_metrics *mm = slot(m, method);
	uint64_t        v = us > 0 ? (uint64_t)us : 0;

	atomic_fetch_add_explicit(&mm->by_status[(unsigned)st < METRICS_STATUSES ? st : CRUDDUR_UNKNOWN],
	    1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mm->buckets[bucket_of(v)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mm->le[le_bucket_of(v)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mm->sum_us, v, memory_order_relaxed);
	int64_t max = atomic_load_explicit(&mm->max_us, memory_order_relaxed);
	while ((int64_t)v > max &&
	    !atomic_compare_exchange_weak_explicit(&mm->max_us, &max, (int64_t)v,
	        memory_order_relaxed, memory_order_relaxed))
		;
}

/* The value below which a fraction q of the counts lie. */
static int64_t
quantile(const uint64_t *buckets, uint64_t total, double q)
{
	uint64_t rank = (uint64_t)(q * (double)total), seen = 0;
	for (size_t b = 0; b < BUCKETS; b++) {
		seen += buckets[b];
		if (seen > rank)
			return bucket_middle(b);
	}
	return 0;
}

void
metrics_snapshot(metrics *m, size_t method, method_snapshot *out)
{
	method_metrics *mm = slot(m, method);
	uint64_t        buckets[BUCKETS]; /* 4.8 KiB: one copy, so quantiles agree */
	uint64_t        total = 0;

	*out = (method_snapshot){ 0 };
	for (int s = 0; s < METRICS_STATUSES; s++) {
		out->by_status[s] = atomic_load_explicit(&mm->by_status[s], memory_order_relaxed);
		out->count += out->by_status[s];
	}
	out->sum_us = atomic_load_explicit(&mm->sum_us, memory_order_relaxed);
	out->max_us = atomic_load_explicit(&mm->max_us, memory_order_relaxed);
	for (size_t b = 0; b < BUCKETS; b++)
		total += buckets[b] = atomic_load_explicit(&mm->buckets[b], memory_order_relaxed);
	uint64_t seen = 0;
	for (size_t i = 0; i <= METRICS_LE_BUCKETS; i++)
		out->le_counts[i] = seen += atomic_load_explicit(&mm->le[i], memory_order_relaxed);
	if (total > 0) {
		out->p50_us = quantile(buckets, total, 0.50);
		out->p90_us = quantile(buckets, total, 0.90);
		out->p99_us = quantile(buckets, total, 0.99);
		/* A bucket's middle may pass the largest value seen. */
		if (out->p99_us > out->max_us)
			out->p99_us = out->max_us;
		if (out->p90_us > out->max_us)
			out->p90_us = out->max_us;
		if (out->p50_us > out->max_us)
			out->p50_us = out->max_us;
	}
}
