/*
 * pg_restart_test.c - PostgreSQL restarted under load, with a fast and
 * with an immediate shutdown, while client threads run HomeFeed.
 *
 * Proves: every call returns within its deadline with OK or UNAVAILABLE
 * (no other status, no hang, no crash); the server needs no restart: it
 * answers OK again within 2 s of `pg_ctl start` returning (printed as the
 * recovery time), and the pool has replaced its broken connections.
 *
 * The cluster is private (tests/pg/start in a /tmp directory of its own):
 * the shared fixture cluster serves other tests at the same time.
 */
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_restart"
#define THREADS 4
#define DEADLINE_MS 3000
#define RECOVERY_LIMIT_S 2.0

static cruddur_status
feed_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	(void)thread, (void)seq, (void)arg;
	return fs_home_feed(c, o->deadline_ms, true, o);
}

/* Polls HomeFeed (sent once, no client retry) until OK; the seconds from
 * t0 to that OK, or -1 after limit_s. */
static double
first_ok_after(cruddur_client *c, double t0, double limit_s)
{
	cruddur_call_opts o;

	while (ts_now() < t0 + limit_s) {
		if (fs_home_feed(c, 1000, false, &o) == CRUDDUR_OK)
			return ts_now() - t0;
		fs_sleep_ms(10);
	}
	return -1;
}

/* One restart of the cluster under load. */
static void
restart_under_load(const fs_cluster *pg, ts_server *s, cruddur_client *c, const char *mode)
{
	char     stop[32];
	fs_tally sum;

	snprintf(stop, sizeof(stop), "stop-%s", mode);
	fs_load *load = fs_load_start(c, THREADS, feed_call, NULL, DEADLINE_MS, 2, 100000);
	CHECK(load != NULL);
	if (load == NULL)
		return;
	fs_sleep_ms(500);
	double t_stop = ts_now();
	CHECK(fs_cluster_ctl(pg, stop) == 0);
	double t_down = ts_now();
	fs_sleep_ms(700); /* down long enough for calls to see it */
	cruddur_call_opts o;
	cruddur_status    st = fs_home_feed(c, 2000, false, &o);
	CHECK_STATUS(st, CRUDDUR_UNAVAILABLE, &o);
	printf("%s: while down, HomeFeed says %s: %s\n", mode, cruddur_status_name(st), o.message);

	CHECK(fs_cluster_ctl(pg, "start") == 0);
	double t_up = ts_now();
	double recovery = first_ok_after(c, t_up, 10);
	printf("%s: pg_ctl stop took %.0f ms; first OK %.0f ms after pg_ctl start returned\n", mode,
	    (t_down - t_stop) * 1000, recovery * 1000);
	CHECK(recovery >= 0 && recovery < RECOVERY_LIMIT_S);

	fs_sleep_ms(500); /* the load runs on the recovered server */
	double last_ok = fs_load_last_ok(load);
	fs_load_stop(load, &sum);
	char label[64];
	snprintf(label, sizeof(label), "%s restart, %d threads", mode, THREADS);
	fs_tally_print(label, &sum);
	CHECK(sum.by_status[CRUDDUR_OK] + sum.by_status[CRUDDUR_UNAVAILABLE] == sum.calls);
	CHECK(sum.by_status[CRUDDUR_UNAVAILABLE] > 0); /* the fault reached the callers */
	CHECK(last_ok > t_up);                         /* the load recovered too */
	/* Every call returned within its deadline (plus the client's 250 ms
	 * grace and generous scheduling slack). */
	CHECK(sum.max_overrun_s < 1.0);
	CHECK(fs_server_alive(s));
	/* And now everything works, through the pool's new connections. */
	for (int i = 0; i < 20; i++)
		CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);
}

int
main(void)
{
	fs_cluster        pg = { "" };
	ts_server         s;
	cruddur_call_opts o;

	alarm(280);
	if (fs_cluster_start(&pg) != 0)
		return 1;
	const char *args[] = { "--pool-min", "2", "--pool-max", "4", "--log-level", "info", NULL };
	if (fs_cluster_server_start(&s, &pg, DB, args) != 0) {
		fs_cluster_remove(&pg);
		return 1;
	}
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);

	restart_under_load(&pg, &s, c, "fast");
	restart_under_load(&pg, &s, c, "immediate");

	cruddur_client_close(c);
	double took;
	CHECK(fs_server_term(&s, 15, &took) == 0);
	if (ts_failures > 0)
		ts_log_print(&s);
	fs_server_cleanup(&s);
	fs_cluster_remove(&pg);
	return ts_finish("pg_restart_test");
}
