/*
 * svc_stats.c - the Stats service: requests by method and status, latency
 * percentiles, pool, queue, connections, read reactor and uptime, as one
 * stats snapshot (stats_snapshot.h) built in the request's arena.
 *
 * Where the figures come from is set once, by svc_stats_register, before
 * any request is served; the handler only reads the pointer then.
 */
#include "svc/svc_stats.h"

static const stats_sources *sources;

static cruddur_status
get_stats(rpc_context *ctx, const Cruddur__V1__GetStatsRequest *req, Cruddur__V1__GetStatsResponse *resp)
{
	(void)req;
	if (stats_snapshot_take(sources, ctx->arena, resp) != CRUDDUR_OK)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	return CRUDDUR_OK;
}

void
svc_stats_register(rpc_handlers *h, const stats_sources *src)
{
	sources = src;
	h->stats_get_stats = get_stats;
}
