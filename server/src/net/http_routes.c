/*
 * http_routes.c - http_route_plan: the Flask app's routes (/api/...) mapped to one RPC
 * request each, built in the caller's arena (http_routes.h). No I/O, no state: every
 * call works on its arguments alone, so any thread may call it.
 *
 * The routes (docs/HTTP.md, "The app's routes"):
 *   GET  /api/activities/home            HomeFeed        ?limit=N&cursor=C
 *   POST /api/activities                 CreateActivity  {"message", "ttl"}
 *   GET  /api/activities/<uuid>          ShowActivity
 *   POST /api/activities/<uuid>/reply    CreateReply     {"message"}
 *   GET  /api/activities/@<handle>       UserActivities  ?limit=N&cursor=C
 *   GET  /api/users/@<handle>/short      ShortUser
 *   POST /api/profile/update             UpdateProfile   {"bio", "display_name"}
 * HEAD is taken wherever GET is. Writes name no user: the server acts as the caller's
 * verified user (docs/HTTP.md, "Identity").
 *
 * Input is hostile: the path is split on '/' and each segment percent-decoded on its own
 * (so "%2F" never makes a new segment), lengths are bounded before anything is copied,
 * and a uuid, handle, limit or cursor is checked here with the server's own checks
 * (text_is_uuid, user_ref_check_handle, cursor_decode, cursor_page_limit) so that a bad
 * one is a 400 before any RPC runs. Bodies are read by jansson, which refuses invalid
 * UTF-8, "\u0000" and duplicate keys; fields the route does not know are ignored, as
 * Flask ignores them, but a known field of the wrong type is a 400.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/stubs.h"
#include "net/http_routes.h"
#include "net/http_routes_internal.h"
#include "svc/cursor.h"
#include "svc/user_ref.h"
#include "base/text.h"

/* Past these a path or query is no route of ours: nothing is copied or decoded. */
#define PATH_MAX_BYTES 1024
#define QUERY_MAX_BYTES 4096
#define SEGMENTS_MAX 4

typedef struct plan_call {
	const char *method; /* the HTTP method */
	arena      *a;
	http_route *out;
	const char **allow;
	char       *err;
	size_t      errlen;
} plan_call;

