/*
 * http_routes.h - the Flask app's routes (/api/...) as RPC calls: no I/O here.
 * The gateway (http_gateway.c) asks http_route_plan which RPC answers an HTTP request
 * under /api/, runs that RPC through the dispatcher as it runs any other, and writes the
 * reply with http_route_render. Thread-safe: no state outside the arguments.
 */
#ifndef CRUDDUR_HTTP_ROUTES_H
#define CRUDDUR_HTTP_ROUTES_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "base/arena.h"
#include "cruddur/method.h"

typedef struct http_route {
	const cruddur_method *method;  /* the RPC that answers it */
	ProtobufCMessage     *request; /* of method's input type, allocated in the arena given */
	int                   shape;   /* how http_route_render writes the reply (http_routes.c's own) */
} http_route;

/* Maps an HTTP request to one RPC call. path is the request path without the query
 * ("/api/activities/home"), query what follows '?' (NULL: none), body/body_len the
 * request body (JSON for the POST routes). Returns 0 and fills *out; or an HTTP status
 * with a message in err (valid UTF-8): 404 no such route, 405 a route that takes another
 * method (then *allow is set to the methods it takes, "GET" or "POST"), 400 bad
 * parameters or body. Never fails on hostile input other than by returning a status. */
int http_route_plan(const char *http_method, const char *path, const char *query,
    const char *body, size_t body_len, arena *a, http_route *out, const char **allow,
    char *err, size_t errlen);

/* The RPC's OK response (decoded, of route->method's output type) as the JSON
 * backend-flask answered with: malloc'd (caller frees), NUL-terminated, *len its length;
 * NULL when out of memory. *next_cursor, when the route pages and there is a next page,
 * points into response (NULL otherwise); the gateway sends it as the response header
 * "X-Cruddur-Next-Cursor" (and a Link: <...?cursor=...>; rel="next" header). */
char *http_route_render(const http_route *route, const ProtobufCMessage *response,
    size_t *len, const char **next_cursor);

#endif /* CRUDDUR_HTTP_ROUTES_H */
