/*
 * read_reactor_test.c - HomeFeed on the read reactor (--read-reactor on,
 * read_reactor.c) against real cruddurd processes and a private
 * PostgreSQL cluster (it is restarted in part d; the shared fixture is
 * left alone).
 *
 * a. Same pages both ways. 150 activities; 18 pages (limits 1, 3, 7, 20,
 *    default and 50, first three pages of each) read one at a time from a
 *    --read-reactor off server are the reference. 64 concurrent calls over
 *    those pages (duplicates included) must return byte for byte the same
 *    packed responses from the workers' server and from two reactor
 *    servers, --coalesce on and off. On the reactor servers the 64 calls
 *    are sent while a lock holds the pool's 4 connections, so that 60 wait
 *    in the pending FIFO; with --coalesce on the debug log's "shared feed
 *    query" lines must count all 64 requests in fewer than 64 queries.
 * b. A deadline that passes while PENDING. --pool-max 1; a HomeFeed holds
 *    the connection, waiting on a lock; a second one (deadline 300 ms)
 *    gets DEADLINE_EXCEEDED from the server ("... before a database
 *    connection was free") before the client's own 250 ms grace ends, and
 *    it is never run: PostgreSQL's statement log (log_statement = all)
 *    shows the first one's parameters once the lock goes, never the
 *    second one's.
 * c. The only connection held by a worker (CreateActivity waiting on the
 *    lock, inside its transaction). A HomeFeed waiting for it gets it
 *    once the write commits (OK, and its first row is that new activity);
 *    held past --pool-timeout 800, a HomeFeed gets RESOURCE_EXHAUSTED, and
 *    one with a 300 ms deadline queued behind it gets DEADLINE_EXCEEDED
 *    from the server on time, not when the first one's wait ends.
 * d. PostgreSQL killed (stop-immediate) and started again while 16
 *    HomeFeeds run or wait (a lock keeps them there): every call returns
 *    OK, UNAVAILABLE or DEADLINE_EXCEEDED in bounded time (the client
 *    retries HomeFeed on UNAVAILABLE), the server lives, and HomeFeed
 *    works again within 3 s.
 * e. SIGTERM with reads running and pending: released during the drain,
 *    all 9 are answered OK and the server exits 0; held past
 *    --drain-timeout 500, all 5 are answered UNAVAILABLE by the server and
 *    it exits 0 within 3 s. A call made during the drain is refused.
 * f. Pipelines (--pool-max 1 --pipeline-depth 8 --coalesce off). A first
 *    HomeFeed (deadline 1 s) holds the only connection, waiting on the
 *    lock, while 6 more wait behind it (Stats shows them waiting); when it
 *    is cancelled the 6 go out as one pipeline (Stats counts one pipeline
 *    of 6) and wait on the lock in turn.
 *    1. Deadlines of 2 s (3 calls) and 3 s (3 calls): each is answered
 *       DEADLINE_EXCEEDED by the server at its own deadline ("... before
 *       the database answered"), not at the pipeline's latest deadline
 *       nor one a second as cancels would take them, and before the
 *       client's own grace; with the lock gone the connection drains and
 *       serves again.
 *    2. Deadline 8 s, and the pipeline's backend is terminated: all 6 go
 *       back to wait, run again alone on a new connection, and are OK
 *       with their pages once the lock goes.
 *
 * Every wait is bounded; a failing run kills its servers and removes its
 * cluster (an alarm does the same if something still hangs).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fault_support.h"

#define DB "cruddur_read_reactor"
#define N_CALLS 64
#define N_SPECS 18
#define GRACE_S 0.55 /* a deadline of 300 ms plus the client's 250 ms grace */

/* CHECK_STATUS for a result (its message is r->msg). */
#define CHECK_RES(got, want, r)                                                          \
	do {                                                                             \
		cruddur_status g_ = (got), w_ = (want);                                 \
		if (g_ != w_)                                                            \
			ts_fail(__FILE__, __LINE__, "status %s, want %s (%s)",           \
			    cruddur_status_name(g_), cruddur_status_name(w_), (r)->msg); \
	} while (0)

/* ---- cleanup, also from the alarm ---------------------------------------- */

#define MAX_SERVERS 8
static ts_server *g_servers[MAX_SERVERS];
static char       g_stop_cmd[256]; /* tests/pg/stop DIR, for the alarm */

static void
track(ts_server *s)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (g_servers[i] == NULL) {
			g_servers[i] = s;
			return;
		}
}

static void
on_alarm(int sig)
{
	(void)sig;
	static const char why[] = "read_reactor_test: timed out; killing its servers and cluster\n";
	ssize_t           w = write(2, why, sizeof(why) - 1);
	(void)w;
	for (int i = 0; i < MAX_SERVERS; i++)
		if (g_servers[i] != NULL && g_servers[i]->pid > 0)
			kill(g_servers[i]->pid, SIGKILL);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", g_stop_cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	_exit(1);
}

