/*
 * metrics_http.c - Prometheus text from a stats snapshot (the Stats RPC's
 * figures, svc/stats_snapshot.h), over nng's HTTP server. Names follow
 * Prometheus conventions: a cruddur_ prefix, base units (seconds), _total
 * for counters, labels for method and status. Latencies are a histogram
 * (cumulative _bucket series by le, _sum, _count) as the gRPC ecosystem
 * exports grpc_server_handling_seconds, so that Prometheus can take
 * quantiles over any window (histogram_quantile over rate()); the Stats
 * RPC keeps its own percentiles over the process's life.
 *
 * The handler runs on an nng thread; the snapshot only reads atomics and
 * takes the pool's mutex for a moment (pool_get_stats), so it never blocks
 * for long. Each scrape takes its snapshot in an arena of its own.
 *
 * With --require-token the figures are the Stats RPC's and need its token:
 * "Authorization: Bearer <token>", which is what Prometheus sends from a
 * scrape config's authorization.credentials_file (or bearer_token_file).
 * Without it the answer is 401 with a WWW-Authenticate challenge (RFC 6750)
 * and nothing else.
 *
 * HEAD /metrics is answered as GET without the body (RFC 9110 9.3.2; nng
 * drops the body and keeps Content-Length). nng maps HEAD to a GET handler
 * only when no other handler of the path takes the request, and the HTTP
 * gateway's tree handler on "/" (any method) does when it shares the
 * server: so HEAD has a handler of its own here.
 */
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "base/arena.h"
#include "net/metrics_http.h"
#include "rpc/auth.h"

struct metrics_http {
	metrics_http_config cfg;
	nng_http_server    *server;
};

static void
write_requests(const Cruddur__V1__GetStatsResponse *snap, FILE *f)
{
	fputs("# HELP cruddur_requests_total Requests answered, by method and status.\n"
	      "# TYPE cruddur_requests_total counter\n", f);
	for (size_t i = 0; i < snap->n_methods; i++) {
		const Cruddur__V1__MethodStats *m = snap->methods[i];
		for (size_t j = 0; j < m->n_statuses; j++)
			fprintf(f, "cruddur_requests_total{method=\"%s\",status=\"%s\"} %llu\n", m->method,
			    cruddur_status_name((cruddur_status)m->statuses[j]->status),
			    (unsigned long long)m->statuses[j]->count);
	}
	/* A histogram as the gRPC ecosystem exports one (grpc_server_handling_seconds):
	 * cumulative buckets by "le" in seconds, then _sum and _count; _count is the
	 * +Inf bucket's, so that the two agree even while requests are recorded. */
	fputs("# HELP cruddur_request_duration_seconds Time from a request's arrival to its reply.\n"
	      "# TYPE cruddur_request_duration_seconds histogram\n", f);
	for (size_t i = 0; i < snap->n_methods; i++) {
		const Cruddur__V1__MethodStats *m = snap->methods[i];
		const char                     *name = m->method;
		unsigned long long              all = 0;
		if (m->n_le_counts != m->n_le_us + 1)
			continue; /* not this server's snapshot: nothing to export */
		for (size_t b = 0; b < m->n_le_us; b++)
			fprintf(f, "cruddur_request_duration_seconds_bucket{method=\"%s\",le=\"%g\"} %llu\n",
			    name, (double)m->le_us[b] / 1e6, (unsigned long long)m->le_counts[b]);
		all = (unsigned long long)m->le_counts[m->n_le_us];
		fprintf(f, "cruddur_request_duration_seconds_bucket{method=\"%s\",le=\"+Inf\"} %llu\n", name, all);
		fprintf(f, "cruddur_request_duration_seconds_sum{method=\"%s\"} %.6f\n", name, (double)m->sum_us / 1e6);
		fprintf(f, "cruddur_request_duration_seconds_count{method=\"%s\"} %llu\n", name, all);
	}
}

