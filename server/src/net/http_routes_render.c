/*
 * http_routes_render.c - http_route_render: an RPC's OK response as the JSON that
 * backend-flask answered the same route with (http_routes.h, docs/HTTP.md). No I/O, no
 * state.
 *
 * The shapes come from backend-flask's SQL (db/sql/activities/ and db/sql/users/, each
 * wrapped in row_to_json): an activity row is
 *   {"uuid", "display_name", "handle", "message", "replies_count", "reposts_count",
 *    "likes_count", "reply_to_activity_uuid", "expires_at", "created_at"}
 * with the counts as JSON numbers, reply_to_activity_uuid null when the row answers
 * nothing, and the times as ISO 8601 UTC with microseconds ("2026-12-02T13:04:05.123456Z";
 * expires_at null for an activity that never expires).
 *
 * The JSON is written straight into one growing buffer, not built as a jansson tree and
 * dumped: the shapes are fixed, their values only strings, integers and null, and the
 * tree cost ~95 us a page of 20 rows, a third of the server's CPU on GET
 * /api/activities/home (bench/run's ours-http, perf). The tests and the fuzz target read
 * every output back with jansson.
 *
 * Every string sent is valid UTF-8: the server's strings are, but a response is not
 * trusted to be (the fuzz target renders any bytes as any response), so a string that is
 * not goes out quoted as text_quote quotes it (\xNN for the bad bytes). A cursor is handed
 * back for the headers only when it is plain base64url of a bounded length, since it
 * goes into a header line as it is.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/stubs.h"
#include "net/http_routes.h"
#include "net/http_routes_internal.h"
#include "base/text.h"

/* The document being written; oom once a growth failed (then nothing is sent). */
typedef struct out {
	char  *buf;
	size_t len, cap;
	bool   oom;
} out;

static bool
reserve(out *o, size_t n)
{
	if (o->oom)
		return false;
	if (o->cap - o->len > n)
		return true;
	size_t cap = o->cap * 2 > o->len + n + 1 ? o->cap * 2 : o->len + n + 1;
	char  *b = realloc(o->buf, cap);
	if (b == NULL) {
		o->oom = true;
		return false;
	}
	o->buf = b;
	o->cap = cap;
	return true;
}

static void
put(out *o, const char *s, size_t n)
{
	if (reserve(o, n)) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}
#define PUT(o, lit) put(o, lit, sizeof(lit) - 1)

/* A JSON string of s, which is valid UTF-8: '"', '\\' and the C0 controls escaped
 * (RFC 8259, 7), every other byte as it is. */
static void
put_utf8_string(out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t            n = strlen(s);

	/* At most 6 bytes out for each byte in ("\u001f"), and the quotes. */
	if (!reserve(o, n * 6 + 2))
		return;
	char *w = o->buf + o->len;
	*w++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			*w++ = '\\';
			*w++ = (char)c;
		} else if (c == '\n') {
			*w++ = '\\';
			*w++ = 'n';
		} else if (c == '\t') {
			*w++ = '\\';
			*w++ = 't';
		} else if (c < 0x20) {
			memcpy(w, "\\u00", 4);
			w[4] = hex[c >> 4];
			w[5] = hex[c & 15];
			w += 6;
		} else {
			*w++ = (char)c;
		}
	}
	*w++ = '"';
	o->len = (size_t)(w - o->buf);
}

/* s (NULL: "") as a JSON string; quoted first when it is not valid UTF-8. */
static void
put_text(out *o, const char *s)
{
	if (s == NULL)
		s = "";
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0' && *p < 0x80) /* ASCII is valid UTF-8: most text needs no more */
		p++;
	if (*p == '\0' || text_utf8_length((const char *)p) >= 0) {
		put_utf8_string(o, s);
		return;
	}
	size_t n = strlen(s) * 4 + 8; /* every byte as \xNN, and the quote's room */
	char  *q = malloc(n);
	if (q == NULL) {
		o->oom = true;
		return;
	}
	put_utf8_string(o, text_quote(q, n, s));
	free(q);
}

/* "key": with its comma when it is not the object's first. */
static void
put_key(out *o, const char *key, bool first)
{
	if (!first)
		PUT(o, ",");
	PUT(o, "\"");
	put(o, key, strlen(key));
	PUT(o, "\":");
}

/* Writes the last `width` decimal digits of v (v >= 0) ending just before end. */
static void
digits(char *end, uint64_t v, int width)
{
	while (width-- > 0) {
		*--end = (char)('0' + v % 10);
		v /= 10;
	}
}

static void
put_int(out *o, int64_t v)
{
	char     buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	put(o, p, (size_t)(buf + sizeof(buf) - p));
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
static void
put_time(out *o, int64_t us)
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
	if (y < 1 || y > 9999) {
		PUT(o, "null");
		return;
	}
	/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" with its quotes, digit by digit (snprintf's cost
	 * showed at two times a row). */
	char buf[] = "\"0000-00-00T00:00:00.000000Z\"";
	digits(buf + 5, (uint64_t)y, 4);
	digits(buf + 8, (uint64_t)m, 2);
	digits(buf + 11, (uint64_t)d, 2);
	digits(buf + 14, (uint64_t)(rem / 3600), 2);
	digits(buf + 17, (uint64_t)(rem / 60 % 60), 2);
	digits(buf + 20, (uint64_t)(rem % 60), 2);
	digits(buf + 27, (uint64_t)frac, 6);
	put(o, buf, sizeof(buf) - 1);
}

