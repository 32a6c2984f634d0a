/*
 * svc_stats.c - the Stats service: requests by method and status, latency
 * percentiles, pool, queue, connections, read reactor and uptime, from
 * metrics.c, the pool, the transport's peer limits and the reactor.
 */
#include "base/clock.h"
#include "rpc/dispatch.h"
#include "server.h"
#include "net/transport.h"

static Cruddur__V1__MethodStats *
method_stats(rpc_context *ctx, const char *name, const method_snapshot *snap)
{
	Cruddur__V1__MethodStats *ms = rpc_alloc(ctx, sizeof(*ms));
	if (ms == NULL)
		return NULL;
	cruddur__v1__method_stats__init(ms);
	ms->statuses = rpc_alloc(ctx, METRICS_STATUSES * sizeof(*ms->statuses));
	if (ms->statuses == NULL)
		return NULL;
	ms->method = (char *)name;
	ms->count = (int64_t)snap->count;
	ms->p50_us = snap->p50_us;
	ms->p90_us = snap->p90_us;
	ms->p99_us = snap->p99_us;
	ms->max_us = snap->max_us;
	ms->sum_us = (int64_t)snap->sum_us;
	for (int s = 0; s < METRICS_STATUSES; s++) {
		if (snap->by_status[s] == 0)
			continue;
		Cruddur__V1__StatusCount *sc = rpc_alloc(ctx, sizeof(*sc));
		if (sc == NULL)
			return NULL;
		cruddur__v1__status_count__init(sc);
		sc->status = (Cruddur__V1__StatusCode)s;
		sc->count = (int64_t)snap->by_status[s];
		ms->statuses[ms->n_statuses++] = sc;
	}
	return ms;
}

static cruddur_status
fill_pool(rpc_context *ctx, Cruddur__V1__GetStatsResponse *resp)
{
	Cruddur__V1__PoolStats *ps = rpc_alloc(ctx, sizeof(*ps));
	pool_stats              st;

	if (ps == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	cruddur__v1__pool_stats__init(ps);
	pool_get_stats(ctx->server->pool, &st);
	ps->size = st.size;
	ps->in_use = st.in_use;
	ps->idle = st.idle;
	ps->waiting = st.waiting;
	ps->max_size = ctx->server->cfg.pool_max;
	ps->connects = (int64_t)st.connects;
	ps->connect_failures = (int64_t)st.connect_failures;
	ps->broken = (int64_t)st.broken;
	ps->backoff_refusals = (int64_t)st.backoff_refusals;
	ps->connect_fail_streak = st.fail_streak;
	ps->connect_backoff_ms = st.backoff_ms;
	resp->pool = ps;
	return CRUDDUR_OK;
}

static cruddur_status
fill_connections(rpc_context *ctx, Cruddur__V1__GetStatsResponse *resp)
{
	Cruddur__V1__ConnectionStats *cs;
	peers_stats                   st;

	if (ctx->server->transport == NULL)
		return CRUDDUR_OK;
	if ((cs = rpc_alloc(ctx, sizeof(*cs))) == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	cruddur__v1__connection_stats__init(cs);
	transport_connection_stats(ctx->server->transport, &st);
	cs->open = st.open;
	cs->max_connections = st.max_connections;
	cs->max_requests_per_connection = st.max_requests;
	cs->refused_connections = (int64_t)st.refused_connections;
	cs->refused_requests = (int64_t)st.refused_requests;
	cs->dropped_requests = (int64_t)st.dropped_requests;
	cs->send_timeouts = (int64_t)st.send_timeouts;
	cs->recv_timeouts = (int64_t)st.recv_timeouts;
	resp->connections = cs;
	return CRUDDUR_OK;
}

/* The read reactor's figures; none with --read-reactor off. */
static cruddur_status
fill_reactor(rpc_context *ctx, Cruddur__V1__GetStatsResponse *resp)
{
	Cruddur__V1__ReadReactorStats *rs;
	read_reactor_stats             st;

	if (ctx->server->reactor == NULL)
		return CRUDDUR_OK;
	if ((rs = rpc_alloc(ctx, sizeof(*rs))) == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	cruddur__v1__read_reactor_stats__init(rs);
	read_reactor_get_stats(ctx->server->reactor, &st);
	rs->waiting = (int32_t)st.waiting;
	rs->running = (int32_t)st.running;
	rs->queries = (int64_t)st.queries;
	rs->requests = (int64_t)st.requests;
	rs->pipelines = (int64_t)st.pipelines;
	rs->pipelined_queries = (int64_t)st.pipelined_queries;
	resp->read_reactor = rs;
	return CRUDDUR_OK;
}

static cruddur_status
get_stats(rpc_context *ctx, const Cruddur__V1__GetStatsRequest *req, Cruddur__V1__GetStatsResponse *resp)
{
	server *s = ctx->server;

	(void)req;
	resp->uptime_us = clock_mono_us() - s->started_us;
	resp->queue_capacity = s->cfg.queue_capacity;
	if (s->transport != NULL) {
		resp->queue_depth = transport_queue_depth(s->transport);
		resp->in_flight = transport_in_flight(s->transport);
	}
	resp->methods = rpc_alloc(ctx, (rpc_method_count + 1) * sizeof(*resp->methods));
	if (resp->methods == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i <= rpc_method_count; i++) {
		method_snapshot snap;
		size_t          index = i < rpc_method_count ? i : SIZE_MAX;
		metrics_snapshot(s->metrics, index, &snap);
		resp->requests_total += (int64_t)snap.count;
		if (snap.count == 0)
			continue;
		if ((resp->methods[resp->n_methods] = method_stats(ctx, dispatch_method_name(i), &snap)) == NULL)
			return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
		resp->n_methods++;
	}
	cruddur_status st = fill_pool(ctx, resp);
	if (st == CRUDDUR_OK)
		st = fill_connections(ctx, resp);
	return st == CRUDDUR_OK ? fill_reactor(ctx, resp) : st;
}

void
svc_stats_register(rpc_handlers *h)
{
	h->stats_get_stats = get_stats;
}
