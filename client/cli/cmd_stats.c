/*
 * cmd_stats.c - `cruddur stats`: what the server has done since it started.
 */
#include <stdio.h>

#include "args.h"
#include "cli.h"
#include "cmd_stats.h"
#include "print.h"

/* The HomeFeed page cache: "off" with no figures when the server has none
 * (--cache-bytes 0, or a server from before the cache, which sends no
 * feed_cache at all). */
static void
show_feed_cache(const Cruddur__V1__FeedCacheStats *fc)
{
	const char *state = fc != NULL && fc->listener_state != NULL && fc->listener_state[0] != '\0'
	                        ? fc->listener_state
	                        : "off";

	if (fc == NULL || (fc->bytes_limit == 0 && fc->hits == 0 && fc->misses == 0)) {
		printf("feed cache: off\n");
		return;
	}
	long long looked = (long long)fc->hits + (long long)fc->misses;
	printf("feed cache: listener %s; %lld hits, %lld misses (%.1f %% hits), %lld bypassed; "
	       "%lld pages, %.2f of %.2f MiB; %lld notices, %lld pages dropped by them\n",
	    state, (long long)fc->hits, (long long)fc->misses,
	    looked > 0 ? 100.0 * (double)fc->hits / (double)looked : 0.0, (long long)fc->bypassed,
	    (long long)fc->entries, (double)fc->bytes_held / 1048576.0,
	    (double)fc->bytes_limit / 1048576.0, (long long)fc->notices, (long long)fc->drops_by_notice);
}

static void
show_stats(const Cruddur__V1__GetStatsResponse *r)
{
	const Cruddur__V1__PoolStats *p = r->pool;

	printf("uptime %.1f s   requests %lld   in flight %d   queue %d/%d\n",
	    (double)r->uptime_us / 1e6, (long long)r->requests_total, r->in_flight, r->queue_depth,
	    r->queue_capacity);
	if (p != NULL)
		printf("pool: %d connections (%d in use, %d idle, %d waiting, max %d); "
		       "%lld connects, %lld failures, %lld broken\n",
		    p->size, p->in_use, p->idle, p->waiting, p->max_size, (long long)p->connects,
		    (long long)p->connect_failures, (long long)p->broken);
	if (p != NULL && (p->backoff_refusals > 0 || p->connect_fail_streak > 0))
		printf("pool backoff: %d connects failed in a row, next in %d ms; %lld calls refused at "
		       "once\n",
		    p->connect_fail_streak, p->connect_backoff_ms, (long long)p->backoff_refusals);
	if (r->connections != NULL) {
		const Cruddur__V1__ConnectionStats *cs = r->connections;
		printf("connections: %d open (max %d, %d requests in flight each); refused %lld "
		       "connections, %lld requests; dropped %lld requests; closed %lld not reading, "
		       "%lld stalled mid-request\n",
		    cs->open, cs->max_connections, cs->max_requests_per_connection,
		    (long long)cs->refused_connections, (long long)cs->refused_requests,
		    (long long)cs->dropped_requests, (long long)cs->send_timeouts,
		    (long long)cs->recv_timeouts);
	}
	if (r->read_reactor != NULL) {
		const Cruddur__V1__ReadReactorStats *rr = r->read_reactor;
		printf("read reactor: %d waiting, %d running; %lld queries for %lld requests (%.2f per query); "
		       "%lld pipelines of %.2f queries\n",
		    rr->waiting, rr->running, (long long)rr->queries, (long long)rr->requests,
		    rr->queries > 0 ? (double)rr->requests / (double)rr->queries : 0.0,
		    (long long)rr->pipelines,
		    rr->pipelines > 0 ? (double)rr->pipelined_queries / (double)rr->pipelines : 0.0);
	}
	show_feed_cache(r->feed_cache);
	for (size_t i = 0; i < r->n_replicas; i++) {
		const Cruddur__V1__ReplicaStats *rp = r->replicas[i];
		printf("replica %zu: %s, lag %lld ms / %lld bytes, replayed %s, %lld reads   %s\n", i,
		    rp->state, (long long)rp->lag_ms, (long long)rp->lag_bytes,
		    rp->replay_lsn[0] != '\0' ? rp->replay_lsn : "?", (long long)rp->reads, rp->name);
	}
	if (r->n_replicas > 0)
		printf("reads the primary served for want of a replica: %lld\n",
		    (long long)r->primary_reads);
	if (r->n_methods == 0)
		return;
	printf("\n%-40s %8s %9s %9s %9s %9s  %s\n", "METHOD", "COUNT", "p50 ms", "p90 ms", "p99 ms",
	    "max ms", "STATUSES");
	for (size_t i = 0; i < r->n_methods; i++) {
		const Cruddur__V1__MethodStats *m = r->methods[i];
		printf("%-40s %8lld %9.2f %9.2f %9.2f %9.2f ", m->method, (long long)m->count,
		    (double)m->p50_us / 1e3, (double)m->p90_us / 1e3, (double)m->p99_us / 1e3,
		    (double)m->max_us / 1e3);
		for (size_t j = 0; j < m->n_statuses; j++)
			printf(" %s=%lld", cruddur_status_name((cruddur_status)m->statuses[j]->status),
			    (long long)m->statuses[j]->count);
		printf("\n");
	}
}

int
cmd_stats(cli *c, int argc, char **argv)
{
	Cruddur__V1__GetStatsRequest   req = CRUDDUR__V1__GET_STATS_REQUEST__INIT;
	Cruddur__V1__GetStatsResponse *resp = NULL;
	const cli_args                 spec = { .what = "stats", .bad = "stats takes no arguments" };
	int                            rv, n_pos;

	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	cruddur_call_opts opts = cli_call_opts(c);
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_stats_get_stats(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("stats", st, &opts);
	if (c->json)
		print_json(stdout, &resp->base);
	else
		show_stats(resp);
	cruddur_message_free(resp);
	return 0;
}
