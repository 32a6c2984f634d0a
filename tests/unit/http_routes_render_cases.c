/*
 * http_routes_render_cases.c - http_route_render on every shape, part of
 * http_routes_test: each output is parsed again with jansson and its keys, types and
 * values checked; hostile responses (invalid UTF-8, times past year 9999, a cursor that
 * would break a header) still give valid JSON, valid UTF-8 and no unsafe cursor.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "cruddur/stubs.h"
#include "net/http_routes.h"
#include "net/http_routes_internal.h"
#include "base/text.h"

void http_routes_render_cases(void);

static const char *const row_keys[] = {"uuid", "display_name", "handle", "message",
	"replies_count", "reposts_count", "likes_count", "reply_to_activity_uuid", "expires_at",
	"created_at"};

/* Renders, checks the text is valid UTF-8 JSON of that length, returns it parsed. */
static json_t *
render(const cruddur_method *m, int shape, const ProtobufCMessage *resp, const char **cursor,
    int line)
{
	http_route   route = {m, NULL, shape};
	size_t       len = 12345;
	json_error_t je;
	char        *out = http_route_render(&route, resp, &len, cursor);

	if (out == NULL) {
		ts_fail(__FILE__, line, "render gave NULL");
		return NULL;
	}
	if (len != strlen(out) || text_utf8_length(out) < 0)
		ts_fail(__FILE__, line, "bad length or UTF-8: %s", out);
	json_t *j = json_loads(out, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (j == NULL)
		ts_fail(__FILE__, line, "not JSON (%s): %s", je.text, out);
	free(out);
	return j;
}
#define RENDER(m, shape, resp, cursor) render(m, shape, &(resp)->base, cursor, __LINE__)

static void
check_str(json_t *o, const char *key, const char *want, int line)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
		ts_fail(__FILE__, line, "%s is not \"%s\"", key, want);
}
#define CHECK_JSTR(o, key, want) check_str(o, key, want, __LINE__)

static void
check_int(json_t *o, const char *key, json_int_t want, int line)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) != want)
		ts_fail(__FILE__, line, "%s is not %lld", key, (long long)want);
}
#define CHECK_JINT(o, key, want) check_int(o, key, want, __LINE__)

/* Exactly the keys of an activity row, and their types. */
static void
check_row_shape(json_t *o, int line)
{
	if (!json_is_object(o) || json_object_size(o) != sizeof(row_keys) / sizeof(row_keys[0])) {
		ts_fail(__FILE__, line, "a row is an object of %zu keys",
		    sizeof(row_keys) / sizeof(row_keys[0]));
		return;
	}
	for (size_t i = 0; i < sizeof(row_keys) / sizeof(row_keys[0]); i++) {
		json_t *v = json_object_get(o, row_keys[i]);
		bool    ok = v != NULL;
		if (ok && strstr(row_keys[i], "_count") != NULL)
			ok = json_is_integer(v);
		else if (ok && (strcmp(row_keys[i], "reply_to_activity_uuid") == 0 ||
		                   strcmp(row_keys[i], "expires_at") == 0))
			ok = json_is_string(v) || json_is_null(v);
		else if (ok)
			ok = json_is_string(v);
		if (!ok)
			ts_fail(__FILE__, line, "row key %s missing or of the wrong type", row_keys[i]);
	}
}

static Cruddur__V1__Activity
activity(const char *uuid, const char *message, int64_t created_us, int64_t expires_us,
    const char *reply_to)
{
	Cruddur__V1__Activity x;
	cruddur__v1__activity__init(&x);
	x.uuid = (char *)uuid;
	x.user_uuid = (char *)"11111111-2222-3333-4444-555555555555";
	x.handle = (char *)"andrewbrown";
	x.display_name = (char *)"Andrew Brown";
	x.message = (char *)message;
	x.replies_count = 3;
	x.reposts_count = 0;
	x.likes_count = INT64_C(9007199254740993); /* past a double's exact integers */
	x.expires_at_us = expires_us;
	x.created_at_us = created_us;
	x.reply_to_activity_uuid = (char *)(reply_to != NULL ? reply_to : "");
	return x;
}

