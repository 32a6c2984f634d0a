/*
 * read_only_primary_test.c - the primary turns read-only
 * (ALTER DATABASE ... SET default_transaction_read_only = on, as a failover
 * that left cruddurd on a demoted server would), then writable again.
 *
 * Proves: Health "" says NOT_SERVING and why, while reads still work;
 * a write fails with UNAVAILABLE naming 25006 (another server may take
 * it), never INTERNAL; a write without an idempotency key reaches the
 * server once (libcruddur does not send it again: its outcome would be
 * unknown), one with a key three times (1 + 2 retries, safe); once the
 * database takes writes again, Health is SERVING and writes are OK.
 *
 * The shared fixture cluster, with a database of its own: the setting is
 * the database's, so other tests' databases are untouched.
 */
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_read_only"

static cruddur_status
create_activity(cruddur_client *c, const char *message, const char *key, cruddur_call_opts *o)
{
	*o = (cruddur_call_opts){ .deadline_ms = 5000 };
	return fs_create_activity(c, message, key, o);
}

/* Lines in the server's log for the request id of the call just made. */
static int
arrivals(const ts_server *s, const cruddur_call_opts *o)
{
	char needle[48];
	fs_sleep_ms(100); /* the log line follows the reply */
	snprintf(needle, sizeof(needle), "id=%llu ", (unsigned long long)o->request_id);
	return fs_log_count(s, needle, NULL);
}

/* Sets the database read-only or not, and ends the server's sessions so
 * that its next ones start with the setting. */
static void
set_read_only(bool on)
{
	char out[256];
	char sql[256];

	snprintf(sql, sizeof(sql), "ALTER DATABASE %s %s", DB,
	    on ? "SET default_transaction_read_only = on" : "RESET default_transaction_read_only");
	CHECK(ts_psql("postgres", sql, out, sizeof(out)) == 0);
	CHECK(ts_psql("postgres",
	          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" DB "'",
	          out, sizeof(out)) == 0);
	/* The sessions end asynchronously: once they have, the pool finds
	 * its idle connections closed (readable) and makes new ones. */
	fs_sleep_ms(300);
}

int
main(void)
{
	ts_server         s;
	cruddur_call_opts o;
	bool              serving = false;

	ts_require_pg();
	alarm(120);
	const char *args[] = { "--pool-min", "2", "--pool-max", "4", "--log-level", "info", NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	CHECK_STATUS(create_activity(c, "fault-ro-before", NULL, &o), CRUDDUR_OK, &o);

	set_read_only(true);
	CHECK_STATUS(fs_health(c, "", 3000, &serving, &o), CRUDDUR_OK, &o);
	printf("read-only: Health \"\" %s: %s\n", serving ? "SERVING" : "NOT_SERVING", o.message);
	CHECK(!serving && strstr(o.message, "read-only") != NULL);
	CHECK_STATUS(fs_health(c, "cruddur.v1.Activities", 3000, &serving, &o), CRUDDUR_OK, &o);
	CHECK(!serving);
	CHECK_STATUS(fs_home_feed(c, 3000, false, &o), CRUDDUR_OK, &o); /* reads still work */

	cruddur_status st = create_activity(c, "fault-ro-nokey", NULL, &o);
	int            nokey = arrivals(&s, &o);
	printf("read-only: CreateActivity without a key: %s: %s; reached the server %d time(s)\n",
	    cruddur_status_name(st), o.message, nokey);
	CHECK(st == CRUDDUR_UNAVAILABLE && strstr(o.message, "25006") != NULL &&
	    strstr(o.message, "read-only") != NULL);
	CHECK(nokey == 1);
	st = create_activity(c, "fault-ro-key", "fault-ro-key-1", &o);
	int key = arrivals(&s, &o);
	printf("read-only: CreateActivity with a key: %s; reached the server %d time(s)\n",
	    cruddur_status_name(st), key);
	CHECK(st == CRUDDUR_UNAVAILABLE);
	CHECK(key == 3);

	set_read_only(false);
	CHECK_STATUS(fs_health(c, "", 3000, &serving, &o), CRUDDUR_OK, &o);
	printf("writable again: Health \"\" %s\n", serving ? "SERVING" : "NOT_SERVING");
	CHECK(serving);
	CHECK_STATUS(create_activity(c, "fault-ro-after", "fault-ro-key-2", &o), CRUDDUR_OK, &o);
	long rows = ts_sql_long(DB, "SELECT count(*) FROM activities WHERE message LIKE 'fault-ro-%'");
	printf("rows written: %ld (before and after; none while read-only)\n", rows);
	CHECK(rows == 2);

	cruddur_client_close(c);
	fs_server_finish(&s);
	return ts_finish("read_only_primary_test");
}
