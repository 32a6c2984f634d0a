/*
 * pool_connect.c - how the pool makes connections: the connect bounded by
 * the caller's deadline (db_connect.h), backing off after failures, and
 * the connector thread that connects for callers that must not block.
 *
 * Backing off
 *   A failed connect (refused, too many clients, no such database, or no
 *   answer for CONNECT_SLOW_US) adds one to p->fail_streak and sets
 *   p->retry_at_us: 100 ms after the first failure, doubling up to 1 s,
 *   each wait drawn at random between half and all of it so that the
 *   servers of a fleet do not retry in step. Until then, and while the one
 *   connect allowed afterwards (p->probing) runs, a caller that would have
 *   to connect, in a pool that has no connection that could come back to
 *   it, gets the last failure's status at once; one that can wait for a
 *   connection in use waits as usual. The first connect that works ends
 *   it; so does pool_reset (a database just created), and the failures of
 *   connects begun before the reset do not count. A connect cut short
 *   by its caller's deadline before CONNECT_SLOW_US says nothing about
 *   the database and does not count.
 *
 * Options
 *   The target's options, plus TCP keepalives and tcp_user_timeout unless
 *   the target sets them: over TCP, a host that vanished (powered off,
 *   partitioned) then breaks its idle and its busy connections in tens of
 *   seconds instead of the kernel's two hours or fifteen minutes. They do
 *   not help against a host whose processes are frozen: its kernel still
 *   answers. Deadlines do (pool_exec.c, db_connect.c). libpq ignores them
 *   on unix sockets. libpq's own connect_timeout is not passed on: the
 *   pool enforces it, and the caller's deadline, itself.
 *
 * Locking: as pool.c (p->mtx for the fields of struct pool, never held
 * across I/O). The connector thread waits on p->connector_cv under
 * p->mtx; p->notify under p->notify_mtx, which is never taken with p->mtx
 * held.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/text.h"
#include "db/db_connect.h"
#include "db/pool_internal.h"

#define DEFAULT_CONNECT_TIMEOUT_S 5
#define BACKOFF_FIRST_US 100000
#define BACKOFF_MAX_US 1000000
/* A connect that got no answer for this long counts as failed, even when
 * its caller's deadline is what ended it. */
#define CONNECT_SLOW_US 1000000
/* The settings every pooled session starts with get this long. */
#define SETUP_BUDGET_US 2000000

/* Added unless the target has them (see the head comment). */
static const char *const tcp_keywords[] = { "keepalives", "keepalives_idle",
	"keepalives_interval", "keepalives_count", "tcp_user_timeout" };
static const char *const tcp_values[] = { "1", "10", "5", "3", "15000" };
#define N_TCP (sizeof(tcp_keywords) / sizeof(tcp_keywords[0]))

/* ---- options ---------------------------------------------------------- */

int
pool_build_options(pool *p, const pool_config *cfg)
{
	const db_target *t = cfg->target;
	size_t           n = 0, j = 0;
	int              timeout_s = cfg->connect_timeout_s;
	bool             have[N_TCP] = { false };

	while (t->keywords[n] != NULL)
		n++;
	p->keywords = calloc(n + N_TCP + 1, sizeof(*p->keywords));
	p->values = calloc(n + N_TCP + 1, sizeof(*p->values));
	if (p->keywords == NULL || p->values == NULL)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t->keywords[i], "connect_timeout") == 0) {
			if (timeout_s == 0)
				timeout_s = atoi(t->values[i]);
			continue;
		}
		for (size_t k = 0; k < N_TCP; k++)
			if (strcmp(t->keywords[i], tcp_keywords[k]) == 0)
				have[k] = true;
		p->keywords[j] = t->keywords[i];
		p->values[j] = t->values[i];
		j++;
	}
	for (size_t k = 0; k < N_TCP; k++) {
		if (have[k])
			continue;
		p->keywords[j] = tcp_keywords[k];
		p->values[j] = tcp_values[k];
		j++;
	}
	if (timeout_s <= 0)
		timeout_s = DEFAULT_CONNECT_TIMEOUT_S;
	p->connect_timeout_us = (int64_t)timeout_s * 1000000;
	p->jitter_seed = (unsigned int)clock_real_us();
	return 0;
}

/* ---- a bounded round trip -------------------------------------------- */

bool
pool_pg_roundtrip(PGconn *pg, const char *sql, ExecStatusType want, int64_t until_us)
{
	PGresult *res, *last = NULL;
	bool      ok;

	if (!PQsendQuery(pg, sql))
		return false;
	/* Several statements ("SET ...; SET ...") give several results, each
	 * complete at its own time: PQgetResult only once PQisBusy says the
	 * next is in, or it would wait without a limit. */
	for (;;) {
		while (PQisBusy(pg)) {
			int64_t       left = until_us - clock_mono_us();
			struct pollfd pfd = { .fd = PQsocket(pg), .events = POLLIN };

			if (left <= 0 ||
			    (poll(&pfd, 1, (int)((left + 999) / 1000)) < 0 && errno != EINTR) ||
			    !PQconsumeInput(pg)) {
				PQclear(last);
				return false;
			}
		}
		if ((res = PQgetResult(pg)) == NULL)
			break;
		PQclear(last);
		last = res;
	}
	ok = last != NULL && PQresultStatus(last) == want && PQstatus(pg) == CONNECTION_OK &&
	    PQtransactionStatus(pg) == PQTRANS_IDLE;
	PQclear(last);
	return ok;
}

