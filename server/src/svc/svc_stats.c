/*
 * svc_stats.c - the Stats service: requests by method and status, latency
 * percentiles, pool, queue, connections, read reactor and uptime, as one
 * stats snapshot (stats_snapshot.h) built in the request's arena, from
 * the sources in ctx->env.
 */
#include "svc/registry.h"
#include "svc/stats_snapshot.h"
#include "svc/svc_env.h"

static cruddur_status
get_stats(rpc_context *ctx, const Cruddur__V1__GetStatsRequest *req, Cruddur__V1__GetStatsResponse *resp)
{
	(void)req;
	if (stats_snapshot_take(ctx->env->stats, ctx->arena, resp) != CRUDDUR_OK)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	return CRUDDUR_OK;
}

void
svc_stats_register(svc_registration *r)
{
	r->handlers.stats_get_stats = get_stats;
}
