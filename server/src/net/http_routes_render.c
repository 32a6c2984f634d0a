/*
 * http_routes_render.c - http_route_render: an RPC's OK response as the JSON that
 * backend-flask answered the same route with (http_routes.h, docs/HTTP.md). No I/O, no
 * state; the JSON is built with jansson and printed compact.
 *
 * The shapes come from backend-flask's SQL (db/sql/activities/ and db/sql/users/, each
 * wrapped in row_to_json): an activity row is
 *   {"uuid", "display_name", "handle", "message", "replies_count", "reposts_count",
 *    "likes_count", "reply_to_activity_uuid", "expires_at", "created_at"}
 * with the counts as JSON numbers, reply_to_activity_uuid null when the row answers
 * nothing, and the times as ISO 8601 UTC with microseconds ("2026-12-02T13:04:05.123456Z";
 * expires_at null for an activity that never expires).
 *
 * Every string sent is valid UTF-8: the server's strings are, but a response is not
 * trusted to be (the fuzz target renders any bytes as any response), so a string that is
 * not goes out quoted as text_quote quotes it (\xNN for the bad bytes). A cursor is handed
 * back for the headers only when it is plain base64url of a bounded length, since it
 * goes into a header line as it is.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/stubs.h"
#include "net/http_routes.h"
#include "net/http_routes_internal.h"
#include "base/text.h"

/* Tracks an out-of-memory anywhere in building one document: jansson's constructors
 * return NULL and its setters -1, and a document with a hole must not be sent. */
typedef struct doc {
	bool oom;
} doc;

static void
set(doc *d, json_t *obj, const char *key, json_t *value)
{
	/* json_object_set_new takes value (and frees it on failure); a NULL value fails. */
	if (obj == NULL || value == NULL || json_object_set_new(obj, key, value) != 0) {
		if (obj == NULL)
			json_decref(value);
		d->oom = true;
	}
}

static void
append(doc *d, json_t *arr, json_t *value)
{
	if (arr == NULL || value == NULL || json_array_append_new(arr, value) != 0) {
		if (arr == NULL)
			json_decref(value);
		d->oom = true;
	}
}

/* s as a JSON string; s quoted (always valid UTF-8) when s is not valid UTF-8. */
static json_t *
text(const char *s)
{
	if (s == NULL)
		s = "";
	json_t *j = json_string(s); /* NULL for invalid UTF-8, or out of memory */
	if (j != NULL || text_utf8_length(s) >= 0)
		return j;
	size_t n = strlen(s) * 4 + 8; /* every byte as \xNN, and the quote's room */
	char  *q = malloc(n);
	if (q == NULL)
		return NULL;
	j = json_string(text_quote(q, n, s));
	free(q);
	return j;
}

/* Days since 1970-01-01 as a civil date (proleptic Gregorian; H. Hinnant's
 * civil_from_days), exact for every int64 day count the callers pass. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t  era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ"; JSON null for a time
 * outside years 0001..9999, which ISO 8601's four digits cannot say (the server's times
 * never are). */
static json_t *
iso_time(int64_t us)
{
	/* Floor division: a time before 1970 is the day before, plus a positive part. */
	int64_t secs = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs -= 1;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days -= 1;
	}
	int64_t y;
	int     m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return json_null();
	char buf[64];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", (int)y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)frac);
	return json_string(buf);
}

static json_t *
row(doc *d, const Cruddur__V1__Activity *a)
{
	if (a == NULL)
		return json_null();
	json_t *o = json_object();
	set(d, o, "uuid", text(a->uuid));
	set(d, o, "display_name", text(a->display_name));
	set(d, o, "handle", text(a->handle));
	set(d, o, "message", text(a->message));
	set(d, o, "replies_count", json_integer(a->replies_count));
	set(d, o, "reposts_count", json_integer(a->reposts_count));
	set(d, o, "likes_count", json_integer(a->likes_count));
	set(d, o, "reply_to_activity_uuid",
	    a->reply_to_activity_uuid != NULL && a->reply_to_activity_uuid[0] != '\0'
	        ? text(a->reply_to_activity_uuid)
	        : json_null());
	set(d, o, "expires_at", a->expires_at_us != 0 ? iso_time(a->expires_at_us) : json_null());
	set(d, o, "created_at", iso_time(a->created_at_us));
	return o;
}

static json_t *
rows(doc *d, Cruddur__V1__Activity *const *as, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		append(d, arr, row(d, as[i]));
	return arr;
}

