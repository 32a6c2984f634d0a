/*
 * stats_snapshot.c - every figure, read once into a GetStatsResponse; see
 * stats_snapshot.h. Each source is read here and nowhere else: Stats and
 * /metrics only pass the message on or print it.
 */
#include <stdint.h>

#include "base/clock.h"
#include "rpc_handlers.h"
#include "svc/stats_snapshot.h"

/* The full name of rpc_method_table[index]; "(unknown)" for the index
 * rpc_method_count, where the metrics keep requests that named no method. */
static const char *
method_name(size_t index)
{
	return index < rpc_method_count ? rpc_method_table[index].method->full_name : "(unknown)";
}

/* One method's figures, with a count per status that occurred. NULL when
 * out of memory. */
static Cruddur__V1__MethodStats *
method_stats(arena *a, size_t index, const method_snapshot *snap)
{
	Cruddur__V1__MethodStats *ms = arena_alloc(a, sizeof(*ms));

	if (ms == NULL)
		return NULL;
	cruddur__v1__method_stats__init(ms);
	if ((ms->statuses = arena_alloc(a, METRICS_STATUSES * sizeof(*ms->statuses))) == NULL)
		return NULL;
	ms->method = (char *)method_name(index);
	ms->count = (int64_t)snap->count;
	ms->p50_us = snap->p50_us;
	ms->p90_us = snap->p90_us;
	ms->p99_us = snap->p99_us;
	ms->max_us = snap->max_us;
	ms->sum_us = (int64_t)snap->sum_us;
	ms->le_us = arena_alloc(a, METRICS_LE_BUCKETS * sizeof(*ms->le_us));
	ms->le_counts = arena_alloc(a, (METRICS_LE_BUCKETS + 1) * sizeof(*ms->le_counts));
	if (ms->le_us == NULL || ms->le_counts == NULL)
		return NULL;
	ms->n_le_us = METRICS_LE_BUCKETS;
	ms->n_le_counts = METRICS_LE_BUCKETS + 1;
	for (size_t i = 0; i <= METRICS_LE_BUCKETS; i++) {
		if (i < METRICS_LE_BUCKETS)
			ms->le_us[i] = metrics_le_us[i];
		ms->le_counts[i] = (int64_t)snap->le_counts[i];
	}
	for (int s = 0; s < METRICS_STATUSES; s++) {
		if (snap->by_status[s] == 0)
			continue;
		Cruddur__V1__StatusCount *sc = arena_alloc(a, sizeof(*sc));
		if (sc == NULL)
			return NULL;
		cruddur__v1__status_count__init(sc);
		sc->status = (Cruddur__V1__StatusCode)s;
		sc->count = (int64_t)snap->by_status[s];
		ms->statuses[ms->n_statuses++] = sc;
	}
	return ms;
}

/* Every method's, and requests_total over all of them. */
static cruddur_status
take_methods(const stats_sources *src, arena *a, Cruddur__V1__GetStatsResponse *out)
{
	if ((out->methods = arena_alloc(a, (rpc_method_count + 1) * sizeof(*out->methods))) == NULL)
		return CRUDDUR_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i <= rpc_method_count; i++) {
		method_snapshot snap;
		metrics_snapshot(src->metrics, i < rpc_method_count ? i : SIZE_MAX, &snap);
		out->requests_total += (int64_t)snap.count;
		if (snap.count == 0)
			continue;
		if ((out->methods[out->n_methods] = method_stats(a, i, &snap)) == NULL)
			return CRUDDUR_RESOURCE_EXHAUSTED;
		out->n_methods++;
	}
	return CRUDDUR_OK;
}

static cruddur_status
take_pool(const stats_sources *src, arena *a, Cruddur__V1__GetStatsResponse *out)
{
	Cruddur__V1__PoolStats *ps = arena_alloc(a, sizeof(*ps));
	pool_stats              st;

	if (ps == NULL)
		return CRUDDUR_RESOURCE_EXHAUSTED;
	cruddur__v1__pool_stats__init(ps);
	pool_get_stats(src->pool, &st);
	ps->size = st.size;
	ps->in_use = st.in_use;
	ps->idle = st.idle;
	ps->waiting = st.waiting;
	ps->max_size = src->pool_max;
	ps->connects = (int64_t)st.connects;
	ps->connect_failures = (int64_t)st.connect_failures;
	ps->broken = (int64_t)st.broken;
	ps->backoff_refusals = (int64_t)st.backoff_refusals;
	ps->connect_fail_streak = st.fail_streak;
	ps->connect_backoff_ms = st.backoff_ms;
	out->pool = ps;
	return CRUDDUR_OK;
}

