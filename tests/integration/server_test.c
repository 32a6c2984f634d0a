/*
 * server_test.c - the real cruddurd against the real test PostgreSQL.
 *
 * Covers the life of a database through the DbAdmin RPCs (the server
 * starts before its database exists and serves once Setup made it, without
 * a restart), the seed feed and user, Drop while another session holds the
 * database, Sessions showing the server's own pool, a dev and a prod URL
 * reaching their own databases, and raw frames that are not requests.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "envelope.h"
#include "test_support.h"

#define DB "cruddur_server_test"

static int
health(cruddur_client *c, const char *service)
{
	Cruddur__V1__HealthCheckRequest   req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *resp = NULL;
	cruddur_call_opts                 o = ts_opts(5000);

	req.service = (char *)service;
	CHECK_STATUS(cruddur_health_check(c, &req, &resp, &o), CRUDDUR_OK, &o);
	int st = resp ? (int)resp->status : -1;
	cruddur_message_free(resp);
	return st;
}

/* Setup; a production server also wants the database name and the token. */
static cruddur_status
setup_confirmed(cruddur_client *c, const char *confirm, const char *token)
{
	Cruddur__V1__SetupRequest   req = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *resp = NULL;
	cruddur_call_opts           o = ts_opts(30000);
	cruddur_metadata            md[1] = { { "authorization", token } };

	if (confirm != NULL)
		req.confirm = (char *)confirm;
	if (token != NULL) {
		o.metadata = md;
		o.n_metadata = 1;
	}
	cruddur_status st = cruddur_db_admin_setup(c, &req, &resp, &o);

	CHECK_STATUS(st, CRUDDUR_OK, &o);
	if (resp != NULL) {
		const char *names[] = { "drop", "create", "schema-load", "seed", "migrate" };
		CHECK(resp->n_steps == 5);
		for (size_t i = 0; i < resp->n_steps && i < 5; i++) {
			CHECK_STREQ(resp->steps[i]->name, names[i]);
			CHECK(resp->steps[i]->status == CRUDDUR__V1__STATUS_CODE__OK);
		}
	}
	cruddur_message_free(resp);
	return st;
}

static cruddur_status
setup(cruddur_client *c)
{
	return setup_confirmed(c, NULL, NULL);
}

static void
test_before_and_after_setup(cruddur_client *c)
{
	Cruddur__V1__HomeFeedResponse *feed = NULL;
	cruddur_call_opts              o = ts_opts(5000);

	/* The database does not exist yet: the server serves, but not feeds. */
	CHECK(health(c, "") == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
	CHECK(health(c, "cruddur.v1.DbAdmin") == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 5000, &feed, &o), CRUDDUR_UNAVAILABLE, &o);
	CHECK(strstr(o.message, DB) != NULL);

	setup(c);
	CHECK(health(c, "") == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 5000, &feed, &o), CRUDDUR_OK, &o);
	CHECK(feed != NULL && feed->n_activities == 1);
	if (feed != NULL && feed->n_activities == 1) {
		Cruddur__V1__Activity *a = feed->activities[0];
		CHECK_STREQ(a->message, "This was imported as seed data");
		CHECK_STREQ(a->handle, "hotwheels");
		CHECK_STREQ(a->display_name, "Pop Goes the Weasel");
		CHECK(strlen(a->uuid) == 36 && strlen(a->user_uuid) == 36);
		CHECK_STREQ(a->reply_to_activity_uuid, "");
		/* Expires 10 days after it was created. */
		CHECK(a->expires_at_us - a->created_at_us > 9LL * 86400 * 1000000);
		CHECK(a->expires_at_us - a->created_at_us < 11LL * 86400 * 1000000);
	}
	cruddur_message_free(feed);
}

static void
test_feed_order_and_limit(cruddur_client *c)
{
	Cruddur__V1__HomeFeedResponse *feed = NULL;
	cruddur_call_opts              o = ts_opts(5000);
	char                           out[256];

	CHECK(ts_psql(DB, "INSERT INTO activities (user_uuid, message, created_at) "
	                  "SELECT u.uuid, 'message ' || g, now() - g * interval '1 minute' "
	                  "FROM users u, generate_series(1, 150) g WHERE u.handle = 'getFullOrDieTryin'",
	          out, sizeof(out)) == 0);
	CHECK_STATUS(ts_home_feed(c, 100, NULL, true, 5000, &feed, &o), CRUDDUR_OK, &o);
	CHECK(feed != NULL && feed->n_activities == 100);
	for (size_t i = 1; feed != NULL && i < feed->n_activities; i++)
		CHECK(feed->activities[i - 1]->created_at_us >= feed->activities[i]->created_at_us);
	cruddur_message_free(feed);
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 5000, &feed, &o), CRUDDUR_OK, &o);
	CHECK(feed != NULL && feed->n_activities == 20);
	cruddur_message_free(feed);
	CHECK_STATUS(ts_home_feed(c, 101, NULL, true, 5000, &feed, &o), CRUDDUR_INVALID_ARGUMENT, &o);
	CHECK_STATUS(ts_home_feed(c, -5, NULL, true, 5000, &feed, &o), CRUDDUR_INVALID_ARGUMENT, &o);
}