/* backend-flask's users/short.sql: what ShortUser and UpdateProfile answer with. */
static json_t *
short_user(doc *d, const char *uuid, const char *handle, const char *display_name)
{
	json_t *o = json_object();
	set(d, o, "uuid", text(uuid));
	set(d, o, "handle", text(handle));
	set(d, o, "display_name", text(display_name));
	return o;
}

/* backend-flask's users/show.sql's profile, and the created_at that the app's profile
 * heading may show (docs/HTTP.md lists it as ours). */
static json_t *
profile(doc *d, const Cruddur__V1__User *u, int64_t cruds_count)
{
	if (u == NULL)
		return json_null();
	json_t *o = json_object();
	set(d, o, "uuid", text(u->uuid));
	set(d, o, "handle", text(u->handle));
	set(d, o, "display_name", text(u->display_name));
	set(d, o, "bio", text(u->bio));
	set(d, o, "cognito_user_uuid", text(u->cognito_user_id));
	set(d, o, "cruds_count", json_integer(cruds_count));
	set(d, o, "created_at", iso_time(u->created_at_us));
	return o;
}

/* A cursor fit to send as a header value as it is: base64url, 1..HTTP_ROUTE_CURSOR_MAX. */
static const char *
header_cursor(const char *c)
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	if (c == NULL)
		return NULL;
	size_t n = strnlen(c, HTTP_ROUTE_CURSOR_MAX + 1);
	if (n == 0 || n > HTTP_ROUTE_CURSOR_MAX || strspn(c, b64url) != n)
		return NULL;
	return c;
}

char *
http_route_render(const http_route *route, const ProtobufCMessage *response, size_t *len,
    const char **next_cursor)
{
	doc     d = {false};
	json_t *root = NULL;

	if (next_cursor != NULL)
		*next_cursor = NULL;
	if (len != NULL)
		*len = 0;
	/* A response of another type than the route's method answers with is a caller's
	 * mistake; it is refused rather than read as the wrong struct. */
	if (route == NULL || route->method == NULL || response == NULL ||
	    response->descriptor != route->method->output)
		return NULL;

	switch (route->shape) {
	case HTTP_SHAPE_HOME: {
		const Cruddur__V1__HomeFeedResponse *r = (const void *)response;
		root = rows(&d, r->activities, r->n_activities);
		if (next_cursor != NULL)
			*next_cursor = header_cursor(r->next_cursor);
		break;
	}
	case HTTP_SHAPE_NEW_ACTIVITY:
		root = row(&d, ((const Cruddur__V1__CreateActivityResponse *)(const void *)response)->activity);
		break;
	case HTTP_SHAPE_NEW_REPLY:
		root = row(&d, ((const Cruddur__V1__CreateReplyResponse *)(const void *)response)->activity);
		break;
	case HTTP_SHAPE_SHOW: {
		const Cruddur__V1__ShowActivityResponse *r = (const void *)response;
		root = json_object();
		set(&d, root, "activity", row(&d, r->activity));
		set(&d, root, "replies", rows(&d, r->replies, r->n_replies));
		break;
	}
	case HTTP_SHAPE_USER_ACTIVITIES: {
		const Cruddur__V1__UserActivitiesResponse *r = (const void *)response;
		root = json_object();
		set(&d, root, "profile", profile(&d, r->user, r->activities_count));
		set(&d, root, "activities", rows(&d, r->activities, r->n_activities));
		if (next_cursor != NULL)
			*next_cursor = header_cursor(r->next_cursor);
		break;
	}
	case HTTP_SHAPE_SHORT_USER: {
		const Cruddur__V1__ShortUser *u = ((const Cruddur__V1__ShortUserResponse *)(const void *)response)->user;
		root = u != NULL ? short_user(&d, u->uuid, u->handle, u->display_name) : json_null();
		break;
	}
	case HTTP_SHAPE_PROFILE: {
		const Cruddur__V1__User *u = ((const Cruddur__V1__UpdateProfileResponse *)(const void *)response)->user;
		root = u != NULL ? short_user(&d, u->uuid, u->handle, u->display_name) : json_null();
		break;
	}
	default:
		return NULL;
	}

	char *out = NULL;
	if (root != NULL && !d.oom)
		out = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(root);
	if (out == NULL) {
		if (next_cursor != NULL)
			*next_cursor = NULL;
		return NULL;
	}
	if (len != NULL)
		*len = strlen(out);
	return out;
}
