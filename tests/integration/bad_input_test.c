/*
 * bad_input_test.c - what a hostile or broken peer can send: metadata
 * floods, invalid UTF-8 in every kind of text field, limits at the edges
 * of int32, SQL in every free-text field, and tens of thousands of bad
 * frames, replies that quote the caller's text, NUL bytes inside the method
 * and the token, and a Health detail that quotes the database. Each gets a clear status, the server keeps serving, text
 * is stored and returned byte for byte, and the server's memory stays
 * bounded.
 *
 * Every call goes over a raw REQ socket (ts_raw_call), as a client in any
 * language would make it, and every reply is decoded again at the end by a
 * strict proto3 decoder (python3-protobuf, strict_replies.h): a reply with
 * a string that is not valid UTF-8 fails the test. The server requires
 * its token for every call (--require-token), so the auth path is on the
 * way of all of them.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "envelope.h"
#include "strict_replies.h"
#include "test_support.h"

#define DB "cruddur_bad_input_test"
#define TOKEN "bad-input-test-token-0123456789"

static nng_socket raw; /* every call's socket */
static char       msg[1024]; /* the last reply's message */

/* A call of the stub's method with its request on raw, with the token. */
#define CALL(method, req, resp) \
	ts_raw_call(raw, &cruddur_method_##method, TOKEN, &(req)->base, (ProtobufCMessage **)(resp), \
	    msg, sizeof(msg))

/* Checks a raw call's status; on a mismatch prints both and the message. */
#define CHECK_RAW(got, want)                                                          \
	do {                                                                          \
		int g_ = (got), w_ = (want);                                          \
		if (g_ != w_)                                                         \
			ts_fail(__FILE__, __LINE__, "status %d, want %s (%s)", g_,     \
			    cruddur_status_name((cruddur_status)w_), msg);               \
	} while (0)

static void
free_unpacked(void *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
}

static const char *const injections[] = {
	"Robert'); DROP TABLE users;--",
	"' OR '1'='1",
	"\"; DELETE FROM activities; --",
	"$1 $2 %s %n \\x00 \\\\ ; COMMIT; DROP DATABASE postgres;",
};

static void
test_metadata_flood(nng_socket s)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry   entry = CRUDDUR__V1__METADATA_ENTRY__INIT;
	size_t                       n = 5000, len; /* about 40 kB: under the size limit */
	Cruddur__V1__MetadataEntry **many = calloc(n, sizeof(*many));

	entry.key = "x";
	entry.value = "y";
	for (size_t i = 0; i < n; i++)
		many[i] = &entry;
	env.method = "cruddur.v1.Health/Check";
	env.metadata = many;
	env.n_metadata = n;
	uint8_t *buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	CHECK(ts_raw_send(s, buf, len, NULL, 0) == CRUDDUR_INVALID_ARGUMENT);
	free(buf);

	char *big = malloc(10000); /* over the 8 KiB a metadata value may have */
	memset(big, 'v', 9999);
	big[9999] = '\0';
	entry.value = big;
	env.n_metadata = 1;
	buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	CHECK(ts_raw_send(s, buf, len, NULL, 0) == CRUDDUR_INVALID_ARGUMENT);
	free(buf);
	free(big);
	free(many);
}

