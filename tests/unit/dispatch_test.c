/*
 * dispatch_test.c - the dispatcher on its own, without sockets or a
 * database: every malformed request gets the right status, and the
 * dispatcher keeps answering after each.
 *
 * The server's database URL points at a socket directory where nothing
 * listens, so calls that need the database see it down (UNAVAILABLE):
 * db_down_server.h, the fuzz targets' server too.
 * Every reply is decoded again by a strict proto3 decoder at the end
 * (strict_replies.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/auth.h"
#include "base/clock.h"
#include "db_down_server.h"
#include "rpc/dispatch.h"
#include "envelope.h"
#include "strict_replies.h"
#include "test_support.h"
#include "base/text.h"

static server srv;

/* Dispatches raw bytes; returns the decoded reply (free it). body_type
 * names the body's message for the strict decoder (NULL: none). */
static Cruddur__V1__ResponseEnvelope *
dispatch_bytes_of(const void *data, size_t len, int64_t received_us, const char *body_type)
{
	nng_msg *reply;
	ts_dispatch_raw(&srv, data, len, received_us, &reply);
	CHECK(reply != NULL);
	if (reply == NULL)
		return NULL;
	ts_strict_record(body_type, nng_msg_body(reply), nng_msg_len(reply));
	Cruddur__V1__ResponseEnvelope *env =
	    cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(reply), nng_msg_body(reply));
	nng_msg_free(reply);
	CHECK(env != NULL);
	return env;
}

static Cruddur__V1__ResponseEnvelope *
dispatch_bytes(const void *data, size_t len, int64_t received_us)
{
	return dispatch_bytes_of(data, len, received_us, NULL);
}

static Cruddur__V1__ResponseEnvelope *
dispatch_call(const char *method, const ProtobufCMessage *body, uint32_t deadline_ms,
    int64_t received_us)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	size_t                       len;
	uint8_t                     *buf;

	env.method = (char *)method;
	env.request_id = 777;
	env.deadline_ms = deadline_ms;
	if (body != NULL)
		env.body.data = cruddur_i_envelope_pack_alloc(body, &env.body.len);
	buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	const rpc_method_entry        *e = dispatch_find_method(method);
	Cruddur__V1__ResponseEnvelope *r =
	    dispatch_bytes_of(buf, len, received_us, e != NULL ? e->method->output->name : NULL);
	free(buf);
	free(env.body.data);
	return r;
}

static void
expect(Cruddur__V1__ResponseEnvelope *r, cruddur_status want, const char *message_part)
{
	if (r == NULL)
		return;
	if ((cruddur_status)r->status != want)
		ts_fail(__FILE__, __LINE__, "status %s, want %s (%s)",
		    cruddur_status_name((cruddur_status)r->status), cruddur_status_name(want), r->message);
	if (message_part != NULL && strstr(r->message, message_part) == NULL)
		ts_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", r->message, message_part);
	/* Only the drain refusal (dispatch_not_run_reply) says nothing ran:
	 * not a request that was dispatched, whatever its status (the
	 * database-down UNAVAILABLEs here too). */
	if (r->not_run)
		ts_fail(__FILE__, __LINE__, "not_run set on %s (%s)", cruddur_status_name(want),
		    r->message);
	cruddur__v1__response_envelope__free_unpacked(r, NULL);
}

