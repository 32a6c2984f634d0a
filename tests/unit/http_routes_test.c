/*
 * http_routes_test.c - http_route_plan on every route of the Flask app, its errors and
 * hostile input (this file), and http_route_render on every shape
 * (http_routes_render_cases.c), without a server: both are pure functions.
 *
 * Each plan is checked for its status, its method and the request it built; each
 * failure for a message that is valid UTF-8 and says something. Exit 0 when every
 * CHECK holds.
 */
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "cruddur/stubs.h"
#include "net/http_routes.h"
#include "net/http_routes_internal.h"
#include "svc/cursor.h"
#include "base/text.h"

void http_routes_render_cases(void);

static arena     *a;
static http_route r;
static const char *allow;
static char       err[256];

static int
plan_body(const char *method, const char *path, const char *query, const char *body)
{
	arena_reset(a);
	memset(err, 'Z', sizeof(err));
	int rc = http_route_plan(method, path, query, body, body != NULL ? strlen(body) : 0, a, &r,
	    &allow, err, sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		ts_fail(__FILE__, __LINE__, "err is not terminated");
	else if (text_utf8_length(err) < 0)
		ts_fail(__FILE__, __LINE__, "err \"%s\" is not valid UTF-8", err);
	else if (rc != 0 && err[0] == '\0')
		ts_fail(__FILE__, __LINE__, "status %d without a message", rc);
	return rc;
}

static int
plan(const char *method, const char *path, const char *query)
{
	return plan_body(method, path, query, NULL);
}

#define CHECK_RC(got, want)                                                            \
	do {                                                                           \
		int g_ = (got), w_ = (want);                                           \
		if (g_ != w_)                                                          \
			ts_fail(__FILE__, __LINE__, "status %d, want %d (%s)", g_, w_, err); \
	} while (0)
#define CHECK_ERR(sub)                                                                      \
	do {                                                                                \
		if (strstr(err, (sub)) == NULL)                                             \
			ts_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err, (sub)); \
	} while (0)

static const char *uuid = "0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60";

/* A cursor the server would make, for the key given. */
static char *
a_cursor(int64_t us, const char *key_uuid)
{
	static char buf[HTTP_ROUTE_CURSOR_MAX + 1];
	arena      *ca = arena_new();
	rpc_context ctx = {.arena = ca};
	page_key    k = {.created_at_us = us};
	memcpy(k.uuid, key_uuid, 37);
	snprintf(buf, sizeof(buf), "%s", cursor_encode(&ctx, &k));
	arena_free(ca);
	return buf;
}

