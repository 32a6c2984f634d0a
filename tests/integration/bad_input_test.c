/*
 * bad_input_test.c - what a hostile or broken peer can send: metadata
 * floods, invalid UTF-8 in every kind of text field, limits at the edges
 * of int32, SQL in every free-text field, and tens of thousands of bad
 * frames. Each gets a clear status, the server keeps serving, text is
 * stored and returned byte for byte, and the server's memory stays bounded.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "envelope.h"
#include "test_support.h"

#define DB "cruddur_bad_input_test"

static const char *const injections[] = {
	"Robert'); DROP TABLE users;--",
	"' OR '1'='1",
	"\"; DELETE FROM activities; --",
	"$1 $2 %s %n \\x00 \\\\ ; COMMIT; DROP DATABASE postgres;",
};

/* Sends raw bytes on a REQ socket; returns the reply status or -1. */
static int
raw_status(nng_socket s, const void *data, size_t len)
{
	nng_msg *m;
	int      status = -1;

	nng_msg_alloc(&m, 0);
	nng_msg_append(m, data, len);
	if (nng_sendmsg(s, m, 0) != 0) {
		nng_msg_free(m);
		return -1;
	}
	if (nng_recvmsg(s, &m, 0) == 0) {
		Cruddur__V1__ResponseEnvelope *env =
		    cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
		status = env ? (int)env->status : -2;
		cruddur__v1__response_envelope__free_unpacked(env, NULL);
		nng_msg_free(m);
	}
	return status;
}

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
	uint8_t *buf = envelope_pack_alloc(&env.base, &len);
	CHECK(raw_status(s, buf, len) == CRUDDUR_INVALID_ARGUMENT);
	free(buf);

	char *big = malloc(10000); /* over the 8 KiB a metadata value may have */
	memset(big, 'v', 9999);
	big[9999] = '\0';
	entry.value = big;
	env.n_metadata = 1;
	buf = envelope_pack_alloc(&env.base, &len);
	CHECK(raw_status(s, buf, len) == CRUDDUR_INVALID_ARGUMENT);
	free(buf);
	free(big);
	free(many);
}

static void
test_invalid_utf8(cruddur_client *c)
{
	const char *bad = "caf\xc3\x28 \xff\xfe";
	cruddur_call_opts o = ts_opts(10000);

	Cruddur__V1__CreateUserRequest   cu = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;
	Cruddur__V1__CreateUserResponse *cur = NULL;
	cu.display_name = (char *)bad;
	cu.handle = "utf8_user";
	cu.email = "u@example.com";
	cu.cognito_user_id = "utf8-cognito";
	CHECK_STATUS(cruddur_users_create_user(c, &cu, &cur, &o), CRUDDUR_INVALID_ARGUMENT, &o);

	Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
	Cruddur__V1__CreateActivityRequest   ca = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__CreateActivityResponse *car = NULL;
	author.handle = "hotwheels";
	ca.author = &author;
	ca.message = (char *)bad;
	CHECK_STATUS(cruddur_activities_create_activity(c, &ca, &car, &o), CRUDDUR_INVALID_ARGUMENT, &o);
	CHECK(strstr(o.message, "UTF-8") != NULL);

	Cruddur__V1__UserRef                ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__StringValue            bio = CRUDDUR__V1__STRING_VALUE__INIT;
	Cruddur__V1__UpdateProfileRequest   up = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
	Cruddur__V1__UpdateProfileResponse *upr = NULL;
	ref.handle = "hotwheels";
	bio.value = (char *)bad;
	up.user = &ref;
	up.bio = &bio;
	CHECK_STATUS(cruddur_users_update_profile(c, &up, &upr, &o), CRUDDUR_INVALID_ARGUMENT, &o);

	Cruddur__V1__HomeFeedRequest   hf = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *hfr = NULL;
	hf.cursor = (char *)bad;
	CHECK_STATUS(cruddur_activities_home_feed(c, &hf, &hfr, &o), CRUDDUR_INVALID_ARGUMENT, &o);
}

static void
test_limits(cruddur_client *c)
{
	const int32_t bad[] = { -1, 101, INT32_MAX, INT32_MIN };
	cruddur_call_opts o = ts_opts(10000);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		Cruddur__V1__HomeFeedRequest   hf = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
		Cruddur__V1__HomeFeedResponse *hfr = NULL;
		hf.limit = bad[i];
		CHECK_STATUS(cruddur_activities_home_feed(c, &hf, &hfr, &o), CRUDDUR_INVALID_ARGUMENT, &o);

		Cruddur__V1__UserRef                 ref = CRUDDUR__V1__USER_REF__INIT;
		Cruddur__V1__UserActivitiesRequest   ua = CRUDDUR__V1__USER_ACTIVITIES_REQUEST__INIT;
		Cruddur__V1__UserActivitiesResponse *uar = NULL;
		ref.handle = "hotwheels";
		ua.user = &ref;
		ua.limit = bad[i];
		CHECK_STATUS(cruddur_users_user_activities(c, &ua, &uar, &o), CRUDDUR_INVALID_ARGUMENT, &o);
	}
}