static void
gauge(FILE *f, const char *name, const char *help, const char *type, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

/* The peers' connections and what their limits did (peer_limits.h). */
static void
write_connections(const Cruddur__V1__ConnectionStats *cs, FILE *f)
{
	gauge(f, "cruddur_connections", "Peer connections open.", "gauge", cs->open);
	gauge(f, "cruddur_max_connections", "--max-connections.", "gauge", cs->max_connections);
	gauge(f, "cruddur_max_requests_per_connection", "--max-requests-per-connection in effect.",
	    "gauge", cs->max_requests_per_connection);
	gauge(f, "cruddur_refused_connections_total",
	    "Connections closed at once: --max-connections were open.", "counter",
	    (double)cs->refused_connections);
	gauge(f, "cruddur_refused_requests_total",
	    "Requests answered RESOURCE_EXHAUSTED: their connection had its share in flight.",
	    "counter", (double)cs->refused_requests);
	gauge(f, "cruddur_dropped_requests_total",
	    "Requests dropped unanswered: their connection read neither replies nor refusals.",
	    "counter", (double)cs->dropped_requests);
	gauge(f, "cruddur_send_timeouts_total",
	    "Connections closed: a reply waited past --send-timeout-ms.", "counter",
	    (double)cs->send_timeouts);
	gauge(f, "cruddur_recv_timeouts_total",
	    "Connections closed: a request stayed partly received past --recv-timeout-ms.", "counter",
	    (double)cs->recv_timeouts);
}

static void
write_pool(const Cruddur__V1__PoolStats *ps, FILE *f)
{
	fputs("# HELP cruddur_pool_connections Database connections of the pool, by state.\n"
	      "# TYPE cruddur_pool_connections gauge\n", f);
	fprintf(f, "cruddur_pool_connections{state=\"in_use\"} %d\n", ps->in_use);
	fprintf(f, "cruddur_pool_connections{state=\"idle\"} %d\n", ps->idle);
	gauge(f, "cruddur_pool_max_connections", "The pool's maximum size.", "gauge", ps->max_size);
	gauge(f, "cruddur_pool_waiting", "Requests waiting for a database connection.", "gauge", ps->waiting);
	gauge(f, "cruddur_pool_connects_total", "Connections the pool made.", "counter", (double)ps->connects);
	gauge(f, "cruddur_pool_connect_failures_total", "Connection attempts that failed.", "counter",
	    (double)ps->connect_failures);
	gauge(f, "cruddur_pool_broken_connections_total", "Connections closed because they broke.",
	    "counter", (double)ps->broken);
	gauge(f, "cruddur_pool_backoff_refusals_total",
	    "Calls refused at once because connecting backs off after failures.", "counter",
	    (double)ps->backoff_refusals);
	gauge(f, "cruddur_pool_connect_fail_streak", "Connects failed in a row (0: connecting works).",
	    "gauge", ps->connect_fail_streak);
	gauge(f, "cruddur_pool_connect_backoff_seconds", "The wait before the next connect (0: none).",
	    "gauge", ps->connect_backoff_ms / 1000.0);
}

static void
write_reactor(const Cruddur__V1__ReadReactorStats *rs, FILE *f)
{
	gauge(f, "cruddur_read_reactor_waiting", "HomeFeed requests waiting for a database connection.",
	    "gauge", (double)rs->waiting);
	gauge(f, "cruddur_read_reactor_running", "HomeFeed queries running.", "gauge",
	    (double)rs->running);
	gauge(f, "cruddur_read_reactor_queries_total", "HomeFeed queries sent by the read reactor.",
	    "counter", (double)rs->queries);
	gauge(f, "cruddur_read_reactor_requests_total",
	    "HomeFeed requests the read reactor took (requests / queries: coalescing).", "counter",
	    (double)rs->requests);
	gauge(f, "cruddur_read_reactor_pipelines_total",
	    "Pipelines the read reactor sent (several queries in one go).", "counter",
	    (double)rs->pipelines);
	gauge(f, "cruddur_read_reactor_pipelined_queries_total",
	    "Queries the read reactor sent in pipelines (part of its queries).", "counter",
	    (double)rs->pipelined_queries);
}

/* The HomeFeed page cache; its listener's state as one series per state,
 * 1 for the current one (the usual form of an enum in Prometheus, so that
 * a state left shows as 0, not as a series that vanished). */
static void
write_feed_cache(const Cruddur__V1__FeedCacheStats *fc, FILE *f)
{
	static const char *const states[] = { "listening", "connecting", "down", "off" };

	gauge(f, "cruddur_feed_cache_hits_total", "HomeFeed calls answered from the page cache.",
	    "counter", (double)fc->hits);
	gauge(f, "cruddur_feed_cache_misses_total", "HomeFeed calls the page cache could not answer.",
	    "counter", (double)fc->misses);
	gauge(f, "cruddur_feed_cache_drops_by_notice_total",
	    "Cached pages dropped because a notification made them stale.", "counter",
	    (double)fc->drops_by_notice);
	gauge(f, "cruddur_feed_cache_bytes", "Bytes of pages the cache holds.", "gauge",
	    (double)fc->bytes_held);
	gauge(f, "cruddur_feed_cache_bytes_limit", "--cache-bytes (0: no cache).", "gauge",
	    (double)fc->bytes_limit);
	gauge(f, "cruddur_feed_cache_entries", "Pages the cache holds.", "gauge", (double)fc->entries);
	gauge(f, "cruddur_feed_cache_bypassed_total",
	    "HomeFeed calls that skipped the cache (listener not listening, or STRONG).", "counter",
	    (double)fc->bypassed);
	gauge(f, "cruddur_feed_cache_notices_total", "Notifications the cache's listener received.",
	    "counter", (double)fc->notices);
	fputs("# HELP cruddur_feed_cache_listener_up The cache listener's state: 1 for the current one.\n"
	      "# TYPE cruddur_feed_cache_listener_up gauge\n", f);
	bool known = false;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		bool now = fc->listener_state != NULL && strcmp(fc->listener_state, states[i]) == 0;
		known |= now;
		fprintf(f, "cruddur_feed_cache_listener_up{state=\"%s\"} %d\n", states[i], now ? 1 : 0);
	}
	/* A state this printer does not know yet still shows, if it is printable as a label. */
	if (!known && fc->listener_state != NULL && fc->listener_state[0] != '\0' &&
	    strpbrk(fc->listener_state, "\"\\\n") == NULL)
		fprintf(f, "cruddur_feed_cache_listener_up{state=\"%s\"} 1\n", fc->listener_state);
}

