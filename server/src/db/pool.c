/*
 * pool.c - a thread-safe pool of libpq connections.
 *
 * Design
 *   The pool has max_size slots. A slot is either idle (a connection on the
 *   idle stack), in use (a connection owned by a caller), or reserved (a
 *   caller is making a connection for it). size counts all three:
 *
 *       size = idle + in_use        in_use includes reserved slots
 *
 *   pool_acquire takes the most recently used idle connection (LIFO keeps
 *   few connections warm), else reserves a free slot and connects, else waits
 *   on the condition variable until a slot frees up or a deadline passes.
 *   Every path that makes a slot or an idle connection available signals.
 *
 *   Health. An idle connection has nothing to read; if its socket is
 *   readable, the server has most likely ended the session
 *   (pg_terminate_backend, restart), so we confirm with an empty-query
 *   round trip and discard it if that fails. A connection that breaks while
 *   in use is found by pool_release (PQstatus) and closed. Either way the
 *   slot is freed and the next acquire connects anew.
 *
 *   Reset. pool_reset bumps the generation and closes the idle connections.
 *   A connection remembers the generation its slot was reserved in; one from
 *   an older generation is closed on release instead of kept.
 *
 *   Prepared statements. Each connection carries a 64-bit set of the
 *   statement ids prepared on it. A new connection starts with none.
 *
 *   Connecting is pool_connect.c's: bounded by the caller's deadline,
 *   backing off after failures (a caller that would connect meanwhile,
 *   with no connection in use that could come back, is refused at once;
 *   one that could wait for one waits), and the connector thread that
 *   connects for the read reactor (pool_grow_async). Round trips on idle
 *   connections (the health check, ROLLBACK) get ROUNDTRIP_BUDGET_US.
 *
 * Locking rule
 *   p->mtx protects every field of struct pool below it, and the next link
 *   of connections on the idle stack. It is held only for bookkeeping: never
 *   across network I/O (connect, query, ROLLBACK, PQfinish) and never while
 *   calling out. A pool_conn that is not on the idle stack belongs to one
 *   thread (the caller that acquired it, or the acquirer that is connecting
 *   it), which may use its PGconn and prepared set without the lock.
 *   c->generation is written once, before the connection is handed out.
 *   Waiters use p->cv with CLOCK_MONOTONIC absolute deadlines.
 */
/* clock_gettime, pthread_condattr_setclock, poll under plain -std=c11. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "db/pool.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/text.h"
#include "db/db_error.h"
#include "db/pool_internal.h"

/* A round trip on an idle connection (its health, ROLLBACK) gets this
 * long: a database that takes longer is not one to keep a session on. */
#define ROUNDTRIP_BUDGET_US 1000000


/* ---- small helpers --------------------------------------------------- */

int64_t
pool_now_us(void)
{
	return clock_mono_us();
}

void
pool_conn_close(pool_conn *c)
{
	if (c == NULL)
		return;
	PQclear(c->last);
	PQfinish(c->pg);
	free(c);
}

/* ---- new / free ------------------------------------------------------ */

static int
validate_config(const pool_config *cfg)
{
	if (cfg == NULL || cfg->target == NULL ||
	    cfg->target->keywords == NULL || cfg->target->values == NULL ||
	    cfg->max_size < 1 || cfg->min_size < 0 ||
	    cfg->min_size > cfg->max_size || cfg->acquire_timeout_ms < 0 ||
	    cfg->connect_timeout_s < 0)
		return EINVAL;
	return 0;
}

int
pool_new(pool **out, const pool_config *cfg)
{
	pthread_condattr_t ca;
	bool have_mtx = false, have_ca = false;
	pool *p;
	int rv;

	*out = NULL;
	if ((rv = validate_config(cfg)) != 0)
		return rv;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ENOMEM;
	p->target = cfg->target;
	p->max_size = cfg->max_size;
	p->acquire_timeout_ms = cfg->acquire_timeout_ms;
	if ((rv = pool_build_options(p, cfg)) != 0 || (rv = cancel_sender_new(&p->canceller)) != 0)
		goto fail;
	if ((rv = pthread_mutex_init(&p->mtx, NULL)) != 0)
		goto fail;
	have_mtx = true;
	pthread_mutex_init(&p->notify_mtx, NULL);
	pthread_cond_init(&p->connector_cv, NULL);
	if ((rv = pthread_condattr_init(&ca)) != 0)
		goto fail;
	have_ca = true;
	if ((rv = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rv = pthread_cond_init(&p->cv, &ca)) != 0)
		goto fail;
	pthread_condattr_destroy(&ca);
	have_ca = false;
	if ((rv = pool_connector_start(p)) != 0) {
		pthread_cond_destroy(&p->cv);
		goto fail;
	}
	*out = p;
	return 0;

fail:
	if (have_ca)
		pthread_condattr_destroy(&ca);
	if (have_mtx) {
		pthread_cond_destroy(&p->connector_cv);
		pthread_mutex_destroy(&p->notify_mtx);
		pthread_mutex_destroy(&p->mtx);
	}
	cancel_sender_free(p->canceller);
	free(p->keywords);
	free(p->values);
	free(p);
	return rv;
}