static void
test_invalid_utf8(void)
{
	const char *bad = "caf\xc3\x28 \xff\xfe";

	Cruddur__V1__CreateUserRequest   cu = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;
	Cruddur__V1__CreateUserResponse *cur = NULL;
	cu.display_name = (char *)bad;
	cu.handle = "utf8_user";
	cu.email = "u@example.com";
	cu.cognito_user_id = "utf8-cognito";
	CHECK_RAW(CALL(users_create_user, &cu, &cur), CRUDDUR_INVALID_ARGUMENT);

	Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
	Cruddur__V1__CreateActivityRequest   ca = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__CreateActivityResponse *car = NULL;
	author.handle = "hotwheels";
	ca.author = &author;
	ca.message = (char *)bad;
	CHECK_RAW(CALL(activities_create_activity, &ca, &car), CRUDDUR_INVALID_ARGUMENT);
	CHECK(strstr(msg, "UTF-8") != NULL);

	Cruddur__V1__UserRef                ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__StringValue            bio = CRUDDUR__V1__STRING_VALUE__INIT;
	Cruddur__V1__UpdateProfileRequest   up = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
	Cruddur__V1__UpdateProfileResponse *upr = NULL;
	ref.handle = "hotwheels";
	bio.value = (char *)bad;
	up.user = &ref;
	up.bio = &bio;
	CHECK_RAW(CALL(users_update_profile, &up, &upr), CRUDDUR_INVALID_ARGUMENT);

	Cruddur__V1__HomeFeedRequest   hf = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *hfr = NULL;
	hf.cursor = (char *)bad;
	CHECK_RAW(CALL(activities_home_feed, &hf, &hfr), CRUDDUR_INVALID_ARGUMENT);
}

static void
test_limits(void)
{
	const int32_t bad[] = { -1, 101, INT32_MAX, INT32_MIN };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		Cruddur__V1__HomeFeedRequest   hf = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
		Cruddur__V1__HomeFeedResponse *hfr = NULL;
		hf.limit = bad[i];
		CHECK_RAW(CALL(activities_home_feed, &hf, &hfr), CRUDDUR_INVALID_ARGUMENT);

		Cruddur__V1__UserRef                 ref = CRUDDUR__V1__USER_REF__INIT;
		Cruddur__V1__UserActivitiesRequest   ua = CRUDDUR__V1__USER_ACTIVITIES_REQUEST__INIT;
		Cruddur__V1__UserActivitiesResponse *uar = NULL;
		ref.handle = "hotwheels";
		ua.user = &ref;
		ua.limit = bad[i];
		CHECK_RAW(CALL(users_user_activities, &ua, &uar), CRUDDUR_INVALID_ARGUMENT);
	}
}

/* SQL in every free-text field is data: stored and returned as sent. */
static void
test_injection_is_data(void)
{
	char              out[64], cognito[64], key[64];

	for (size_t i = 0; i < sizeof(injections) / sizeof(injections[0]); i++) {
		const char *text = injections[i];
		Cruddur__V1__CreateUserRequest   cu = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;
		Cruddur__V1__CreateUserResponse *cur = NULL;
		char                             handle[32];
		snprintf(handle, sizeof(handle), "inject_%zu", i);
		snprintf(cognito, sizeof(cognito), "%.40s-%zu", text, i);
		cu.display_name = (char *)text;
		cu.handle = handle;
		cu.email = "inject@example.com";
		cu.cognito_user_id = cognito;
		CHECK_RAW(CALL(users_create_user, &cu, &cur), CRUDDUR_OK);
		if (cur != NULL && cur->user != NULL) {
			CHECK_STREQ(cur->user->display_name, text);
			CHECK_STREQ(cur->user->cognito_user_id, cognito);
		}
		free_unpacked(cur);

		Cruddur__V1__UserRef                ref = CRUDDUR__V1__USER_REF__INIT;
		Cruddur__V1__StringValue            bio = CRUDDUR__V1__STRING_VALUE__INIT;
		Cruddur__V1__UpdateProfileRequest   up = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
		Cruddur__V1__UpdateProfileResponse *upr = NULL;
		ref.handle = handle;
		bio.value = (char *)text;
		up.user = &ref;
		up.bio = &bio;
		CHECK_RAW(CALL(users_update_profile, &up, &upr), CRUDDUR_OK);
		CHECK(upr != NULL && upr->user != NULL && strcmp(upr->user->bio, text) == 0);
		free_unpacked(upr);

		Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
		Cruddur__V1__CreateActivityRequest   ca = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
		Cruddur__V1__CreateActivityResponse *car = NULL;
		snprintf(key, sizeof(key), "%.40s", text);
		author.handle = handle;
		ca.author = &author;
		ca.message = (char *)text;
		ca.idempotency_key = key;
		CHECK_RAW(CALL(activities_create_activity, &ca, &car), CRUDDUR_OK);
		CHECK(car != NULL && car->activity != NULL && strcmp(car->activity->message, text) == 0);
		if (car != NULL && car->activity != NULL) {
			Cruddur__V1__CreateReplyRequest   cr = CRUDDUR__V1__CREATE_REPLY_REQUEST__INIT;
			Cruddur__V1__CreateReplyResponse *crr = NULL;
			cr.reply_to_activity_uuid = car->activity->uuid;
			cr.author = &author;
			cr.message = (char *)text;
			CHECK_RAW(CALL(activities_create_reply, &cr, &crr), CRUDDUR_OK);
			CHECK(crr != NULL && crr->activity != NULL && strcmp(crr->activity->message, text) == 0);
			free_unpacked(crr);
		}
		free_unpacked(car);
	}
	/* Everything is still there. */
	CHECK(ts_psql(DB, "SELECT count(*) FROM users WHERE handle LIKE 'inject_%'", out, sizeof(out)) == 0);
	CHECK_STREQ(out, "4");
	CHECK(ts_psql(DB, "SELECT count(*) FROM activities WHERE message LIKE '%DROP%' OR message LIKE '%OR%' "
	                  "OR message LIKE '%DELETE%'", out, sizeof(out)) == 0);
	CHECK_STREQ(out, "8");
}

