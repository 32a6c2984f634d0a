/*
 * http_gateway.c - HTTP requests in, RPC calls out; see http_gateway.h.
 *
 * One nng HTTP handler (tree "/", every method) per server; a
 * --metrics-listen on the same address shares the server
 * (nng_http_server_hold), and its /metrics handler, being longer, wins for
 * GET /metrics. A request goes
 *
 *   handler (nng thread): cap, drain, path -> method or /api route, method
 *     -> body: 100 Continue if asked, read with a timeout (our aio)
 *     -> JSON -> request message -> RequestEnvelope (method, "authorization"
 *        metadata = the Authorization header verbatim, deadline, body)
 *     -> dispatch_accept, as the nng door's receive callback does, then
 *        transport_submit_call: the same work queue and workers
 *   reply fn (whichever thread answered) -> http_reply.c -> nng_aio_finish
 *
 * So the checks, statuses, metrics and the request log line are the
 * dispatcher's; this file only turns HTTP into envelopes.
 *
 * Bounds. The body: nng's own body collection answers 400 to a
 * Content-Length over its maxbody and does not speak chunked bodies at all
 * (nng 1.5.2 http_server.c, http_sconn_rxdone), so the gateway reads the
 * body itself: a Content-Length over --max-request-bytes gets 413 before a
 * byte of it is read (and the connection closes: the body is still on the
 * wire), a Transfer-Encoding gets 411 (close), and the body must arrive
 * within body_timeout_ms (--recv-timeout-ms), or the connection closes. The calls: at most max_in_flight
 * are held at once (from the handler to the response); more get 429 at
 * once, so memory is bounded by max_in_flight * max_request_bytes.
 *
 * Not bounded, and not ours to bound: nng 1.5.2's HTTP server sets no
 * timeout on reading a request's header (http_sconn_rxdone reads with an
 * aio that has none) and no limit on connections, so a peer that sends
 * half a header and stalls holds its connection (a descriptor and a few kB)
 * until it goes away. Put a proxy with header timeouts in front of a
 * gateway that faces the Internet (docs/HTTP.md).
 *
 * The servers' start and stop are http_gateway_server.c's.
 *
 * Locking: a call belongs to one thread at a time. The gateway's counts
 * are atomics; closing is a flag and a count of the calls on their way to
 * the transport (entering), which http_gateway_close waits to reach 0:
 * seq_cst on both sides, so either the call sees closed or close sees it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nng/nng.h>

#include "base/clock.h"
#include "cruddur/client.h"
#include "cruddur/json.h"
#include "envelope.h"
#include "net/http_gateway_internal.h"
#include "obs/log.h"

static void start_call(gw_call *c);

/* transport_job.run, on a worker. */
static void
call_run(transport_job *job)
{
	gw_call  *c = (gw_call *)job;
	rpc_call *call = c->call;

	c->call = NULL;
	dispatch_run(call); /* replies through call_replied; c may be gone */
}

/* dispatch_reply_fn. */
static void
call_replied(void *owner, nng_msg *reply)
{
	gw_call *c = owner;

	if (c->began)
		transport_call_end(c->gw->cfg.transport);
	c->began = false;
	gw_reply_rpc(c, reply);
}

