/*
 * test_support.c - failure counting, the test cluster's URL, starting and
 * stopping a real cruddurd, and the setup and queries the tests share.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "test_support.h"

int ts_failures;

void
ts_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	__atomic_add_fetch(&ts_failures, 1, __ATOMIC_SEQ_CST);
	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
ts_finish(const char *test_name)
{
	int n = __atomic_load_n(&ts_failures, __ATOMIC_SEQ_CST);
	printf("%s: %s (%d failed checks)\n", test_name, n ? "FAILED" : "passed", n);
	/* nng frees a closed socket's pipes and dialers later, on its reaper
	 * thread; a test that exits right after closing one would have
	 * LeakSanitizer report them. nng_fini waits for the reaper. */
	nng_fini();
	return n ? 1 : 0;
}

bool
ts_nul_at(uint8_t *buf, size_t len, const char *marker)
{
	uint8_t *at = memmem(buf, len, marker, strlen(marker));

	if (at == NULL) {
		ts_fail(__FILE__, __LINE__, "no \"%s\" in the packed message", marker);
		return false;
	}
	*at = 0;
	return true;
}

double
ts_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
env_or_die(const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || v[0] == '\0') {
		fprintf(stderr, "%s is not set: run this test through ctest\n", name);
		exit(1);
	}
	return v;
}

void
ts_require_pg(void)
{
	const char *dir = getenv("CRUDDUR_TEST_PG_DIR");
	char        sock[256];
	struct stat st;

	if (dir == NULL) {
		printf("skipped: CRUDDUR_TEST_PG_DIR is not set\n");
		exit(77);
	}
	snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", dir);
	if (stat(sock, &st) != 0) {
		printf("skipped: no PostgreSQL at %s\n", sock);
		exit(77);
	}
}

const char *
ts_pg_url(const char *dbname, char *buf, size_t len)
{
	snprintf(buf, len, "postgresql://postgres@/%s?host=%s", dbname, env_or_die("CRUDDUR_TEST_PG_DIR"));
	return buf;
}

int
ts_psql(const char *dbname, const char *sql, char *out, size_t outlen)
{
	char  url[512], cmd[4096];
	FILE *p;

	ts_pg_url(dbname, url, sizeof(url));
	/* The SQL goes through stdin so that no shell quoting is involved. */
	snprintf(cmd, sizeof(cmd), "psql -X -q -tA -v ON_ERROR_STOP=1 '%s' 2>&1 <<'CRUDDUR_SQL_END'\n%s\nCRUDDUR_SQL_END\n",
	    url, sql);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	size_t n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n'))
		out[--n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long
ts_sql_long(const char *dbname, const char *sql)
{
	char out[256];
	if (ts_psql(dbname, sql, out, sizeof(out)) != 0) {
		ts_fail(__FILE__, __LINE__, "psql failed on %s: %s", sql, out);
		return -1;
	}
	return strtol(out, NULL, 10);
}

void
ts_log_print(const ts_server *s)
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

int
ts_log_shared_queries(const ts_server *s, int *queries, int *requests)
{
	char  line[4096];
	int   n = 0, q = 0, sum = 0, k;
	FILE *f = fopen(s->log, "r");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			const char *p = strstr(line, "msg=\"shared feed query\"");
			if (p != NULL && (p = strstr(p, "requests=")) != NULL &&
			    sscanf(p, "requests=%d", &k) == 1) {
				q++;
				sum += k;
				n += k > 1;
			}
		}
		fclose(f);
	}
	if (queries != NULL)
		*queries = q;
	if (requests != NULL)
		*requests = sum;
	return f != NULL ? n : -1;
}

