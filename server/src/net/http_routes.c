/*
 * http_routes.c - PLACEHOLDER for the Flask app's routes (/api/...), so that the
 * gateway builds and its /api wiring runs: every request is "no such route" (404).
 * The routes helper (branch i13/routes) replaces this file with the real routes;
 * the interface is http_routes.h, which stays as it is.
 */
#include <stdio.h>

#include "net/http_routes.h"

int
http_route_plan(const char *http_method, const char *path, const char *query,
    const char *body, size_t body_len, arena *a, http_route *out, const char **allow,
    char *err, size_t errlen)
{
	(void)http_method;
	(void)path;
	(void)query;
	(void)body;
	(void)body_len;
	(void)a;
	(void)out;
	(void)allow;
	snprintf(err, errlen, "no such route");
	return 404;
}

char *
http_route_render(const http_route *route, const ProtobufCMessage *response, size_t *len,
    const char **next_cursor)
{
	(void)route;
	(void)response;
	*len = 0;
	*next_cursor = NULL;
	return NULL;
}