/* The deadline header: a whole number of milliseconds, 1 to 2^32 - 1. */
static bool
parse_deadline(const char *s, uint32_t *out)
{
	unsigned long long v = 0;

	if (s == NULL) {
		*out = 0;
		return true;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++)
		if ((v = v * 10 + (unsigned)(*s - '0')) > UINT32_MAX)
			return false;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0' || v == 0)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The status of the error body for an HTTP code http_route_plan refused
 * with (404, 405, 400, or 500 when it ran out of memory). */
static cruddur_status
route_refusal_status(int http)
{
	switch (http) {
	case 404: return CRUDDUR_NOT_FOUND;
	case 405: return CRUDDUR_UNIMPLEMENTED;
	case 500: return CRUDDUR_INTERNAL;
	default:  return CRUDDUR_INVALID_ARGUMENT;
	}
}

/* The allowed Origin of the request, or NULL (no Origin, no CORS, not allowed). */
static const char *
allowed_origin(const http_gateway *gw, nng_http_req *req)
{
	const char *origin = nng_http_req_get_header(req, "Origin");

	if (origin == NULL)
		return NULL;
	for (size_t i = 0; i < gw->cfg.n_cors_origins; i++)
		if (strcmp(gw->cfg.cors_origins[i], "*") == 0 || strcmp(gw->cfg.cors_origins[i], origin) == 0)
			return origin;
	return NULL;
}

/* Whether the request is a browser's from a page of an origin that CORS does
 * not allow: it names an Origin that is not allowed and is not the server's
 * own (the Host it was sent to). A browser sends such a POST with a "simple"
 * Content-Type (text/plain) without asking first (no preflight), so without
 * this check any web page could write through a visitor's gateway. */
static bool
foreign_origin(const gw_call *c)
{
	const char *origin = nng_http_req_get_header(c->req, "Origin");
	const char *host = nng_http_req_get_header(c->req, "Host");
	const char *p = origin != NULL ? strstr(origin, "://") : NULL;

	if (origin == NULL || c->origin != NULL)
		return false;
	return p == NULL || host == NULL || strcasecmp(p + 3, host) != 0;
}

/* The request as an envelope around body (packed already), in *msg. */
static int
make_envelope(gw_call *c, const uint8_t *body, size_t len, nng_msg **msg)
{
	Cruddur__V1__RequestEnvelope  env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry    auth = CRUDDUR__V1__METADATA_ENTRY__INIT;
	Cruddur__V1__MetadataEntry   *md[1] = { &auth };
	const char                   *authz = nng_http_req_get_header(c->req, "Authorization");

	env.method = (char *)c->method->full_name;
	env.request_id = c->request_id;
	env.deadline_ms = c->deadline_ms;
	env.body.data = (uint8_t *)body;
	env.body.len = len;
	if (authz != NULL) {
		auth.key = "authorization";
		auth.value = (char *)authz;
		env.metadata = md;
		env.n_metadata = 1;
	}
	return cruddur_i_envelope_to_msg(&env.base, msg);
}

/* The request message of the call, packed: the /api route's, or the JSON
 * body's (empty: {}). Returns 0, or answers the call and returns -1. */
static int
pack_request(gw_call *c, uint8_t **buf, size_t *len)
{
	ProtobufCMessage *m = NULL;
	char              err[512];
	cruddur_status    st;

	if (c->api) {
		const char *allow = NULL;
		int http = http_route_plan(c->http_method, c->path, c->query, c->body, c->body_len,
		    c->arena, &c->route, &allow, err, sizeof(err));
		if (http != 0) {
			st = route_refusal_status(http);
			gw_reply_error(c, (uint16_t)http, st, err, http == 405 ? allow : NULL, false);
			return -1;
		}
		c->method = c->route.method;
		*buf = cruddur_i_envelope_pack_alloc(c->route.request, len);
	} else {
		st = c->body_len == 0 ?
		    cruddur_json_parse(c->method->input, "{}", 2, &m, err, sizeof(err)) :
		    cruddur_json_parse(c->method->input, c->body, c->body_len, &m, err, sizeof(err));
		if (st != CRUDDUR_OK) {
			gw_reply_error(c, 0, st, err, NULL, false);
			return -1;
		}
		*buf = cruddur_i_envelope_pack_alloc(m, len);
		cruddur_message_free(m);
	}
	if (*buf == NULL) {
		gw_reply_error(c, 0, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory", NULL, false);
		return -1;
	}
	return 0;
}

/* The body is in: the call goes to the dispatcher, as the nng door's do. */
static void
start_call(gw_call *c)
{
	http_gateway *gw = c->gw;
	transport    *t = gw->cfg.transport;
	uint8_t      *buf = NULL;
	size_t        len = 0;
	nng_msg      *msg = NULL;
	rpc_call     *call;

	c->body_consumed = true;
	if (pack_request(c, &buf, &len) != 0)
		return;
	int rv = make_envelope(c, buf, len, &msg);
	free(buf);
	if (rv != 0) {
		gw_reply_error(c, 0, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory", NULL, false);
		return;
	}
	atomic_fetch_add(&gw->entering, 1);
	if (atomic_load(&gw->closed) || atomic_load(gw->cfg.draining)) {
		atomic_fetch_sub(&gw->entering, 1);
		nng_msg_free(msg);
		gw_reply_error(c, 0, CRUDDUR_UNAVAILABLE, "the server is shutting down", NULL, false);
		return;
	}
	transport_call_begin(t);
	c->began = true;
	/* From here c may be answered and freed on any thread at any time. */
	call = dispatch_accept(gw->cfg.dispatch, msg, c->received_us, call_replied, c);
	nng_msg_free(msg);
	if (call != NULL) {
		c->call = call;
		if (!transport_submit_call(t, &c->job)) {
			c->call = NULL;
			dispatch_refuse(call, CRUDDUR_RESOURCE_EXHAUSTED,
			    "the server is overloaded: its work queue is full");
		}
	}
	atomic_fetch_sub(&gw->entering, 1);
}

/* The body aio's callback: "100 Continue" went out, or the body came in. */
static void
body_done(void *arg)
{
	gw_call *c = arg;
	int      rv = nng_aio_result(c->body_aio);

	/* A read that timed out has closed the connection already (nng's
	 * http_conn does on a cancelled read): no 408 can reach the peer. */
	if (rv == NNG_ETIMEDOUT)
		log_info("msg=\"HTTP request body not received in time: connection closed\" id=%llu "
		         "timeout_ms=%d", (unsigned long long)c->request_id, c->gw->cfg.body_timeout_ms);
	if (rv != 0) { /* timed out, the peer went away, or the server stops */
		nng_aio_finish(c->aio, rv);
		gw_call_free(c);
		return;
	}
	if (!c->continue_sent) {
		nng_iov iov = { .iov_buf = c->body, .iov_len = c->body_len };
		c->continue_sent = true;
		nng_aio_set_iov(c->body_aio, 1, &iov);
		nng_http_conn_read_all(c->conn, c->body_aio);
		return;
	}
	start_call(c);
}

/* Reads the body that Content-Length announces, or answers why not.
 * Returns true when the call may go on at once (no body). */
static bool
read_body(gw_call *c)
{
	static char  cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	const char  *cl = nng_http_req_get_header(c->req, "Content-Length");
	const char  *expect = nng_http_req_get_header(c->req, "Expect");
	unsigned long long n = 0;
	nng_iov      iov;

	if (nng_http_req_get_header(c->req, "Transfer-Encoding") != NULL) {
		gw_reply_error(c, 411, CRUDDUR_INVALID_ARGUMENT,
		    "send the body with a Content-Length (chunked bodies are not read)", NULL, true);
		return false;
	}
	if (cl == NULL)
		return true;
	/* An empty value is no length either: taken as 0, its body would be
	 * read as the next request. */
	bool bad_cl = cl[0] == '\0';
	for (const char *p = cl; !bad_cl && *p != '\0'; p++) {
		bad_cl = !isdigit((unsigned char)*p) || n > (1ULL << 40);
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (bad_cl) {
		gw_reply_error(c, 400, CRUDDUR_INVALID_ARGUMENT, "bad Content-Length", NULL, true);
		return false;
	}
	if (n > c->gw->cfg.max_request_bytes) {
		char why[160];
		snprintf(why, sizeof(why), "request body of %llu bytes exceeds the limit of %zu bytes", n,
		    c->gw->cfg.max_request_bytes);
		gw_reply_error(c, 413, CRUDDUR_RESOURCE_EXHAUSTED, why, NULL, true);
		return false;
	}
	if (n == 0)
		return true;
	c->body_len = (size_t)n;
	if ((c->body = malloc(c->body_len)) == NULL ||
	    nng_aio_alloc(&c->body_aio, body_done, c) != 0) {
		gw_reply_error(c, 0, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory", NULL, true);
		return false;
	}
	nng_aio_set_timeout(c->body_aio, c->gw->cfg.body_timeout_ms > 0 ?
	    c->gw->cfg.body_timeout_ms : NNG_DURATION_INFINITE);
	/* An HTTP/1.0 client knows no 100 (RFC 9110 10.1.1: ignore its expectation). */
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0 &&
	    strcmp(nng_http_req_get_version(c->req), "HTTP/1.0") != 0) {
		iov = (nng_iov){ .iov_buf = cont, .iov_len = sizeof(cont) - 1 };
		nng_aio_set_iov(c->body_aio, 1, &iov);
		nng_http_conn_write_all(c->conn, c->body_aio);
		return false;
	}
	c->continue_sent = true;
	iov = (nng_iov){ .iov_buf = c->body, .iov_len = c->body_len };
	nng_aio_set_iov(c->body_aio, 1, &iov);
	nng_http_conn_read_all(c->conn, c->body_aio);
	return false;
}

/* Splits the request's URI into path and query (copies, in c's arena). */
static bool
split_uri(gw_call *c)
{
	const char *uri = nng_http_req_get_uri(c->req);
	const char *q = strchr(uri, '?');

	c->path = arena_strndup(c->arena, uri, q != NULL ? (size_t)(q - uri) : strlen(uri));
	c->query = q != NULL ? arena_strdup(c->arena, q + 1) : NULL;
	return c->path != NULL && (q == NULL || c->query != NULL);
}

/* OPTIONS: which methods the path takes. */
static void
answer_options(gw_call *c)
{
	const char *allow = NULL;
	char        err[256], list[64];

	if (!c->api) {
		gw_reply_options(c, "POST, OPTIONS");
		return;
	}
	int http = http_route_plan("OPTIONS", c->path, c->query, NULL, 0, c->arena, &c->route,
	    &allow, err, sizeof(err));
	if (http == 405 && allow != NULL) {
		snprintf(list, sizeof(list), "%s%s, OPTIONS", allow,
		    strcmp(allow, "GET") == 0 ? ", HEAD" : "");
		gw_reply_options(c, list);
	} else if (http == 0)
		gw_reply_options(c, "OPTIONS");
	else
		gw_reply_error(c, (uint16_t)http, route_refusal_status(http), err, NULL, false);
}

void
gw_serve(nng_aio *aio)
{
	http_gateway *gw = nng_http_handler_get_data(nng_aio_get_input(aio, 1));
	gw_call      *c = calloc(1, sizeof(*c));
	const char   *method;

	if (c == NULL || (c->arena = arena_new()) == NULL) {
		free(c);
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	atomic_fetch_add(&gw->calls, 1);
	c->job.run = call_run;
	c->gw = gw;
	c->aio = aio;
	c->req = nng_aio_get_input(aio, 0);
	c->conn = nng_aio_get_input(aio, 2);
	c->received_us = clock_mono_us();
	c->request_id = atomic_fetch_add(&gw->next_id, 1);
	c->origin = allowed_origin(gw, c->req);
	method = nng_http_req_get_method(c->req);
	c->http_method = strcmp(method, "HEAD") == 0 ? "GET" : method;
	if (atomic_load(&gw->calls) > gw->cfg.max_in_flight) {
		gw_reply_error(c, 0, CRUDDUR_RESOURCE_EXHAUSTED,
		    "too many HTTP calls in flight: try again shortly", NULL, false);
		return;
	}
	if (atomic_load(&gw->closed) || atomic_load(gw->cfg.draining)) {
		gw_reply_error(c, 0, CRUDDUR_UNAVAILABLE, "the server is shutting down", NULL, false);
		return;
	}
	if (!split_uri(c)) {
		gw_reply_error(c, 0, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory", NULL, false);
		return;
	}
	c->api = strncmp(c->path, "/api/", 5) == 0 || strcmp(c->path, "/api") == 0;
	if (!c->api) {
		const rpc_method_entry *e = c->path[0] == '/' ? dispatch_find_method(c->path + 1) : NULL;
		if (e == NULL) {
			gw_reply_error(c, 404, CRUDDUR_NOT_FOUND,
			    "no such method: POST /<package.Service>/<Method>, e.g. "
			    "/cruddur.v1.Activities/HomeFeed, or a route under /api/", NULL, false);
			return;
		}
		c->method = e->method;
	}
	if (strcmp(method, "OPTIONS") == 0) {
		answer_options(c);
		return;
	}
	if (strcmp(c->http_method, "GET") != 0 && foreign_origin(c)) {
		gw_reply_error(c, 403, CRUDDUR_PERMISSION_DENIED,
		    "a request from a web page of another origin: allow its origin with --http-cors-origin",
		    NULL, false);
		return;
	}
	if (!c->api && strcmp(method, "POST") != 0) {
		gw_reply_error(c, 405, CRUDDUR_UNIMPLEMENTED,
		    "an RPC is called with POST and its request as JSON", "POST, OPTIONS", false);
		return;
	}
	if (!parse_deadline(nng_http_req_get_header(c->req, "X-Cruddur-Deadline-Ms"), &c->deadline_ms)) {
		gw_reply_error(c, 400, CRUDDUR_INVALID_ARGUMENT,
		    "X-Cruddur-Deadline-Ms is a whole number of milliseconds from 1 to 4294967295",
		    NULL, false);
		return;
	}
	if (read_body(c))
		start_call(c);
}
