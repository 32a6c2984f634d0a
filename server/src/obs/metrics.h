/*
 * metrics.h - counters and latency histograms of every method.
 *
 * The dispatcher records each request once (metrics_record); Stats and
 * the Prometheus endpoint read snapshots. Everything is an atomic counter
 * updated with relaxed ordering: recording takes no lock and costs a few
 * increments, so it can stay on the request path; a reader may see a
 * request counted in one figure and not yet in another, which is fine for
 * monitoring.
 *
 * Besides the fine log-linear histogram (about 6% wide buckets, for the
 * Stats RPC's percentiles) each method counts its requests in the few
 * fixed buckets that /metrics exports as a Prometheus histogram
 * (metrics_le_us): one more relaxed increment per request, and exact
 * "le" bounds, which the fine buckets, being powers of two, cannot give.
 */
#ifndef CRUDDUR_METRICS_H
#define CRUDDUR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "cruddur/status.h"

#define METRICS_STATUSES (CRUDDUR_UNAUTHENTICATED + 1)

typedef struct metrics metrics;

/* One table per method of the generated method table, plus one for
 * requests that name no known method. NULL when out of memory. */
metrics *metrics_new(size_t n_methods);
void     metrics_free(metrics *m);

/* method: an index into rpc_method_table, or SIZE_MAX for unknown. */
void metrics_record(metrics *m, size_t method, cruddur_status st, int64_t us);

/* The upper bounds (microseconds, inclusive) of the exported histogram's
 * buckets, ascending, 50 us to 10 s in 1-2.5-5 steps; +Inf is implied. */
#define METRICS_LE_BUCKETS 17
extern const int64_t metrics_le_us[METRICS_LE_BUCKETS];

/* A snapshot of one method's figures. */
typedef struct method_snapshot {
	uint64_t count;
	uint64_t by_status[METRICS_STATUSES];
	int64_t  p50_us, p90_us, p99_us, max_us;
	uint64_t sum_us;
	/* Cumulative: le_counts[i] requests took at most metrics_le_us[i];
	 * le_counts[METRICS_LE_BUCKETS] (+Inf) is every request counted in
	 * them, which may trail count by the requests being recorded now. */
	uint64_t le_counts[METRICS_LE_BUCKETS + 1];
} method_snapshot;

/* method as for metrics_record. */
void metrics_snapshot(metrics *m, size_t method, method_snapshot *out);

#endif /* CRUDDUR_METRICS_H */
