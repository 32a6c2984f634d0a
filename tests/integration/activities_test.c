/*
 * activities_test.c - the Activities service (CreateActivity, CreateReply,
 * ShowActivity, HomeFeed) against the real cruddurd and PostgreSQL.
 *
 * Every RPC and every error path, checked by status and message: message
 * lengths counted in characters (280 x "é" fits, 281 characters do not),
 * invalid UTF-8, ttls, authors named zero, two or unknown ways; idempotent
 * create under retry (5 sequential calls, then 16 threads at once, each
 * leaving one row); replies counted exactly once each (also 16 at once) and
 * never on a replay, listed oldest first; expired activities hidden from the
 * feed and from ShowActivity; replies kept out of the feed; SQL-looking text
 * stored and returned byte for byte.
 *
 * Its parts, one file each, with the calls they share in
 * activities_calls.c:
 *   activities_create.c       CreateActivity and its errors;
 *   activities_idempotency.c  retries and 16 threads with one key;
 *   activities_replies.c      CreateReply, and ShowActivity's replies;
 *   activities_show_feed.c    ShowActivity and HomeFeed, expiry, verbatim
 *                             text.
 */
#include "activities_calls.h"

int
main(void)
{
	ts_server s;

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	db_ready(c);
	test_create(c);
	test_create_errors(c);
	test_idempotent_retry(c);
	test_idempotent_concurrent(c);
	test_replies(c);
	test_show_and_feed(c);
	test_sql_text_verbatim(c);
	test_many_replies(c);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("activities_test");
}