static void
put_row(out *o, const Cruddur__V1__Activity *a)
{
	if (a == NULL) {
		PUT(o, "null");
		return;
	}
	PUT(o, "{\"uuid\":");
	put_text(o, a->uuid);
	PUT(o, ",\"display_name\":");
	put_text(o, a->display_name);
	PUT(o, ",\"handle\":");
	put_text(o, a->handle);
	PUT(o, ",\"message\":");
	put_text(o, a->message);
	PUT(o, ",\"replies_count\":");
	put_int(o, a->replies_count);
	PUT(o, ",\"reposts_count\":");
	put_int(o, a->reposts_count);
	PUT(o, ",\"likes_count\":");
	put_int(o, a->likes_count);
	PUT(o, ",\"reply_to_activity_uuid\":");
	if (a->reply_to_activity_uuid != NULL && a->reply_to_activity_uuid[0] != '\0')
		put_text(o, a->reply_to_activity_uuid);
	else
		PUT(o, "null");
	PUT(o, ",\"expires_at\":");
	if (a->expires_at_us != 0)
		put_time(o, a->expires_at_us);
	else
		PUT(o, "null");
	PUT(o, ",\"created_at\":");
	put_time(o, a->created_at_us);
	PUT(o, "}");
}

static void
put_rows(out *o, Cruddur__V1__Activity *const *as, size_t n)
{
	PUT(o, "[");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			PUT(o, ",");
		put_row(o, as[i]);
	}
	PUT(o, "]");
}

/* backend-flask's users/short.sql: what ShortUser and UpdateProfile answer with. */
static void
put_short_user(out *o, const char *uuid, const char *handle, const char *display_name)
{
	put_key(o, "uuid", true);
	put_text(o, uuid);
	put_key(o, "handle", false);
	put_text(o, handle);
	put_key(o, "display_name", false);
	put_text(o, display_name);
}

/* backend-flask's users/show.sql's profile, and the created_at that the app's profile
 * heading may show (docs/HTTP.md lists it as ours). */
static void
put_profile(out *o, const Cruddur__V1__User *u, int64_t cruds_count)
{
	if (u == NULL) {
		PUT(o, "null");
		return;
	}
	PUT(o, "{");
	put_short_user(o, u->uuid, u->handle, u->display_name);
	put_key(o, "bio", false);
	put_text(o, u->bio);
	put_key(o, "cognito_user_uuid", false);
	put_text(o, u->cognito_user_id);
	put_key(o, "cruds_count", false);
	put_int(o, cruds_count);
	put_key(o, "created_at", false);
	put_time(o, u->created_at_us);
	PUT(o, "}");
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

/* A ShortUser or a User as {"uuid", "handle", "display_name"}; null when absent. */
#define PUT_SHORT(o, u)                                                               \
	do {                                                                          \
		if ((u) == NULL) {                                                    \
			PUT(o, "null");                                               \
		} else {                                                              \
			PUT(o, "{");                                                  \
			put_short_user(o, (u)->uuid, (u)->handle, (u)->display_name); \
			PUT(o, "}");                                                  \
		}                                                                     \
	} while (0)

char *
http_route_render(const http_route *route, const ProtobufCMessage *response, size_t *len,
    const char **next_cursor)
{
	const char *next = NULL;

	if (next_cursor != NULL)
		*next_cursor = NULL;
	if (len != NULL)
		*len = 0;
	/* A response of another type than the route's method answers with is a caller's
	 * mistake; it is refused rather than read as the wrong struct. */
	if (route == NULL || route->method == NULL || response == NULL ||
	    response->descriptor != route->method->output)
		return NULL;

	/* About 400 bytes a row of the seed's: one allocation for most pages. */
	out o = {.cap = 1024};
	if ((o.buf = malloc(o.cap)) == NULL)
		return NULL;
	switch (route->shape) {
	case HTTP_SHAPE_HOME: {
		const Cruddur__V1__HomeFeedResponse *r = (const void *)response;
		if (r->n_activities < 1024)
			reserve(&o, r->n_activities * 512);
		put_rows(&o, r->activities, r->n_activities);
		next = header_cursor(r->next_cursor);
		break;
	}
	case HTTP_SHAPE_NEW_ACTIVITY:
		put_row(&o, ((const Cruddur__V1__CreateActivityResponse *)(const void *)response)->activity);
		break;
	case HTTP_SHAPE_NEW_REPLY:
		put_row(&o, ((const Cruddur__V1__CreateReplyResponse *)(const void *)response)->activity);
		break;
	case HTTP_SHAPE_SHOW: {
		const Cruddur__V1__ShowActivityResponse *r = (const void *)response;
		PUT(&o, "{\"activity\":");
		put_row(&o, r->activity);
		PUT(&o, ",\"replies\":");
		put_rows(&o, r->replies, r->n_replies);
		PUT(&o, "}");
		break;
	}
	case HTTP_SHAPE_USER_ACTIVITIES: {
		const Cruddur__V1__UserActivitiesResponse *r = (const void *)response;
		PUT(&o, "{\"profile\":");
		put_profile(&o, r->user, r->activities_count);
		PUT(&o, ",\"activities\":");
		put_rows(&o, r->activities, r->n_activities);
		PUT(&o, "}");
		next = header_cursor(r->next_cursor);
		break;
	}
	case HTTP_SHAPE_SHORT_USER:
		PUT_SHORT(&o, ((const Cruddur__V1__ShortUserResponse *)(const void *)response)->user);
		break;
	case HTTP_SHAPE_PROFILE:
		PUT_SHORT(&o, ((const Cruddur__V1__UpdateProfileResponse *)(const void *)response)->user);
		break;
	default:
		o.oom = true; /* no shape of ours: nothing to send */
		break;
	}
	if (!reserve(&o, 1)) {
		free(o.buf);
		return NULL;
	}
	o.buf[o.len] = '\0';
	if (len != NULL)
		*len = o.len;
	if (next_cursor != NULL)
		*next_cursor = next;
	return o.buf;
}