/* Starts cruddurd on the cluster with extra args (NULL-terminated). */
static int
server_start(ts_server *s, const fs_cluster *pg, const char *const *extra)
{
	char        url[256];
	const char *args[32] = { "--db", fs_cluster_url(pg, DB, url, sizeof(url)) };
	int         n = 2;

	for (; extra != NULL && *extra != NULL && n < 31; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	memset(s, 0, sizeof(*s));
	if (ts_server_start(s, "tcp://127.0.0.1:0", NULL, args, NULL) != 0) {
		fs_server_cleanup(s);
		return -1;
	}
	track(s);
	return 0;
}

/* SIGTERM, checks exit 0, prints the log on failure, removes its files. */
static void
server_finish(ts_server *s, cruddur_client *c)
{
	if (c != NULL)
		cruddur_client_close(c);
	CHECK(fs_server_term(s, 15, NULL) == 0);
	if (ts_failures > 0)
		fs_log_print(s);
	fs_server_cleanup(s);
}

/* ---- calls ------------------------------------------------------------------- */

static cruddur_method feed_retry, feed_once; /* HomeFeed, with and without client retry */

typedef struct result {
	cruddur_status st;
	uint8_t       *bytes; /* the packed response, on OK */
	size_t         len;
	char           first_message[64];
	char           msg[256];
	double         took;
} result;

static void
result_fill(result *r, cruddur_status st, ProtobufCMessage *resp, const char *msg)
{
	r->st = st;
	snprintf(r->msg, sizeof(r->msg), "%s", msg != NULL ? msg : "");
	if (st == CRUDDUR_OK && resp != NULL) {
		const Cruddur__V1__HomeFeedResponse *f = (const Cruddur__V1__HomeFeedResponse *)resp;
		r->len = protobuf_c_message_get_packed_size(resp);
		r->bytes = malloc(r->len + 1);
		if (r->bytes != NULL)
			protobuf_c_message_pack(resp, r->bytes);
		if (f->n_activities > 0)
			snprintf(r->first_message, sizeof(r->first_message), "%s", f->activities[0]->message);
	}
	cruddur_message_free(resp);
}

static void
result_clear(result *r)
{
	free(r->bytes);
	memset(r, 0, sizeof(*r));
}

/* One HomeFeed, waited for. */
static cruddur_status
feed(cruddur_client *c, int32_t limit, const char *cursor, uint32_t deadline_ms, bool retry,
    result *r)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	ProtobufCMessage            *resp = NULL;
	cruddur_call_opts            o = { .deadline_ms = deadline_ms };
	double                       t0 = ts_now();

	req.limit = limit;
	req.cursor = (char *)(cursor != NULL ? cursor : "");
	memset(r, 0, sizeof(*r));
	cruddur_status st = cruddur_client_call(c, retry ? &feed_retry : &feed_once, &req.base, &resp, &o);
	result_fill(r, st, resp, o.message);
	r->took = ts_now() - t0;
	return st;
}

/* Calls in flight at once (async), each with its result. */
typedef struct batch {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             n, left;
	double          t0;
	result          r[N_CALLS];
	struct batch_arg {
		struct batch *b;
		int           i;
	} args[N_CALLS];
} batch;

static void
batch_done(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *o)
{
	struct batch_arg *a = arg;
	batch            *b = a->b;

	result_fill(&b->r[a->i], st, resp, o->message);
	pthread_mutex_lock(&b->mu);
	b->r[a->i].took = ts_now() - b->t0;
	b->left--;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

static void
batch_init(batch *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->t0 = ts_now();
}

/* Starts call number b->n. */
static void
batch_add(batch *b, cruddur_client *c, int32_t limit, const char *cursor, uint32_t deadline_ms,
    bool retry)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	cruddur_call_opts            o = { .deadline_ms = deadline_ms };
	int                          i = b->n++;

	req.limit = limit;
	req.cursor = (char *)(cursor != NULL ? cursor : "");
	b->args[i] = (struct batch_arg){ b, i };
	pthread_mutex_lock(&b->mu);
	b->left++;
	pthread_mutex_unlock(&b->mu);
	cruddur_status st = cruddur_client_call_async(c, retry ? &feed_retry : &feed_once, &req.base,
	    &o, batch_done, &b->args[i]);
	if (st != CRUDDUR_OK) {
		pthread_mutex_lock(&b->mu);
		b->left--;
		pthread_mutex_unlock(&b->mu);
		result_fill(&b->r[i], st, NULL, o.message);
	}
}

/* Waits at most timeout_s for every call; whether they all ended. */
static bool
batch_wait(batch *b, double timeout_s)
{
	double until = ts_now() + timeout_s;

	pthread_mutex_lock(&b->mu);
	while (b->left > 0 && ts_now() < until) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
	}
	bool all = b->left == 0;
	pthread_mutex_unlock(&b->mu);
	if (!all)
		fprintf(stderr, "%d calls still unanswered after %.1f s\n", b->left, timeout_s);
	return all;
}