/* ---- backing off ------------------------------------------------------ */

bool
pool_backoff_active_locked(const pool *p, int64_t now)
{
	return p->fail_streak > 0 && (p->probing || now < p->retry_at_us);
}

/* Connections of p that could come back to a waiting caller: not the
 * slots of connects in progress, which fail like the last one did. */
static int
live_locked(const pool *p)
{
	return p->size - p->connecting;
}

static void
refusal_msg_locked(pool *p, int64_t now, char *msg, size_t msglen)
{
	long long wait_ms = p->retry_at_us > now ? (p->retry_at_us - now + 999) / 1000 : 0;

	if (msg != NULL && msglen > 0 && p->probing)
		snprintf(msg, msglen, "%s (%d failed in a row; trying again now)", p->last_msg,
		    p->fail_streak);
	else if (msg != NULL && msglen > 0)
		snprintf(msg, msglen, "%s (%d failed in a row; next try in %lld ms)", p->last_msg,
		    p->fail_streak, wait_ms);
}

bool
pool_backoff_refuses_locked(const pool *p, int64_t now)
{
	return pool_backoff_active_locked(p, now) && live_locked(p) == 0;
}

cruddur_status
pool_refusal_locked(pool *p, char *msg, size_t msglen)
{
	p->backoff_refusals++;
	refusal_msg_locked(p, clock_mono_us(), msg, msglen);
	return p->fail_streak > 0 ? p->last_status : CRUDDUR_UNAVAILABLE;
}

cruddur_status
pool_down_status(pool *p, char *msg, size_t msglen)
{
	pthread_mutex_lock(&p->mtx);
	cruddur_status st = pool_refusal_locked(p, msg, msglen);
	pthread_mutex_unlock(&p->mtx);
	return st;
}

/* Records a connect's outcome. Locked. */
static void
record_locked(pool *p, bool ok, cruddur_status st, const char *msg)
{
	p->probing = false;
	if (ok) {
		p->connects++;
		if (p->fail_streak > 0) /* waiters backing off may connect now */
			pthread_cond_broadcast(&p->cv);
		p->fail_streak = 0;
		p->backoff_us = 0;
		return;
	}
	p->connect_failures++;
	p->fail_streak++;
	int64_t full = BACKOFF_FIRST_US; /* doubled for each failure after the first */
	for (int i = 1; i < p->fail_streak && full < BACKOFF_MAX_US; i++)
		full *= 2;
	if (full > BACKOFF_MAX_US)
		full = BACKOFF_MAX_US;
	p->backoff_us = full / 2 + (int64_t)(rand_r(&p->jitter_seed) % (unsigned)(full / 2 + 1));
	p->retry_at_us = clock_mono_us() + p->backoff_us;
	p->last_status = st == CRUDDUR_RESOURCE_EXHAUSTED ? st : CRUDDUR_UNAVAILABLE;
	snprintf(p->last_msg, sizeof(p->last_msg), "%s", msg);
}

/* ---- connecting ------------------------------------------------------- */