/* SQL in every free-text field is data: stored and returned as sent. */
static void
test_injection_is_data(cruddur_client *c)
{
	char              out[64], cognito[64], key[64];
	cruddur_call_opts o = ts_opts(10000);

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
		CHECK_STATUS(cruddur_users_create_user(c, &cu, &cur, &o), CRUDDUR_OK, &o);
		if (cur != NULL && cur->user != NULL) {
			CHECK_STREQ(cur->user->display_name, text);
			CHECK_STREQ(cur->user->cognito_user_id, cognito);
		}
		cruddur_message_free(cur);

		Cruddur__V1__UserRef                ref = CRUDDUR__V1__USER_REF__INIT;
		Cruddur__V1__StringValue            bio = CRUDDUR__V1__STRING_VALUE__INIT;
		Cruddur__V1__UpdateProfileRequest   up = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
		Cruddur__V1__UpdateProfileResponse *upr = NULL;
		ref.handle = handle;
		bio.value = (char *)text;
		up.user = &ref;
		up.bio = &bio;
		CHECK_STATUS(cruddur_users_update_profile(c, &up, &upr, &o), CRUDDUR_OK, &o);
		CHECK(upr != NULL && upr->user != NULL && strcmp(upr->user->bio, text) == 0);
		cruddur_message_free(upr);

		Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
		Cruddur__V1__CreateActivityRequest   ca = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
		Cruddur__V1__CreateActivityResponse *car = NULL;
		snprintf(key, sizeof(key), "%.40s", text);
		author.handle = handle;
		ca.author = &author;
		ca.message = (char *)text;
		ca.idempotency_key = key;
		CHECK_STATUS(cruddur_activities_create_activity(c, &ca, &car, &o), CRUDDUR_OK, &o);
		CHECK(car != NULL && car->activity != NULL && strcmp(car->activity->message, text) == 0);
		if (car != NULL && car->activity != NULL) {
			Cruddur__V1__CreateReplyRequest   cr = CRUDDUR__V1__CREATE_REPLY_REQUEST__INIT;
			Cruddur__V1__CreateReplyResponse *crr = NULL;
			cr.reply_to_activity_uuid = car->activity->uuid;
			cr.author = &author;
			cr.message = (char *)text;
			CHECK_STATUS(cruddur_activities_create_reply(c, &cr, &crr, &o), CRUDDUR_OK, &o);
			CHECK(crr != NULL && crr->activity != NULL && strcmp(crr->activity->message, text) == 0);
			cruddur_message_free(crr);
		}
		cruddur_message_free(car);
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
			wrong += raw_status(s, "\xff\xfe\xfd garbage", 12) != CRUDDUR_INVALID_ARGUMENT;
			wrong += raw_status(s, "\x0a\x40" "cruddur", 9) != CRUDDUR_INVALID_ARGUMENT;
			wrong += raw_status(s, "\x0a\x05" "Nope/", 7) != CRUDDUR_UNIMPLEMENTED;
			if (i % 10 == 0)
				wrong += raw_status(s, big, 66 * 1024) != CRUDDUR_RESOURCE_EXHAUSTED;
		}
	}
	after = rss_kb(srv->pid);
	CHECK(wrong == 0);
	printf("server RSS over 15,500 bad frames: %ld kB -> %ld kB\n", before, after);
	CHECK(before > 0 && after - before < 16 * 1024);
	free(big);
}

int
main(void)
{
	ts_server   srv;
	nng_socket  raw;
	const char *args[] = { "--max-request-bytes", "65536", "--log-level", "warn", NULL };

	ts_require_pg();
	/* Under AddressSanitizer, freed memory waits in a quarantine of up to
	 * 256 MiB by default, which would look like growth; keep it small.
	 * (A build without ASan ignores the variable.) */
	const char *env[] = { "ASAN_OPTIONS=quarantine_size_mb=4:detect_leaks=1:abort_on_error=1", NULL };
	if (ts_server_start(&srv, "tcp://127.0.0.1:0", DB, args, env) != 0)
		return 1;
	cruddur_client *c = ts_client(&srv);
	Cruddur__V1__SetupRequest   sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *sresp = NULL;
	cruddur_call_opts           o = { .deadline_ms = 30000 };
	CHECK_STATUS(cruddur_db_admin_setup(c, &sreq, &sresp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(sresp);

	nng_req0_open(&raw);
	nng_socket_set_ms(raw, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(raw, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	CHECK(nng_dial(raw, srv.url, NULL, 0) == 0);
	test_metadata_flood(raw);
	test_invalid_utf8(c);
	test_limits(c);
	test_injection_is_data(c);
	test_flood_memory(&srv, raw);
	nng_close(raw);

	Cruddur__V1__HealthCheckRequest   hreq = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *hresp = NULL;
	CHECK_STATUS(cruddur_health_check(c, &hreq, &hresp, &o), CRUDDUR_OK, &o);
	CHECK(hresp != NULL && hresp->status == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	cruddur_message_free(hresp);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&srv) == 0);
	return ts_finish("bad_input_test");
}