static void
exec_server(const ts_server *s, const char *listen_url, const char *dbname,
    const char *const *args, const char *const *env)
{
	const char *argv[64];
	char        bin[512], ready[128], db[512];
	int         n = 0;

	snprintf(bin, sizeof(bin), "%s/cruddurd", env_or_die("CRUDDUR_BIN_DIR"));
	snprintf(ready, sizeof(ready), "%s/ready", s->dir);
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = listen_url;
	argv[n++] = "--ready-file";
	argv[n++] = ready;
	argv[n++] = "--log-level";
	argv[n++] = "warn";
	if (dbname != NULL) {
		argv[n++] = "--db";
		argv[n++] = ts_pg_url(dbname, db, sizeof(db));
	}
	for (int i = 0; args != NULL && args[i] != NULL && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	for (int i = 0; env != NULL && env[i] != NULL; i++)
		putenv((char *)env[i]);
	if (freopen(s->log, "w", stderr) == NULL || freopen("/dev/null", "w", stdout) == NULL)
		_exit(126);
	/* A test that dies (its alarm, a crash) takes its server with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
		_exit(125);
	execv(bin, (char *const *)argv);
	_exit(127);
}

/* Waits for the ready file; its first line is the URL. */
static int
wait_ready(ts_server *s)
{
	char   ready[128];
	double until = ts_now() + 15;

	snprintf(ready, sizeof(ready), "%s/ready", s->dir);
	while (ts_now() < until) {
		FILE *f = fopen(ready, "r");
		if (f != NULL) {
			char *ok = fgets(s->url, sizeof(s->url), f);
			fclose(f);
			if (ok != NULL) {
				s->url[strcspn(s->url, "\n")] = '\0';
				return 0;
			}
		}
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		usleep(20000);
	}
	return -1;
}

int
ts_server_start(ts_server *s, const char *listen_url, const char *dbname,
    const char *const *args, const char *const *env)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/cruddur-test-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(s->log, sizeof(s->log), "%s/cruddurd.log", s->dir);
	fflush(NULL);
	if ((s->pid = fork()) < 0)
		return -1;
	if (s->pid == 0)
		exec_server(s, listen_url, dbname, args, env);
	if (wait_ready(s) != 0) {
		fprintf(stderr, "cruddurd did not start\n");
		ts_log_print(s);
		if (s->pid > 0)
			ts_server_stop(s);
		return -1;
	}
	return 0;
}

int
ts_server_stop(ts_server *s)
{
	int status = 0;
	char cmd[128];

	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	s->pid = 0;
	int rv = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (rv != 0)
		ts_log_print(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", s->dir);
	return rv;
}

cruddur_client *
ts_client(const ts_server *s)
{
	cruddur_client *c;
	const char     *urls[1] = { s->url };
	char            err[256];

	if (cruddur_client_open(&c, urls, 1, err, sizeof(err)) != CRUDDUR_OK) {
		fprintf(stderr, "cannot connect to %s: %s\n", s->url, err);
		exit(1);
	}
	return c;
}

cruddur_call_opts
ts_opts(uint32_t deadline_ms)
{
	cruddur_call_opts o;
	memset(&o, 0, sizeof(o));
	o.deadline_ms = deadline_ms;
	return o;
}

cruddur_status
ts_home_feed(cruddur_client *c, int32_t limit, const char *cursor, bool retry,
    uint32_t deadline_ms, Cruddur__V1__HomeFeedResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	ProtobufCMessage            *page = NULL;
	cruddur_method               method = cruddur_method_activities_home_feed;

	method.idempotent = retry;
	req.limit = limit;
	req.cursor = (char *)(cursor ? cursor : "");
	/* STRONG: the tests that use this write through psql too, and expect
	 * to read what they wrote at once (the page cache's BOUNDED replies
	 * may lag such a write by the bound; feed_consistency_test checks them). */
	req.consistency = CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG;
	*o = ts_opts(deadline_ms);
	cruddur_status st = cruddur_client_call(c, &method, &req.base, &page, o);
	if (resp != NULL)
		*resp = (Cruddur__V1__HomeFeedResponse *)page;
	else
		cruddur_message_free(page);
	return st;
}

Cruddur__V1__GetStatsResponse *
ts_get_stats(cruddur_client *c, uint32_t deadline_ms)
{
	Cruddur__V1__GetStatsRequest   req = CRUDDUR__V1__GET_STATS_REQUEST__INIT;
	Cruddur__V1__GetStatsResponse *resp = NULL;
	cruddur_call_opts              o = ts_opts(deadline_ms);

	CHECK_STATUS(cruddur_stats_get_stats(c, &req, &resp, &o), CRUDDUR_OK, &o);
	return resp;
}

void
ts_db_setup_migrated(cruddur_client *c, const char *dbname)
{
	Cruddur__V1__SetupRequest     sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse   *sresp = NULL;
	Cruddur__V1__MigrationStatusRequest   mreq = CRUDDUR__V1__MIGRATION_STATUS_REQUEST__INIT;
	Cruddur__V1__MigrationStatusResponse *mresp = NULL;
	cruddur_call_opts             o = ts_opts(30000);

	(void)dbname;
	CHECK_STATUS(cruddur_db_admin_setup(c, &sreq, &sresp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(sresp);
	/* Setup migrates to the latest version: every migration is applied. */
	CHECK_STATUS(cruddur_db_admin_migration_status(c, &mreq, &mresp, &o), CRUDDUR_OK, &o);
	for (size_t i = 0; mresp != NULL && i < mresp->n_migrations; i++)
		CHECK(mresp->migrations[i]->applied);
	CHECK(mresp != NULL && mresp->n_migrations >= 5);
	cruddur_message_free(mresp);
}