static void
test_home_and_times(void)
{
	Cruddur__V1__Activity a0 = activity("0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60", "hello",
	    INT64_C(1796216645123456), INT64_C(951868799999999), NULL);
	Cruddur__V1__Activity a1 = activity("1b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60",
	    "caf\xc3\xa9 \xff\xfe bad", -1, 0, "0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60");
	Cruddur__V1__Activity a2 = activity("2", "far", INT64_MAX, INT64_MIN, NULL);
	Cruddur__V1__Activity a3 = activity("3", "edges", INT64_C(-62135596800000000),
	    INT64_C(253402300799999999), NULL);
	Cruddur__V1__Activity *list[] = {&a0, &a1, &a2, &a3};
	Cruddur__V1__HomeFeedResponse resp;
	cruddur__v1__home_feed_response__init(&resp);
	resp.activities = list;
	resp.n_activities = 4;
	resp.next_cursor = (char *)"MTc5NjIxNjY0NTEyMzQ1Ni4wYjZl";
	const char *cursor = NULL;

	json_t *j = RENDER(&cruddur_method_activities_home_feed, HTTP_SHAPE_HOME, &resp, &cursor);
	CHECK(cursor == resp.next_cursor);
	CHECK(json_is_array(j) && json_array_size(j) == 4);
	for (size_t i = 0; i < json_array_size(j); i++)
		if (i != 2) /* a2's created_at is past year 9999: null, checked below */
			check_row_shape(json_array_get(j, i), __LINE__);
	json_t *r0 = json_array_get(j, 0), *r1 = json_array_get(j, 1);
	json_t *r2 = json_array_get(j, 2), *r3 = json_array_get(j, 3);
	CHECK_JSTR(r0, "uuid", "0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60");
	CHECK_JSTR(r0, "handle", "andrewbrown");
	CHECK_JSTR(r0, "display_name", "Andrew Brown");
	CHECK_JSTR(r0, "message", "hello");
	CHECK_JINT(r0, "replies_count", 3);
	CHECK_JINT(r0, "reposts_count", 0);
	CHECK_JINT(r0, "likes_count", INT64_C(9007199254740993));
	CHECK_JSTR(r0, "created_at", "2026-12-02T13:04:05.123456Z");
	CHECK_JSTR(r0, "expires_at", "2000-02-29T23:59:59.999999Z");
	CHECK(json_is_null(json_object_get(r0, "reply_to_activity_uuid")));
	CHECK_JSTR(r1, "created_at", "1969-12-31T23:59:59.999999Z");
	CHECK(json_is_null(json_object_get(r1, "expires_at"))); /* never expires */
	CHECK_JSTR(r1, "reply_to_activity_uuid", "0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60");
	CHECK_JSTR(r1, "message", "caf\xc3\xa9 \\xFF\\xFE bad"); /* the bad bytes, quoted */
	CHECK(json_is_null(json_object_get(r2, "created_at")));
	CHECK(json_is_null(json_object_get(r2, "expires_at")));
	CHECK_JSTR(r3, "created_at", "0001-01-01T00:00:00.000000Z");
	CHECK_JSTR(r3, "expires_at", "9999-12-31T23:59:59.999999Z");
	json_decref(j);

	/* The last page; and cursors that must never reach a header line. */
	static const char *const unsafe[] = {"", "abc\r\nSet-Cookie: x=1", "a b", "abc=", "a/b",
		"\xc3\xa9"};
	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		resp.next_cursor = (char *)unsafe[i];
		cursor = "set";
		json_decref(RENDER(&cruddur_method_activities_home_feed, HTTP_SHAPE_HOME, &resp, &cursor));
		CHECK(cursor == NULL);
	}
	char long_cursor[HTTP_ROUTE_CURSOR_MAX + 2];
	memset(long_cursor, 'A', sizeof(long_cursor) - 1);
	long_cursor[sizeof(long_cursor) - 1] = '\0';
	resp.next_cursor = long_cursor;
	json_decref(RENDER(&cruddur_method_activities_home_feed, HTTP_SHAPE_HOME, &resp, &cursor));
	CHECK(cursor == NULL);

	/* An empty page is an empty array, as query_array_json's COALESCE(..., '[]'). */
	resp.n_activities = 0;
	resp.activities = NULL;
	char *out = http_route_render(&(http_route){&cruddur_method_activities_home_feed, NULL,
	    HTTP_SHAPE_HOME}, &resp.base, NULL, NULL);
	CHECK(out != NULL && strcmp(out, "[]") == 0);
	free(out);
}