/* Each --db-replica by its place in the list (its URL is in Stats, not
 * in a label: a URL may hold what a label cannot). */
static void
write_replicas(const Cruddur__V1__GetStatsResponse *snap, FILE *f)
{
	fputs("# HELP cruddur_replica_healthy 1 while the replica takes reads.\n"
	      "# TYPE cruddur_replica_healthy gauge\n", f);
	for (size_t i = 0; i < snap->n_replicas; i++)
		fprintf(f, "cruddur_replica_healthy{replica=\"%zu\",state=\"%s\"} %d\n", i,
		    snap->replicas[i]->state, strcmp(snap->replicas[i]->state, "healthy") == 0);
	fputs("# HELP cruddur_replica_lag_seconds How long ago the primary passed the replica's "
	      "replay position (-1: unknown).\n# TYPE cruddur_replica_lag_seconds gauge\n", f);
	for (size_t i = 0; i < snap->n_replicas; i++)
		fprintf(f, "cruddur_replica_lag_seconds{replica=\"%zu\"} %.3f\n", i,
		    snap->replicas[i]->lag_ms < 0 ? -1.0 : snap->replicas[i]->lag_ms / 1000.0);
	fputs("# HELP cruddur_replica_lag_bytes WAL bytes the replica has yet to replay (-1: unknown).\n"
	      "# TYPE cruddur_replica_lag_bytes gauge\n", f);
	for (size_t i = 0; i < snap->n_replicas; i++)
		fprintf(f, "cruddur_replica_lag_bytes{replica=\"%zu\"} %lld\n", i,
		    (long long)snap->replicas[i]->lag_bytes);
	fputs("# HELP cruddur_replica_reads_total Reads given to the replica.\n"
	      "# TYPE cruddur_replica_reads_total counter\n", f);
	for (size_t i = 0; i < snap->n_replicas; i++)
		fprintf(f, "cruddur_replica_reads_total{replica=\"%zu\"} %lld\n", i,
		    (long long)snap->replicas[i]->reads);
	gauge(f, "cruddur_replica_primary_reads_total",
	    "Reads that may use a replica but went to the primary.", "counter",
	    (double)snap->primary_reads);
}

/* The order of the sections is the one scrapers have always seen. */
void
metrics_write_prometheus(const Cruddur__V1__GetStatsResponse *snap, FILE *f)
{
	write_requests(snap, f);
	if (snap->pool != NULL)
		write_pool(snap->pool, f);
	gauge(f, "cruddur_queue_capacity", "Requests that may wait for a worker.", "gauge", snap->queue_capacity);
	/* The queue's figures, like the connections, exist while the transport serves. */
	if (snap->connections != NULL) {
		gauge(f, "cruddur_queue_depth", "Requests waiting for a worker.", "gauge", snap->queue_depth);
		gauge(f, "cruddur_in_flight_requests", "Requests received and not yet answered.", "gauge",
		    snap->in_flight);
		write_connections(snap->connections, f);
	}
	if (snap->read_reactor != NULL)
		write_reactor(snap->read_reactor, f);
	if (snap->feed_cache != NULL)
		write_feed_cache(snap->feed_cache, f);
	if (snap->n_replicas > 0)
		write_replicas(snap, f);
	gauge(f, "cruddur_uptime_seconds", "Seconds since the server started.", "gauge",
	    (double)snap->uptime_us / 1e6);
}

