/*
 * http_status_test.c - the HTTP gateway's statuses: every status's HTTP code
 * (google.rpc's mapping), reason phrases, and error bodies that stay valid
 * JSON and valid UTF-8 whatever bytes the message holds; the next page's
 * Link header.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "net/http_link.h"
#include "net/http_status.h"
#include "test_support.h"

static void
test_codes(void)
{
	static const uint16_t want[] = { 200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400,
		501, 500, 503, 500, 401 };

	for (int st = 0; st <= CRUDDUR_UNAUTHENTICATED; st++)
		CHECK(http_status_from_rpc((cruddur_status)st) == want[st]);
	CHECK(http_status_from_rpc((cruddur_status)99) == 500);
	CHECK_STREQ(http_reason(413), "Content Too Large");
	CHECK_STREQ(http_reason(499), "Client Closed Request");
	CHECK_STREQ(http_reason(418), "Bad Request");
}

/* body parses as {"code": st, "status": name, "message": <a string>}; the message in *msg. */
static void
check_body(const char *body, size_t len, cruddur_status st, char *msg, size_t msglen)
{
	json_error_t e;
	json_t      *o = json_loadb(body, len, 0, &e);

	CHECK(o != NULL && json_object_size(o) == 3);
	if (o == NULL)
		return;
	CHECK(json_integer_value(json_object_get(o, "code")) == st);
	CHECK_STREQ(json_string_value(json_object_get(o, "status")), cruddur_status_name(st));
	CHECK(json_is_string(json_object_get(o, "message")));
	snprintf(msg, msglen, "%s", json_string_value(json_object_get(o, "message")));
	json_decref(o);
}

static void
test_bodies(void)
{
	char   msg[256];
	size_t len = 0;
	char  *b = http_error_body(CRUDDUR_INVALID_ARGUMENT, "limit: \"x\" is not a number", &len);

	CHECK(b != NULL && len == strlen(b));
	check_body(b, len, CRUDDUR_INVALID_ARGUMENT, msg, sizeof(msg));
	CHECK_STREQ(msg, "limit: \"x\" is not a number");
	free(b);
	/* Not UTF-8 (a database's words cut inside a character): quoted, never refused. */
	b = http_error_body(CRUDDUR_INTERNAL, "bad \xc3 byte \xff", &len);
	CHECK(b != NULL);
	check_body(b, len, CRUDDUR_INTERNAL, msg, sizeof(msg));
	CHECK(strstr(msg, "bad ") == msg);
	free(b);
	b = http_error_body(CRUDDUR_NOT_FOUND, NULL, &len);
	CHECK(b != NULL);
	check_body(b, len, CRUDDUR_NOT_FOUND, msg, sizeof(msg));
	CHECK_STREQ(msg, "");
	free(b);
}

static void
check_link(const char *path, const char *query, const char *next, const char *want)
{
	char *got = http_next_link(path, query, next);

	if (want == NULL)
		CHECK(got == NULL);
	else
		CHECK_STREQ(got != NULL ? got : "(null)", want);
	free(got);
}

static void
test_links(void)
{
	check_link("/api/activities/home", NULL, "abc", "</api/activities/home?cursor=abc>; rel=\"next\"");
	/* The old cursor goes, the other parameters stay; the cursor is percent-encoded. */
	check_link("/api/activities/home", "limit=5&cursor=old&x", "a+b/c=",
	    "</api/activities/home?limit=5&x&cursor=a%2Bb%2Fc%3D>; rel=\"next\"");
	check_link("/api/activities/@andrew", "cursor&limit=2", "z",
	    "</api/activities/@andrew?limit=2&cursor=z>; rel=\"next\"");
	/* Bytes a header must not carry: no Link at all. */
	check_link("/api/x>y", NULL, "z", NULL);
	check_link("/api/x", "a=\"b", "z", NULL);
	check_link("/api/x", "a=\r\nSet-Cookie: y", "z", NULL);
}

int
main(void)
{
	test_codes();
	test_bodies();
	test_links();
	return ts_finish("http_status_test");
}