static long
rss_kb(pid_t pid)
{
	char  path[64], line[256];
	long  kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

/* Tens of thousands of bad frames: answered, and memory does not grow. */
static void
test_flood_memory(const ts_server *srv, nng_socket s)
{
	char  *big = calloc(1, 66 * 1024); /* over --max-request-bytes, within nng's limit */
	long   before = -1, after;
	int    wrong = 0;

	for (int round = 0; round < 2; round++) {
		if (round == 1)
			before = rss_kb(srv->pid);
		for (int i = 0; i < 5000; i++) {
			wrong += ts_raw_send(s, "\xff\xfe\xfd garbage", 12, NULL, 0) != CRUDDUR_INVALID_ARGUMENT;
			wrong += ts_raw_send(s, "\x0a\x40" "cruddur", 9, NULL, 0) != CRUDDUR_INVALID_ARGUMENT;
			wrong += ts_raw_send(s, "\x0a\x05" "Nope/", 7, NULL, 0) != CRUDDUR_UNIMPLEMENTED;
			if (i % 10 == 0)
				wrong += ts_raw_send(s, big, 66 * 1024, NULL, 0) != CRUDDUR_RESOURCE_EXHAUSTED;
		}
	}
	after = rss_kb(srv->pid);
	CHECK(wrong == 0);
	printf("server RSS over 15,500 bad frames: %ld kB -> %ld kB\n", before, after);
	CHECK(before > 0 && after - before < 16 * 1024);
	free(big);
}

/* s, then n copies of a 3-byte character: a cut by byte count would split one. */
static char *
long_text(const char *s, size_t n)
{
	size_t len = strlen(s);
	char  *t = malloc(len + 3 * n + 1);

	memcpy(t, s, len);
	for (size_t i = 0; i < n; i++)
		memcpy(t + len + 3 * i, "\xe2\x82\xac", 3); /* € */
	t[len + 3 * n] = '\0';
	return t;
}

/* The last reply's message holds want (its quote of the caller's text). */
#define CHECK_QUOTE(want)                                                                \
	do {                                                                             \
		if (strstr(msg, (want)) == NULL)                                         \
			ts_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", msg, (want)); \
	} while (0)

/*
 * Each kind of reply that quotes a caller's text, once with bytes that are
 * not UTF-8 (and control characters) and once with text long enough to be
 * cut: the quote escapes the bytes (\xFF) and is cut between characters,
 * "..." after it. That the messages are valid UTF-8 is the strict
 * decoder's verdict, at the end.
 */
static void
test_quoted_replies(void)
{
	const char *bad = "caf\xc3\x28 \xff\xfe\x1b[31m";
	const char *bad_quoted = "caf\\xC3( \\xFF\\xFE\\x1B[31m";
	char       *long_method = long_text("cruddur.v1.", 200);
	char       *long_service = long_text("cruddur.v1.", 200);
	char       *long_ttl = long_text("7d", 20);
	char       *long_uuid = long_text("", 40);
	char       *long_cognito = long_text("", 128); /* the most it may have: 384 bytes */
	char       *long_email = long_text("", 80);   /* 240 bytes, no @ */
	int         kinds = 0;

	/* 1. Unknown method: the envelope's own string. */
	const char *methods[] = { bad, long_method };
	for (int i = 0; i < 2; i++) {
		Cruddur__V1__HealthCheckRequest req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
		cruddur_method                  m = cruddur_method_health_check;
		m.full_name = methods[i];
		CHECK_RAW(ts_raw_call(raw, &m, TOKEN, &req.base, NULL, msg, sizeof(msg)), CRUDDUR_UNIMPLEMENTED);
		CHECK_QUOTE(i == 0 ? bad_quoted : "\xe2\x82\xac...\"");
	}
	kinds++;

	/* 2. Health: the service name. */
	const char *services[] = { bad, long_service };
	for (int i = 0; i < 2; i++) {
		Cruddur__V1__HealthCheckRequest req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
		req.service = (char *)services[i];
		CHECK_RAW(CALL(health_check, &req, NULL), CRUDDUR_NOT_FOUND);
		CHECK_QUOTE(i == 0 ? bad_quoted : "\xe2\x82\xac...\"");
	}
	kinds++;

	/* 3. CreateActivity: the ttl. 4. its author's uuid. 5. its author's
	 * cognito_user_id, that names nobody. */
	Cruddur__V1__Author                author = CRUDDUR__V1__AUTHOR__INIT;
	Cruddur__V1__CreateActivityRequest ca = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	const char                        *ttls[] = { bad, long_ttl };
	author.handle = "hotwheels";
	ca.author = &author;
	ca.message = "quoted";
	for (int i = 0; i < 2; i++) {
		ca.ttl = (char *)ttls[i];
		CHECK_RAW(CALL(activities_create_activity, &ca, NULL), CRUDDUR_INVALID_ARGUMENT);
		CHECK_QUOTE(i == 0 ? bad_quoted : "7d\xe2\x82\xac");
		CHECK_QUOTE(i == 0 ? "\" is not one of" : "...\" is not one of");
	}
	kinds++;
	ca.ttl = "";
	author.handle = "";
	const char *uuids[] = { bad, long_uuid };
	for (int i = 0; i < 2; i++) {
		author.user_uuid = (char *)uuids[i];
		CHECK_RAW(CALL(activities_create_activity, &ca, NULL), CRUDDUR_INVALID_ARGUMENT);
		CHECK_QUOTE(i == 0 ? bad_quoted : "\xe2\x82\xac...\" is not a UUID");
	}
	kinds++;
	author.user_uuid = "";
	author.cognito_user_id = long_cognito;
	CHECK_RAW(CALL(activities_create_activity, &ca, NULL), CRUDDUR_NOT_FOUND);
	CHECK_QUOTE("author: no user with cognito_user_id \"\xe2\x82\xac");
	kinds++;

	/* 6. CreateReply: the activity answered. */
	Cruddur__V1__CreateReplyRequest cr = CRUDDUR__V1__CREATE_REPLY_REQUEST__INIT;
	author.cognito_user_id = "";
	author.handle = "hotwheels";
	cr.author = &author;
	cr.message = "quoted";
	for (int i = 0; i < 2; i++) {
		cr.reply_to_activity_uuid = (char *)uuids[i];
		CHECK_RAW(CALL(activities_create_reply, &cr, NULL), CRUDDUR_INVALID_ARGUMENT);
		CHECK_QUOTE(i == 0 ? bad_quoted : "\xe2\x82\xac...\" is not a UUID");
	}
	kinds++;

	/* 7. ShowActivity: its uuid. */
	Cruddur__V1__ShowActivityRequest sa = CRUDDUR__V1__SHOW_ACTIVITY_REQUEST__INIT;
	for (int i = 0; i < 2; i++) {
		sa.uuid = (char *)uuids[i];
		CHECK_RAW(CALL(activities_show_activity, &sa, NULL), CRUDDUR_INVALID_ARGUMENT);
		CHECK_QUOTE(i == 0 ? bad_quoted : "\xe2\x82\xac...\" is not a UUID");
	}
	kinds++;

	/* 8. GetUser: a user's uuid, and a cognito_user_id that names nobody
	 * (as long as one may be). */
	Cruddur__V1__UserRef        ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__GetUserRequest gu = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	gu.user = &ref;
	for (int i = 0; i < 2; i++) {
		ref.uuid = (char *)uuids[i];
		CHECK_RAW(CALL(users_get_user, &gu, NULL), CRUDDUR_INVALID_ARGUMENT);
		CHECK_QUOTE(i == 0 ? bad_quoted : "\xe2\x82\xac...\" is not a UUID");
	}
	ref.uuid = "";
	ref.cognito_user_id = long_cognito;
	CHECK_RAW(CALL(users_get_user, &gu, NULL), CRUDDUR_NOT_FOUND);
	CHECK_QUOTE("no user with cognito_user_id \"\xe2\x82\xac");
	kinds++;

	/* 9. UpdateProfile: the same for the user it would change. */
	Cruddur__V1__StringValue          bio = CRUDDUR__V1__STRING_VALUE__INIT;
	Cruddur__V1__UpdateProfileRequest up = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
	bio.value = "quoted";
	up.user = &ref;
	up.bio = &bio;
	CHECK_RAW(CALL(users_update_profile, &up, NULL), CRUDDUR_NOT_FOUND);
	CHECK_QUOTE("no user with cognito_user_id \"\xe2\x82\xac");
	kinds++;

	/* 10. CreateUser: an email that is not an address. */
	Cruddur__V1__CreateUserRequest cu = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;
	cu.display_name = "Quoted";
	cu.handle = "quoted_user";
	cu.cognito_user_id = "quoted-cognito";
	cu.email = long_email;
	CHECK_RAW(CALL(users_create_user, &cu, NULL), CRUDDUR_INVALID_ARGUMENT);
	CHECK_QUOTE("email \"\xe2\x82\xac");
	kinds++;

	printf("%d kinds of reply quoted invalid UTF-8 or over-long text\n", kinds);
	free(long_method);
	free(long_service);
	free(long_ttl);
	free(long_uuid);
	free(long_cognito);
	free(long_email);
}

/* Packs a Health/Check envelope with token, puts a NUL at marker (see
 * ts_nul_at) and sends it; returns the status. */
static int
send_with_nul(const char *method, const char *token, const char *marker)
{
	Cruddur__V1__HealthCheckRequest req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__RequestEnvelope    env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry      auth = CRUDDUR__V1__METADATA_ENTRY__INIT;
	Cruddur__V1__MetadataEntry     *md[1] = { &auth };
	size_t                          len;

	auth.key = "authorization";
	auth.value = (char *)token;
	env.method = (char *)method;
	env.metadata = md;
	env.n_metadata = 1;
	env.body.data = cruddur_i_envelope_pack_alloc(&req.base, &env.body.len);
	uint8_t *buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	ts_nul_at(buf, len, marker);
	int st = ts_raw_send(raw, buf, len, msg, sizeof(msg));
	free(buf);
	free(env.body.data);
	return st;
}

/* A token followed by NUL and junk is not the token; a method followed by
 * NUL and junk is not the method. */
static void
test_nul_in_envelope(void)
{
	CHECK_RAW(send_with_nul("cruddur.v1.Health/Check", TOKEN "Xjunk", "Xjunk"), CRUDDUR_INVALID_ARGUMENT);
	CHECK_QUOTE("cruddur.v1.MetadataEntry.value holds a NUL byte");
	CHECK_RAW(send_with_nul("cruddur.v1.Health/CheckXjunk", TOKEN, "Xjunk"), CRUDDUR_INVALID_ARGUMENT);
	CHECK_QUOTE("cruddur.v1.RequestEnvelope.method holds a NUL byte");
	/* A prefix of the token with NUL and junk after: refused on the wire,
	 * before the token is looked at. */
	CHECK_RAW(send_with_nul("cruddur.v1.Health/Check", "bad-input-test-tokenXjunk", "Xjunk"),
	    CRUDDUR_INVALID_ARGUMENT);
	/* And the same, without a NUL, is answered. */
	Cruddur__V1__HealthCheckRequest req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	CHECK_RAW(CALL(health_check, &req, NULL), CRUDDUR_OK);
}

/* Health's detail carries the database's own words, and PostgreSQL cuts a
 * role name it is given at 63 bytes, in the middle of a character when it
 * falls there: a server configured with a user of 32 "é" (64 bytes) is
 * told 'role "é...\xC3" does not exist'. The detail (a string of the body,
 * not the envelope's message) must still be valid UTF-8: the strict check
 * at the end decodes this reply too. */
static void
test_health_detail_utf8(void)
{
	char        url[512], db[600], user[32 * 6 + 1] = "";
	const char *args[3] = { "--db", db, NULL };
	ts_server   srv;
	nng_socket  s;

	for (int i = 0; i < 32; i++)
		strcat(user, "%C3%A9");
	ts_pg_url("postgres", url, sizeof(url)); /* postgresql://postgres@/postgres?host=... */
	snprintf(db, sizeof(db), "postgresql://%s%s", user, url + strlen("postgresql://postgres"));
	if (ts_server_start(&srv, "tcp://127.0.0.1:0", NULL, args, NULL) != 0) {
		CHECK(!"the server with a 64-byte user starts");
		return;
	}
	nng_req0_open(&s);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 30000);
	CHECK(nng_dial(s, srv.url, NULL, 0) == 0);
	Cruddur__V1__HealthCheckRequest   req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *resp = NULL;
	CHECK_RAW(ts_raw_call(s, &cruddur_method_health_check, NULL, &req.base,
	              (ProtobufCMessage **)&resp, msg, sizeof(msg)),
	    CRUDDUR_OK);
	CHECK(resp != NULL &&
	    resp->status == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
	CHECK(resp != NULL && strstr(resp->detail, "does not exist") != NULL);
	if (resp != NULL)
		printf("health detail with a 64-byte user: %s\n", resp->detail);
	free_unpacked(resp);
	nng_close(s);
	CHECK(ts_server_stop(&srv) == 0);
}

int
main(void)
{
	ts_server   srv;
	const char *args[] = { "--max-request-bytes", "65536", "--log-level", "warn", "--require-token",
		NULL };

	ts_require_pg();
	/* Under AddressSanitizer, freed memory waits in a quarantine of up to
	 * 256 MiB by default, which would look like growth; keep it small.
	 * (A build without ASan ignores the variable.) */
	const char *env[] = { "ASAN_OPTIONS=quarantine_size_mb=4:detect_leaks=1:abort_on_error=1",
		"CRUDDUR_ADMIN_TOKEN=" TOKEN, NULL };
	if (ts_server_start(&srv, "tcp://127.0.0.1:0", DB, args, env) != 0)
		return 1;
	nng_req0_open(&raw);
	nng_socket_set_ms(raw, NNG_OPT_RECVTIMEO, 30000);
	nng_socket_set_ms(raw, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	CHECK(nng_dial(raw, srv.url, NULL, 0) == 0);

	Cruddur__V1__SetupRequest sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	CHECK_RAW(CALL(db_admin_setup, &sreq, NULL), CRUDDUR_OK);
	test_metadata_flood(raw);
	test_invalid_utf8();
	test_limits();
	test_injection_is_data();
	test_quoted_replies();
	test_nul_in_envelope();
	test_health_detail_utf8();
	test_flood_memory(&srv, raw);

	Cruddur__V1__HealthCheckRequest   hreq = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *hresp = NULL;
	CHECK_RAW(CALL(health_check, &hreq, &hresp), CRUDDUR_OK);
	CHECK(hresp != NULL && hresp->status == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	free_unpacked(hresp);
	nng_close(raw);
	CHECK(ts_server_stop(&srv) == 0);
	ts_strict_check();
	return ts_finish("bad_input_test");
}
