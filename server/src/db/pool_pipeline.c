/*
 * pool_pipeline.c - several executions of one prepared statement sent to
 * PostgreSQL in one go (libpq's pipeline mode); see pool.h.
 *
 * Why: one statement at a time, a connection's backend sleeps between the
 * result it sent and the next statement, and the reader wakes up once per
 * result. Sent together, the statements run back to back and their
 * results come in together: fewer wake-ups on both sides (bench/RESULTS.md).
 *
 * Each statement has its own Sync, so each runs in its own implicit
 * transaction and a failure ends only its own. What PQgetResult gives,
 * per statement: its results, a NULL (the statement ended), then
 * PGRES_PIPELINE_SYNC. The pipeline is over when every Sync has been
 * read; the connection then leaves pipeline mode.
 *
 * Reporting, in order of sending, one statement per DONE or RETRY:
 *   - a statement that ended OK is DONE with its result;
 *   - one that failed before the limit (deadline, pool_cancel_all) is
 *     RETRY: alone, through pool_conn_step, it gets that path's handling
 *     (a statement deallocated behind our back is prepared again there)
 *     and its own definitive error;
 *   - once the limit has passed, every statement not yet reported is DONE
 *     with the limit's status at once, without waiting for the database:
 *     the limit is the latest deadline of them all, so nobody waits for
 *     them any more. The pipeline then drains (cancels go out as for one
 *     statement, again each second, and after 5 s without an answer, or
 *     50 ms once the server stops, the connection is given up) before END gives the connection back;
 *   - after a lost connection, every statement not yet reported is RETRY
 *     (or, past the limit, DONE with the limit's status).
 */
#include <string.h>

#include "base/text.h"
#include "db/db_error.h"
#include "db/pool_internal.h"

bool
pool_conn_pipeline_ok(const pool_conn *c, const db_statement *stmt)
{
	return stmt != NULL && stmt->id >= 0 && stmt->id < POOL_MAX_STATEMENTS &&
	    (c->prepared & (UINT64_C(1) << stmt->id)) != 0 &&
	    PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF && !PQisBusy(c->pg);
}

cruddur_status
pool_conn_pipeline_start(pool_conn *c, const db_statement *stmt,
    const char *const *const *params, int n, char *msg, size_t msglen)
{
	text_set(msg, msglen, "");
	c->abandoned = false;
	c->cancelled_us = 0;
	c->pipe_res = NULL;
	c->pipe_broken = false;
	c->pipe_sent = c->pipe_ended = c->pipe_reported = c->pipe_synced = 0;
	if (n < 1 || !pool_conn_pipeline_ok(c, stmt) || !PQenterPipelineMode(c->pg)) {
		text_set(msg, msglen, "the connection cannot take a pipeline now");
		return CRUDDUR_INTERNAL;
	}
	c->pipe_sent = n;
	c->stmt = stmt;
	for (int i = 0; i < n; i++) {
		/* PQpipelineSync flushes: the first statement is on its way
		 * while the next ones are queued behind it. */
		if (!PQsendQueryPrepared(c->pg, stmt->name, stmt->nparams, params[i], NULL, NULL,
		        stmt->binary_results ? 1 : 0) ||
		    !PQpipelineSync(c->pg)) {
			/* In an unknown state: every statement is reported as
			 * not run, and pool_release closes the connection. */
			c->pipe_broken = true;
			break;
		}
	}
	return CRUDDUR_OK;
}

/* Reports the next statement as not run (RETRY), or past the limit with
 * the limit's status. */
static pool_pipe_event
report_unanswered(pool_conn *c, cruddur_status *st, char *msg, size_t msglen)
{
	c->pipe_reported++;
	if (!pool_conn_limit_passed(c))
		return POOL_PIPE_RETRY;
	*st = c->abandoned ? pool_conn_abandoned_status(c, msg, msglen)
	                   : pool_conn_limit_status(c, msg, msglen);
	return POOL_PIPE_DONE;
}