static void
batch_free(batch *b)
{
	for (int i = 0; i < b->n; i++)
		result_clear(&b->r[i]);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
}

/* How many calls of b ended with st. */
static int
batch_count(const batch *b, cruddur_status st)
{
	int n = 0;
	for (int i = 0; i < b->n; i++)
		n += b->r[i].st == st;
	return n;
}

/* ---- a. the same pages both ways ------------------------------------------------ */

typedef struct page_spec {
	int32_t limit;
	char    cursor[128];
	result  want; /* from the workers, one call at a time */
} page_spec;

static page_spec specs[N_SPECS];

/* The reference: the first three pages of each limit, from s_off. */
static void
make_specs(cruddur_client *off)
{
	static const int32_t limits[] = { 1, 3, 7, 20, 0, 50 };
	int                  n = 0;

	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		char cursor[128] = "";
		for (int page = 0; page < 3; page++, n++) {
			page_spec *p = &specs[n];
			p->limit = limits[l];
			snprintf(p->cursor, sizeof(p->cursor), "%s", cursor);
			Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
			Cruddur__V1__HomeFeedResponse *resp = NULL;
			cruddur_call_opts              o = { .deadline_ms = 5000 };
			req.limit = p->limit;
			req.cursor = p->cursor;
			cruddur_status st = cruddur_activities_home_feed(off, &req, &resp, &o);
			CHECK_STATUS(st, CRUDDUR_OK, &o);
			if (st == CRUDDUR_OK)
				snprintf(cursor, sizeof(cursor), "%s", resp->next_cursor);
			CHECK(st != CRUDDUR_OK || resp->n_activities == (size_t)(limits[l] ? limits[l] : 20));
			result_fill(&p->want, st, &resp->base, o.message);
		}
	}
}

/* 64 concurrent calls over the specs against c; all must equal the
 * reference. With lock (a session on the cluster), they are sent while it
 * holds activities, and it is let go once `running` of them wait on it. */
static void
same_pages(const char *label, cruddur_client *c, PGconn *lock, PGconn *watcher, int running)
{
	batch *b = malloc(sizeof(*b));
	int    equal = 0;

	batch_init(b);
	if (lock != NULL)
		CHECK(fs_lock_activities(lock) == 0);
	for (int i = 0; i < N_CALLS; i++) {
		/* Duplicates follow one another closely (i / 2), and the same
		 * pages come back later (% N_SPECS). */
		const page_spec *p = &specs[(i / 2 + i * 5) % N_SPECS];
		batch_add(b, c, p->limit, p->cursor, 10000, false);
	}
	if (lock != NULL) {
		CHECK(fs_wait_lock_waiters(watcher, running, 5));
		fs_sleep_ms(150); /* the other calls arrive and wait */
		fs_unlock(lock);
	}
	CHECK(batch_wait(b, 10));
	for (int i = 0; i < N_CALLS; i++) {
		const page_spec *p = &specs[(i / 2 + i * 5) % N_SPECS];
		const result    *r = &b->r[i];
		if (r->st != CRUDDUR_OK) {
			ts_fail(__FILE__, __LINE__, "%s: call %d: %s (%s)", label, i,
			    cruddur_status_name(r->st), r->msg);
			continue;
		}
		if (r->len == p->want.len && r->bytes != NULL && p->want.bytes != NULL &&
		    memcmp(r->bytes, p->want.bytes, r->len) == 0)
			equal++;
		else
			ts_fail(__FILE__, __LINE__, "%s: call %d (limit %d, cursor \"%s\"): %zu bytes, "
			                            "the workers' page %zu bytes, not the same",
			    label, i, p->limit, p->cursor, r->len, p->want.len);
	}
	printf("a. %s: %d of %d concurrent pages equal the workers' one-at-a-time pages\n", label, equal,
	    N_CALLS);
	batch_free(b);
	free(b);
}

/* Sums the requests= of the reactor's "shared feed query" debug lines. */
static void
shared_queries(const ts_server *s, int *queries, int *requests)
{
	char  line[4096];
	FILE *f = fopen(s->log, "r");

	*queries = *requests = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *r = strstr(line, "shared feed query");
		if (r != NULL && (r = strstr(r, "requests=")) != NULL) {
			(*queries)++;
			*requests += atoi(r + strlen("requests="));
		}
	}
	fclose(f);
}

/* ---- b, c. a pool of one -------------------------------------------------------- */

