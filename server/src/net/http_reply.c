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
	    (close && nng_http_res_set_header(res, "Connection", "close") != 0) ||
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

/* Whether every byte of s is in set or alphanumeric: what may go into a
 * header as it is. */
static bool
only(const char *s, const char *set)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		        strchr(set, *s) != NULL))
			return false;
	return true;
}

/* The URL of the next page, "<path?query>; rel=\"next\"" (RFC 8288): the
 * request's path and query with cursor=next instead of any cursor. NULL
 * when the request's URI has bytes a header should not carry. */
static char *
next_link(const gw_call *c, const char *next)
{
	static const char uri_chars[] = "-._~!$&'()*+,;=:@/%";
	char  *out = NULL;
	size_t len = 0;
	FILE  *f;

	if (!only(c->path, uri_chars) || (c->query != NULL && !only(c->query, uri_chars)) ||
	    (f = open_memstream(&out, &len)) == NULL)
		return NULL;
	fprintf(f, "<%s?", c->path);
	for (const char *p = c->query; p != NULL && *p != '\0';) {
		const char *amp = strchr(p, '&');
		size_t      n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (n > 0 && strncmp(p, "cursor=", 7) != 0 && !(n == 6 && strncmp(p, "cursor", 6) == 0))
			fprintf(f, "%.*s&", (int)n, p);
		p = amp != NULL ? amp + 1 : p + n;
	}
	fputs("cursor=", f);
	for (const unsigned char *p = (const unsigned char *)next; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
	fputs(">; rel=\"next\"", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
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
	if ((link = next_link(c, next)) != NULL) {
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
