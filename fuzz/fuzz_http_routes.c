/*
 * fuzz_http_routes.c - http_route_plan and http_route_render (net/http_routes.h) on any
 * bytes. Two kinds of input, by the first byte:
 *   0x01 R RESPONSE   render: R picks one of the seven routes, RESPONSE is unpacked as
 *                     that route's reply message and rendered;
 *   anything else     plan: "METHOD TARGET\nBODY", TARGET split at its first '?' into
 *                     path and query, as the gateway splits it.
 * What must hold: plan returns 0 with a request of the route method's input type that
 * packs, or one of its statuses with a message in valid UTF-8 (and Allow on a 405);
 * render gives valid UTF-8 that jansson parses, and a cursor only of base64url.
 * Any failure aborts, so that libFuzzer keeps the input.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/stubs.h"
#include "net/http_routes.h"
#include "net/http_routes_internal.h"
#include "base/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const http_route routes[] = {
	{&cruddur_method_activities_home_feed, NULL, HTTP_SHAPE_HOME},
	{&cruddur_method_activities_create_activity, NULL, HTTP_SHAPE_NEW_ACTIVITY},
	{&cruddur_method_activities_show_activity, NULL, HTTP_SHAPE_SHOW},
	{&cruddur_method_activities_create_reply, NULL, HTTP_SHAPE_NEW_REPLY},
	{&cruddur_method_users_user_activities, NULL, HTTP_SHAPE_USER_ACTIVITIES},
	{&cruddur_method_users_short_user, NULL, HTTP_SHAPE_SHORT_USER},
	{&cruddur_method_users_update_profile, NULL, HTTP_SHAPE_PROFILE},
};

static void
fuzz_render(const uint8_t *data, size_t size)
{
	const http_route *route = &routes[data[0] % (sizeof(routes) / sizeof(routes[0]))];
	ProtobufCMessage *resp = protobuf_c_message_unpack(route->method->output, NULL, size - 1,
	    data + 1);
	if (resp == NULL)
		return;
	size_t      len;
	const char *cursor;
	char       *out = http_route_render(route, resp, &len, &cursor);
	if (out == NULL) /* only out of memory */
		abort();
	if (len != strlen(out) || text_utf8_length(out) < 0)
		abort();
	json_t *j = json_loadb(out, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL)
		abort();
	json_decref(j);
	if (cursor != NULL &&
	    (cursor[0] == '\0' || strlen(cursor) > HTTP_ROUTE_CURSOR_MAX ||
	        strspn(cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
	            strlen(cursor)))
		abort();
	free(out);
	protobuf_c_message_free_unpacked(resp, NULL);
}

static void
fuzz_plan(const uint8_t *data, size_t size)
{
	/* The request line as C strings (the gateway's are: nng's parser ends them at NUL). */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t         line_len = nl != NULL ? (size_t)(nl - data) : size;
	char          *line = malloc(line_len + 1);
	if (line == NULL)
		return;
	memcpy(line, data, line_len);
	line[line_len] = '\0';
	char *target = strchr(line, ' ');
	if (target != NULL)
		*target++ = '\0';
	char *query = target != NULL ? strchr(target, '?') : NULL;
	if (query != NULL)
		*query++ = '\0';
	const char *body = nl != NULL ? (const char *)nl + 1 : NULL;
	size_t      body_len = nl != NULL ? size - line_len - 1 : 0;

	arena      *a = arena_new();
	http_route  route;
	const char *allow = NULL;
	char        err[256];
	if (a == NULL)
		abort();
	int rc = http_route_plan(line, target, query, body, body_len, a, &route, &allow, err,
	    sizeof(err));
	if (rc == 0) {
		if (route.method == NULL || route.request == NULL ||
		    route.request->descriptor != route.method->input || route.shape == HTTP_SHAPE_NONE)
			abort();
		size_t   n = protobuf_c_message_get_packed_size(route.request);
		uint8_t *buf = malloc(n + 1);
		if (buf == NULL || protobuf_c_message_pack(route.request, buf) != n)
			abort();
		/* What the server will decode is what was built. */
		ProtobufCMessage *back = protobuf_c_message_unpack(route.method->input, NULL, n, buf);
		if (back == NULL)
			abort();
		protobuf_c_message_free_unpacked(back, NULL);
		free(buf);
	} else {
		if (rc != 400 && rc != 404 && rc != 405 && rc != 500)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0' || text_utf8_length(err) < 0)
			abort();
		if ((rc == 405) != (allow != NULL))
			abort();
		if (allow != NULL && strcmp(allow, "GET") != 0 && strcmp(allow, "POST") != 0)
			abort();
	}
	arena_free(a);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 2 && data[0] == 0x01)
		fuzz_render(data + 1, size - 1);
	else
		fuzz_plan(data, size);
	return 0;
}
