/*
 * pool_exec.c - running prepared statements on a pooled connection, never
 * past the call's deadline (pool_conn_set_deadline) nor past a server stop
 * (pool_cancel_all).
 *
 * One state machine serves both kinds of caller. pool_conn_start sends
 * the statement, or its PREPARE first when this connection has not
 * prepared it yet (remembered in its `prepared` bit set); pool_conn_step
 * reads what arrived and either says "wait for the socket again, at most
 * this long" or gives the outcome. Workers run it to the end at once
 * (pool_conn_exec, with poll); the read reactor (reads/read_flight.c) calls
 * pool_conn_step whenever epoll says the socket is readable, so that one
 * thread can wait on many statements. Once the limit passes, the command
 * is cancelled (PQcancel, from the pool's cancel_sender) and, when the
 * database has not answered 50 ms later, given up: the caller gets its
 * answer by its deadline (plus those 50 ms) even from a database host
 * that stopped answering, and the connection is closed, not reused.
 *
 * Raw SQL goes through the same machine (pool_conn_query, pool_conn_each,
 * pool_conn_command; pool_copy.c's COPY), on pooled connections and on
 * DbAdmin's maintenance connection (pool_conn_open_other): DDL, SQL files,
 * migrations. Such a command may hold several statements, whose results
 * arrive one by one: result_step takes each only once PQisBusy says it is
 * complete, so no PQgetResult ever waits. A connection given up on runs
 * nothing more (pool_conn_abandoned_status at once).
 *
 * A pool_conn belongs to the thread that acquired it (or to the reactor
 * while a statement of its runs), so nothing here takes a lock.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>

#include "base/text.h"
#include "db/db_error.h"
#include "db/pool_internal.h"

/* How long after the deadline a statement is waited for, its cancel
 * included, before its connection is given up. A database that answers
 * ends a cancelled statement within a few milliseconds (the cancel goes
 * from another thread, over a new connection); one that does not must not
 * make the call late. */
#define CANCEL_GIVE_UP_US 50000
/* A pipeline past its limit has answered its callers already (pool_pipeline.c):
 * its connection may drain longer, a cancel going out each second, to be
 * kept; unless the server stops. */
#define DRAIN_GIVE_UP_US (5 * 1000000)

static bool
result_sqlstate_is(const PGresult *res, const char *code)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return s != NULL && strcmp(s, code) == 0;
}

void
pool_conn_set_deadline(pool_conn *c, int64_t deadline_us)
{
	c->deadline_us = deadline_us;
}

void
pool_conn_abandon(pool_conn *c)
{
	c->abandoned = true;
}

/* Asks the server to cancel what c is running. Best effort: the query may
 * finish first, and then its result stands. Sent from the pool's own
 * thread (cancel_sender.h); c is not reused before it has gone. */