static void
test_writes_and_show(void)
{
	Cruddur__V1__Activity a0 = activity("0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60", "new", 1, 2, NULL);
	Cruddur__V1__CreateActivityResponse ca;
	cruddur__v1__create_activity_response__init(&ca);
	ca.activity = &a0;
	ca.replayed = true;
	json_t *j = RENDER(&cruddur_method_activities_create_activity, HTTP_SHAPE_NEW_ACTIVITY, &ca, NULL);
	check_row_shape(j, __LINE__);
	CHECK_JSTR(j, "message", "new");
	CHECK_JSTR(j, "created_at", "1970-01-01T00:00:00.000001Z");
	json_decref(j);

	Cruddur__V1__Activity rep = activity("1b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60", "re", 5, 6,
	    a0.uuid);
	Cruddur__V1__CreateReplyResponse cr;
	cruddur__v1__create_reply_response__init(&cr);
	cr.activity = &rep;
	j = RENDER(&cruddur_method_activities_create_reply, HTTP_SHAPE_NEW_REPLY, &cr, NULL);
	check_row_shape(j, __LINE__);
	CHECK_JSTR(j, "reply_to_activity_uuid", a0.uuid);
	json_decref(j);

	Cruddur__V1__Activity *replies[] = {&rep, &rep};
	Cruddur__V1__ShowActivityResponse sa;
	cruddur__v1__show_activity_response__init(&sa);
	sa.activity = &a0;
	sa.replies = replies;
	sa.n_replies = 2;
	j = RENDER(&cruddur_method_activities_show_activity, HTTP_SHAPE_SHOW, &sa, NULL);
	CHECK(json_is_object(j) && json_object_size(j) == 2);
	check_row_shape(json_object_get(j, "activity"), __LINE__);
	CHECK_JSTR(json_object_get(j, "activity"), "uuid", a0.uuid);
	json_t *rs = json_object_get(j, "replies");
	CHECK(json_is_array(rs) && json_array_size(rs) == 2);
	check_row_shape(json_array_get(rs, 1), __LINE__);
	json_decref(j);
	sa.n_replies = 0;
	j = RENDER(&cruddur_method_activities_show_activity, HTTP_SHAPE_SHOW, &sa, NULL);
	CHECK(json_is_array(json_object_get(j, "replies")) &&
	      json_array_size(json_object_get(j, "replies")) == 0);
	json_decref(j);
}