/* The queue and the connections, from the transport while it serves. */
static cruddur_status
take_transport(const stats_sources *src, arena *a, Cruddur__V1__GetStatsResponse *out)
{
	stats_transport tr = { 0 };
	void           *arg = atomic_load(&src->transport_arg);

	if (src->transport == NULL || arg == NULL)
		return CRUDDUR_OK;
	if ((out->connections = arena_alloc(a, sizeof(*out->connections))) == NULL)
		return CRUDDUR_RESOURCE_EXHAUSTED;
	cruddur__v1__connection_stats__init(&tr.connections);
	src->transport(arg, &tr);
	out->queue_depth = tr.queue_depth;
	out->in_flight = tr.in_flight;
	*out->connections = tr.connections;
	return CRUDDUR_OK;
}

/* The read reactor's figures; none with --read-reactor off. */
static cruddur_status
take_reactor(const stats_sources *src, arena *a, Cruddur__V1__GetStatsResponse *out)
{
	Cruddur__V1__ReadReactorStats *rs;
	read_reactor_stats             st;

	if (src->reactor == NULL)
		return CRUDDUR_OK;
	if ((rs = arena_alloc(a, sizeof(*rs))) == NULL)
		return CRUDDUR_RESOURCE_EXHAUSTED;
	cruddur__v1__read_reactor_stats__init(rs);
	/* The primary's reactor, then each replica's, added up. */
	for (size_t i = 0; i <= src->n_replica_reactors; i++) {
		read_reactor_get_stats(i == 0 ? src->reactor : src->replica_reactors[i - 1], &st);
		rs->waiting += (int32_t)st.waiting;
		rs->running += (int32_t)st.running;
		rs->queries += (int64_t)st.queries;
		rs->requests += (int64_t)st.requests;
		rs->pipelines += (int64_t)st.pipelines;
		rs->pipelined_queries += (int64_t)st.pipelined_queries;
	}
	out->read_reactor = rs;
	return CRUDDUR_OK;
}

/* The page cache's; zeroes and "off" when it is off. */
static cruddur_status
take_feed_cache(const stats_sources *src, arena *a, Cruddur__V1__GetStatsResponse *out)
{
	Cruddur__V1__FeedCacheStats *fs = arena_alloc(a, sizeof(*fs));
	feed_cache_stats             st;

	if (fs == NULL)
		return CRUDDUR_RESOURCE_EXHAUSTED;
	cruddur__v1__feed_cache_stats__init(fs);
	feed_cache_get_stats(src->feed_cache, &st);
	fs->hits = (int64_t)st.hits;
	fs->misses = (int64_t)st.misses;
	fs->drops_by_notice = (int64_t)st.drops_by_notice;
	fs->bytes_held = (int64_t)st.bytes_held;
	fs->bytes_limit = (int64_t)st.bytes_limit;
	fs->entries = (int64_t)st.entries;
	fs->bypassed = (int64_t)st.bypassed;
	fs->listener_state = (char *)st.listener_state; /* static */
	fs->notices = (int64_t)st.notices;
	out->feed_cache = fs;
	return CRUDDUR_OK;
}

/* Each replica's state (db/replica_set.h). */
static cruddur_status
take_replicas(const stats_sources *src, arena *a, Cruddur__V1__GetStatsResponse *out)
{
	size_t n = src->replicas != NULL ? replica_set_count(src->replicas) : 0;

	if (n == 0)
		return CRUDDUR_OK;
	out->primary_reads = (int64_t)replica_set_primary_reads(src->replicas);
	if ((out->replicas = arena_alloc(a, n * sizeof(*out->replicas))) == NULL)
		return CRUDDUR_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < n; i++) {
		Cruddur__V1__ReplicaStats *r = arena_alloc(a, sizeof(*r));
		char                      *lsn = arena_alloc(a, REPLICA_LSN_TEXT);
		replica_state              st;
		if (r == NULL || lsn == NULL)
			return CRUDDUR_RESOURCE_EXHAUSTED;
		cruddur__v1__replica_stats__init(r);
		replica_set_get(src->replicas, i, &st);
		r->name = (char *)st.name;
		r->state = (char *)replica_health_name(st.health);
		r->lag_ms = st.lag_ms;
		r->lag_bytes = st.lag_bytes;
		lsn[0] = '\0';
		if (st.replay_lsn != 0)
			replica_lsn_format(st.replay_lsn, lsn);
		r->replay_lsn = lsn;
		r->reads = (int64_t)st.reads;
		out->replicas[i] = r;
	}
	out->n_replicas = n;
	return CRUDDUR_OK;
}

cruddur_status
stats_snapshot_take(const stats_sources *src, arena *a, Cruddur__V1__GetStatsResponse *out)
{
	cruddur_status st;

	cruddur__v1__get_stats_response__init(out);
	out->uptime_us = clock_mono_us() - src->started_us;
	out->queue_capacity = src->queue_capacity;
	if ((st = take_methods(src, a, out)) == CRUDDUR_OK && (st = take_pool(src, a, out)) == CRUDDUR_OK &&
	    (st = take_transport(src, a, out)) == CRUDDUR_OK && (st = take_reactor(src, a, out)) == CRUDDUR_OK &&
	    (st = take_feed_cache(src, a, out)) == CRUDDUR_OK)
		st = take_replicas(src, a, out);
	return st;
}