static void
conn_cancel(pool_conn *c)
{
	PGcancel *cancel = PQgetCancel(c->pg);

	if (cancel != NULL)
		c->cancel_ticket = cancel_sender_post(c->pool->canceller, cancel);
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
 * One look at the command in flight on c: reads what has arrived and, once
 * conn_limit_us has passed, cancels it and gives up on a database that
 * does not answer within CANCEL_GIVE_UP_US (c->abandoned; pool_release
 * closes it). Returns true when the command is over, with *res its last
 * result (NULL when the connection failed or was given up); false when
 * the caller must wait for PQsocket to be readable, at most *wait_ms.
 */
bool
pool_conn_watch(pool_conn *c, int *wait_ms)
{
	int64_t limit = conn_limit_us(c), now = pool_now_us();

	*wait_ms = 200; /* the limit is read again at least this often */
	if (limit != 0 && now >= limit) {
		bool    drain = PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF &&
		    atomic_load(&c->pool->cancel_all_us) == 0;
		int64_t give_up = limit + (drain ? DRAIN_GIVE_UP_US : CANCEL_GIVE_UP_US);
		if (now >= give_up) {
			c->abandoned = true;
			return false;
		}
		/* Again each second while draining: a cancel that arrives
		 * before the backend starts the statement is dropped. */
		if (c->cancelled_us == 0 || (drain && now - c->cancelled_us >= 1000000)) {
			conn_cancel(c);
			c->cancelled_us = now;
		}
		if ((give_up - now + 999) / 1000 < *wait_ms)
			*wait_ms = (int)((give_up - now + 999) / 1000);
	} else if (limit != 0 && (limit - now + 999) / 1000 < *wait_ms) {
		*wait_ms = (int)((limit - now + 999) / 1000); /* round up: never early */
	}
	return true;
}

bool
pool_conn_limit_passed(const pool_conn *c)
{
	int64_t limit = conn_limit_us(c);
	return limit != 0 && pool_now_us() >= limit;
}

/* What a COPY ... FROM STDIN that the caller did not ask for gets: the
 * statement fails with this, and the command goes on (simple commands of
 * migration and SQL files must not wait for rows that never come). */
#define COPY_IN_REFUSED "COPY FROM STDIN is not allowed here"

/* Takes one result of c's command: kept as the last, handed to c->each,
 * or (a COPY) dealt with. Returns true when it is the COPY_IN result the
 * caller wants (c->want_copy_in), which ends the command for now. */
static bool
result_take(pool_conn *c, PGresult *next)
{
	ExecStatusType rs = PQresultStatus(next);

	if ((rs == PGRES_COPY_IN && c->want_copy_in) && c->each == NULL) {
		PQclear(c->last);
		c->last = next;
		return true;
	}
	if (rs == PGRES_COPY_IN || rs == PGRES_COPY_BOTH) {
		/* Its error result follows, and is what the caller sees. */
		PQputCopyEnd(c->pg, COPY_IN_REFUSED);
		PQclear(next);
	} else if (rs == PGRES_COPY_OUT) {
		c->copy_out = true; /* its rows are skipped (result_step) */
		PQclear(next);
	} else if (c->each != NULL) {
		c->each(c->each_arg, next);
	} else {
		/* One command, one result; keep the last should there be more. */
		PQclear(c->last);
		c->last = next;
	}
	return false;
}

/*
 * Reads what arrived for c's command without blocking: true when it is
 * over (*res its last result, NULL when the connection failed or was
 * given up), false when the caller must wait for the socket, at most
 * *wait_ms. A command of several statements has several results that
 * arrive one by one: PQgetResult is called only while PQisBusy says the
 * next is complete, never to wait for one.
 */
static bool
result_step(pool_conn *c, PGresult **res, int *wait_ms)
{
	PGresult *next;
	bool      consumed = false;

	*res = NULL;
	for (;;) {
		bool wait = false;
		if (c->copy_out) {
			/* A COPY TO STDOUT's rows: skipped. Once no complete row
			 * is buffered, read the socket once more before waiting:
			 * rows already read into libpq's buffer make no POLLIN. */
			char *row;
			int   n = PQgetCopyData(c->pg, &row, 1);
			if (n > 0) {
				PQfreemem(row);
				consumed = false;
				continue;
			}
			if (n < 0) {
				c->copy_out = false; /* done (-1) or failed (-2) */
				continue;
			}
			if (!consumed) {
				consumed = true;
				if (!PQconsumeInput(c->pg))
					c->copy_out = false; /* broken: PQgetResult says so */
				continue;
			}
			wait = true;
		} else if (PQisBusy(c->pg)) {
			/* A failed read leaves the error for PQgetResult, which
			 * then returns it at once. */
			wait = PQconsumeInput(c->pg) && PQisBusy(c->pg);
		}
		if (wait) {
			if (pool_conn_watch(c, wait_ms))
				return false;
			PQclear(c->last); /* given up */
			c->last = NULL;
			return true;
		}
		if ((next = PQgetResult(c->pg)) == NULL)
			break;
		if (result_take(c, next))
			break;
	}
	*res = c->last;
	c->last = NULL;
	return true;
}

void
pool_conn_run_reset(pool_conn *c)
{
	c->cancelled_us = 0;
	PQclear(c->last);
	c->last = NULL;
	c->copy_out = false;
}

bool
pool_conn_wait(pool_conn *c, short events)
{
	int wait_ms;

	if (!pool_conn_watch(c, &wait_ms))
		return false;
	struct pollfd pfd = { .fd = PQsocket(c->pg), .events = events };
	if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
		c->abandoned = true;
		return false;
	}
	return true;
}

PGresult *
pool_conn_run_until(pool_conn *c)
{
	PGresult *res;
	int       wait_ms;

	while (!result_step(c, &res, &wait_ms)) {
		struct pollfd pfd = { .fd = PQsocket(c->pg), .events = POLLIN };
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
			c->abandoned = true;
			return NULL;
		}
	}
	return res;
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
	text_set(msg, msglen, "the server is shutting down: the statement was cancelled");
	return CRUDDUR_UNAVAILABLE;
}