static void
test_users(cruddur_client *c)
{
	Cruddur__V1__GetUserRequest   req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	Cruddur__V1__GetUserResponse *resp = NULL;
	cruddur_call_opts             o = ts_opts(5000);

	req.handle = "HotWheels"; /* handles are case-insensitive */
	CHECK_STATUS(cruddur_users_get_user(c, &req, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->user != NULL);
	if (resp != NULL && resp->user != NULL) {
		CHECK_STREQ(resp->user->handle, "hotwheels");
		CHECK_STREQ(resp->user->display_name, "Pop Goes the Weasel");
		CHECK(resp->user->created_at_us > 0);
	}
	cruddur_message_free(resp);
	req.handle = "nobody";
	CHECK_STATUS(cruddur_users_get_user(c, &req, &resp, &o), CRUDDUR_NOT_FOUND, &o);
	req.handle = "'; DROP TABLE users; --";
	CHECK_STATUS(cruddur_users_get_user(c, &req, &resp, &o), CRUDDUR_NOT_FOUND, &o);
	req.handle = "";
	CHECK_STATUS(cruddur_users_get_user(c, &req, &resp, &o), CRUDDUR_INVALID_ARGUMENT, &o);
}

static void
test_sessions_show_the_pool(cruddur_client *c)
{
	Cruddur__V1__SessionsRequest   req = CRUDDUR__V1__SESSIONS_REQUEST__INIT;
	Cruddur__V1__SessionsResponse *resp = NULL;
	cruddur_call_opts              o = ts_opts(5000);
	bool                           ours = false;

	CHECK_STATUS(cruddur_db_admin_sessions(c, &req, &resp, &o), CRUDDUR_OK, &o);
	for (size_t i = 0; resp != NULL && i < resp->n_sessions; i++) {
		CHECK_STREQ(resp->sessions[i]->database, DB);
		ours |= strcmp(resp->sessions[i]->application_name, "cruddurd") == 0 &&
		    resp->sessions[i]->pid > 0;
	}
	CHECK(ours);
	cruddur_message_free(resp);
}

static void
test_drop_with_open_session(cruddur_client *c)
{
	Cruddur__V1__DropRequest    req = CRUDDUR__V1__DROP_REQUEST__INIT;
	Cruddur__V1__DropResponse  *resp = NULL;
	Cruddur__V1__CreateRequest  creq = CRUDDUR__V1__CREATE_REQUEST__INIT;
	Cruddur__V1__CreateResponse *cresp = NULL;
	cruddur_call_opts           o = ts_opts(10000);
	char                        url[512];

	/* Someone else's idle session, as a psql left open would be. */
	PGconn *other = PQconnectdb(ts_pg_url(DB, url, sizeof(url)));
	CHECK(PQstatus(other) == CONNECTION_OK);
	CHECK_STATUS(cruddur_db_admin_drop(c, &req, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->dropped && resp->sessions_terminated >= 1);
	cruddur_message_free(resp);
	PQfinish(other);

	CHECK_STATUS(cruddur_db_admin_drop(c, &req, &resp, &o), CRUDDUR_NOT_FOUND, &o);
	req.if_exists = true;
	CHECK_STATUS(cruddur_db_admin_drop(c, &req, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && !resp->dropped);
	cruddur_message_free(resp);

	Cruddur__V1__HomeFeedResponse *feed = NULL;
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 10000, &feed, &o), CRUDDUR_UNAVAILABLE, &o);

	CHECK_STATUS(cruddur_db_admin_create(c, &creq, &cresp, &o), CRUDDUR_OK, &o);
	CHECK(cresp != NULL && strcmp(cresp->database, DB) == 0);
	cruddur_message_free(cresp);
	CHECK_STATUS(cruddur_db_admin_create(c, &creq, &cresp, &o), CRUDDUR_ALREADY_EXISTS, &o);
	/* The database exists but has no tables: a clear error, not a crash. */
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 10000, &feed, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	setup(c);
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 10000, &feed, &o), CRUDDUR_OK, &o);
	cruddur_message_free(feed);
}

/* Sends raw bytes on a REQ socket of our own; returns the reply's status,
 * or -1 when no reply came (the server dropped the connection). */
