/*
 * fault_support.c - bounded server stops, table locks and client load for
 * the fault tests; see fault_support.h (private clusters: fault_cluster.c).
 *
 * Load threads share nothing but the stop flag and the time of the last OK
 * (atomics); each keeps its own tally, summed after the join.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault_support.h"

void
fs_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- the server ------------------------------------------------------------ */

/* Waits at most limit_s for pid; its wait status into *status. */
static bool
reap_within(pid_t pid, double limit_s, int *status)
{
	double until = ts_now() + limit_s;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		if (ts_now() >= until)
			return false;
		fs_sleep_ms(5);
	}
}

int
fs_server_term(ts_server *s, double limit_s, double *took_s)
{
	int    status = 0;
	double t0 = ts_now();

	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	bool exited = reap_within(s->pid, limit_s, &status);
	if (took_s != NULL)
		*took_s = ts_now() - t0;
	if (!exited) {
		fprintf(stderr, "cruddurd %ld did not exit within %.1f s of SIGTERM: killed\n",
		    (long)s->pid, limit_s);
		kill(s->pid, SIGKILL);
		reap_within(s->pid, 10, &status);
		s->pid = 0;
		return -1;
	}
	s->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
fs_server_kill(ts_server *s)
{
	int status;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGKILL);
	reap_within(s->pid, 10, &status);
	s->pid = 0;
}

const char *const *
fs_server_env(void)
{
#if defined(__SANITIZE_ADDRESS__)
	static char        asan[1024];
	static const char *env[] = { asan, NULL };
	const char        *given = getenv("ASAN_OPTIONS");

	snprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s%squarantine_size_mb=4:allocator_release_to_os_interval_ms=500",
	    given != NULL ? given : "", given != NULL && given[0] != '\0' ? ":" : "");
	return env;
#else
	return NULL;
#endif
}