/* A statement stopped by c's limit: UNAVAILABLE when the limit was the
 * server's stop, DEADLINE_EXCEEDED saying why otherwise. */
static cruddur_status
past_limit(const pool_conn *c, const char *why, char *msg, size_t msglen)
{
	if (cancelled_by_stop(c))
		return set_stopped(msg, msglen);
	text_set(msg, msglen, why);
	return CRUDDUR_DEADLINE_EXCEEDED;
}

cruddur_status
pool_conn_abandoned_status(const pool_conn *c, char *msg, size_t msglen)
{
	return past_limit(c, "the database answered neither the statement nor its cancel in time",
	    msg, msglen);
}

cruddur_status
pool_conn_limit_status(const pool_conn *c, char *msg, size_t msglen)
{
	return past_limit(c, "the deadline passed before the database answered", msg, msglen);
}

cruddur_status
pool_conn_result_status(pool_conn *c, const PGresult *res, char *msg, size_t msglen)
{
	cruddur_status st;

	if (c->abandoned)
		return pool_conn_abandoned_status(c, msg, msglen);
	st = db_error_status(res, c->pg, msg, msglen);
	if (st == CRUDDUR_UNAVAILABLE && res != NULL && result_sqlstate_is(res, "25006"))
		c->read_only_seen = true;
	if (st == CRUDDUR_DEADLINE_EXCEEDED && cancelled_by_stop(c)) {
		st = set_stopped(msg, msglen);
	} else if (st == CRUDDUR_DEADLINE_EXCEEDED && c->cancelled_us != 0 && msg != NULL) {
		/* Our cancel, not someone else's: say which limit it was. */
		size_t n = strlen(msg);
		if (n < msglen)
			snprintf(msg + n, msglen - n, " (the call's deadline passed)");
	}
	return st;
}

/* Sends c's statement, or its PREPARE when c has not prepared it. */
static bool
send_next(pool_conn *c)
{
	const db_statement *stmt = c->stmt;

	c->abandoned = false;
	pool_conn_run_reset(c);
	c->each = NULL;
	c->want_copy_in = false;
	c->preparing = (c->prepared & (UINT64_C(1) << stmt->id)) == 0;
	if (c->preparing)
		return PQsendPrepare(c->pg, stmt->name, stmt->sql, stmt->nparams, NULL) != 0;
	return PQsendQueryPrepared(c->pg, stmt->name, stmt->nparams, c->params, NULL, NULL,
	    stmt->binary_results ? 1 : 0) != 0;
}

cruddur_status
pool_conn_start(pool_conn *c, const db_statement *stmt, const char *const *params, char *msg,
    size_t msglen)
{
	text_set(msg, msglen, "");
	if (stmt == NULL || stmt->id < 0 || stmt->id >= POOL_MAX_STATEMENTS ||
	    stmt->name == NULL || stmt->sql == NULL || stmt->nparams < 0) {
		text_set(msg, msglen, "bad statement: id outside 0..63 or no "
		    "name or sql");
		return CRUDDUR_INVALID_ARGUMENT;
	}
	c->stmt = stmt;
	c->params = params;
	c->retried = false;
	if (!send_next(c))
		return db_error_status(NULL, c->pg, msg, msglen); /* reads PQerrorMessage */
	return CRUDDUR_OK;
}