static int
fail(plan_call *pc, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(plan_call *pc, int status, const char *fmt, ...)
{
	if (pc->err != NULL && pc->errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(pc->err, pc->errlen, fmt, ap);
		va_end(ap);
		if (n >= (int)pc->errlen)
			text_utf8_trim(pc->err);
	}
	return status;
}

/* The value of one hex digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) percent-decoded into the arena (and '+' as a space when plus_space, as HTML
 * forms encode queries). NULL with *bad set for a '%' not followed by two hex digits or
 * one that decodes to NUL; NULL without it when out of memory. */
static char *
percent_decode(arena *a, const char *s, size_t n, bool plus_space, bool *bad)
{
	char  *out = arena_alloc(a, n + 1);
	size_t o = 0;

	*bad = false;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 1 < n ? hex_value(s[i + 1]) : -1;
			int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				*bad = true;
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* --- the query: limit and cursor -------------------------------------------------- */

typedef struct page_params {
	int32_t     limit;  /* 0: not given (the RPC's 20) */
	const char *cursor; /* "" : the first page */
} page_params;

static int
check_limit(plan_call *pc, const char *v, int32_t *limit)
{
	size_t n = strlen(v);
	char   q[48];

	if (n == 0 || n > 3 || strspn(v, "0123456789") != n)
		return fail(pc, 400, "limit \"%s\" must be a whole number from 1 to %d",
		    text_quote(q, sizeof(q), v), CURSOR_MAX_LIMIT);
	*limit = (int32_t)atoi(v);
	if (*limit < 1 || *limit > CURSOR_MAX_LIMIT)
		return fail(pc, 400, "limit must be from 1 to %d, not %d", CURSOR_MAX_LIMIT, (int)*limit);
	return 0;
}

/* The server's own check of a cursor, on a context of our own for its message. */
static int
check_cursor(plan_call *pc, const char *v)
{
	rpc_context ctx = {.arena = pc->a};
	page_key    key;
	bool        first;

	if (strlen(v) > HTTP_ROUTE_CURSOR_MAX)
		return fail(pc, 400, "cursor is longer than %d bytes (pass the one a page gave)",
		    HTTP_ROUTE_CURSOR_MAX);
	if (cursor_decode(&ctx, v, &key, &first) != CRUDDUR_OK)
		return fail(pc, 400, "%s", ctx.message);
	return 0;
}

/* limit and cursor from the query; other parameters are ignored, as Flask ignores them.
 * Either one given twice is a 400: which one was meant is not ours to guess. */
static int
parse_page_params(plan_call *pc, const char *query, page_params *pp)
{
	bool seen_limit = false, seen_cursor = false;

	pp->limit = 0;
	pp->cursor = "";
	if (query == NULL)
		return 0;
	size_t qlen = strnlen(query, QUERY_MAX_BYTES + 1);
	if (qlen > QUERY_MAX_BYTES)
		return fail(pc, 400, "the query is longer than %d bytes", QUERY_MAX_BYTES);
	for (const char *p = query; p < query + qlen;) {
		const char *amp = memchr(p, '&', (size_t)(query + qlen - p));
		const char *end = amp != NULL ? amp : query + qlen;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *kend = eq != NULL ? eq : end;
		bool        bad;
		char       *key = percent_decode(pc->a, p, (size_t)(kend - p), true, &bad);
		char       *val = key == NULL ? NULL
		    : percent_decode(pc->a, eq != NULL ? eq + 1 : end,
		          eq != NULL ? (size_t)(end - eq - 1) : 0, true, &bad);
		if (val == NULL)
			return bad ? fail(pc, 400, "the query has a bad percent-encoding")
			           : fail(pc, 500, "out of memory");
		int rc = 0;
		if (strcmp(key, "limit") == 0) {
			if (seen_limit)
				return fail(pc, 400, "limit is given twice");
			seen_limit = true;
			rc = check_limit(pc, val, &pp->limit);
		} else if (strcmp(key, "cursor") == 0) {
			if (seen_cursor)
				return fail(pc, 400, "cursor is given twice");
			seen_cursor = true;
			rc = check_cursor(pc, val);
			pp->cursor = val;
		}
		if (rc != 0)
			return rc;
		p = end + (amp != NULL);
	}
	return 0;
}

/* --- the body: one JSON object ------------------------------------------------------- */

static int
load_body(plan_call *pc, const char *body, size_t len, json_t **root)
{
	json_error_t je;
	char         q[160];

	*root = NULL;
	if (body == NULL || len == 0)
		return fail(pc, 400, "the body must be a JSON object (Content-Type: application/json)");
	*root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (*root == NULL)
		return fail(pc, 400, "the body is not JSON: %s (at byte %d)",
		    text_quote(q, sizeof(q), je.text), je.position);
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return fail(pc, 400, "the body must be a JSON object");
	}
	return 0;
}

/* The string member `key` of obj copied into the arena: *out NULL when it is absent or
 * null (not given), a 400 when it is anything but a string. */
static int
body_string(plan_call *pc, json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(pc, 400, "%s must be a string", key);
	/* jansson's strings are valid UTF-8 without NUL (JSON_ALLOW_NUL is not set). */
	*out = arena_strndup(pc->a, json_string_value(v), json_string_length(v));
	return *out != NULL ? 0 : fail(pc, 500, "out of memory");
}

/* The React app's ttl names (backend-flask's create_activity.py) as the RPC's; anything
 * else goes to the server as it came, which names the values it takes. */
static const char *
ttl_from_app(const char *ttl)
{
	static const char *const map[][2] = {
		{"30-days", "30d"}, {"7-days", "7d"}, {"3-days", "3d"}, {"1-day", "1d"},
		{"12-hours", "12h"}, {"3-hours", "3h"}, {"1-hour", "1h"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(ttl, map[i][0]) == 0)
			return map[i][1];
	return ttl;
}

/* --- the routes ----------------------------------------------------------------------- */

static void *
new_message(plan_call *pc, size_t size)
{
	return arena_alloc(pc->a, size);
}

static int
check_uuid(plan_call *pc, const char *what, const char *s)
{
	char q[48];
	if (!text_is_uuid(s))
		return fail(pc, 400, "%s \"%s\" is not a UUID", what, text_quote(q, sizeof(q), s));
	return 0;
}

static int
check_handle(plan_call *pc, const char *s)
{
	rpc_context ctx = {.arena = pc->a};
	char        q[48];

	if (user_ref_check_handle(&ctx, "handle", s) != CRUDDUR_OK)
		return fail(pc, 400, "@%s: %s", text_quote(q, sizeof(q), s), ctx.message);
	return 0;
}

static int
plan_home(plan_call *pc, const char *query)
{
	page_params pp;
	int         rc = parse_page_params(pc, query, &pp);
	if (rc != 0)
		return rc;
	Cruddur__V1__HomeFeedRequest *r = new_message(pc, sizeof(*r));
	if (r == NULL)
		return fail(pc, 500, "out of memory");
	cruddur__v1__home_feed_request__init(r);
	r->limit = pp.limit;
	if (pp.cursor[0] != '\0')
		r->cursor = (char *)pp.cursor;
	pc->out->method = &cruddur_method_activities_home_feed;
	pc->out->request = &r->base;
	pc->out->shape = HTTP_SHAPE_HOME;
	return 0;
}

static Cruddur__V1__UserRef *
user_by_handle(plan_call *pc, const char *handle)
{
	Cruddur__V1__UserRef *u = new_message(pc, sizeof(*u));
	if (u != NULL) {
		cruddur__v1__user_ref__init(u);
		u->handle = (char *)handle;
	}
	return u;
}

static int
plan_user_activities(plan_call *pc, const char *handle, const char *query)
{
	page_params pp;
	int         rc = check_handle(pc, handle);
	if (rc != 0 || (rc = parse_page_params(pc, query, &pp)) != 0)
		return rc;
	Cruddur__V1__UserActivitiesRequest *r = new_message(pc, sizeof(*r));
	Cruddur__V1__UserRef               *u = user_by_handle(pc, handle);
	if (r == NULL || u == NULL)
		return fail(pc, 500, "out of memory");
	cruddur__v1__user_activities_request__init(r);
	r->user = u;
	r->limit = pp.limit;
	if (pp.cursor[0] != '\0')
		r->cursor = (char *)pp.cursor;
	pc->out->method = &cruddur_method_users_user_activities;
	pc->out->request = &r->base;
	pc->out->shape = HTTP_SHAPE_USER_ACTIVITIES;
	return 0;
}

static int
plan_short_user(plan_call *pc, const char *handle)
{
	int rc = check_handle(pc, handle);
	if (rc != 0)
		return rc;
	Cruddur__V1__ShortUserRequest *r = new_message(pc, sizeof(*r));
	Cruddur__V1__UserRef          *u = user_by_handle(pc, handle);
	if (r == NULL || u == NULL)
		return fail(pc, 500, "out of memory");
	cruddur__v1__short_user_request__init(r);
	r->user = u;
	pc->out->method = &cruddur_method_users_short_user;
	pc->out->request = &r->base;
	pc->out->shape = HTTP_SHAPE_SHORT_USER;
	return 0;
}

static int
plan_show(plan_call *pc, const char *uuid)
{
	int rc = check_uuid(pc, "activity", uuid);
	if (rc != 0)
		return rc;
	Cruddur__V1__ShowActivityRequest *r = new_message(pc, sizeof(*r));
	if (r == NULL)
		return fail(pc, 500, "out of memory");
	cruddur__v1__show_activity_request__init(r);
	r->uuid = (char *)uuid;
	pc->out->method = &cruddur_method_activities_show_activity;
	pc->out->request = &r->base;
	pc->out->shape = HTTP_SHAPE_SHOW;
	return 0;
}

/* The message of a new activity or reply: required, a string; its length is the
 * server's to judge (it knows the limits: 280 and 1024 characters). */
static int
body_message(plan_call *pc, json_t *root, const char **message)
{
	int rc = body_string(pc, root, "message", message);
	if (rc == 0 && *message == NULL)
		rc = fail(pc, 400, "message is required (a string)");
	return rc;
}

static int
plan_create_activity(plan_call *pc, const char *body, size_t len)
{
	json_t     *root;
	const char *message, *ttl;
	int         rc = load_body(pc, body, len, &root);

	if (rc != 0)
		return rc;
	if ((rc = body_message(pc, root, &message)) != 0 ||
	    (rc = body_string(pc, root, "ttl", &ttl)) != 0)
		goto out;
	Cruddur__V1__CreateActivityRequest *r = new_message(pc, sizeof(*r));
	if (r == NULL) {
		rc = fail(pc, 500, "out of memory");
		goto out;
	}
	cruddur__v1__create_activity_request__init(r);
	r->message = (char *)message;
	if (ttl != NULL)
		r->ttl = (char *)ttl_from_app(ttl);
	pc->out->method = &cruddur_method_activities_create_activity;
	pc->out->request = &r->base;
	pc->out->shape = HTTP_SHAPE_NEW_ACTIVITY;
out:
	json_decref(root);
	return rc;
}

static int
plan_create_reply(plan_call *pc, const char *uuid, const char *body, size_t len)
{
	json_t     *root;
	const char *message;
	int         rc = check_uuid(pc, "activity", uuid);

	if (rc != 0 || (rc = load_body(pc, body, len, &root)) != 0)
		return rc;
	if ((rc = body_message(pc, root, &message)) != 0)
		goto out;
	Cruddur__V1__CreateReplyRequest *r = new_message(pc, sizeof(*r));
	if (r == NULL) {
		rc = fail(pc, 500, "out of memory");
		goto out;
	}
	cruddur__v1__create_reply_request__init(r);
	r->reply_to_activity_uuid = (char *)uuid;
	r->message = (char *)message;
	pc->out->method = &cruddur_method_activities_create_reply;
	pc->out->request = &r->base;
	pc->out->shape = HTTP_SHAPE_NEW_REPLY;
out:
	json_decref(root);
	return rc;
}

/* A StringValue in the arena for a field given; NULL (unchanged) for one not given. */
static int
string_value(plan_call *pc, const char *s, Cruddur__V1__StringValue **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = new_message(pc, sizeof(**out));
	if (*out == NULL)
		return fail(pc, 500, "out of memory");
	cruddur__v1__string_value__init(*out);
	(*out)->value = (char *)s;
	return 0;
}

static int
plan_update_profile(plan_call *pc, const char *body, size_t len)
{
	json_t     *root;
	const char *bio, *display_name;
	int         rc = load_body(pc, body, len, &root);

	if (rc != 0)
		return rc;
	if ((rc = body_string(pc, root, "bio", &bio)) != 0 ||
	    (rc = body_string(pc, root, "display_name", &display_name)) != 0)
		goto out;
	Cruddur__V1__UpdateProfileRequest *r = new_message(pc, sizeof(*r));
	if (r == NULL) {
		rc = fail(pc, 500, "out of memory");
		goto out;
	}
	cruddur__v1__update_profile_request__init(r);
	if ((rc = string_value(pc, bio, &r->bio)) != 0 ||
	    (rc = string_value(pc, display_name, &r->display_name)) != 0)
		goto out;
	pc->out->method = &cruddur_method_users_update_profile;
	pc->out->request = &r->base;
	pc->out->shape = HTTP_SHAPE_PROFILE;
out:
	json_decref(root);
	return rc;
}

/* --- matching --------------------------------------------------------------------------- */

/* Whether the request's method is one the route takes; else a 405 naming it. */
static bool
method_ok(plan_call *pc, const char *takes, int *rc)
{
	bool ok = strcmp(pc->method, takes) == 0 ||
	    (strcmp(takes, "GET") == 0 && strcmp(pc->method, "HEAD") == 0);
	if (!ok) {
		char q[32];
		if (pc->allow != NULL)
			*pc->allow = takes;
		*rc = fail(pc, 405, "%s takes %s, not %s", "this route", takes,
		    text_quote(q, sizeof(q), pc->method));
	}
	return ok;
}

int
http_route_plan(const char *http_method, const char *path, const char *query,
    const char *body, size_t body_len, arena *a, http_route *out, const char **allow,
    char *err, size_t errlen)
{
	plan_call   pc = {http_method != NULL ? http_method : "", a, out, allow, err, errlen};
	const char *seg[SEGMENTS_MAX];
	size_t      nseg = 0;
	int         rc = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (allow != NULL)
		*allow = NULL;
	if (out != NULL)
		*out = (http_route){0};
	if (path == NULL || out == NULL || a == NULL)
		return fail(&pc, 404, "no such route");
	size_t plen = strnlen(path, PATH_MAX_BYTES + 1);
	if (plen > PATH_MAX_BYTES || strncmp(path, "/api/", 5) != 0)
		return fail(&pc, 404, "no such route");
	/* Segments after "/api/", each decoded alone; an empty one ("//", a trailing '/')
	 * is no route, as Flask's strict slashes have it. */
	for (const char *p = path + 5;; ) {
		const char *slash = memchr(p, '/', (size_t)(path + plen - p));
		const char *end = slash != NULL ? slash : path + plen;
		bool        bad;
		if (end == p || nseg == SEGMENTS_MAX)
			return fail(&pc, 404, "no such route");
		if ((seg[nseg++] = percent_decode(a, p, (size_t)(end - p), false, &bad)) == NULL)
			return bad ? fail(&pc, 400, "the path has a bad percent-encoding")
			           : fail(&pc, 500, "out of memory");
		if (slash == NULL)
			break;
		p = slash + 1;
	}

	if (strcmp(seg[0], "activities") == 0) {
		if (nseg == 1)
			return method_ok(&pc, "POST", &rc) ? plan_create_activity(&pc, body, body_len) : rc;
		if (nseg == 2 && strcmp(seg[1], "home") == 0)
			return method_ok(&pc, "GET", &rc) ? plan_home(&pc, query) : rc;
		if (nseg == 2 && seg[1][0] == '@')
			return method_ok(&pc, "GET", &rc) ? plan_user_activities(&pc, seg[1] + 1, query) : rc;
		if (nseg == 2)
			return method_ok(&pc, "GET", &rc) ? plan_show(&pc, seg[1]) : rc;
		if (nseg == 3 && strcmp(seg[2], "reply") == 0 && seg[1][0] != '@')
			return method_ok(&pc, "POST", &rc) ? plan_create_reply(&pc, seg[1], body, body_len) : rc;
	} else if (strcmp(seg[0], "users") == 0) {
		if (nseg == 3 && seg[1][0] == '@' && strcmp(seg[2], "short") == 0)
			return method_ok(&pc, "GET", &rc) ? plan_short_user(&pc, seg[1] + 1) : rc;
	} else if (strcmp(seg[0], "profile") == 0) {
		if (nseg == 2 && strcmp(seg[1], "update") == 0)
			return method_ok(&pc, "POST", &rc) ? plan_update_profile(&pc, body, body_len) : rc;
	}
	return fail(&pc, 404, "no such route");
}
