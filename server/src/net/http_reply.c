/*
 * http_reply.c - the HTTP gateway's responses: an RPC's reply as JSON (its
 * output message printed canonically, or an /api route's rendering), errors
 * as {"code", "status", "message"} (http_status.h), OPTIONS, and the headers
 * every response carries (CORS, the request id, the next page's cursor).
 *
 * Runs on whichever thread finished the call (nng's, a worker, the read
 * reactor's); touches only its call and the gateway's read-only config.
 * Each function ends the call: the response goes to nng (nng_aio_finish)
 * and the call is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/json.h"
#include "net/http_gateway_internal.h"
#include "net/http_link.h"
#include "net/http_status.h"
#include "obs/log.h"

/* What a browser may send and read across origins. */
#define CORS_ALLOW_HEADERS  "Authorization, Content-Type, X-Cruddur-Deadline-Ms"
#define CORS_EXPOSE_HEADERS "X-Cruddur-Next-Cursor, Link, X-Cruddur-Request-Id"
#define CORS_MAX_AGE        "600"

void
gw_call_free(gw_call *c)
{
	http_gateway *gw = c->gw;

	if (c->body_aio != NULL)
		nng_aio_reap(c->body_aio); /* maybe from its own callback */
	free(c->body);
	arena_free(c->arena);
	free(c);
	atomic_fetch_sub(&gw->calls, 1);
}

/* Hands res (NULL: out of memory, the connection closes) to nng and frees c. */
static void
finish(gw_call *c, nng_http_res *res)
{
	if (res == NULL) {
		nng_aio_finish(c->aio, NNG_ENOMEM);
	} else {
		nng_aio_set_output(c->aio, 0, res);
		nng_aio_finish(c->aio, 0);
	}
	gw_call_free(c);
}

/* Whether the request's body is still on the wire: answered before it was
 * read (an error, OPTIONS), the connection must close, or nng would read the
 * body as the next request. */
static bool
body_unread(const gw_call *c)
{
	const char *cl = nng_http_req_get_header(c->req, "Content-Length");

	if (c->body_consumed)
		return false;
	return nng_http_req_get_header(c->req, "Transfer-Encoding") != NULL ||
	    (cl != NULL && strspn(cl, "0") != strlen(cl));
}

/* The headers of every response: the request id, and CORS's for an allowed
 * Origin (with CORS configured, every answer depends on the Origin: Vary). */
static int
common_headers(gw_call *c, nng_http_res *res)
{
	char id[24];
	int  rv;

	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->request_id);
	if ((rv = nng_http_res_set_header(res, "X-Cruddur-Request-Id", id)) != 0)
		return rv;
	if (body_unread(c) && (rv = nng_http_res_set_header(res, "Connection", "close")) != 0)
		return rv;
	if (c->gw->cfg.n_cors_origins > 0 && (rv = nng_http_res_set_header(res, "Vary", "Origin")) != 0)
		return rv;
	if (c->origin == NULL)
		return 0;
	if ((rv = nng_http_res_set_header(res, "Access-Control-Allow-Origin", c->origin)) != 0)
		return rv;
	return nng_http_res_set_header(res, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
}

/* A response of code with a JSON body (taken: freed here). */
static nng_http_res *
json_response(gw_call *c, uint16_t code, char *json, size_t len)
{
	nng_http_res *res = NULL;

	if (json == NULL || nng_http_res_alloc(&res) != 0 || nng_http_res_set_status(res, code) != 0 ||
	    nng_http_res_set_reason(res, http_reason(code)) != 0 ||
	    nng_http_res_set_header(res, "Content-Type", "application/json") != 0 ||
	    common_headers(c, res) != 0 || nng_http_res_copy_data(res, json, len) != 0) {
		nng_http_res_free(res);
		res = NULL;
	}
	free(json);
	return res;
}

