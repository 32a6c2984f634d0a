/*
 * pool_exec.c - running prepared statements on a pooled connection, never
 * past the call's deadline (pool_conn_set_deadline) nor past a server stop
 * (pool_cancel_all).
 *
 * Statements are prepared on a connection the first time it runs them and
 * remembered in its `prepared` bit set. Both PREPARE and the statement are
 * sent without waiting; result_until then waits for the answer and cancels
 * the command (PQcancel) once the limit passes. A pool_conn belongs to the
 * thread that acquired it, so nothing here takes a lock.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>

#include "db_error.h"
#include "pool_internal.h"

/* How long after the deadline a statement is waited for, cancels and all,
 * before its connection is given up. */
#define CANCEL_GIVE_UP_US (5 * 1000000)

static bool
result_sqlstate_is(const PGresult *res, const char *code)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return s != NULL && strcmp(s, code) == 0;
}

static PGresult *prepare_until(pool_conn *c, const db_statement *stmt);
static cruddur_status abandoned_status(const pool_conn *c, char *msg, size_t msglen);

/* Prepares stmt on c unless it already is. */
static cruddur_status
stmt_prepare(pool_conn *c, const db_statement *stmt, char *msg, size_t msglen)
{
	uint64_t bit = UINT64_C(1) << stmt->id;
	cruddur_status st;
	PGresult *res;

	if (c->prepared & bit)
		return CRUDDUR_OK;
	res = prepare_until(c, stmt);
	if (c->abandoned)
		return abandoned_status(c, msg, msglen);
	st = db_error_status(res, c->pg, msg, msglen);
	/* 42P05: a statement of that name exists already; names are unique
	 * in the caller's table, so it is this one. */
	if (st != CRUDDUR_OK && res != NULL && result_sqlstate_is(res, "42P05") &&
	    PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		st = CRUDDUR_OK;
	PQclear(res);
	if (st == CRUDDUR_OK)
		c->prepared |= bit;
	return st;
}

void
pool_conn_set_deadline(pool_conn *c, int64_t deadline_us)
{
	c->deadline_us = deadline_us;
}

/* Asks the server to cancel what c is running. Best effort: the query may
 * finish first, and then its result stands. */
static void
conn_cancel(pool_conn *c)
{
	char      err[256];
	PGcancel *cancel = PQgetCancel(c->pg);

	if (cancel != NULL) {
		PQcancel(cancel, err, sizeof(err));
		PQfreeCancel(cancel);
	}
}

/* When what runs on c must stop: the earlier of its deadline and the time
 * of pool_cancel_all; 0 for never. */
static int64_t
conn_limit_us(const pool_conn *c)
{
	int64_t all = atomic_load(&c->pool->cancel_all_us);

	if (c->deadline_us == 0 || (all != 0 && all < c->deadline_us))
		return all;
	return c->deadline_us;
}

/*
 * Waits for the result of the command just sent on c, but not past
 * conn_limit_us: when that passes before the result is in, the command is
 * cancelled (the server then fails it with 57014, which db_error_status
 * reports as DEADLINE_EXCEEDED). The limit is read again at each wake-up
 * (at least every 200 ms), so pool_cancel_all reaches a waiting command.
 * NULL when the connection failed.
 */
static PGresult *
result_until(pool_conn *c)
{
	PGresult *res = NULL, *next;
	int64_t   cancelled_us = 0; /* when the last cancel went out */

	c->abandoned = false;
	while (PQisBusy(c->pg)) {
		int64_t       limit = conn_limit_us(c), now = pool_now_us();
		struct pollfd pfd = { .fd = PQsocket(c->pg), .events = POLLIN };
		int           wait_ms = 200;
		if (limit != 0 && now >= limit) {
			/* A cancel can be lost (one that arrives before the backend
			 * starts the query is dropped): send it again each second,
			 * and give up on a database that answers none of them. */
			if (now - limit > CANCEL_GIVE_UP_US) {
				c->abandoned = true; /* pool_release closes it */
				return NULL;
			}
			if (cancelled_us == 0 || now - cancelled_us >= 1000000) {
				conn_cancel(c);
				cancelled_us = now;
			}
		} else if (limit != 0 && (limit - now + 999) / 1000 < wait_ms) {
			wait_ms = (int)((limit - now + 999) / 1000); /* round up: never early */
		}
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
			c->abandoned = true;
			return NULL;
		}
		if (!PQconsumeInput(c->pg))
			break;
	}
	/* One statement, one result; keep the last should there be more. */
	while ((next = PQgetResult(c->pg)) != NULL) {
		PQclear(res);
		res = next;
	}
	return res;
}

