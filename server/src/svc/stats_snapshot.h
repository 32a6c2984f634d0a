/*
 * stats_snapshot.h - every figure cruddurd shows of itself, read once.
 *
 * The Stats RPC (svc_stats.c) answers with a snapshot and GET /metrics
 * (net/metrics_http.c) prints one as Prometheus text, so the two always
 * show the same figures, read in one place: the per-method metrics
 * (obs/metrics.h), the pool (db/pool.h), the read reactor
 * (reads/read_reactor.h), the page cache (reads/feed_cache.h), the replicas
 * (db/replica_set.h), the transport's queue, calls in flight and peer
 * limits, and the uptime. The snapshot is the GetStatsResponse message
 * itself.
 *
 * What to read is a stats_sources, which the process's wiring fills
 * (server.c, main.c); this file knows no server. The transport is a layer
 * above the services (net/), so its figures come through a callback that
 * the wiring sets once the transport has started.
 *
 * Threads: a snapshot may be taken on any thread (a worker for Stats, an
 * nng HTTP thread for /metrics) at any time while its sources live; each
 * source is thread-safe on its own (atomics, the pool's mutex for a
 * moment), and none blocks for long. The figures are read one after the
 * other, not all at one instant, which is fine for monitoring.
 */
#ifndef CRUDDUR_STATS_SNAPSHOT_H
#define CRUDDUR_STATS_SNAPSHOT_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/arena.h"
#include "cruddur/status.h"
#include "cruddur/v1/stats.pb-c.h"
#include "db/pool.h"
#include "db/replica_set.h"
#include "obs/metrics.h"
#include "reads/feed_cache.h"
#include "reads/read_reactor.h"

/* The transport's figures. The snapshot zeroes them (connections:
 * initialised, all zero) before it calls the callback, which fills them. */
typedef struct stats_transport {
	int32_t                      queue_depth; /* requests waiting for a worker */
	int32_t                      in_flight;   /* received and not yet answered */
	Cruddur__V1__ConnectionStats connections; /* peer_limits.h */
} stats_transport;

typedef void (*stats_transport_fn)(void *arg, stats_transport *out);

/* What a snapshot reads; borrowed, and each pointer must stay valid while
 * snapshots are taken. */
typedef struct stats_sources {
	metrics      *metrics;
	pool         *pool;           /* the primary's */
	int           pool_max;       /* --pool-max */
	int           queue_capacity; /* --queue-capacity */
	int64_t       started_us;     /* CLOCK_MONOTONIC */
	read_reactor *reactor;        /* NULL: no figures (--read-reactor off) */
	feed_cache   *feed_cache;     /* NULL: the cache is off (its state "off") */
	replica_set  *replicas;       /* each replica's health and lag */
	/* HomeFeed's reactors on the replicas: their figures add to the
	 * primary's (with reactor set). */
	read_reactor *replica_reactors[REPLICA_SET_MAX];
	size_t        n_replica_reactors;
	/* The transport's figures: fn, set before serving, and its argument,
	 * published (atomically: Stats may be asked on a worker meanwhile)
	 * once the transport serves; while it is NULL (and in tests that
	 * dispatch without a transport) the snapshot has no queue depth,
	 * calls in flight or connections. */
	stats_transport_fn transport;
	_Atomic(void *)    transport_arg;
} stats_sources;

/* Fills out (initialised here; what it held is dropped) with every figure
 * of src, from memory of a, which the caller frees (out points into it):
 * uptime, requests by method and status with latencies (methods called at
 * least once, in the generated table's order, "(unknown)" last), the pool,
 * the queue, and, when src has them, the connections and the read reactor
 * (out->connections, out->read_reactor NULL otherwise), and the page cache's
 * (always: listener_state "off" when there is none). Returns CRUDDUR_OK,
 * or CRUDDUR_RESOURCE_EXHAUSTED when a is out of memory (out is then
 * incomplete). */
cruddur_status stats_snapshot_take(const stats_sources *src, arena *a,
    Cruddur__V1__GetStatsResponse *out);

#endif /* CRUDDUR_STATS_SNAPSHOT_H */