void
gw_reply_error(gw_call *c, uint16_t http, cruddur_status st, const char *message,
    const char *allow, bool close)
{
	size_t        len = 0;
	char         *body = http_error_body(st, message, &len);
	uint16_t      code = http != 0 ? http : http_status_from_rpc(st);
	nng_http_res *res = json_response(c, code, body, len);

	if (res != NULL && ((allow != NULL && nng_http_res_set_header(res, "Allow", allow) != 0) ||
	    (close && !body_unread(c) && nng_http_res_set_header(res, "Connection", "close") != 0) ||
	    (st == CRUDDUR_UNAUTHENTICATED &&
	        nng_http_res_set_header(res, "WWW-Authenticate", "Bearer realm=\"cruddur\"") != 0) ||
	    ((code == 429 || code == 503) &&
	        nng_http_res_set_header(res, "Retry-After", "1") != 0))) {
		nng_http_res_free(res);
		res = NULL;
	}
	finish(c, res);
}

void
gw_reply_options(gw_call *c, const char *allow)
{
	nng_http_res *res = NULL;
	bool preflight = c->origin != NULL &&
	    nng_http_req_get_header(c->req, "Access-Control-Request-Method") != NULL;

	if (nng_http_res_alloc(&res) != 0 || nng_http_res_set_status(res, 204) != 0 ||
	    nng_http_res_set_header(res, "Allow", allow) != 0 || common_headers(c, res) != 0 ||
	    (preflight &&
	        (nng_http_res_set_header(res, "Access-Control-Allow-Methods", allow) != 0 ||
	            nng_http_res_set_header(res, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS) != 0 ||
	            nng_http_res_set_header(res, "Access-Control-Max-Age", CORS_MAX_AGE) != 0))) {
		nng_http_res_free(res);
		res = NULL;
	}
	finish(c, res);
}

/* The headers of a page that has a next one. */
static int
cursor_headers(const gw_call *c, nng_http_res *res, const char *next)
{
	char *link;
	int   rv = 0;

	if (next == NULL || next[0] == '\0')
		return 0;
	for (const char *p = next; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			log_warn("msg=\"next cursor not sent: not printable ASCII\" id=%llu",
			    (unsigned long long)c->request_id);
			return 0;
		}
	if ((rv = nng_http_res_set_header(res, "X-Cruddur-Next-Cursor", next)) != 0)
		return rv;
	if ((link = http_next_link(c->path, c->query, next)) != NULL) {
		rv = nng_http_res_set_header(res, "Link", link);
		free(link);
	}
	return rv;
}

/* An OK reply's body as the response: the output message as JSON, or the
 * route's rendering with its paging headers. */
static nng_http_res *
ok_response(gw_call *c, const ProtobufCBinaryData *body)
{
	const cruddur_method *m = c->method;
	ProtobufCMessage     *out = protobuf_c_message_unpack(m->output, NULL, body->len, body->data);
	nng_http_res         *res = NULL;
	const char           *next = NULL;
	char                 *json;
	size_t                len = 0;

	if (out == NULL) {
		log_error("msg=\"an OK reply's body does not decode\" id=%llu method=%s",
		    (unsigned long long)c->request_id, m->full_name);
		json = http_error_body(CRUDDUR_INTERNAL, "the reply did not decode", &len);
		return json_response(c, 500, json, len);
	}
	if (c->api) {
		json = http_route_render(&c->route, out, &len, &next);
	} else if ((json = cruddur_json_print(out, 0)) != NULL)
		len = strlen(json);
	if ((res = json_response(c, 200, json, len)) != NULL && cursor_headers(c, res, next) != 0) {
		nng_http_res_free(res);
		res = NULL;
	}
	protobuf_c_message_free_unpacked(out, NULL);
	return res;
}

void
gw_reply_rpc(gw_call *c, nng_msg *reply)
{
	Cruddur__V1__ResponseEnvelope *env = NULL;

	if (reply == NULL || (env = cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(reply),
	                          nng_msg_body(reply))) == NULL) {
		nng_msg_free(reply);
		gw_reply_error(c, 0, CRUDDUR_INTERNAL, "out of memory", NULL, false);
		return;
	}
	nng_msg_free(reply);
	if (env->status != CRUDDUR__V1__STATUS_CODE__OK) {
		gw_reply_error(c, 0, (cruddur_status)env->status, env->message, NULL, false);
	} else {
		finish(c, ok_response(c, &env->body));
	}
	cruddur__v1__response_envelope__free_unpacked(env, NULL);
}
