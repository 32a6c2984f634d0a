/*
 * pool_copy.c - COPY ... FROM STDIN on a pooled connection, never past
 * the call's deadline nor past a server stop (pool_cancel_all).
 *
 * Why: libpq's blocking PQputCopyData and PQputCopyEnd wait for the socket
 * to take the bytes, without a timeout, and a database host that stopped
 * answering stops reading once its kernel buffers are full: the worker
 * would wait forever, and the server's stop with it (transport_free joins
 * the workers). Here the connection is non-blocking while rows go out;
 * each chunk is queued and flushed before the next (so libpq buffers one
 * chunk at most), every wait for the socket is cut at the connection's
 * limit (pool_conn_wait: the cancel goes out through the pool's
 * cancel_sender, the connection is given up 50 ms later and closed on
 * release), and the COPY's start and end are read by pool_exec.c's
 * result machine like any other command.
 *
 * A pool_conn belongs to the thread that acquired it: no locks.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <poll.h>

#include "base/text.h"
#include "db/db_error.h"
#include "db/pool_internal.h"

/* The result of the command whose results pool_conn_run_until read: the
 * status, and *out as pool_conn_query gives it. */
static cruddur_status
copy_result(pool_conn *c, PGresult *res, ExecStatusType want, PGresult **out, char *msg,
    size_t msglen)
{
	cruddur_status st;

	if (res != NULL && PQresultStatus(res) == want) {
		st = CRUDDUR_OK;
	} else {
		st = pool_conn_result_status(c, res, msg, msglen);
		if (st == CRUDDUR_OK) {
			text_set(msg, msglen, "the server answered the COPY with something else");
			st = CRUDDUR_INTERNAL;
		}
	}
	if (out != NULL && !c->abandoned)
		*out = res;
	else
		PQclear(res);
	return st;
}

cruddur_status
pool_conn_copy_begin(pool_conn *c, const char *sql, PGresult **out, char *msg, size_t msglen)
{
	if (out != NULL)
		*out = NULL;
	if (c->abandoned) /* as in pool_exec.c's run_command */
		return pool_conn_abandoned_status(c, msg, msglen);
	text_set(msg, msglen, "");
	pool_conn_run_reset(c);
	c->each = NULL;
	c->want_copy_in = true;
	if (!PQsendQuery(c->pg, sql))
		return db_error_status(NULL, c->pg, msg, msglen);
	PGresult *res = pool_conn_run_until(c);
	c->want_copy_in = false;
	return copy_result(c, res, PGRES_COPY_IN, out, msg, msglen);
}

/* Flushes what libpq holds for c, waiting for the socket within c's
 * limit. Reading too (libpq's advice for non-blocking sends): a server
 * that sends an error while we write must not deadlock us. */
static cruddur_status
copy_flush(pool_conn *c, char *msg, size_t msglen)
{
	int left;

	while ((left = PQflush(c->pg)) == 1)
		if (!pool_conn_wait(c, POLLOUT | POLLIN) || !PQconsumeInput(c->pg))
			break;
	if (left == 0)
		return CRUDDUR_OK;
	if (c->abandoned)
		return pool_conn_abandoned_status(c, msg, msglen);
	c->abandoned = true; /* half a message sent: never reuse it */
	return db_error_status(NULL, c->pg, msg, msglen);
}

/* Runs put (PQputCopyData or PQputCopyEnd, 1 queued, 0 full, -1 failed)
 * with c non-blocking, then flushes; c is blocking again afterwards. */
static cruddur_status
copy_put(pool_conn *c, const char *data, size_t len, const char *reason, bool end, char *msg,
    size_t msglen)
{
	cruddur_status st = CRUDDUR_OK;
	int            r;

	if (PQsetnonblocking(c->pg, 1) != 0)
		return db_error_status(NULL, c->pg, msg, msglen);
	for (;;) {
		r = end ? PQputCopyEnd(c->pg, reason) : PQputCopyData(c->pg, data, (int)len);
		if (r != 0)
			break;
		if ((st = copy_flush(c, msg, msglen)) != CRUDDUR_OK)
			break;
	}
	if (st == CRUDDUR_OK && r < 0) {
		c->abandoned = true;
		st = db_error_status(NULL, c->pg, msg, msglen);
	}
	if (st == CRUDDUR_OK)
		st = copy_flush(c, msg, msglen);
	PQsetnonblocking(c->pg, 0);
	return st;
}

cruddur_status
pool_conn_copy_send(pool_conn *c, const char *data, size_t len, char *msg, size_t msglen)
{
	if (c->abandoned)
		return pool_conn_abandoned_status(c, msg, msglen);
	text_set(msg, msglen, "");
	if (len > (size_t)INT32_MAX) {
		text_set(msg, msglen, "COPY chunk too large");
		return CRUDDUR_INVALID_ARGUMENT;
	}
	return copy_put(c, data, len, NULL, false, msg, msglen);
}

cruddur_status
pool_conn_copy_end(pool_conn *c, const char *reason, PGresult **out, char *msg, size_t msglen)
{
	cruddur_status st;

	if (out != NULL)
		*out = NULL;
	if (c->abandoned)
		return pool_conn_abandoned_status(c, msg, msglen);
	text_set(msg, msglen, "");
	if ((st = copy_put(c, NULL, 0, reason, true, msg, msglen)) != CRUDDUR_OK)
		return st;
	/* The same limit: a cancel that went out while rows were sent stands. */
	PGresult *res = pool_conn_run_until(c);
	return copy_result(c, res, PGRES_COMMAND_OK, out, msg, msglen);
}