/* A statement ended (its NULL from PQgetResult): reported now, or, when
 * the limit already reported it, let go. */
static bool
statement_ended(pool_conn *c, pool_pipe_event *ev, cruddur_status *st, PGresult **out,
    char *msg, size_t msglen)
{
	PGresult *res = c->pipe_res;

	c->pipe_res = NULL;
	c->pipe_ended++;
	if (c->pipe_ended <= c->pipe_reported) {
		PQclear(res);
		return false;
	}
	c->pipe_reported++;
	*st = pool_conn_result_status(c, res, msg, msglen);
	if (*st == CRUDDUR_OK) {
		*out = res;
		*ev = POOL_PIPE_DONE;
		return true;
	}
	/* 26000: the statement was deallocated behind our back. The one run
	 * again alone prepares it again; until then no pipeline may count on
	 * it. */
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state != NULL && strcmp(state, "26000") == 0 && c->stmt != NULL)
		c->prepared &= ~(UINT64_C(1) << c->stmt->id);
	PQclear(res);
	if (pool_conn_limit_passed(c)) {
		*ev = POOL_PIPE_DONE;
		return true;
	}
	text_set(msg, msglen, "");
	*ev = POOL_PIPE_RETRY;
	return true;
}

static pool_pipe_event
report_end(pool_conn *c)
{
	PQclear(c->pipe_res);
	c->pipe_res = NULL;
	/* A connection that failed, or that cannot leave pipeline mode, is
	 * closed by pool_release. */
	if (c->pipe_broken || !PQexitPipelineMode(c->pg))
		c->abandoned = true;
	return POOL_PIPE_END;
}

/* Reads what has arrived without waiting; false when the caller must wait
 * for the socket (or the connection broke: c->pipe_broken). */
static bool
input_ready(pool_conn *c, int *wait_ms)
{
	if (!PQisBusy(c->pg))
		return true;
	if (!PQconsumeInput(c->pg)) {
		c->pipe_broken = true;
		return false;
	}
	if (!PQisBusy(c->pg))
		return true;
	if (!pool_conn_watch(c, wait_ms)) /* given up (abandoned) */
		c->pipe_broken = true;
	return false;
}

pool_pipe_event
pool_conn_pipeline_step(pool_conn *c, cruddur_status *st, PGresult **out, int *wait_ms,
    char *msg, size_t msglen)
{
	pool_pipe_event ev;
	PGresult       *res;

	*out = NULL;
	*st = CRUDDUR_OK;
	text_set(msg, msglen, "");
	for (;;) {
		if (c->pipe_broken)
			return c->pipe_reported < c->pipe_sent ? report_unanswered(c, st, msg, msglen)
			                                       : report_end(c);
		if (c->pipe_synced == c->pipe_sent)
			return report_end(c);
		if (!input_ready(c, wait_ms)) {
			if (c->pipe_broken)
				continue;
			if (c->pipe_reported < c->pipe_sent && pool_conn_limit_passed(c))
				return report_unanswered(c, st, msg, msglen);
			return POOL_PIPE_WAIT;
		}
		res = PQgetResult(c->pg);
		if (res == NULL) {
			/* A statement without any result, or more ends than
			 * statements: a protocol we do not know. */
			if (c->pipe_res == NULL || c->pipe_ended == c->pipe_sent) {
				c->pipe_broken = true;
				continue;
			}
			if (statement_ended(c, &ev, st, out, msg, msglen))
				return ev;
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			c->pipe_synced++;
			/* Past the limit each statement left needs its own cancel:
			 * the next one goes out at the next look, not a second
			 * after the last (pool_conn_watch). */
			if (pool_conn_limit_passed(c))
				c->cancelled_us = 0;
			continue;
		}
		PQclear(c->pipe_res); /* one statement, one result: keep the last */
		c->pipe_res = res;
	}
}