/* The text of a snapshot taken now, in *text (malloc'd, the caller frees)
 * of *len bytes. Returns 0 or NNG_ENOMEM. */
static int
scrape(const stats_sources *src, char **text, size_t *len)
{
	Cruddur__V1__GetStatsResponse snap;
	arena                        *a = arena_new();
	FILE                         *f = NULL;
	int                           rv = NNG_ENOMEM;

	if (a != NULL && stats_snapshot_take(src, a, &snap) == CRUDDUR_OK &&
	    (f = open_memstream(text, len)) != NULL) {
		metrics_write_prometheus(&snap, f);
		rv = fclose(f) == 0 ? 0 : NNG_ENOMEM;
	}
	arena_free(a);
	return rv;
}

/* The 401 for a scrape without the token: the challenge, a line of text. */
static int
refuse(nng_http_res **res)
{
	static const char why[] = "/metrics needs the token: send \"Authorization: Bearer <token>\"\n";
	int               rv;

	if ((rv = nng_http_res_alloc(res)) == 0 &&
	    (rv = nng_http_res_set_status(*res, NNG_HTTP_STATUS_UNAUTHORIZED)) == 0 &&
	    (rv = nng_http_res_set_header(*res, "WWW-Authenticate", "Bearer realm=\"cruddur\"")) == 0 &&
	    (rv = nng_http_res_set_header(*res, "Content-Type", "text/plain; charset=utf-8")) == 0)
		rv = nng_http_res_copy_data(*res, why, sizeof(why) - 1);
	return rv;
}

static void
serve_metrics(nng_aio *aio)
{
	nng_http_req       *req = nng_aio_get_input(aio, 0);
	const metrics_http *h = nng_http_handler_get_data(nng_aio_get_input(aio, 1));
	nng_http_res       *res = NULL;
	char               *text = NULL;
	size_t              len = 0;
	int                 rv;

	if (!auth_check_bearer(h->cfg.auth, nng_http_req_get_header(req, "Authorization")))
		rv = refuse(&res);
	else if ((rv = scrape(h->cfg.sources, &text, &len)) == 0 && (rv = nng_http_res_alloc(&res)) == 0 &&
	    (rv = nng_http_res_set_header(res, "Content-Type", "text/plain; version=0.0.4; charset=utf-8")) == 0)
		rv = nng_http_res_copy_data(res, text, len);
	free(text);
	if (rv != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

/* A handler of /metrics for method on h's server (which owns it from then on). */
static int
add_handler(metrics_http *h, const char *method)
{
	nng_http_handler *handler;
	int               rv;

	if ((rv = nng_http_handler_alloc(&handler, "/metrics", serve_metrics)) != 0)
		return rv;
	if ((rv = nng_http_handler_set_method(handler, method)) != 0 ||
	    (rv = nng_http_handler_set_data(handler, h, NULL)) != 0 ||
	    (rv = nng_http_server_add_handler(h->server, handler)) != 0)
		nng_http_handler_free(handler);
	return rv;
}

int
metrics_http_start(metrics_http **out, const metrics_http_config *cfg, char *err, size_t errlen)
{
	metrics_http *h = calloc(1, sizeof(*h));
	nng_url      *u = NULL;
	int           rv;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->cfg = *cfg;
	if ((rv = nng_url_parse(&u, cfg->url)) != 0 || (rv = nng_http_server_hold(&h->server, u)) != 0)
		goto fail;
	if ((rv = add_handler(h, "GET")) != 0 || (rv = add_handler(h, "HEAD")) != 0 ||
	    (rv = nng_http_server_start(h->server)) != 0)
		goto fail;
	nng_url_free(u);
	*out = h;
	return 0;
fail:
	snprintf(err, errlen, "cannot serve metrics on %s: %s", cfg->url, nng_strerror(rv));
	if (h->server != NULL)
		nng_http_server_release(h->server);
	if (u != NULL)
		nng_url_free(u);
	free(h);
	return -1;
}

void
metrics_http_stop(metrics_http *h)
{
	if (h == NULL)
		return;
	nng_http_server_stop(h->server);
	nng_http_server_release(h->server);
	free(h);
}