void
fs_server_cleanup(ts_server *s)
{
	char cmd[128];

	if (s->pid > 0)
		fs_server_kill(s);
	if (s->dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", s->dir);
	s->dir[0] = '\0';
}

bool
fs_server_alive(ts_server *s)
{
	int status;

	if (s->pid <= 0)
		return false;
	if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
		fprintf(stderr, "cruddurd %ld is gone: %s %d\n", (long)s->pid,
		    WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		s->pid = 0;
		return false;
	}
	return true;
}

long
fs_rss_kb(pid_t pid)
{
	char  path[64], line[256];
	long  kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int
fs_log_count(const ts_server *s, const char *needle, const char *also2)
{
	char  line[4096];
	int   n = 0;
	FILE *f = fopen(s->log, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL && (also2 == NULL || strstr(line, also2) != NULL))
			n++;
	fclose(f);
	return n;
}

void
fs_log_print(const ts_server *s)
{
	char  line[4096];
	FILE *f = fopen(s->log, "r");

	if (f == NULL)
		return;
	fprintf(stderr, "--- cruddurd log %s ---\n", s->log);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fclose(f);
}

pid_t
fs_bench_start(const char *url, const char *const *args)
{
	const char *argv[32];
	char        bin[512];
	int         n = 0;
	const char *dir = getenv("CRUDDUR_BIN_DIR");

	snprintf(bin, sizeof(bin), "%s/cruddur-bench", dir != NULL ? dir : ".");
	argv[n++] = bin;
	argv[n++] = "--server";
	argv[n++] = url;
	for (int i = 0; args != NULL && args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL || freopen("/dev/null", "w", stderr) == NULL)
			_exit(126);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

void
fs_bench_kill(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	reap_within(pid, 10, &status);
}

void
fs_server_finish(ts_server *s)
{
	CHECK(fs_server_term(s, 15, NULL) == 0);
	if (ts_failures > 0)
		fs_log_print(s);
	fs_server_cleanup(s);
}

/* ---- the database ------------------------------------------------------------ */

PGconn *
fs_pg_connect(const char *url)
{
	PGconn *pg = PQconnectdb(url);

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to %s: %s", url, PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

int
fs_pg_value(PGconn *pg, const char *sql, char *out, size_t len)
{
	PGresult *res = PQexec(pg, sql);
	int       rv = 0;

	out[0] = '\0';
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (PQntuples(res) > 0)
			snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	} else if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(pg));
		rv = -1;
	}
	PQclear(res);
	return rv;
}

int
fs_lock_activities(PGconn *pg)
{
	char out[8];
	return fs_pg_value(pg, "BEGIN; LOCK TABLE activities IN ACCESS EXCLUSIVE MODE", out,
	    sizeof(out));
}

void
fs_unlock(PGconn *pg)
{
	char out[8];
	fs_pg_value(pg, "COMMIT", out, sizeof(out));
}

bool
fs_wait_lock_waiters(PGconn *watcher, int n, double timeout_s)
{
	char   out[32];
	double until = ts_now() + timeout_s;

	do {
		if (fs_pg_value(watcher, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
		                         "'cruddurd' AND datname = current_database() AND wait_event_type = 'Lock'", out, sizeof(out)) == 0 &&
		    atoi(out) >= n)
			return true;
		fs_sleep_ms(10);
	} while (ts_now() < until);
	fprintf(stderr, "fewer than %d cruddurd sessions waited on a lock within %.1f s (%s)\n", n,
	    timeout_s, out);
	return false;
}

/* ---- load ------------------------------------------------------------------------ */

typedef struct fs_worker {
	fs_load  *load;
	int       index;
	fs_tally  tally;
	pthread_t tid;
} fs_worker;

struct fs_load {
	cruddur_client *client;
	fs_call_fn      fn;
	void           *arg;
	uint32_t        deadline_ms;
	int             pause_ms;
	long            max_calls;
	int             n_threads;
	atomic_int      finished;
	atomic_bool     stop;
	_Atomic double  last_ok;
	fs_worker       workers[FS_MAX_THREADS];
};

void
fs_tally_record(fs_tally *t, cruddur_status st, const char *msg, double latency_s,
    uint32_t deadline_ms)
{
	int i = (int)st >= 0 && (int)st < FS_STATUSES ? (int)st : CRUDDUR_UNKNOWN;

	t->calls++;
	t->by_status[i]++;
	if (t->sample[i][0] == '\0' && msg != NULL) {
		/* The first message of each status, cut to fit. */
		size_t n = strnlen(msg, sizeof(t->sample[i]) - 1);
		memcpy(t->sample[i], msg, n);
		t->sample[i][n] = '\0';
	}
	if (latency_s > t->max_latency_s)
		t->max_latency_s = latency_s;
	double over = latency_s - deadline_ms / 1000.0;
	if (over > t->max_overrun_s)
		t->max_overrun_s = over;
}

static void *
worker_main(void *p)
{
	fs_worker *w = p;
	fs_load   *l = w->load;

	w->tally.max_overrun_s = -1e9;
	for (long seq = 0; seq < l->max_calls && !atomic_load(&l->stop); seq++) {
		cruddur_call_opts o = { .deadline_ms = l->deadline_ms };
		double            t0 = ts_now();
		cruddur_status    st = l->fn(l->client, w->index, (int)seq, &o, l->arg);
		double            t1 = ts_now();

		fs_tally_record(&w->tally, st, o.message, t1 - t0, l->deadline_ms);
		if (st == CRUDDUR_OK)
			atomic_store(&l->last_ok, t1);
		if (l->pause_ms > 0)
			fs_sleep_ms(l->pause_ms);
	}
	atomic_fetch_add(&l->finished, 1);
	return NULL;
}

fs_load *
fs_load_start(cruddur_client *client, int threads, fs_call_fn fn, void *arg,
    uint32_t deadline_ms, int pause_ms, long max_calls)
{
	fs_load *l;

	if (threads < 1 || threads > FS_MAX_THREADS || (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->client = client;
	l->fn = fn;
	l->arg = arg;
	l->deadline_ms = deadline_ms;
	l->pause_ms = pause_ms;
	l->max_calls = max_calls;
	atomic_init(&l->stop, false);
	atomic_init(&l->finished, 0);
	atomic_init(&l->last_ok, 0.0);
	for (; l->n_threads < threads; l->n_threads++) {
		fs_worker *w = &l->workers[l->n_threads];
		w->load = l;
		w->index = l->n_threads;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
			fs_tally sum;
			fs_load_stop(l, &sum);
			return NULL;
		}
	}
	return l;
}

bool
fs_load_wait(fs_load *l, double timeout_s)
{
	double until = ts_now() + timeout_s;

	while (atomic_load(&l->finished) < l->n_threads) {
		if (ts_now() >= until)
			return false;
		fs_sleep_ms(5);
	}
	return true;
}

double
fs_load_last_ok(fs_load *l)
{
	return atomic_load(&l->last_ok);
}

void
fs_tally_add(fs_tally *sum, const fs_tally *t)
{
	sum->calls += t->calls;
	for (int i = 0; i < FS_STATUSES; i++) {
		sum->by_status[i] += t->by_status[i];
		if (sum->sample[i][0] == '\0')
			memcpy(sum->sample[i], t->sample[i], sizeof(sum->sample[i]));
	}
	if (t->max_latency_s > sum->max_latency_s)
		sum->max_latency_s = t->max_latency_s;
	if (t->max_overrun_s > sum->max_overrun_s)
		sum->max_overrun_s = t->max_overrun_s;
}

void
fs_load_request_stop(fs_load *l)
{
	atomic_store(&l->stop, true);
}

void
fs_load_stop(fs_load *l, fs_tally *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->max_overrun_s = -1e9;
	atomic_store(&l->stop, true);
	for (int i = 0; i < l->n_threads; i++) {
		pthread_join(l->workers[i].tid, NULL);
		fs_tally_add(sum, &l->workers[i].tally);
	}
	free(l);
}

void
fs_tally_print(const char *label, const fs_tally *t)
{
	printf("%s: %ld calls, max latency %.0f ms (%+.0f ms against the deadline)\n", label,
	    t->calls, t->max_latency_s * 1000, t->max_overrun_s * 1000);
	for (int i = 0; i < FS_STATUSES; i++)
		if (t->by_status[i] > 0)
			printf("  %-18s %6ld  e.g. \"%s\"\n", cruddur_status_name((cruddur_status)i),
			    t->by_status[i], t->sample[i]);
	fflush(stdout);
}

/* ---- calls ---------------------------------------------------------------------- */

cruddur_status
fs_home_feed(cruddur_client *c, uint32_t deadline_ms, bool retry, cruddur_call_opts *o)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	ProtobufCMessage            *resp = NULL;
	cruddur_method               once = cruddur_method_activities_home_feed;

	once.idempotent = retry;
	req.limit = 1;
	*o = (cruddur_call_opts){ .deadline_ms = deadline_ms };
	cruddur_status st = cruddur_client_call(c, &once, &req.base, &resp, o);
	cruddur_message_free(resp);
	return st;
}

cruddur_status
fs_get_user(cruddur_client *c, const char *handle, uint32_t deadline_ms, bool retry,
    cruddur_call_opts *o)
{
	Cruddur__V1__GetUserRequest req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	ProtobufCMessage           *resp = NULL;
	cruddur_method              once = cruddur_method_users_get_user;

	once.idempotent = retry;
	req.handle = (char *)handle;
	*o = (cruddur_call_opts){ .deadline_ms = deadline_ms };
	cruddur_status st = cruddur_client_call(c, &once, &req.base, &resp, o);
	cruddur_message_free(resp);
	return st;
}

cruddur_status
fs_health(cruddur_client *c, const char *service, uint32_t deadline_ms, bool *serving,
    cruddur_call_opts *o)
{
	Cruddur__V1__HealthCheckRequest   req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *resp = NULL;

	req.service = (char *)service;
	*o = (cruddur_call_opts){ .deadline_ms = deadline_ms };
	*serving = false;
	cruddur_status st = cruddur_health_check(c, &req, &resp, o);
	if (st == CRUDDUR_OK) {
		*serving = resp->status == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
		if (!*serving)
			snprintf(o->message, sizeof(o->message), "%s", resp->detail);
	}
	cruddur_message_free(resp);
	return st;
}

int
fs_connection_stats(cruddur_client *c, Cruddur__V1__ConnectionStats *out)
{
	Cruddur__V1__GetStatsRequest   req = CRUDDUR__V1__GET_STATS_REQUEST__INIT;
	Cruddur__V1__GetStatsResponse *resp = NULL;
	cruddur_call_opts              o = { .deadline_ms = 5000 };

	cruddur__v1__connection_stats__init(out);
	cruddur_status st = cruddur_stats_get_stats(c, &req, &resp, &o);
	CHECK_STATUS(st, CRUDDUR_OK, &o);
	if (st == CRUDDUR_OK && resp->connections != NULL)
		*out = *resp->connections;
	cruddur_message_free(resp);
	return st == CRUDDUR_OK ? 0 : -1;
}

void
fs_connection_stats_print(const char *label, const Cruddur__V1__ConnectionStats *cs)
{
	printf("%s: connections open %d (max %d, %d requests each); refused %lld connections, %lld "
	       "requests; dropped %lld; closed for not reading %lld, for stalling %lld\n",
	    label, cs->open, cs->max_connections, cs->max_requests_per_connection,
	    (long long)cs->refused_connections, (long long)cs->refused_requests,
	    (long long)cs->dropped_requests, (long long)cs->send_timeouts, (long long)cs->recv_timeouts);
}

cruddur_status
fs_create_activity(cruddur_client *c, const char *message, const char *key, cruddur_call_opts *o)
{
	Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__CreateActivityResponse *resp = NULL;
	Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;

	author.handle = "hotwheels";
	req.author = &author;
	req.message = (char *)message;
	req.idempotency_key = (char *)(key != NULL ? key : "");
	cruddur_status st = cruddur_activities_create_activity(c, &req, &resp, o);
	cruddur_message_free(resp);
	return st;
}

cruddur_status
fs_setup(cruddur_client *c, cruddur_call_opts *o)
{
	Cruddur__V1__SetupRequest   req = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *resp = NULL;

	*o = (cruddur_call_opts){ .deadline_ms = 60000 };
	cruddur_status st = cruddur_db_admin_setup(c, &req, &resp, o);
	cruddur_message_free(resp);
	return st;
}