void
pool_free(pool *p)
{
	pool_conn *c, *next;

	if (p == NULL)
		return;
	pool_connector_stop(p);
	/* No other thread may be here now, so no lock; in_use must be 0. */
	for (c = p->idle; c != NULL; c = next) {
		next = c->next;
		pool_conn_close(c);
	}
	cancel_sender_free(p->canceller);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->connector_cv);
	pthread_mutex_destroy(&p->notify_mtx);
	pthread_mutex_destroy(&p->mtx);
	free(p->keywords);
	free(p->values);
	free(p);
}

/* ---- acquire --------------------------------------------------------- */

/*
 * Whether an idle connection just taken off the stack can be handed out.
 * Called without the lock: may do a round trip.
 */
static bool
conn_healthy(pool_conn *c)
{
	struct pollfd pfd;

	if (PQstatus(c->pg) != CONNECTION_OK ||
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE ||
	    (pfd.fd = PQsocket(c->pg)) < 0)
		return false;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 0)
		return true;
	/* Something arrived while idle: most likely a FATAL error and EOF. An
	 * empty query settles it (and swallows a stray notice if that was all). */
	return pool_pg_roundtrip(c->pg, "", PGRES_EMPTY_QUERY, pool_now_us() + ROUNDTRIP_BUDGET_US);
}

void
pool_slot_free_locked(pool *p)
{
	p->size--;
	p->in_use--;
	pthread_cond_signal(&p->cv);
}

cruddur_status
pool_acquire(pool *p, int64_t deadline_us, pool_conn **out, char *msg,
    size_t msglen)
{
	int64_t now = pool_now_us();
	int64_t limit = now + (int64_t)p->acquire_timeout_ms * 1000;
	bool caller_first = deadline_us > 0 && deadline_us <= limit;
	struct timespec ts;
	pool_conn *c;

	*out = NULL;
	text_set(msg, msglen, "");
	if (deadline_us > 0 && deadline_us <= now) {
		text_set(msg, msglen, "deadline passed before a connection was "
		    "taken");
		return CRUDDUR_DEADLINE_EXCEEDED;
	}
	if (caller_first)
		limit = deadline_us;

	pthread_mutex_lock(&p->mtx);
	for (;;) {
		cruddur_status st;

		if (atomic_load(&p->cancel_all_us) != 0) {
			/* The server is stopping: no new database work. */
			pthread_mutex_unlock(&p->mtx);
			text_set(msg, msglen, "the server is shutting down");
			return CRUDDUR_UNAVAILABLE;
		}
		if ((c = p->idle) != NULL) {
			p->idle = c->next;
			p->nidle--;
			p->in_use++;
			pthread_mutex_unlock(&p->mtx);
			c->next = NULL;
			if (conn_healthy(c)) {
				*out = c;
				return CRUDDUR_OK;
			}
			pool_conn_close(c);
			pthread_mutex_lock(&p->mtx);
			p->broken++;
			pool_slot_free_locked(p);
			continue;
		}
		int64_t wait_until = limit, looked = pool_now_us();
		if (p->size < p->max_size) {
			uint64_t gen = p->generation;

			if (!pool_backoff_active_locked(p, looked)) {
				/* Free to connect; after failures, this is the retry. */
				p->probing = p->fail_streak > 0;
				p->size++;
				p->in_use++;
				p->connecting++;
				pthread_mutex_unlock(&p->mtx);
				return pool_conn_open(p, gen, deadline_us, out, msg, msglen);
			}
			if (pool_backoff_refuses_locked(p, looked)) {
				st = pool_refusal_locked(p, msg, msglen);
				pthread_mutex_unlock(&p->mtx);
				return st;
			}
			/* Backing off, with connections in use that may come back:
			 * wait for one, and look again when the backoff ends. */
			if (!p->probing && p->retry_at_us < wait_until)
				wait_until = p->retry_at_us;
		}
		if (pool_now_us() >= limit)
			break;
		ts = clock_timespec(wait_until);
		p->waiting++;
		/* Timeouts and spurious wake-ups alike go round the loop: a
		 * slot that came free just now is still taken. */
		(void)pthread_cond_timedwait(&p->cv, &p->mtx, &ts);
		p->waiting--;
	}
	pthread_mutex_unlock(&p->mtx);

	if (caller_first) {
		text_set(msg, msglen, "deadline passed while waiting for a "
		    "database connection");
		return CRUDDUR_DEADLINE_EXCEEDED;
	}
	if (msg != NULL && msglen > 0)
		snprintf(msg, msglen, "all %d database connections stayed busy "
		    "for %d ms", p->max_size, p->acquire_timeout_ms);
	return CRUDDUR_RESOURCE_EXHAUSTED;
}