/* Lines of the cluster's log that hold text. */
static int
pg_log_count(const fs_cluster *pg, const char *text)
{
	char  path[128], line[8192];
	int   n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/postgres.log", pg->dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

static void
deadline_while_pending(const fs_cluster *pg, cruddur_client *c, PGconn *lock, PGconn *watcher)
{
	batch  *b = malloc(sizeof(*b));
	result  r;

	batch_init(b);
	CHECK(fs_lock_activities(lock) == 0);
	batch_add(b, c, 41, "", 8000, false); /* $3 = '42' */
	CHECK(fs_wait_lock_waiters(watcher, 1, 5));
	CHECK_RES(feed(c, 43, "", 300, false, &r), CRUDDUR_DEADLINE_EXCEEDED, &r);
	CHECK(strstr(r.msg, "before a database connection was free") != NULL);
	CHECK(r.took >= 0.28 && r.took < GRACE_S);
	printf("b. pending behind a held connection, deadline 300 ms: %s after %.0f ms: %s\n",
	    cruddur_status_name(r.st), r.took * 1000, r.msg);
	result_clear(&r);

	fs_sleep_ms(200);
	fs_unlock(lock);
	CHECK(batch_wait(b, 5));
	CHECK_RES(b->r[0].st, CRUDDUR_OK, &b->r[0]);
	fs_sleep_ms(300); /* the connection is free: a read still pending would run now */
	int ran_first = pg_log_count(pg, "$3 = '42'"), ran_late = pg_log_count(pg, "$3 = '44'");
	CHECK(ran_first == 1);
	CHECK(ran_late == 0);
	printf("b. PostgreSQL ran the holder's query %d time(s) and the expired one's %d\n", ran_first,
	    ran_late);
	batch_free(b);
	free(b);
}

typedef struct writer {
	cruddur_client   *c;
	const char       *message;
	cruddur_status    st;
	cruddur_call_opts o;
	pthread_t         tid;
} writer;

static void *
writer_main(void *arg)
{
	writer                              *w = arg;
	Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__CreateActivityResponse *resp = NULL;
	Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;

	author.handle = "hotwheels";
	req.author = &author;
	req.message = (char *)w->message;
	w->o = (cruddur_call_opts){ .deadline_ms = 8000 };
	w->st = cruddur_activities_create_activity(w->c, &req, &resp, &w->o);
	cruddur_message_free(resp);
	return NULL;
}

/* A worker holds the only connection: CreateActivity inside its
 * transaction, waiting on the lock. */
static void
hold_by_worker(writer *w, cruddur_client *c, const char *message, PGconn *lock, PGconn *watcher)
{
	*w = (writer){ .c = c, .message = message };
	CHECK(fs_lock_activities(lock) == 0);
	pthread_create(&w->tid, NULL, writer_main, w);
	CHECK(fs_wait_lock_waiters(watcher, 1, 5));
}

static void
worker_holds_connection(cruddur_client *c, PGconn *lock, PGconn *watcher)
{
	writer w;
	batch *b = malloc(sizeof(*b));
	result r;

	/* 1. Freed in time: the read gets the connection after the commit. */
	hold_by_worker(&w, c, "read-reactor-test: the worker's write", lock, watcher);
	batch_init(b);
	batch_add(b, c, 5, "", 3000, false);
	fs_sleep_ms(300);
	fs_unlock(lock);
	pthread_join(w.tid, NULL);
	CHECK_STATUS(w.st, CRUDDUR_OK, &w.o);
	CHECK(batch_wait(b, 5));
	CHECK_RES(b->r[0].st, CRUDDUR_OK, &b->r[0]);
	CHECK_STREQ(b->r[0].first_message, "read-reactor-test: the worker's write");
	CHECK(b->r[0].took >= 0.28 && b->r[0].took < 1.5);
	printf("c. waiting for a worker's connection: %s after %.0f ms, first row \"%s\"\n",
	    cruddur_status_name(b->r[0].st), b->r[0].took * 1000, b->r[0].first_message);
	batch_free(b);

	/* 2. Held past --pool-timeout: RESOURCE_EXHAUSTED, and a shorter
	 * deadline behind it still ends on time. */
	hold_by_worker(&w, c, "read-reactor-test: held too long", lock, watcher);
	batch_init(b);
	batch_add(b, c, 5, "", 5000, false);
	fs_sleep_ms(50);
	CHECK_RES(feed(c, 6, "", 300, false, &r), CRUDDUR_DEADLINE_EXCEEDED, &r);
	CHECK(strstr(r.msg, "before a database connection was free") != NULL);
	CHECK(r.took < GRACE_S);
	printf("c. behind it, deadline 300 ms: %s after %.0f ms: %s\n", cruddur_status_name(r.st),
	    r.took * 1000, r.msg);
	result_clear(&r);
	CHECK(batch_wait(b, 5));
	CHECK_RES(b->r[0].st, CRUDDUR_RESOURCE_EXHAUSTED, &b->r[0]);
	CHECK(b->r[0].took >= 0.75 && b->r[0].took < 2.5);
	printf("c. connection held past --pool-timeout 800: %s after %.0f ms: %s\n",
	    cruddur_status_name(b->r[0].st), b->r[0].took * 1000, b->r[0].msg);
	fs_unlock(lock);
	pthread_join(w.tid, NULL);
	CHECK_STATUS(w.st, CRUDDUR_OK, &w.o);
	CHECK_RES(feed(c, 5, "", 3000, false, &r), CRUDDUR_OK, &r);
	result_clear(&r);
	batch_free(b);
	free(b);
}

/* ---- d. PostgreSQL restarted ------------------------------------------------------ */

static void
restart_in_flight(const fs_cluster *pg, ts_server *s, cruddur_client *c)
{
	char    url[256];
	batch  *b = malloc(sizeof(*b));
	PGconn *lock = fs_pg_connect(fs_cluster_url(pg, DB, url, sizeof(url)));
	PGconn *watcher = fs_pg_connect(url);
	result  r;

	CHECK(lock != NULL && watcher != NULL);
	if (lock == NULL || watcher == NULL)
		goto out;
	batch_init(b);
	CHECK(fs_lock_activities(lock) == 0);
	for (int i = 0; i < 16; i++)
		batch_add(b, c, 1 + i, "", 4000, true);
	CHECK(fs_wait_lock_waiters(watcher, 4, 5)); /* 4 run, 12 wait in the reactor */
	CHECK(fs_cluster_ctl(pg, "stop-immediate") == 0);
	fs_sleep_ms(200);
	CHECK(fs_cluster_ctl(pg, "start") == 0);
	double t_up = ts_now();
	CHECK(batch_wait(b, 8));
	int ok = batch_count(b, CRUDDUR_OK), unavailable = batch_count(b, CRUDDUR_UNAVAILABLE),
	    late = batch_count(b, CRUDDUR_DEADLINE_EXCEEDED);
	CHECK(ok + unavailable + late == 16);
	for (int i = 0; i < 16; i++)
		if (b->r[i].st != CRUDDUR_OK && b->r[i].st != CRUDDUR_UNAVAILABLE &&
		    b->r[i].st != CRUDDUR_DEADLINE_EXCEEDED)
			ts_fail(__FILE__, __LINE__, "call %d: %s (%s)", i, cruddur_status_name(b->r[i].st),
			    b->r[i].msg);
	printf("d. PostgreSQL killed under 16 reads: %d OK, %d UNAVAILABLE, %d DEADLINE_EXCEEDED\n", ok,
	    unavailable, late);
	CHECK(fs_server_alive(s));
	double first_ok = -1;
	while (ts_now() < t_up + 3) {
		if (feed(c, 1, "", 1000, false, &r) == CRUDDUR_OK) {
			first_ok = ts_now() - t_up;
			result_clear(&r);
			break;
		}
		result_clear(&r);
		fs_sleep_ms(20);
	}
	CHECK(first_ok >= 0);
	for (int i = 0; i < 10; i++) {
		CHECK_RES(feed(c, 1 + i, "", 3000, false, &r), CRUDDUR_OK, &r);
		result_clear(&r);
	}
	printf("d. HomeFeed OK again %.0f ms after pg_ctl start returned\n", first_ok * 1000);
	batch_free(b);
out:
	free(b);
	PQfinish(lock); /* its session died with the restart */
	PQfinish(watcher);
}

/* ---- e, f: a server of one connection, and two sessions to hold locks with ------- */

/* Starts s (args; tracked for the alarm) and opens *lock and *watcher on
 * its database, then runs one HomeFeed so that its connection has the
 * statement prepared. False when the server did not start. */
static bool
server_with_sessions(const fs_cluster *pg, ts_server *s, const char *const *args,
    cruddur_client **c, PGconn **lock, PGconn **watcher)
{
	char   url[256];
	result r;

	if (server_start(s, pg, args) != 0) {
		CHECK(!"the server started");
		return false;
	}
	*c = ts_client(s);
	*lock = fs_pg_connect(fs_cluster_url(pg, DB, url, sizeof(url)));
	*watcher = fs_pg_connect(url);
	CHECK(*lock != NULL && *watcher != NULL);
	CHECK_RES(feed(*c, 1, "", 5000, false, &r), CRUDDUR_OK, &r);
	result_clear(&r);
	return true;
}

/* ---- e. SIGTERM ------------------------------------------------------------------- */

static void
sigterm_with_reads(const fs_cluster *pg, bool release)
{
	static const char *const args_release[] = { "--pool-min", "1", "--pool-max", "1", "--coalesce",
		"off", "--drain-timeout", "5000", NULL };
	static const char *const args_hold[] = { "--pool-min", "1", "--pool-max", "1", "--coalesce",
		"off", "--drain-timeout", "500", NULL };
	static ts_server s; /* tracked for the alarm: not on the stack */
	int             n = release ? 9 : 5;
	batch          *b;
	result          r;
	const char     *label = release ? "released during the drain" : "held past --drain-timeout 500";
	cruddur_client *c;
	PGconn         *lock, *watcher;

	if (!server_with_sessions(pg, &s, release ? args_release : args_hold, &c, &lock, &watcher))
		return;
	b = malloc(sizeof(*b));
	batch_init(b);
	if (lock != NULL && watcher != NULL) {
		CHECK(fs_lock_activities(lock) == 0);
		for (int i = 0; i < n; i++)
			batch_add(b, c, 10 + i, "", 8000, false); /* 1 runs, the others wait */
		CHECK(fs_wait_lock_waiters(watcher, 1, 5));
		fs_sleep_ms(100);
	}
	double t0 = ts_now();
	kill(s.pid, SIGTERM);
	fs_sleep_ms(200);
	CHECK(fs_server_alive(&s));
	if (release) {
		/* Draining: new calls are refused, the ones in flight go on. */
		CHECK_RES(feed(c, 2, "", 3000, false, &r), CRUDDUR_UNAVAILABLE, &r);
		CHECK(strstr(r.msg, "shutting down") != NULL);
		result_clear(&r);
		fs_unlock(lock);
	}
	CHECK(batch_wait(b, 8));
	int    code = fs_server_term(&s, 10, NULL);
	double took = ts_now() - t0;
	CHECK(code == 0);
	int want_st = release ? CRUDDUR_OK : CRUDDUR_UNAVAILABLE;
	CHECK(batch_count(b, (cruddur_status)want_st) == n);
	for (int i = 0; i < n; i++)
		if (b->r[i].st != (cruddur_status)want_st)
			ts_fail(__FILE__, __LINE__, "e. %s: call %d: %s (%s)", label, i,
			    cruddur_status_name(b->r[i].st), b->r[i].msg);
		else if (!release)
			CHECK(strstr(b->r[i].msg, "shutting down") != NULL);
	if (!release)
		CHECK(took < 3.0);
	printf("e. SIGTERM, %d reads %s: %d %s, exit %d after %.0f ms\n", n, label,
	    batch_count(b, (cruddur_status)want_st), cruddur_status_name((cruddur_status)want_st), code,
	    took * 1000);
	if (!release && lock != NULL)
		fs_unlock(lock);
	PQfinish(lock);
	PQfinish(watcher);
	cruddur_client_close(c);
	if (ts_failures > 0)
		fs_log_print(&s);
	fs_server_cleanup(&s);
	batch_free(b);
	free(b);
}

/* ---- f. pipelines ----------------------------------------------------------------- */

/* The read reactor's figures, from Stats. */
typedef struct reactor_figures {
	long long waiting, pipelines, pipelined;
} reactor_figures;

static reactor_figures
reactor_now(cruddur_client *c)
{
	Cruddur__V1__GetStatsRequest   req = CRUDDUR__V1__GET_STATS_REQUEST__INIT;
	Cruddur__V1__GetStatsResponse *resp = NULL;
	cruddur_call_opts              o = { .deadline_ms = 3000 };
	reactor_figures                f = { -1, -1, -1 };

	CHECK_STATUS(cruddur_stats_get_stats(c, &req, &resp, &o), CRUDDUR_OK, &o);
	if (resp != NULL && resp->read_reactor != NULL) {
		f.waiting = resp->read_reactor->waiting;
		f.pipelines = resp->read_reactor->pipelines;
		f.pipelined = resp->read_reactor->pipelined_queries;
	}
	cruddur_message_free(resp);
	return f;
}

/* A lead that holds the connection until its 1 s deadline cancels it,
 * and 6 calls behind it (the first three with deadline_ms, the others
 * with late_ms), all waiting before the lead ends: they start as one
 * pipeline. */
static void
pipeline_behind_lead(batch *b, cruddur_client *c, PGconn *lock, PGconn *watcher,
    uint32_t deadline_ms, uint32_t late_ms)
{
	batch_init(b);
	CHECK(fs_lock_activities(lock) == 0);
	batch_add(b, c, 2, "", 1000, false);
	CHECK(fs_wait_lock_waiters(watcher, 1, 5));
	double t0 = ts_now();
	for (int i = 0; i < 6; i++)
		batch_add(b, c, 3 + i, "", i < 3 ? deadline_ms : late_ms, false);
	b->t0 = t0; /* the 6's deadlines count from just after this */
	while (reactor_now(c).waiting < 6 && ts_now() < t0 + 0.6)
		fs_sleep_ms(10);
	CHECK(reactor_now(c).waiting == 6);
}

static void
pipeline_past_deadline(cruddur_client *c, PGconn *lock, PGconn *watcher)
{
	batch          *b = malloc(sizeof(*b));
	result          r;
	reactor_figures before = reactor_now(c);

	pipeline_behind_lead(b, c, lock, watcher, 2000, 3000);
	CHECK(batch_wait(b, 6));
	CHECK_RES(b->r[0].st, CRUDDUR_DEADLINE_EXCEEDED, &b->r[0]);
	double first = 99, last = 0, late_first = 99, late_last = 0;
	for (int i = 4; i <= 6; i++) {
		late_first = b->r[i].took < late_first ? b->r[i].took : late_first;
		late_last = b->r[i].took > late_last ? b->r[i].took : late_last;
	}
	for (int i = 1; i <= 6; i++) {
		CHECK_RES(b->r[i].st, CRUDDUR_DEADLINE_EXCEEDED, &b->r[i]);
		/* The server's answer ("... before the database answered", or
		 * the cancelled statement's own error when it ended first), not
		 * the client giving up ("no reply from the server in time"). */
		if (strstr(b->r[i].msg, "no reply from the server") != NULL || b->r[i].msg[0] == '\0')
			ts_fail(__FILE__, __LINE__, "call %d: \"%s\"", i, b->r[i].msg);
		else if (strstr(b->r[i].msg, "before the database answered") == NULL)
			printf("f. call %d: \"%s\"\n", i, b->r[i].msg);
		if (i <= 3) {
			first = b->r[i].took < first ? b->r[i].took : first;
			last = b->r[i].took > last ? b->r[i].took : last;
		}
	}
	/* Each at its own deadline, counted from just after t0; the client
	 * would give up 250 ms later. */
	CHECK(first >= 1.95 && last < 2.2);
	CHECK(late_first >= 2.95 && late_last < 3.2);
	reactor_figures after = reactor_now(c);
	CHECK(after.pipelines == before.pipelines + 1 && after.pipelined == before.pipelined + 6);
	printf("f. a pipeline of 6 past its deadlines: DEADLINE_EXCEEDED at %.0f to %.0f ms (2 s "
	       "deadlines) and %.0f to %.0f ms (3 s): %s\n",
	    first * 1000, last * 1000, late_first * 1000, late_last * 1000, b->r[1].msg);
	fs_unlock(lock);
	double t0 = ts_now();
	CHECK_RES(feed(c, 9, "", 5000, false, &r), CRUDDUR_OK, &r);
	printf("f. then, the lock gone: HomeFeed %s after %.0f ms\n", cruddur_status_name(r.st),
	    (ts_now() - t0) * 1000);
	result_clear(&r);
	batch_free(b);
	free(b);
}

static void
pipeline_connection_lost(cruddur_client *c, PGconn *lock, PGconn *watcher)
{
	batch *b = malloc(sizeof(*b));
	char   out[64];

	pipeline_behind_lead(b, c, lock, watcher, 8000, 8000);
	/* The lead is cancelled at 1 s; then the 6 leave the queue for the
	 * pipeline, whose first statement waits on the lock. */
	double until = ts_now() + 3;
	while (reactor_now(c).waiting > 0 && ts_now() < until)
		fs_sleep_ms(20);
	CHECK(reactor_now(c).waiting == 0);
	fs_sleep_ms(100);
	CHECK(fs_wait_lock_waiters(watcher, 1, 5));
	CHECK(fs_pg_value(watcher,
	          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	          "WHERE datname = current_database() AND wait_event_type = 'Lock' "
	          "AND pid <> pg_backend_pid()",
	          out, sizeof(out)) == 0);
	CHECK_STREQ(out, "1");
	fs_sleep_ms(300); /* they run again, alone, on a new connection: waiting on the lock */
	fs_unlock(lock);
	CHECK(batch_wait(b, 8));
	CHECK_RES(b->r[0].st, CRUDDUR_DEADLINE_EXCEEDED, &b->r[0]);
	int ok = 0;
	for (int i = 1; i <= 6; i++) {
		CHECK_RES(b->r[i].st, CRUDDUR_OK, &b->r[i]);
		ok += b->r[i].st == CRUDDUR_OK;
	}
	printf("f. the pipeline's backend terminated: %d of 6 OK after running again alone\n", ok);
	batch_free(b);
	free(b);
}

static void
pipelines(const fs_cluster *pg)
{
	static const char *const args[] = { "--pool-min", "1", "--pool-max", "1", "--coalesce", "off",
		"--pipeline-depth", "8", NULL };
	static ts_server s; /* tracked for the alarm: not on the stack */
	cruddur_client  *c;
	PGconn          *lock, *watcher;

	/* (Only a connection that has the statement prepared takes pipelines:
	 * the helper's first HomeFeed prepared it.) */
	if (!server_with_sessions(pg, &s, args, &c, &lock, &watcher))
		return;
	if (lock != NULL && watcher != NULL) {
		pipeline_past_deadline(c, lock, watcher);
		pipeline_connection_lost(c, lock, watcher);
	}
	PQfinish(lock);
	PQfinish(watcher);
	server_finish(&s, c);
}

/* ---- main ------------------------------------------------------------------------- */

/* 150 feed rows a second apart, an hour old and more, that live a day. */
static const char BULK_SQL[] =
    "INSERT INTO activities (user_uuid, message, created_at, expires_at) "
    "SELECT u.uuid, 'bulk ' || g, now() - interval '1 hour' - g * interval '1 second', "
    "  now() + interval '1 day' "
    "FROM generate_series(1, 150) g JOIN users u ON u.handle = 'hotwheels'; ANALYZE activities";

int
main(void)
{
	fs_cluster        pg = { "" };
	ts_server         s_off, s_on, s_nc, s_one;
	cruddur_call_opts o;
	char              url[256], out[64];

	ts_require_pg(); /* registered with the fixture; runs on a cluster of its own */
	feed_retry = cruddur_method_activities_home_feed;
	feed_once = cruddur_method_activities_home_feed;
	feed_once.idempotent = false;
	if (fs_cluster_start(&pg) != 0)
		return 1;
	snprintf(g_stop_cmd, sizeof(g_stop_cmd), "'%s/tests/pg/stop' '%s' >/dev/null 2>&1",
	    getenv("CRUDDUR_SOURCE_DIR") ? getenv("CRUDDUR_SOURCE_DIR") : ".", pg.dir);
	signal(SIGALRM, on_alarm);
	alarm(90);

	static const char *const args_off[] = { "--read-reactor", "off", "--pool-max", "4", NULL };
	static const char *const args_on[] = { "--read-reactor", "on", "--coalesce", "on", "--pool-max",
		"4", "--log-level", "debug", NULL };
	static const char *const args_nc[] = { "--read-reactor", "on", "--coalesce", "off",
		"--pool-max", "4", NULL };
	static const char *const args_one[] = { "--pool-min", "1", "--pool-max", "1", "--pool-timeout",
		"800", "--coalesce", "off", NULL };
	if (server_start(&s_off, &pg, args_off) != 0) {
		fs_cluster_remove(&pg);
		return 1;
	}
	cruddur_client *off = ts_client(&s_off);
	CHECK_STATUS(fs_setup(off, &o), CRUDDUR_OK, &o);
	PGconn *lock = fs_pg_connect(fs_cluster_url(&pg, DB, url, sizeof(url)));
	PGconn *watcher = fs_pg_connect(url);
	if (lock == NULL || watcher == NULL) {
		fs_server_cleanup(&s_off);
		fs_cluster_remove(&pg);
		return 1;
	}
	CHECK(fs_pg_value(watcher, BULK_SQL, out, sizeof(out)) == 0);
	/* For b: PostgreSQL logs each statement it runs, with its parameters. */
	CHECK(fs_pg_value(watcher, "ALTER DATABASE " DB " SET log_statement = 'all'", out, sizeof(out)) == 0);

	int started = server_start(&s_on, &pg, args_on) == 0;
	started += server_start(&s_nc, &pg, args_nc) == 0;
	started += server_start(&s_one, &pg, args_one) == 0;
	CHECK(started == 3);
	if (started == 3) {
		cruddur_client *on = ts_client(&s_on), *nc = ts_client(&s_nc), *one = ts_client(&s_one);
		result          r;

		/* a. */
		make_specs(off);
		same_pages("--read-reactor off", off, NULL, NULL, 0);
		same_pages("--read-reactor on --coalesce off", nc, lock, watcher, 4);
		same_pages("--read-reactor on --coalesce on", on, lock, watcher, 4);
		int queries, requests;
		shared_queries(&s_on, &queries, &requests);
		CHECK(requests == N_CALLS);
		CHECK(queries > 0 && queries < N_CALLS);
		printf("a. --coalesce on: %d requests shared %d queries\n", requests, queries);
		for (int i = 0; i < N_SPECS; i++)
			result_clear(&specs[i].want);

		/* b, c. */
		CHECK_RES(feed(one, 1, "", 5000, false, &r), CRUDDUR_OK, &r);
		result_clear(&r);
		deadline_while_pending(&pg, one, lock, watcher);
		worker_holds_connection(one, lock, watcher);
		server_finish(&s_one, one);
		server_finish(&s_nc, nc);

		/* e, f: before d, whose restart ends the sessions of lock and
		 * watcher. */
		sigterm_with_reads(&pg, true);
		sigterm_with_reads(&pg, false);
		pipelines(&pg);

		/* d. */
		restart_in_flight(&pg, &s_on, on);
		server_finish(&s_on, on);
	}
	PQfinish(lock);
	PQfinish(watcher);
	server_finish(&s_off, off);
	for (int i = 0; i < MAX_SERVERS; i++)
		if (g_servers[i] != NULL && g_servers[i]->pid > 0)
			fs_server_cleanup(g_servers[i]); /* kills what a failure left */
	alarm(0);
	fs_cluster_remove(&pg);
	return ts_finish("read_reactor_test");
}