static int
raw_call(const char *url, const void *data, size_t len)
{
	nng_socket s;
	nng_msg   *m;
	int        status = -1;

	nng_req0_open(&s);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 2000);
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	if (nng_dial(s, url, NULL, 0) != 0) {
		nng_close(s);
		return -2;
	}
	nng_msg_alloc(&m, 0);
	nng_msg_append(m, data, len);
	if (nng_sendmsg(s, m, 0) != 0)
		nng_msg_free(m);
	else if (nng_recvmsg(s, &m, 0) == 0) {
		Cruddur__V1__ResponseEnvelope *env =
		    cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
		status = env ? (int)env->status : -3;
		cruddur__v1__response_envelope__free_unpacked(env, NULL);
		nng_msg_free(m);
	}
	nng_close(s);
	return status;
}

static void
test_raw_frames(const ts_server *s, cruddur_client *c)
{
	char  *big = calloc(1, 1 << 20);
	size_t len;

	CHECK(raw_call(s->url, "\xff\xfe garbage \x00\x01", 13) == CRUDDUR_INVALID_ARGUMENT);
	CHECK(raw_call(s->url, "\x0a\x40" "cruddur", 9) == CRUDDUR_INVALID_ARGUMENT);
	CHECK(raw_call(s->url, "", 0) == CRUDDUR_UNIMPLEMENTED);

	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	env.method = "cruddur.v1.Activities/DeleteEverything";
	uint8_t *buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	CHECK(raw_call(s->url, buf, len) == CRUDDUR_UNIMPLEMENTED);
	free(buf);

	/* Over --max-request-bytes (64 KiB here), within the 4 KiB nng takes
	 * past it: a status reply. */
	CHECK(raw_call(s->url, big, 66 * 1024) == CRUDDUR_RESOURCE_EXHAUSTED);
	/* Far over: nng drops the connection; no reply. */
	CHECK(raw_call(s->url, big, 1 << 20) == -1);
	free(big);

	/* And it still serves. */
	CHECK(health(c, "") == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

/* --env prod reads PROD_CONNECTION_URL; dev reads CONNECTION_URL. */
static void
test_dev_and_prod_urls(void)
{
	char       dev_url[512], prod_url[512], out[256];
	static char dev_env[600], prod_env[600];
	ts_server  dev, prod;

	snprintf(dev_env, sizeof(dev_env), "CONNECTION_URL=%s", ts_pg_url("cruddur_dev_test", dev_url, sizeof(dev_url)));
	snprintf(prod_env, sizeof(prod_env), "PROD_CONNECTION_URL=%s", ts_pg_url("cruddur_prod_test", prod_url, sizeof(prod_url)));
	const char *env[] = { dev_env, prod_env, NULL };
	/* A production server will not start without an admin token. */
	const char *prod_env_token[] = { dev_env, prod_env, "CRUDDUR_ADMIN_TOKEN=prod-token-0123456789abcdef", NULL };
	const char *prod_args[] = { "--env", "prod", NULL };

	if (ts_server_start(&prod, "tcp://127.0.0.1:0", NULL, prod_args, prod_env_token) != 0) {
		CHECK(!"prod server started");
		return;
	}
	cruddur_client *pc = ts_client(&prod);
	setup_confirmed(pc, "cruddur_prod_test", "prod-token-0123456789abcdef");
	cruddur_client_close(pc);
	CHECK(ts_server_stop(&prod) == 0);
	CHECK(ts_psql("postgres", "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database "
	                          "WHERE datname LIKE 'cruddur_%_test'", out, sizeof(out)) == 0);
	CHECK(strstr(out, "cruddur_prod_test") != NULL);
	CHECK(strstr(out, "cruddur_dev_test") == NULL);

	if (ts_server_start(&dev, "tcp://127.0.0.1:0", NULL, NULL, env) != 0) {
		CHECK(!"dev server started");
		return;
	}
	cruddur_client *dc = ts_client(&dev);
	setup(dc);
	cruddur_client_close(dc);
	CHECK(ts_server_stop(&dev) == 0);
	CHECK(ts_psql("cruddur_dev_test", "SELECT current_database() || ':' || count(*) FROM users", out, sizeof(out)) == 0);
	CHECK_STREQ(out, "cruddur_dev_test:2");
}

int
main(void)
{
	ts_server   s;
	const char *args[] = { "--max-request-bytes", "65536", NULL };

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	test_before_and_after_setup(c);
	test_feed_order_and_limit(c);
	test_users(c);
	test_sessions_show_the_pool(c);
	test_drop_with_open_session(c);
	test_raw_frames(&s, c);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	test_dev_and_prod_urls();
	return ts_finish("server_test");
}