/* The PREPARE's result is in: goes on to the statement, or says why not. */
static bool
prepared_step(pool_conn *c, PGresult *res, cruddur_status *st, int *wait_ms, char *msg,
    size_t msglen)
{
	*st = pool_conn_result_status(c, res, msg, msglen);
	/* 42P05: a statement of that name exists already; names are unique
	 * in the caller's table, so it is this one. */
	if (*st != CRUDDUR_OK && !c->abandoned && res != NULL && result_sqlstate_is(res, "42P05") &&
	    PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		*st = CRUDDUR_OK;
	PQclear(res);
	if (*st != CRUDDUR_OK)
		return true;
	c->prepared |= UINT64_C(1) << c->stmt->id;
	text_set(msg, msglen, "");
	if (send_next(c)) {
		*wait_ms = 0; /* look at once: the next step sets the real wait */
		return false;
	}
	*st = db_error_status(NULL, c->pg, msg, msglen);
	return true;
}

bool
pool_conn_step(pool_conn *c, cruddur_status *st, PGresult **out, int *wait_ms, char *msg,
    size_t msglen)
{
	PGresult *res;

	*out = NULL;
	if (!result_step(c, &res, wait_ms))
		return false;
	if (c->preparing)
		return prepared_step(c, res, st, wait_ms, msg, msglen);
	*st = pool_conn_result_status(c, res, msg, msglen);
	if (*st == CRUDDUR_OK) {
		*out = res;
		return true;
	}
	/* 26000: someone ran DEALLOCATE or DISCARD on this connection.
	 * Prepare again, once, if no transaction is aborted by the error. */
	if (!c->retried && !c->abandoned && res != NULL && result_sqlstate_is(res, "26000") &&
	    PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
		PQclear(res);
		c->prepared &= ~(UINT64_C(1) << c->stmt->id);
		c->retried = true;
		text_set(msg, msglen, "");
		if (send_next(c)) {
			*wait_ms = 0; /* as in prepared_step */
			return false;
		}
		*st = db_error_status(NULL, c->pg, msg, msglen);
		return true;
	}
	PQclear(res);
	return true;
}

/* Sends sql (nparams < 0: as a simple query, which may hold several
 * statements) and reads it to the end through the result machine. */
static cruddur_status
run_command(pool_conn *c, const char *sql, int nparams, const char *const *params,
    PGresult **out, char *msg, size_t msglen)
{
	int sent;

	/* A connection given up on still runs what it was given up on: a
	 * ROLLBACK after it would wait out a second give-up for nothing.
	 * pool_release (pool_conn_discard) closes it. */
	if (c->abandoned)
		return pool_conn_abandoned_status(c, msg, msglen);
	text_set(msg, msglen, "");
	pool_conn_run_reset(c);
	sent = nparams < 0 ? PQsendQuery(c->pg, sql)
	                   : PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	if (!sent)
		return db_error_status(NULL, c->pg, msg, msglen);
	PGresult      *res = pool_conn_run_until(c);
	cruddur_status st;

	/* Each result went to c->each, which judges them: the command as a
	 * whole failed only when it was given up or the connection broke. */
	if (c->each != NULL && res == NULL && !c->abandoned && PQstatus(c->pg) == CONNECTION_OK)
		return CRUDDUR_OK;
	st = pool_conn_result_status(c, res, msg, msglen);
	/* An EMPTY_QUERY result (a file of comments) is no failure. */
	if (st != CRUDDUR_OK && !c->abandoned && PQresultStatus(res) == PGRES_EMPTY_QUERY) {
		text_set(msg, msglen, "");
		st = CRUDDUR_OK;
	}
	if (out != NULL && st == CRUDDUR_OK)
		*out = res;
	else if (out != NULL && c->each == NULL && !c->abandoned)
		*out = res; /* the failed result, for its fields */
	else
		PQclear(res);
	return st;
}

cruddur_status
pool_conn_command(pool_conn *c, const char *sql, char *msg, size_t msglen)
{
	c->each = NULL;
	c->want_copy_in = false;
	return run_command(c, sql, -1, NULL, NULL, msg, msglen);
}

cruddur_status
pool_conn_query(pool_conn *c, const char *sql, int nparams, const char *const *params,
    PGresult **out, char *msg, size_t msglen)
{
	if (out != NULL)
		*out = NULL;
	c->each = NULL;
	c->want_copy_in = false;
	return run_command(c, sql, nparams, params, out, msg, msglen);
}

cruddur_status
pool_conn_each(pool_conn *c, const char *sql, void (*each)(void *arg, PGresult *res), void *arg,
    char *msg, size_t msglen)
{
	cruddur_status st;

	c->each = each;
	c->each_arg = arg;
	c->want_copy_in = false;
	st = run_command(c, sql, -1, NULL, NULL, msg, msglen);
	c->each = NULL;
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
	int            wait_ms;

	*out = NULL;
	if ((st = pool_conn_start(c, stmt, params, msg, msglen)) != CRUDDUR_OK)
		return st;
	while (!pool_conn_step(c, &st, out, &wait_ms, msg, msglen)) {
		struct pollfd pfd = { .fd = PQsocket(c->pg), .events = POLLIN };
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
			c->abandoned = true; /* pool_release closes it */
			return pool_conn_abandoned_status(c, msg, msglen);
		}
	}
	return st;
}
