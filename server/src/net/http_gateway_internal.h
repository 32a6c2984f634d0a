/*
 * http_gateway_internal.h - what http_gateway.c (the requests, the calls) and
 * http_reply.c (the responses) share. Private to those files.
 */
#ifndef CRUDDUR_HTTP_GATEWAY_INTERNAL_H
#define CRUDDUR_HTTP_GATEWAY_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "base/arena.h"
#include "net/http_gateway.h"
#include "net/http_routes.h"

#define HTTP_GATEWAY_MAX_SERVERS 16

struct http_gateway {
	http_gateway_config cfg;
	nng_http_server    *servers[HTTP_GATEWAY_MAX_SERVERS];
	nng_url            *urls[HTTP_GATEWAY_MAX_SERVERS];
	size_t              n_servers;
	atomic_int          calls;    /* held: from the handler to nng_aio_finish */
	atomic_int          entering; /* on their way to the transport (close waits) */
	atomic_bool         closed;
	atomic_uint_fast64_t next_id; /* request ids, for the log line */
};

/* One HTTP request, from nng's handler callback to its response. Owned by
 * whichever thread holds it: nng's (handler, body read), a worker, the
 * thread completing a deferred call. */
typedef struct gw_call {
	transport_job         job; /* first: the work queue holds it */
	http_gateway         *gw;
	nng_aio              *aio;  /* nng's, for the response */
	nng_http_req         *req;  /* nng's, valid until aio finishes */
	nng_http_conn        *conn;
	nng_aio              *body_aio; /* ours: 100 Continue, then the body; NULL: none */
	bool                  continue_sent;
	rpc_call             *call;  /* accepted, waiting for a worker */
	arena                *arena; /* the route's request, the path and query */
	const cruddur_method *method;
	bool                  api;     /* an /api route: rendered by http_route_render */
	http_route            route;
	const char           *http_method; /* "GET" for HEAD */
	char                 *path, *query; /* in arena; query NULL: none */
	char                 *body;
	size_t                body_len;
	uint32_t              deadline_ms;
	uint64_t              request_id;
	int64_t               received_us;
	const char           *origin; /* an allowed Origin (CORS headers), else NULL */
	bool                  began;  /* transport_call_begin was called */
	bool                  body_consumed; /* read whole, or there was none */
} gw_call;

/* nng's handler callback (http_gateway.c): every request to a gateway's
 * server but GET /metrics. */
void gw_serve(nng_aio *aio);

/* Responses (http_reply.c). Each sends the response for c and frees c;
 * nothing may touch c afterwards. */

/* The RPC's reply (a packed ResponseEnvelope; NULL: out of memory). */
void gw_reply_rpc(gw_call *c, nng_msg *reply);

/* An error: HTTP code http (0: from st), the JSON error body of st and
 * message; allow (NULL: none) goes in an Allow header; close asks for the
 * connection to close after it (a body left unread). */
void gw_reply_error(gw_call *c, uint16_t http, cruddur_status st, const char *message,
    const char *allow, bool close);

/* 204 to OPTIONS, with Allow (and the CORS preflight's headers). */
void gw_reply_options(gw_call *c, const char *allow);

/* Frees c (its aio is finished already or never will be by us). */
void gw_call_free(gw_call *c);

#endif /* CRUDDUR_HTTP_GATEWAY_INTERNAL_H */