static void
test_users(void)
{
	Cruddur__V1__User u;
	cruddur__v1__user__init(&u);
	u.uuid = (char *)"11111111-2222-3333-4444-555555555555";
	u.handle = (char *)"andrewbrown";
	u.display_name = (char *)"Andrew \xe2\x80\x9c" "Brown\xe2\x80\x9d";
	u.email = (char *)"andrew@example.com";
	u.cognito_user_id = (char *)"c0gn170-sub";
	u.bio = (char *)"bio\n\"quoted\"";
	u.created_at_us = INT64_C(1796216645000000);

	Cruddur__V1__Activity  a0 = activity("0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60", "mine", 7, 0, NULL);
	Cruddur__V1__Activity *list[] = {&a0};
	Cruddur__V1__UserActivitiesResponse ua;
	cruddur__v1__user_activities_response__init(&ua);
	ua.user = &u;
	ua.activities_count = 42;
	ua.activities = list;
	ua.n_activities = 1;
	ua.next_cursor = (char *)"NzAuMGI2ZThhNDI";
	const char *cursor = NULL;
	json_t     *j = RENDER(&cruddur_method_users_user_activities, HTTP_SHAPE_USER_ACTIVITIES, &ua,
	        &cursor);
	CHECK(cursor == ua.next_cursor);
	CHECK(json_is_object(j) && json_object_size(j) == 2);
	json_t *p = json_object_get(j, "profile");
	CHECK(json_is_object(p) && json_object_size(p) == 7);
	CHECK_JSTR(p, "uuid", u.uuid);
	CHECK_JSTR(p, "handle", "andrewbrown");
	CHECK_JSTR(p, "display_name", u.display_name);
	CHECK_JSTR(p, "bio", "bio\n\"quoted\"");
	CHECK_JSTR(p, "cognito_user_uuid", "c0gn170-sub");
	CHECK_JINT(p, "cruds_count", 42);
	CHECK_JSTR(p, "created_at", "2026-12-02T13:04:05.000000Z");
	CHECK(json_object_get(p, "email") == NULL); /* backend-flask's profile has no email */
	json_t *as = json_object_get(j, "activities");
	CHECK(json_is_array(as) && json_array_size(as) == 1);
	check_row_shape(json_array_get(as, 0), __LINE__);
	json_decref(j);

	Cruddur__V1__ShortUser su;
	cruddur__v1__short_user__init(&su);
	su.uuid = u.uuid;
	su.handle = u.handle;
	su.display_name = (char *)"\xc0\xaf"; /* an overlong '/': invalid, quoted */
	Cruddur__V1__ShortUserResponse sr;
	cruddur__v1__short_user_response__init(&sr);
	sr.user = &su;
	j = RENDER(&cruddur_method_users_short_user, HTTP_SHAPE_SHORT_USER, &sr, NULL);
	CHECK(json_is_object(j) && json_object_size(j) == 3);
	CHECK_JSTR(j, "uuid", u.uuid);
	CHECK_JSTR(j, "handle", "andrewbrown");
	CHECK_JSTR(j, "display_name", "\\xC0\\xAF");
	json_decref(j);

	Cruddur__V1__UpdateProfileResponse up;
	cruddur__v1__update_profile_response__init(&up);
	up.user = &u;
	j = RENDER(&cruddur_method_users_update_profile, HTTP_SHAPE_PROFILE, &up, NULL);
	CHECK(json_is_object(j) && json_object_size(j) == 3);
	CHECK_JSTR(j, "display_name", u.display_name);
	json_decref(j);

	/* Missing submessages render as null, never a crash. */
	up.user = NULL;
	j = RENDER(&cruddur_method_users_update_profile, HTTP_SHAPE_PROFILE, &up, NULL);
	CHECK(json_is_null(j));
	json_decref(j);
	ua.user = NULL;
	j = RENDER(&cruddur_method_users_user_activities, HTTP_SHAPE_USER_ACTIVITIES, &ua, NULL);
	CHECK(json_is_null(json_object_get(j, "profile")));
	json_decref(j);

	/* A response of another type than the route's is refused. */
	http_route route = {&cruddur_method_users_short_user, NULL, HTTP_SHAPE_SHORT_USER};
	size_t     len = 7;
	CHECK(http_route_render(&route, &up.base, &len, NULL) == NULL && len == 0);
	route.shape = 999;
	CHECK(http_route_render(&route, &sr.base, &len, NULL) == NULL);
	CHECK(http_route_render(NULL, &sr.base, &len, NULL) == NULL);
}

void
http_routes_render_cases(void)
{
	test_home_and_times();
	test_writes_and_show();
	test_users();
}