cruddur_status
pool_conn_open(pool *p, uint64_t gen, int64_t deadline_us, pool_conn **out, char *msg,
    size_t msglen)
{
	int64_t        start = clock_mono_us(), until = start + p->connect_timeout_us;
	pool_conn     *c = calloc(1, sizeof(*c));
	PGconn        *pg = NULL;
	cruddur_status st;
	char           why[256];

	*out = NULL;
	if (deadline_us > 0 && deadline_us < until)
		until = deadline_us;
	if (c == NULL) {
		st = CRUDDUR_RESOURCE_EXHAUSTED;
		snprintf(why, sizeof(why), "cannot connect to database: out of memory");
	} else {
		st = db_connect(&pg, p->keywords, p->values, until, &p->cancel_all_us, p->target, NULL,
		    why, sizeof(why));
	}
	/* Every statement of ours is written to be planned once, with its
	 * parameters as parameters (tests/integration/explain_test.c checks
	 * those plans). Left to choose, PostgreSQL keeps planning the feed
	 * query afresh on every run, which cost 40 % of its throughput.
	 * Memoize off: planned for the generic row estimate, it put a cache
	 * in front of the authors' lookups that a page of at most 101 rows
	 * never hits; without it the feed query runs 12 % faster (pgbench,
	 * bench/RESULTS.md). bench/run gives pgbench the same settings. */
	if (st == CRUDDUR_OK && !pool_pg_roundtrip(pg,
	        "SET plan_cache_mode = force_generic_plan; SET enable_memoize = off",
	        PGRES_COMMAND_OK, clock_mono_us() + SETUP_BUDGET_US)) {
		st = CRUDDUR_UNAVAILABLE;
		snprintf(why, sizeof(why), "cannot connect to database: the session's settings "
		                           "failed: %.180s", PQerrorMessage(pg));
		for (char *nl; (nl = strchr(why, '\n')) != NULL;)
			*nl = ' ';
		PQfinish(pg);
	}
	bool stopping = atomic_load(&p->cancel_all_us) != 0;
	/* Cut short by the caller's deadline, or by the stop: not the
	 * database's fault, unless it stayed silent that long. */
	bool counts = !stopping && (st != CRUDDUR_DEADLINE_EXCEEDED ||
	                               clock_mono_us() - start >= CONNECT_SLOW_US ||
	                               until == start + p->connect_timeout_us);
	pthread_mutex_lock(&p->mtx);
	p->connecting--;
	/* A connect begun before pool_reset (the database made since) says
	 * nothing about connecting now. */
	if (gen != p->generation)
		counts = false;
	if (st == CRUDDUR_OK || counts)
		record_locked(p, st == CRUDDUR_OK, st, why);
	else
		p->probing = false;
	if (st != CRUDDUR_OK)
		pool_slot_free_locked(p);
	pthread_mutex_unlock(&p->mtx);
	if (st != CRUDDUR_OK) {
		free(c);
		if (st == CRUDDUR_DEADLINE_EXCEEDED)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s",
			    " (the call's deadline came first)");
		text_set(msg, msglen, why);
		return st;
	}
	text_set(msg, msglen, "");
	c->pg = pg;
	c->prepared = 0; /* a new session has no prepared statements */
	c->generation = gen;
	c->pool = p;
	*out = c;
	return CRUDDUR_OK;
}

/* ---- the connector ---------------------------------------------------- */

static void
notify(pool *p)
{
	pthread_mutex_lock(&p->notify_mtx);
	if (p->notify != NULL)
		p->notify(p->notify_arg);
	pthread_mutex_unlock(&p->notify_mtx);
}

static void *
connector_main(void *arg)
{
	pool *p = arg;

	pthread_mutex_lock(&p->mtx);
	for (;;) {
		while (!p->grow_wanted && !p->connector_stop)
			pthread_cond_wait(&p->connector_cv, &p->mtx);
		if (p->connector_stop)
			break;
		pthread_mutex_unlock(&p->mtx);
		pool_conn *c = NULL;
		if (pool_acquire(p, clock_mono_us() + p->connect_timeout_us, &c, NULL, 0) ==
		    CRUDDUR_OK)
			pool_release(p, c); /* onto the idle stack, for whoever wants it */
		pthread_mutex_lock(&p->mtx);
		p->grow_wanted = false;
		pthread_mutex_unlock(&p->mtx);
		notify(p);
		pthread_mutex_lock(&p->mtx);
	}
	pthread_mutex_unlock(&p->mtx);
	return NULL;
}

void
pool_grow_async(pool *p)
{
	pthread_mutex_lock(&p->mtx);
	if (p->connector_started && !p->grow_wanted) {
		p->grow_wanted = true;
		pthread_cond_signal(&p->connector_cv);
	}
	pthread_mutex_unlock(&p->mtx);
}

void
pool_set_notify(pool *p, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&p->notify_mtx);
	p->notify = fn;
	p->notify_arg = arg;
	pthread_mutex_unlock(&p->notify_mtx);
}

int
pool_connector_start(pool *p)
{
	int rv = pthread_create(&p->connector, NULL, connector_main, p);

	p->connector_started = rv == 0;
	return rv;
}

void
pool_connector_stop(pool *p)
{
	if (!p->connector_started)
		return;
	/* A connect in progress ends within 50 ms of this (db_connect). */
	int64_t none = 0;
	atomic_compare_exchange_strong(&p->cancel_all_us, &none, clock_mono_us());
	pthread_mutex_lock(&p->mtx);
	p->connector_stop = true;
	pthread_cond_broadcast(&p->connector_cv);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mtx);
	pthread_join(p->connector, NULL);
	p->connector_started = false;
}

/* ---- a connection that is not the pool's ------------------------------ */

cruddur_status
pool_conn_open_other(pool *p, const char *const *kw, const char *const *val,
    const db_target *redact, int64_t until_us, pool_conn **out, char *msg, size_t msglen)
{
	pool_conn     *c = calloc(1, sizeof(*c));
	cruddur_status st;

	*out = NULL;
	if (c == NULL) {
		text_set(msg, msglen, "cannot connect to database: out of memory");
		return CRUDDUR_RESOURCE_EXHAUSTED;
	}
	/* No slot, no generation, no backoff: it is not the pool's target.
	 * Only the stop (cancel_all_us) and the cancel sender are shared. */
	st = db_connect(&c->pg, kw, val, until_us, &p->cancel_all_us, redact, NULL, msg, msglen);
	if (st != CRUDDUR_OK) {
		free(c);
		return st;
	}
	c->pool = p;
	*out = c;
	return CRUDDUR_OK;
}

void
pool_conn_discard(pool_conn *c)
{
	pool_conn_close(c);
}