/* Runs stmt, not past c's deadline or pool_cancel_all (result_until). */
static PGresult *
exec_until(pool_conn *c, const db_statement *stmt, const char *const *params)
{
	if (!PQsendQueryPrepared(c->pg, stmt->name, stmt->nparams, params, NULL, NULL, 0))
		return NULL; /* db_error_status reads PQerrorMessage */
	return result_until(c);
}

/* Prepares stmt, not past c's deadline: PREPARE takes the locks of the
 * tables it names, so it can wait as long as the statement itself. */
static PGresult *
prepare_until(pool_conn *c, const db_statement *stmt)
{
	if (!PQsendPrepare(c->pg, stmt->name, stmt->sql, stmt->nparams, NULL))
		return NULL;
	return result_until(c);
}

/* Whether a statement of c that failed as cancelled was stopped by
 * pool_cancel_all rather than by its own deadline. */
static bool
cancelled_by_stop(const pool_conn *c)
{
	int64_t all = atomic_load(&c->pool->cancel_all_us);
	return all != 0 && (c->deadline_us == 0 || all < c->deadline_us);
}

static cruddur_status
set_stopped(char *msg, size_t msglen)
{
	pool_set_msg(msg, msglen, "the server is shutting down: the statement was cancelled");
	return CRUDDUR_UNAVAILABLE;
}

/* The status of a statement given up on: the database answered neither
 * it nor its cancels in time. */
static cruddur_status
abandoned_status(const pool_conn *c, char *msg, size_t msglen)
{
	if (cancelled_by_stop(c))
		return set_stopped(msg, msglen);
	pool_set_msg(msg, msglen, "the database answered neither the statement nor its cancel in time");
	return CRUDDUR_DEADLINE_EXCEEDED;
}

cruddur_status
pool_conn_command(pool_conn *c, const char *sql, char *msg, size_t msglen)
{
	cruddur_status st;

	pool_set_msg(msg, msglen, "");
	if (!PQsendQuery(c->pg, sql))
		return db_error_status(NULL, c->pg, msg, msglen);
	PGresult *res = result_until(c);
	if (c->abandoned)
		st = abandoned_status(c, msg, msglen);
	else if ((st = db_error_status(res, c->pg, msg, msglen)) == CRUDDUR_DEADLINE_EXCEEDED &&
	    cancelled_by_stop(c))
		st = set_stopped(msg, msglen);
	PQclear(res);
	return st;
}

void
pool_cancel_all(pool *p)
{
	int64_t none = 0;
	atomic_compare_exchange_strong(&p->cancel_all_us, &none, pool_now_us());
	/* Callers waiting for a connection give up now, not at their timeout. */
	pthread_mutex_lock(&p->mtx);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mtx);
}

cruddur_status
pool_conn_exec(pool_conn *c, const db_statement *stmt,
    const char *const *params, PGresult **out, char *msg, size_t msglen)
{
	cruddur_status st;
	PGresult *res;

	*out = NULL;
	pool_set_msg(msg, msglen, "");
	if (stmt == NULL || stmt->id < 0 || stmt->id >= POOL_MAX_STATEMENTS ||
	    stmt->name == NULL || stmt->sql == NULL || stmt->nparams < 0) {
		pool_set_msg(msg, msglen, "bad statement: id outside 0..63 or no "
		    "name or sql");
		return CRUDDUR_INVALID_ARGUMENT;
	}
	for (int attempt = 0;; attempt++) {
		if ((st = stmt_prepare(c, stmt, msg, msglen)) != CRUDDUR_OK)
			return st == CRUDDUR_DEADLINE_EXCEEDED && cancelled_by_stop(c) ?
			    set_stopped(msg, msglen) : st;
		res = exec_until(c, stmt, params);
		st = c->abandoned ? abandoned_status(c, msg, msglen) : db_error_status(res, c->pg, msg, msglen);
		if (st == CRUDDUR_DEADLINE_EXCEEDED && cancelled_by_stop(c))
			st = set_stopped(msg, msglen);
		if (st == CRUDDUR_OK) {
			*out = res;
			return CRUDDUR_OK;
		}
		/* 26000: someone ran DEALLOCATE or DISCARD on this
		 * connection. Prepare again, once, if no transaction is
		 * aborted by the error. */
		if (attempt == 0 && res != NULL &&
		    result_sqlstate_is(res, "26000") &&
		    PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
			c->prepared &= ~(UINT64_C(1) << stmt->id);
			PQclear(res);
			continue;
		}
		PQclear(res);
		return st;
	}
}
