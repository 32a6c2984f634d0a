/*
 * http_status.c - a status as the HTTP gateway answers it; see http_status.h.
 *
 * The codes are google.rpc's (google/rpc/code.proto, the comments on each
 * Code), which grpc-gateway and Envoy's JSON transcoder use too, so that an
 * HTTP client that knows one of those reads ours the same way.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/text.h"
#include "net/http_status.h"

uint16_t
http_status_from_rpc(cruddur_status st)
{
	switch (st) {
	case CRUDDUR_OK: return 200;
	case CRUDDUR_CANCELLED: return 499; /* nginx's "client closed request" */
	case CRUDDUR_UNKNOWN: return 500;
	case CRUDDUR_INVALID_ARGUMENT: return 400;
	case CRUDDUR_DEADLINE_EXCEEDED: return 504;
	case CRUDDUR_NOT_FOUND: return 404;
	case CRUDDUR_ALREADY_EXISTS: return 409;
	case CRUDDUR_PERMISSION_DENIED: return 403;
	case CRUDDUR_RESOURCE_EXHAUSTED: return 429;
	case CRUDDUR_FAILED_PRECONDITION: return 400;
	case CRUDDUR_ABORTED: return 409;
	case CRUDDUR_OUT_OF_RANGE: return 400;
	case CRUDDUR_UNIMPLEMENTED: return 501;
	case CRUDDUR_INTERNAL: return 500;
	case CRUDDUR_UNAVAILABLE: return 503;
	case CRUDDUR_DATA_LOSS: return 500;
	case CRUDDUR_UNAUTHENTICATED: return 401;
	}
	return 500;
}

const char *
http_reason(uint16_t code)
{
	switch (code) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 499: return "Client Closed Request";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return code < 300 ? "OK" : code < 500 ? "Bad Request" : "Internal Server Error";
}

char *
http_error_body(cruddur_status st, const char *message, size_t *len)
{
	/* The dispatcher's messages are at most 512 bytes; a quoted one may
	 * grow fourfold. */
	char    clean[2048];
	json_t *o;
	char   *text;

	message = text_utf8_or_quote(clean, sizeof(clean), message);
	o = json_pack("{s:i, s:s, s:s}", "code", (int)st, "status", cruddur_status_name(st),
	    "message", message);
	if (o == NULL)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text != NULL)
		*len = strlen(text);
	return text;
}
