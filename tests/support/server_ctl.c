/*
 * server_ctl.c - a cruddurd process under a test's control, and the
 * database beside it: bounded stops and kills, its memory and its log, the
 * bench load generator as a separate process; sessions, table locks that
 * make queries wait, and waiting until they do. See faults.h (private
 * clusters: pg_cluster.c; client load and calls: call_load.c).
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

#include "faults.h"

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
		ts_log_print(s);
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