static void
test_every_route(void)
{
	CHECK_RC(plan("GET", "/api/activities/home", NULL), 0);
	CHECK(r.method == &cruddur_method_activities_home_feed && r.shape == HTTP_SHAPE_HOME);
	const Cruddur__V1__HomeFeedRequest *home = (const void *)r.request;
	CHECK(r.request->descriptor == &cruddur__v1__home_feed_request__descriptor);
	CHECK(home->limit == 0);
	CHECK_STREQ(home->cursor, "");

	char *cur = a_cursor(1796216645123456, uuid);
	char  q[256];
	snprintf(q, sizeof(q), "limit=20&cursor=%s&junk=%%zz%%zz&x", cur);
	/* A bad encoding of a parameter nobody reads still fails: the whole query is one. */
	CHECK_RC(plan("GET", "/api/activities/home", q), 400);
	snprintf(q, sizeof(q), "limit=20&cursor=%s&other=1&flag", cur);
	CHECK_RC(plan("HEAD", "/api/activities/home", q), 0);
	home = (const void *)r.request;
	CHECK(home->limit == 20);
	CHECK_STREQ(home->cursor, cur);
	CHECK_RC(plan("GET", "/api/activities/home", "cursor=&limit=%31%30%30"), 0);
	CHECK(((const Cruddur__V1__HomeFeedRequest *)(const void *)r.request)->limit == 100);

	CHECK_RC(plan_body("POST", "/api/activities", NULL,
	             "{\"message\":\"caf\\u00e9 \xf0\x9f\x98\x80\",\"ttl\":\"7-days\",\"extra\":[1]}"), 0);
	CHECK(r.method == &cruddur_method_activities_create_activity && r.shape == HTTP_SHAPE_NEW_ACTIVITY);
	const Cruddur__V1__CreateActivityRequest *ca = (const void *)r.request;
	CHECK_STREQ(ca->message, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	CHECK_STREQ(ca->ttl, "7d");
	CHECK(ca->author == NULL); /* the verified user writes (docs/HTTP.md, "Identity") */
	CHECK_STREQ(ca->idempotency_key, "");
	static const char *const ttls[][2] = {{"30-days", "30d"}, {"3-days", "3d"}, {"1-day", "1d"},
		{"12-hours", "12h"}, {"3-hours", "3h"}, {"1-hour", "1h"}, {"3h", "3h"},
		{"fortnight", "fortnight"}};
	for (size_t i = 0; i < sizeof(ttls) / sizeof(ttls[0]); i++) {
		char body[96];
		snprintf(body, sizeof(body), "{\"message\":\"m\",\"ttl\":\"%s\"}", ttls[i][0]);
		CHECK_RC(plan_body("POST", "/api/activities", NULL, body), 0);
		CHECK_STREQ(((const Cruddur__V1__CreateActivityRequest *)(const void *)r.request)->ttl, ttls[i][1]);
	}
	CHECK_RC(plan_body("POST", "/api/activities", NULL, "{\"message\":\"m\",\"ttl\":null}"), 0);
	CHECK_STREQ(((const Cruddur__V1__CreateActivityRequest *)(const void *)r.request)->ttl, "");

	char path[128];
	snprintf(path, sizeof(path), "/api/activities/%s", uuid);
	CHECK_RC(plan("GET", path, "limit=garbage"), 0); /* no paging here: the query is ignored */
	CHECK(r.method == &cruddur_method_activities_show_activity && r.shape == HTTP_SHAPE_SHOW);
	CHECK_STREQ(((const Cruddur__V1__ShowActivityRequest *)(const void *)r.request)->uuid, uuid);

	snprintf(path, sizeof(path), "/api/activities/%s/reply", uuid);
	CHECK_RC(plan_body("POST", path, NULL, "{\"message\":\"a reply\"}"), 0);
	CHECK(r.method == &cruddur_method_activities_create_reply && r.shape == HTTP_SHAPE_NEW_REPLY);
	const Cruddur__V1__CreateReplyRequest *cr = (const void *)r.request;
	CHECK_STREQ(cr->reply_to_activity_uuid, uuid);
	CHECK_STREQ(cr->message, "a reply");
	CHECK(cr->author == NULL);

	CHECK_RC(plan("GET", "/api/activities/@andrewbrown", "limit=5"), 0);
	CHECK(r.method == &cruddur_method_users_user_activities && r.shape == HTTP_SHAPE_USER_ACTIVITIES);
	const Cruddur__V1__UserActivitiesRequest *ua = (const void *)r.request;
	CHECK(ua->user != NULL && strcmp(ua->user->handle, "andrewbrown") == 0);
	CHECK(ua->user != NULL && ua->user->uuid[0] == '\0' && ua->user->cognito_user_id[0] == '\0');
	CHECK(ua->limit == 5);
	CHECK_STREQ(ua->cursor, "");

	CHECK_RC(plan("GET", "/api/users/@Andrew_Brown9/short", NULL), 0);
	CHECK(r.method == &cruddur_method_users_short_user && r.shape == HTTP_SHAPE_SHORT_USER);
	const Cruddur__V1__ShortUserRequest *su = (const void *)r.request;
	CHECK(su->user != NULL && strcmp(su->user->handle, "Andrew_Brown9") == 0);

	CHECK_RC(plan_body("POST", "/api/profile/update", NULL, "{\"bio\":\"\",\"display_name\":\"Andrew\"}"), 0);
	CHECK(r.method == &cruddur_method_users_update_profile && r.shape == HTTP_SHAPE_PROFILE);
	const Cruddur__V1__UpdateProfileRequest *up = (const void *)r.request;
	CHECK(up->user == NULL);
	CHECK(up->bio != NULL && strcmp(up->bio->value, "") == 0);
	CHECK(up->display_name != NULL && strcmp(up->display_name->value, "Andrew") == 0);
	CHECK_RC(plan_body("POST", "/api/profile/update", NULL, "{\"bio\":null,\"display_name\":\"A\"}"), 0);
	up = (const void *)r.request;
	CHECK(up->bio == NULL && up->display_name != NULL); /* null: unchanged */
	CHECK_RC(plan_body("POST", "/api/profile/update", NULL, "{}"), 0);

	/* Every request packs: what the gateway hands the dispatcher is a whole message. */
	CHECK(protobuf_c_message_get_packed_size(r.request) == 0);
}

static void
test_methods(void)
{
	static const struct {
		const char *method, *path, *allow;
	} cases[] = {
		{"POST", "/api/activities/home", "GET"},
		{"GET", "/api/activities", "POST"},
		{"DELETE", "/api/activities/0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60", "GET"},
		{"GET", "/api/activities/0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60/reply", "POST"},
		{"PUT", "/api/activities/@andrewbrown", "GET"},
		{"POST", "/api/users/@andrewbrown/short", "GET"},
		{"GET", "/api/profile/update", "POST"},
		{"OPTIONS", "/api/profile/update", "POST"},
		{"get", "/api/activities/home", "GET"}, /* methods are case-sensitive (RFC 9110) */
		{"", "/api/activities/home", "GET"},
		{"\xff\xfe", "/api/activities/home", "GET"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		allow = NULL;
		CHECK_RC(plan(cases[i].method, cases[i].path, NULL), 405);
		CHECK(allow != NULL && strcmp(allow, cases[i].allow) == 0);
		CHECK(r.method == NULL && r.request == NULL);
	}
	/* 405 comes before the parameters are read: a bad uuid under the wrong method. */
	CHECK_RC(plan("POST", "/api/activities/not-a-uuid", NULL), 405);
	CHECK_RC(plan(NULL, "/api/activities/home", NULL), 405);
}

static void
test_not_found(void)
{
	static const char *const paths[] = {
		"", "/", "/api", "/api/", "/apix/activities/home", "/API/activities/home",
		"/api/activities/home/", "/api//activities/home", "/api/activities/", "/api/unknown",
		"/api/activities/notifications/x", "/api/users/andrewbrown/short",
		"/api/users/@andrewbrown", "/api/users/@andrewbrown/long", "/api/profile",
		"/api/profile/update/now", "/api/activities/@andrewbrown/reply",
		"/api/activities/a/b/c/d/e/f", "/metrics", "api/activities/home",
		"/cruddur.v1.Activities/HomeFeed",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		CHECK_RC(plan("GET", paths[i], NULL), 404);
		CHECK(allow == NULL);
	}
	CHECK_RC(plan("GET", NULL, NULL), 404);
	/* A path far past any route's length, and one with a thousand segments. */
	char *big = malloc(70000);
	memcpy(big, "/api/activities/", 16);
	memset(big + 16, 'a', 70000 - 17);
	big[69999] = '\0';
	CHECK_RC(plan("GET", big, NULL), 404);
	for (size_t i = 4; i + 1 < 4000; i += 2)
		memcpy(big + i, "/x", 2);
	big[4000] = '\0';
	CHECK_RC(plan("GET", big, NULL), 404);
	free(big);
	CHECK_RC(http_route_plan("GET", "/api/activities/home", NULL, NULL, 0, NULL, &r, &allow,
	             err, sizeof(err)), 404);
	/* A caller that wants no message still gets its status. */
	arena_reset(a);
	CHECK(http_route_plan("GET", "/api/nothing", NULL, NULL, 0, a, &r, NULL, NULL, 0) == 404);
}

static void
test_bad_parameters(void)
{
	/* uuids */
	static const char *const bad_uuids[] = {
		"/api/activities/not-a-uuid", "/api/activities/0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f6",
		"/api/activities/0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f600",
		"/api/activities/0b6e8a425d674f3c9a7e3b1c2d4e5f60",
		"/api/activities/{0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60}",
		"/api/activities/0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5fzz",
		"/api/activities/\xff\xfe\xfd", "/api/activities/%C3%28",
	};
	for (size_t i = 0; i < sizeof(bad_uuids) / sizeof(bad_uuids[0]); i++) {
		CHECK_RC(plan("GET", bad_uuids[i], NULL), 400);
		CHECK_ERR("is not a UUID");
	}
	CHECK_RC(plan_body("POST", "/api/activities/nope/reply", NULL, "{\"message\":\"m\"}"), 400);
	CHECK_ERR("is not a UUID");

	/* handles: 1..32 of [A-Za-z0-9_], as the server's user_ref_check_handle says */
	static const char *const bad_handles[] = {
		"/api/activities/@", "/api/activities/@andrew.brown", "/api/activities/@andrew%20brown",
		"/api/activities/@abcdefghijabcdefghijabcdefghijabc", "/api/users/@/short",
		"/api/users/@caf\xc3\xa9/short", "/api/users/@\xc3\x28/short", "/api/activities/@%40x",
		"/api/users/@a%2Fb/short", /* %2F decodes inside its segment: no new segment */
	};
	for (size_t i = 0; i < sizeof(bad_handles) / sizeof(bad_handles[0]); i++) {
		CHECK_RC(plan("GET", bad_handles[i], NULL), 400);
		CHECK_ERR("handle");
	}
	CHECK_RC(plan("GET", "/api/activities/@abcdefghijabcdefghijabcdefghijab", NULL), 0);

	/* limit */
	static const char *const bad_limits[] = {
		"limit=0", "limit=101", "limit=abc", "limit=-1", "limit=", "limit", "limit=1e2",
		"limit=+5", "limit=%205", "limit=5%00", "limit=99999999999999999999", "limit=20&limit=20",
		"limit=0x10", "limit=5 ",
	};
	for (size_t i = 0; i < sizeof(bad_limits) / sizeof(bad_limits[0]); i++) {
		CHECK_RC(plan("GET", "/api/activities/home", bad_limits[i]), 400);
		CHECK_RC(plan("GET", "/api/activities/@andrewbrown", bad_limits[i]), 400);
	}
	CHECK_RC(plan("GET", "/api/activities/home", "limit=1"), 0);
	CHECK_RC(plan("GET", "/api/activities/home", "limit=007"), 0);

	/* cursor */
	char q[400];
	static const char *const bad_cursors[] = {
		"cursor=x", "cursor=not+base64", "cursor=%ff%fe", "cursor=AAAA", "cursor=a%26b",
	};
	for (size_t i = 0; i < sizeof(bad_cursors) / sizeof(bad_cursors[0]); i++) {
		CHECK_RC(plan("GET", "/api/activities/home", bad_cursors[i]), 400);
		CHECK_ERR("cursor");
	}
	memset(q, 'A', sizeof(q) - 1);
	memcpy(q, "cursor=", 7);
	q[sizeof(q) - 1] = '\0';
	CHECK_RC(plan("GET", "/api/activities/home", q), 400);
	CHECK_ERR("cursor");
	char *cur = a_cursor(5, uuid);
	snprintf(q, sizeof(q), "cursor=%s&cursor=%s", cur, cur);
	CHECK_RC(plan("GET", "/api/activities/@andrewbrown", q), 400);
	CHECK_ERR("twice");
	/* The cursor of another key that encodes differently: only the server's own. */
	snprintf(q, sizeof(q), "cursor=%s=", cur);
	CHECK_RC(plan("GET", "/api/activities/home", q), 400);

	/* a query past its bound */
	char *big = malloc(10000);
	memset(big, 'x', 9999);
	big[9999] = '\0';
	CHECK_RC(plan("GET", "/api/activities/home", big), 400);
	free(big);
}

static void
test_percent_encoding(void)
{
	CHECK_RC(plan("GET", "/api/activities/%40andrewbrown", NULL), 0);
	CHECK(r.method == &cruddur_method_users_user_activities);
	CHECK_RC(plan("GET", "/api/users/%40a%5Fb/short", NULL), 0);
	CHECK_STREQ(((const Cruddur__V1__ShortUserRequest *)(const void *)r.request)->user->handle, "a_b");
	CHECK_RC(plan("GET", "/api/%61ctivities/%68ome", NULL), 0);
	CHECK(r.method == &cruddur_method_activities_home_feed);
	/* '+' is a space in a query, itself in a path */
	CHECK_RC(plan("GET", "/api/activities/@a+b", NULL), 400);
	CHECK_RC(plan("GET", "/api/activities/home", "li%6dit=3"), 0);
	CHECK(((const Cruddur__V1__HomeFeedRequest *)(const void *)r.request)->limit == 3);

	static const char *const bad_paths[] = {
		"/api/activities/%", "/api/activities/%4", "/api/activities/%zz", "/api/activities/%00",
		"/api/activities/@a%00b", "/api/activities/%%40a", "/api/activities/%4g",
	};
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		CHECK_RC(plan("GET", bad_paths[i], NULL), 400);
		CHECK_ERR("percent-encoding");
	}
	static const char *const bad_queries[] = {"limit=%", "limit=%2", "%=1", "limit=1&%g0=2",
		"cursor=%00"};
	for (size_t i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++) {
		CHECK_RC(plan("GET", "/api/activities/home", bad_queries[i]), 400);
		CHECK_ERR("percent-encoding");
	}
	/* Empty pieces of a query are nothing. */
	CHECK_RC(plan("GET", "/api/activities/home", "&&=&limit=2&"), 0);
	CHECK_RC(plan("GET", "/api/activities/home", ""), 0);
}

static void
test_bad_bodies(void)
{
	static const struct {
		const char *body, *says;
	} cases[] = {
		{NULL, "JSON object"},
		{"", "JSON object"},
		{"[]", "JSON object"},
		{"\"message\"", "not JSON"}, /* jansson refuses a bare scalar without DECODE_ANY */
		{"{\"message\":\"m\"", "not JSON"},
		{"{\"message\":\"m\"}x", "not JSON"},
		{"{'message':'m'}", "not JSON"},
		{"{\"message\":12}", "message must be a string"},
		{"{\"message\":[\"m\"]}", "message must be a string"},
		{"{\"message\":true}", "message must be a string"},
		{"{\"ttl\":\"7d\"}", "message is required"},
		{"{\"message\":null}", "message is required"},
		{"{\"message\":\"m\",\"ttl\":7}", "ttl must be a string"},
		{"{\"message\":\"a\",\"message\":\"b\"}", "not JSON"}, /* duplicate keys */
		{"{\"message\":\"\xff\xfe\"}", "not JSON"},            /* invalid UTF-8 */
		{"{\"message\":\"\xed\xa0\x80\"}", "not JSON"},        /* a surrogate */
		{"{\"message\":\"a\\u0000b\"}", "not JSON"},
		{"{\"message\":\"\\ud800\"}", "not JSON"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_RC(plan_body("POST", "/api/activities", NULL, cases[i].body), 400);
		CHECK_ERR(cases[i].says);
	}
	/* A NUL byte inside the body's length (strlen would stop at it). */
	arena_reset(a);
	CHECK(http_route_plan("POST", "/api/activities", NULL, "{\"message\":\"m\0\"}", 16, a, &r,
	          &allow, err, sizeof(err)) == 400);
	char path[96];
	snprintf(path, sizeof(path), "/api/activities/%s/reply", uuid);
	CHECK_RC(plan_body("POST", path, NULL, "{\"msg\":\"m\"}"), 400);
	CHECK_ERR("message is required");
	CHECK_RC(plan_body("POST", "/api/profile/update", NULL, "{\"bio\":1}"), 400);
	CHECK_ERR("bio must be a string");
	CHECK_RC(plan_body("POST", "/api/profile/update", NULL, "{\"display_name\":{}}"), 400);
	CHECK_ERR("display_name must be a string");
	CHECK_RC(plan_body("POST", "/api/profile/update", NULL, "null"), 400);

	/* Nesting far deeper than jansson parses: refused, no stack overflow. */
	size_t n = 200000;
	char  *deep = malloc(2 * n + 16);
	memcpy(deep, "{\"message\":", 11);
	memset(deep + 11, '[', n);
	memset(deep + 11 + n, ']', n);
	memcpy(deep + 11 + 2 * n, "}", 2);
	CHECK_RC(plan_body("POST", "/api/activities", NULL, deep), 400);
	free(deep);
	/* An error message about hostile bytes stays valid UTF-8 (plan_body checks it). */
	CHECK_RC(plan_body("POST", "/api/activities", NULL, "{\xff\xfe\xc3\x28: 1}"), 400);
}

int
main(void)
{
	a = arena_new();
	if (a == NULL)
		return 1;
	test_every_route();
	test_methods();
	test_not_found();
	test_bad_parameters();
	test_percent_encoding();
	test_bad_bodies();
	http_routes_render_cases();
	arena_free(a);
	return ts_finish("http_routes_test");
}