pool_try
pool_try_acquire(pool *p, pool_conn **out)
{
	pool_conn    *c;
	struct pollfd pfd = { .events = POLLIN };

	*out = NULL;
	pthread_mutex_lock(&p->mtx);
	if (atomic_load(&p->cancel_all_us) != 0) {
		pthread_mutex_unlock(&p->mtx);
		return POOL_STOPPING;
	}
	if ((c = p->idle) == NULL) {
		int64_t  now = pool_now_us();
		pool_try t = p->size >= p->max_size || pool_backoff_active_locked(p, now) ? POOL_BUSY
		                                                                         : POOL_MAY_GROW;
		if (p->size < p->max_size && pool_backoff_refuses_locked(p, now))
			t = POOL_DOWN;
		pthread_mutex_unlock(&p->mtx);
		return t;
	}
	p->idle = c->next;
	p->nidle--;
	p->in_use++;
	pthread_mutex_unlock(&p->mtx);
	c->next = NULL;
	/* The checks of conn_healthy that need no round trip, outside the
	 * lock (poll is a system call). */
	pfd.fd = PQsocket(c->pg);
	if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE &&
	    pfd.fd >= 0 && poll(&pfd, 1, 0) == 0) {
		*out = c;
		return POOL_TAKEN;
	}
	/* Left for pool_acquire's round trip: back on top of the idle stack. */
	pthread_mutex_lock(&p->mtx);
	c->next = p->idle;
	p->idle = c;
	p->nidle++;
	p->in_use--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mtx);
	return POOL_MAY_GROW;
}

/* ---- release / reset ------------------------------------------------- */

/*
 * Brings a returned connection back to idle state if it can. Called without
 * the lock: may send ROLLBACK.
 */
static bool
conn_reusable(pool_conn *c)
{
	/* One whose cancel has not gone yet would receive it later, on its
	 * next statement (cancel_sender.h). A database that answers sends it
	 * within a millisecond; one that does not is not worth the wait. */
	if (c->abandoned || c->read_only_seen || !cancel_sender_wait(c->pool->canceller, c->cancel_ticket, 50) ||
	    PQstatus(c->pg) != CONNECTION_OK ||
	    PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF)
		return false;
	switch (PQtransactionStatus(c->pg)) {
	case PQTRANS_IDLE:
		return true;
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		break;
	default:
		/* A command still running (ACTIVE) or state UNKNOWN. */
		return false;
	}
	return pool_pg_roundtrip(c->pg, "ROLLBACK", PGRES_COMMAND_OK,
	    pool_now_us() + ROUNDTRIP_BUDGET_US);
}

void
pool_release(pool *p, pool_conn *c)
{
	bool keep;

	if (c == NULL)
		return;
	c->deadline_us = 0;
	keep = conn_reusable(c);

	pthread_mutex_lock(&p->mtx);
	if (!keep)
		p->broken++;
	else if (c->generation != p->generation)
		keep = false;
	if (keep) {
		c->next = p->idle;
		p->idle = c;
		p->nidle++;
		p->in_use--;
		pthread_cond_signal(&p->cv);
	} else {
		pool_slot_free_locked(p);
	}
	pthread_mutex_unlock(&p->mtx);

	if (!keep)
		pool_conn_close(c);
}

void
pool_reset(pool *p)
{
	pool_conn *list, *next;

	pthread_mutex_lock(&p->mtx);
	p->generation++;
	/* Its database may just have been made: connect again at once. */
	p->fail_streak = 0;
	p->backoff_us = 0;
	list = p->idle;
	p->idle = NULL;
	p->size -= p->nidle;
	p->nidle = 0;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mtx);

	for (; list != NULL; list = next) {
		next = list->next;
		pool_conn_close(list);
	}
}

void
pool_get_stats(pool *p, pool_stats *out)
{
	pthread_mutex_lock(&p->mtx);
	out->size = p->size;
	out->in_use = p->in_use;
	out->idle = p->nidle;
	out->waiting = p->waiting;
	out->connects = p->connects;
	out->connect_failures = p->connect_failures;
	out->broken = p->broken;
	out->backoff_refusals = p->backoff_refusals;
	out->fail_streak = p->fail_streak;
	out->backoff_ms = p->fail_streak > 0 ? (int)(p->backoff_us / 1000) : 0;
	pthread_mutex_unlock(&p->mtx);
}

int
pool_acquire_timeout_ms(const pool *p)
{
	return p->acquire_timeout_ms; /* read-only after pool_new */
}

/* ---- statements ------------------------------------------------------ */

PGconn *
pool_conn_pg(pool_conn *c)
{
	return c->pg;
}