static void
test_malformed(void)
{
	int64_t now = clock_mono_us();
	expect(dispatch_bytes("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11, now),
	    CRUDDUR_INVALID_ARGUMENT, "RequestEnvelope");
	/* An empty message is a valid, empty envelope: no method. */
	expect(dispatch_bytes("", 0, now), CRUDDUR_UNIMPLEMENTED, "unknown method");
	/* Field 1 (method) says 100 bytes follow; 3 do. */
	expect(dispatch_bytes("\x0a\x64" "abc", 5, now), CRUDDUR_INVALID_ARGUMENT, NULL);
	expect(dispatch_call("cruddur.v1.Nope/Nothing", NULL, 0, now), CRUDDUR_UNIMPLEMENTED, "Nope");
	expect(dispatch_call("", NULL, 0, now), CRUDDUR_UNIMPLEMENTED, NULL);

	/* A known method whose body is not its request message. */
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	size_t                       len;
	env.method = "cruddur.v1.Activities/HomeFeed";
	env.body.data = (uint8_t *)"\x08\xff\xff";
	env.body.len = 3;
	uint8_t *buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	expect(dispatch_bytes(buf, len, now), CRUDDUR_INVALID_ARGUMENT, "HomeFeedRequest");
	free(buf);

	/* Over --max-request-bytes (4096 here). */
	char *big = calloc(1, 10000);
	expect(dispatch_bytes(big, 10000, now), CRUDDUR_RESOURCE_EXHAUSTED, "exceeds");
	free(big);
}

static void
test_arguments_and_database_down(void)
{
	Cruddur__V1__HomeFeedRequest feed = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	int64_t                      now = clock_mono_us();
	const int32_t                bad_limits[] = { -1, 101, INT32_MIN, INT32_MAX };

	for (size_t i = 0; i < sizeof(bad_limits) / sizeof(bad_limits[0]); i++) {
		feed.limit = bad_limits[i];
		expect(dispatch_call("cruddur.v1.Activities/HomeFeed", &feed.base, 0, now),
		    CRUDDUR_INVALID_ARGUMENT, "limit");
	}
	feed.limit = 20;
	expect(dispatch_call("cruddur.v1.Activities/HomeFeed", &feed.base, 0, now),
	    CRUDDUR_UNAVAILABLE, "database");

	Cruddur__V1__GetUserRequest user = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	expect(dispatch_call("cruddur.v1.Users/GetUser", &user.base, 0, now),
	    CRUDDUR_INVALID_ARGUMENT, "handle");

	/* Its deadline passed while it waited in the queue: not run. */
	expect(dispatch_call("cruddur.v1.Activities/HomeFeed", &feed.base, 5, now - 10000),
	    CRUDDUR_DEADLINE_EXCEEDED, "deadline");
}

static void
test_health(void)
{
	Cruddur__V1__HealthCheckRequest req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	int64_t                         now = clock_mono_us();

	req.service = "cruddur.v1.NoSuchService";
	expect(dispatch_call("cruddur.v1.Health/Check", &req.base, 0, now), CRUDDUR_NOT_FOUND, "unknown service");

	const struct {
		const char *service;
		int         status;
	} cases[] = {
		{ "", CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING },
		{ "cruddur.v1.Activities", CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING },
		{ "cruddur.v1.DbAdmin", CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING },
		{ "cruddur.v1.Health", CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING },
		{ "cruddur.v1.Reflection", CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req.service = (char *)cases[i].service;
		Cruddur__V1__ResponseEnvelope *r = dispatch_call("cruddur.v1.Health/Check", &req.base, 0, now);
		if (r == NULL)
			continue;
		CHECK(r->status == CRUDDUR__V1__STATUS_CODE__OK);
		CHECK(r->request_id == 777);
		Cruddur__V1__HealthCheckResponse *h =
		    cruddur__v1__health_check_response__unpack(NULL, r->body.len, r->body.data);
		CHECK(h != NULL && (int)h->status == cases[i].status);
		cruddur__v1__health_check_response__free_unpacked(h, NULL);
		cruddur__v1__response_envelope__free_unpacked(r, NULL);
	}
}

static void
test_list_methods(void)
{
	Cruddur__V1__ListMethodsRequest req = CRUDDUR__V1__LIST_METHODS_REQUEST__INIT;
	Cruddur__V1__ResponseEnvelope  *r =
	    dispatch_call("cruddur.v1.Health/ListMethods", &req.base, 0, clock_mono_us());
	if (r == NULL)
		return;
	Cruddur__V1__ListMethodsResponse *lm =
	    cruddur__v1__list_methods_response__unpack(NULL, r->body.len, r->body.data);
	CHECK(lm != NULL);
	size_t methods = 0;
	bool   saw_feed = false;
	for (size_t i = 0; lm != NULL && i < lm->n_services; i++)
		for (size_t j = 0; j < lm->services[i]->n_methods; j++) {
			methods++;
			saw_feed |= strcmp(lm->services[i]->methods[j]->full_name,
			                "cruddur.v1.Activities/HomeFeed") == 0;
		}
	CHECK(lm != NULL && lm->n_services == 6); /* Activities, DbAdmin, Health, Reflection, Stats, Users */
	size_t implemented = 0;
	for (size_t i = 0; i < rpc_method_count; i++)
		implemented += rpc_method_table[i].implemented(&srv.services.handlers);
	CHECK(methods == implemented);
	CHECK(methods >= 10);
	CHECK(saw_feed);
	cruddur__v1__list_methods_response__free_unpacked(lm, NULL);
	cruddur__v1__response_envelope__free_unpacked(r, NULL);

	/* A method whose handler is not set is UNIMPLEMENTED, and not listed. */
	srv.services.handlers.users_get_user = NULL;
	Cruddur__V1__GetUserRequest user = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	user.handle = "hotwheels";
	expect(dispatch_call("cruddur.v1.Users/GetUser", &user.base, 0, clock_mono_us()),
	    CRUDDUR_UNIMPLEMENTED, "not implemented");
	svc_users_register(&srv.services);
}

/* Reflection serves the build's descriptor set, byte for byte, with the
 * database down (the strict decoder reads its reply as the response type). */
static void
test_reflection(void)
{
	Cruddur__V1__GetFileDescriptorSetRequest req = CRUDDUR__V1__GET_FILE_DESCRIPTOR_SET_REQUEST__INIT;
	Cruddur__V1__ResponseEnvelope           *r =
	    dispatch_call("cruddur.v1.Reflection/GetFileDescriptorSet", &req.base, 0, clock_mono_us());
	if (r == NULL)
		return;
	CHECK(r->status == CRUDDUR__V1__STATUS_CODE__OK);
	Cruddur__V1__GetFileDescriptorSetResponse *resp =
	    cruddur__v1__get_file_descriptor_set_response__unpack(NULL, r->body.len, r->body.data);
	CHECK(resp != NULL);

	const char *path = getenv("CRUDDUR_PROTO_DESC");
	FILE       *f = path != NULL ? fopen(path, "rb") : NULL;
	CHECK(f != NULL);
	if (resp != NULL && f != NULL) {
		uint8_t *want = malloc(resp->file_descriptor_set.len + 1);
		size_t   n = want != NULL ? fread(want, 1, resp->file_descriptor_set.len + 1, f) : 0;
		CHECK(n > 0 && n == resp->file_descriptor_set.len &&
		    memcmp(want, resp->file_descriptor_set.data, n) == 0);
		free(want);
	}
	if (f != NULL)
		fclose(f);
	if (resp != NULL)
		cruddur__v1__get_file_descriptor_set_response__free_unpacked(resp, NULL);
	cruddur__v1__response_envelope__free_unpacked(r, NULL);
}

/* A Health/Check envelope with token as its authorization (NULL: none),
 * and with a NUL at nul_marker when not NULL; dispatched. */
static Cruddur__V1__ResponseEnvelope *
call_health(const char *method, const char *token, const char *nul_marker)
{
	Cruddur__V1__HealthCheckRequest req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__RequestEnvelope    env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry      auth = CRUDDUR__V1__METADATA_ENTRY__INIT;
	Cruddur__V1__MetadataEntry     *md[1] = { &auth };
	size_t                          len;

	req.service = "cruddur.v1.Health"; /* SERVING without a database */
	env.method = (char *)method;
	if (token != NULL) {
		auth.key = "authorization";
		auth.value = (char *)token;
		env.metadata = md;
		env.n_metadata = 1;
	}
	env.body.data = cruddur_i_envelope_pack_alloc(&req.base, &env.body.len);
	uint8_t *buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	if (nul_marker != NULL)
		ts_nul_at(buf, len, nul_marker);
	Cruddur__V1__ResponseEnvelope *r =
	    dispatch_bytes_of(buf, len, clock_mono_us(), "cruddur.v1.HealthCheckResponse");
	free(buf);
	free(env.body.data);
	return r;
}

/* What follows a NUL in a string is invisible to protobuf-c: a method or
 * a token followed by NUL and junk must not pass for the method or the
 * token. And the token compare looks at every byte. */
static void
test_nul_and_token(void)
{
	const char *health = "cruddur.v1.Health/Check";
	const char *token = "0123456789abcdef0123";
	auth_token  held;

	CHECK(auth_token_init(&held, strdup(token)) == 0);
	srv.dispatch.auth.admin_token = &held;
	srv.dispatch.auth.require_token = true;
	expect(call_health(health, NULL, NULL), CRUDDUR_UNAUTHENTICATED, "needs a token");
	expect(call_health(health, token, NULL), CRUDDUR_OK, NULL);
	expect(call_health(health, "Bearer 0123456789abcdef0123", NULL), CRUDDUR_OK, NULL);
	/* The scheme is case-insensitive (RFC 7235), here as for /metrics. */
	expect(call_health(health, "bearer 0123456789abcdef0123", NULL), CRUDDUR_OK, NULL);
	expect(call_health(health, "BEARER 0123456789abcdef0123", NULL), CRUDDUR_OK, NULL);
	expect(call_health(health, "0123456789abcdef012", NULL), CRUDDUR_PERMISSION_DENIED, "not valid");
	expect(call_health(health, "0123456789abcdef01234", NULL), CRUDDUR_PERMISSION_DENIED, NULL);
	expect(call_health(health, "1123456789abcdef0123", NULL), CRUDDUR_PERMISSION_DENIED, NULL);
	/* The right token, then NUL and junk; the method, then NUL and junk. */
	expect(call_health(health, "0123456789abcdef0123Xjunk", "Xjunk"), CRUDDUR_INVALID_ARGUMENT,
	    "MetadataEntry.value holds a NUL");
	expect(call_health("cruddur.v1.Health/CheckXjunk", token, "Xjunk"), CRUDDUR_INVALID_ARGUMENT,
	    "RequestEnvelope.method holds a NUL");
	expect(call_health("cruddur.v1.Health/CheckX", token, "X"), CRUDDUR_INVALID_ARGUMENT,
	    "RequestEnvelope.method holds a NUL");
	expect(call_health("cruddur.v1.Nope/NopeXjunk", token, "Xjunk"), CRUDDUR_INVALID_ARGUMENT,
	    "RequestEnvelope.method holds a NUL");

	/* GET /metrics' check of the Authorization header. */
	CHECK(!auth_check_bearer(&srv.dispatch.auth, NULL));
	CHECK(!auth_check_bearer(&srv.dispatch.auth, ""));
	CHECK(!auth_check_bearer(&srv.dispatch.auth, token)); /* HTTP wants the scheme */
	CHECK(auth_check_bearer(&srv.dispatch.auth, "Bearer 0123456789abcdef0123"));
	CHECK(auth_check_bearer(&srv.dispatch.auth, "bearer 0123456789abcdef0123"));
	CHECK(!auth_check_bearer(&srv.dispatch.auth, "Bearer 0123456789abcdef012"));
	CHECK(!auth_check_bearer(&srv.dispatch.auth, "Bearer 0123456789abcdef0123 "));
	CHECK(!auth_check_bearer(&srv.dispatch.auth, "Basic 0123456789abcdef0123"));
	srv.dispatch.auth.require_token = false; /* the token guards DbAdmin only: /metrics is open */
	CHECK(auth_check_bearer(&srv.dispatch.auth, NULL));
	expect(call_health(health, NULL, NULL), CRUDDUR_OK, NULL);
	/* A replaced token (SIGHUP): the old one opens nothing, the new one does. */
	srv.dispatch.auth.require_token = true;
	auth_token_replace(&held, strdup("fedcba9876543210fedc"));
	expect(call_health(health, token, NULL), CRUDDUR_PERMISSION_DENIED, "not valid");
	expect(call_health(health, "fedcba9876543210fedc", NULL), CRUDDUR_OK, NULL);
	CHECK(auth_check_bearer(&srv.dispatch.auth, "Bearer fedcba9876543210fedc"));
	CHECK(!auth_check_bearer(&srv.dispatch.auth, "Bearer 0123456789abcdef0123"));
	srv.dispatch.auth.require_token = false;
	srv.dispatch.auth.admin_token = NULL;
	auth_token_fini(&held);
	CHECK(auth_check_bearer(&srv.dispatch.auth, NULL));
}

/* Replies that quote the caller's text: valid UTF-8 whatever it sent. */
static void
test_quoted_text(void)
{
	char method[400];

	/* Invalid bytes, and 3-byte characters that a byte count would cut. */
	snprintf(method, sizeof(method), "cruddur.v1.\xff\xfe/%s", "");
	for (size_t n = strlen(method); n + 3 < sizeof(method); n += 3)
		memcpy(method + n, "\xe2\x82\xac", 4);
	Cruddur__V1__ResponseEnvelope *r = dispatch_call(method, NULL, 0, clock_mono_us());
	if (r != NULL) {
		CHECK(text_utf8_length(r->message) > 0);
		CHECK(strstr(r->message, "\\xFF\\xFE") != NULL);
		CHECK(strstr(r->message, "...") != NULL);
	}
	expect(r, CRUDDUR_UNIMPLEMENTED, "unknown method");

	Cruddur__V1__HealthCheckRequest req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = method;
	r = dispatch_call("cruddur.v1.Health/Check", &req.base, 0, clock_mono_us());
	if (r != NULL)
		CHECK(text_utf8_length(r->message) > 0);
	expect(r, CRUDDUR_NOT_FOUND, "unknown service");

	/* The last guard: a message that is still not UTF-8 when the reply is
	 * packed goes out escaped. */
	nng_msg *reply = dispatch_status_reply(9, CRUDDUR_UNAVAILABLE, "cut \xe2\x82 and \xff");
	CHECK(reply != NULL);
	if (reply != NULL) {
		ts_strict_record(NULL, nng_msg_body(reply), nng_msg_len(reply));
		r = cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(reply), nng_msg_body(reply));
		nng_msg_free(reply);
		CHECK(r != NULL && strcmp(r->message, "cut \\xE2\\x82 and \\xFF") == 0);
		CHECK(r != NULL && !r->not_run); /* a status reply does not say nothing ran */
		expect(r, CRUDDUR_UNAVAILABLE, NULL);
	}
	/* The drain refusal (transport.c) says none of the request ran. */
	reply = dispatch_not_run_reply(0, "the server is shutting down");
	CHECK(reply != NULL);
	if (reply != NULL) {
		ts_strict_record(NULL, nng_msg_body(reply), nng_msg_len(reply));
		r = cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(reply), nng_msg_body(reply));
		nng_msg_free(reply);
		CHECK(r != NULL && r->not_run && strcmp(r->message, "the server is shutting down") == 0);
		if (r != NULL)
			cruddur__v1__response_envelope__free_unpacked(r, NULL);
	}
}

int
main(void)
{
	char err[512], sql_dir[512];

	snprintf(sql_dir, sizeof(sql_dir), "%s/sql", getenv("CRUDDUR_SOURCE_DIR") ? getenv("CRUDDUR_SOURCE_DIR") : ".");
	if (ts_db_down_server_init(&srv, sql_dir, 4096, 200, err, sizeof(err)) != 0) {
		fprintf(stderr, "server_init: %s\n", err);
		return 1;
	}
	test_malformed();
	test_arguments_and_database_down();
	test_health();
	test_list_methods();
	test_reflection();
	test_nul_and_token();
	test_quoted_text();
	server_fini(&srv);
	ts_strict_check();
	return ts_finish("dispatch_test");
}
