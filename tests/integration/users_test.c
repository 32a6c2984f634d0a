/*
 * users_test.c - the Users service against the real cruddurd and the real
 * test PostgreSQL.
 *
 * Every RPC and every error path, by status and message: idempotent
 * sign-up (also 16 threads at once, rounds of them), taken handles in any
 * case, invalid text of every field (lengths in characters, bad UTF-8),
 * SQL injection stored verbatim, profile updates of absent and present
 * fields, and UserActivities paged over a few hundred rows put in with psql
 * (ties in created_at, expired rows, replies, another user's rows, rows
 * inserted while paging): the pages together are exactly what SQL says,
 * in order, with no duplicates or gaps.
 *
 * Its parts, one file each, with the calls they share in users_calls.c:
 *   users_create.c       CreateUser, and 16 threads signing up at once;
 *   users_get_update.c   GetUser, ShortUser, UpdateProfile;
 *   users_activities.c   UserActivities paged against SQL.
 */
#include "users_calls.h"

int
main(void)
{
	ts_server s;

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);

	setup(c);
	test_create_idempotent(c);
	test_create_handle_taken(c);
	test_create_invalid(c);
	test_injection_verbatim(c);
	test_concurrent_create(&s);
	test_get_user(c);
	test_short_user(c);
	test_update_profile(c);
	test_user_activities(c);

	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("users_test");
}
