/*
 * read_pipeline.c - the read reactor's pipelines: a flight that starts
 * takes waiting flights of the same statement along, all sent in one
 * libpq pipeline on its connection (pool_pipeline.c).
 *
 * The first flight, the lead, owns the connection and the socket; the
 * others (its batch) are in the running list, their keys counting as
 * running, with no connection and no step time of their own. Results come
 * in the order sent: the lead's first, then the batch's, each told to its
 * requests as it comes (pipeline_step). A request whose deadline passes
 * first is told then (pipeline_expire); a statement left with nobody
 * waiting is cancelled (pipeline_limit) and its result let go. A
 * statement that failed inside a pipeline before its deadline goes back
 * to pending, marked alone (pending_requeue): it runs again by itself, on
 * the one-statement path (read_flight.c), whose answer is final.
 *
 * Threads and locking as in read_reactor_internal.h: pipeline_try_start
 * runs on the thread that starts the lead (before the hand-over),
 * everything else on the reactor thread; r->mtx is held only while the
 * lists or a running flight's key change, never while requests are told.
 *
 * Ownership: a batch's flights are the reactor's, each freed when its
 * requests are told (pipeline_told, pipeline_drop_batch) unless it goes
 * back to pending; the connection is the lead's.
 */
#include <stdlib.h>
#include <sys/epoll.h>

#include "base/clock.h"
#include "reads/read_reactor_internal.h"

/* The latest deadline of the requests of lead and its batch; 0 when one
 * of them has none. */
static int64_t
pipeline_deadline(const flight *lead)
{
	int64_t latest = 0;

	for (const flight *f = lead; f != NULL; f = f->batch) { /* lead, then its batch */
		int64_t d = flight_deadline(f);
		if (d == 0)
			return 0;
		if (d > latest)
			latest = d;
	}
	return latest;
}

/* The earliest deadline of the requests of lead and its batch; INT64_MAX
 * when none has one. */
int64_t
pipeline_earliest(const flight *lead)
{
	int64_t earliest = INT64_MAX;

	for (const flight *f = lead; f != NULL; f = f->batch)
		for (const read_waiter *w = f->waiters; w != NULL; w = w->next)
			if (w->deadline_us != 0 && w->deadline_us < earliest)
				earliest = w->deadline_us;
	return earliest;
}

/* Moves up to depth - 1 pending flights of lead's statement into its
 * batch (and the running list), to go in one pipeline with it; returns
 * how many statements the pipeline has. Locked. */
static int
pipeline_take(read_reactor *r, flight *lead)
{
	flight **tail = &lead->batch;
	int      n = 1;

	for (flight *f = r->pending, *next; f != NULL && n < r->depth; f = next) {
		next = f->next;
		if (f->stmt != lead->stmt || f->alone || !pending_sendable(r, f))
			continue;
		pending_to_running(r, f);
		f->batch = NULL;
		*tail = f;
		tail = &f->batch;
		n++;
	}
	return n;
}

/* Sends lead's statement and its batch's in one pipeline on lead->conn. */
static cruddur_status
pipeline_send(flight *lead, int n, char *msg, size_t msglen)
{
	const char *const *params[64];
	int                i = 0;

	for (const flight *f = lead; f != NULL && i < n; f = f->batch)
		params[i++] = f->params;
	return pool_conn_pipeline_start(lead->conn, lead->stmt, params, i, msg, msglen);
}

/* Ends the flights of lead's batch that are left, with st (or, with
 * st == CRUDDUR_OK, by sending them back to pending, where the reactor
 * thread finds them: a caller on another thread wakes it). Called without
 * the lock. */
void
pipeline_drop_batch(read_reactor *r, flight *lead, cruddur_status st, const char *msg)
{
	while (lead->batch != NULL) {
		flight *f = lead->batch;
		lead->batch = f->batch;
		f->batch = NULL;
		pthread_mutex_lock(&r->mtx);
		flight_unlink(&r->running, NULL, f);
		r->n_running--;
		if (st == CRUDDUR_OK && f->waiters != NULL)
			pending_requeue(r, f, false);
		pthread_mutex_unlock(&r->mtx);
		if (st != CRUDDUR_OK || f->waiters == NULL) {
			flight_tell(r, f, st, msg, NULL);
			free(f);
		}
	}
}

int
pipeline_try_start(read_reactor *r, flight *lead)
{
	char msg[512];
	int  n;

	if (r->depth < 2 || lead->alone || !pool_conn_pipeline_ok(lead->conn, lead->stmt))
		return 0;
	pthread_mutex_lock(&r->mtx);
	n = pipeline_take(r, lead);
	pthread_mutex_unlock(&r->mtx);
	if (n < 2)
		return 0;
	/* The connection's limit: the latest deadline of what it runs
	 * (pipeline_limit lowers it as requests leave). */
	pool_conn_set_deadline(lead->conn, pipeline_deadline(lead));
	if (pipeline_send(lead, n, msg, sizeof(msg)) != CRUDDUR_OK) {
		/* They go back to wait, for the reactor thread; lead runs alone. */
		pipeline_drop_batch(r, lead, CRUDDUR_OK, NULL);
		if (!pthread_equal(pthread_self(), r->thread))
			reactor_wake(r);
		return 0;
	}
	lead->pipelined = true;
	atomic_fetch_add(&r->pipelines, 1);
	atomic_fetch_add(&r->pipelined_queries, (unsigned long long)n);
	return n;
}

/* The next statement of lead's pipeline is over (pool.h: POOL_PIPE_DONE,
 * or with retry POOL_PIPE_RETRY): its requests are told, or it goes back
 * to pending to run alone. The lead's own statement comes first, then its
 * batch's. */
static void
pipeline_told(read_reactor *r, flight *lead, bool retry, cruddur_status st, const char *msg,
    const PGresult *res)
{
	flight *f;

	if (!lead->told) {
		/* (Its requests may have been told at their deadline already:
		 * then there is nobody to tell, nor to run it again for.) */
		bool    rerun = retry && lead->waiters != NULL;
		flight *again = rerun ? flight_clone(lead) : NULL;
		lead->told = true;
		if (rerun && again == NULL)
			flight_tell(r, lead, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory", NULL);
		else if (!retry)
			flight_tell(r, lead, st, msg, res);
		lead->waiters = NULL; /* told, or moved to again */
		pthread_mutex_lock(&r->mtx);
		lead->key = NULL; /* its key runs no more: the next flight of it may start */
		if (again != NULL)
			pending_requeue(r, again, true);
		pthread_mutex_unlock(&r->mtx);
		return;
	}
	if ((f = lead->batch) == NULL)
		return; /* more statements than flights: cannot happen */
	lead->batch = f->batch;
	f->batch = NULL;
	bool rerun = retry && f->waiters != NULL;
	pthread_mutex_lock(&r->mtx);
	flight_unlink(&r->running, NULL, f);
	r->n_running--;
	if (rerun)
		pending_requeue(r, f, true);
	pthread_mutex_unlock(&r->mtx);
	if (!rerun) {
		if (!retry)
			flight_tell(r, f, st, msg, res);
		free(f);
	}
}

/* Takes the requests of f whose deadline has passed out of its list;
 * the earliest deadline of those left goes into *next. */
static read_waiter *
take_expired(flight *f, int64_t now, int64_t *next)
{
	read_waiter *expired = NULL;

	for (read_waiter **wp = &f->waiters; *wp != NULL;) {
		read_waiter *w = *wp;
		if (w->deadline_us == 0 || w->deadline_us > now) {
			if (w->deadline_us != 0 && w->deadline_us < *next)
				*next = w->deadline_us;
			wp = &w->next;
			continue;
		}
		*wp = w->next;
		w->next = expired;
		expired = w;
	}
	return expired;
}

/* Tells each request of lead's pipeline whose statement has not been
 * reported yet and whose own deadline has passed, DEADLINE_EXCEEDED, at
 * once: the connection's limit is the latest deadline in the pipeline,
 * which would keep it waiting. A flight left with no request is as good
 * as ended: its key is let go, and its statement's result will be.
 * Returns the earliest deadline still to watch (INT64_MAX: none). Reactor
 * thread: nothing else touches a running flight's requests. */
static int64_t
pipeline_expire(read_reactor *r, flight *lead)
{
	int64_t now = clock_mono_us(), next = INT64_MAX;

	for (flight *f = lead->told ? lead->batch : lead; f != NULL; f = f->batch) {
		read_waiter *expired = take_expired(f, now, &next);
		if (expired == NULL)
			continue;
		flight_deliver(expired, CRUDDUR_DEADLINE_EXCEEDED,
		    "the deadline passed before the database answered", NULL);
		if (f->waiters != NULL)
			continue;
		pthread_mutex_lock(&r->mtx);
		f->key = NULL; /* the next flight of its key may start */
		pthread_mutex_unlock(&r->mtx);
	}
	return next;
}

/* The connection's limit while lead's pipeline runs: the latest deadline
 * of the requests still waiting for a statement not yet reported (0 when
 * one of them has none), or now when such statements are left with
 * nobody waiting: then they are cancelled and the connection drains
 * instead of running them for no one (a shutdown waits for it). With
 * every statement reported, the limit stays as it is: a cancel now could
 * only reach the next user of the connection. */
static void
pipeline_limit(flight *lead)
{
	int64_t latest = -1;
	bool    unreported = false;

	for (const flight *f = lead->told ? lead->batch : lead; f != NULL; f = f->batch) {
		unreported = true;
		for (const read_waiter *w = f->waiters; w != NULL; w = w->next) {
			if (w->deadline_us == 0) {
				pool_conn_set_deadline(lead->conn, 0);
				return;
			}
			latest = w->deadline_us > latest ? w->deadline_us : latest;
		}
	}
	if (unreported)
		pool_conn_set_deadline(lead->conn, latest >= 0 ? latest : clock_mono_us());
}

/* One look at running pipeline whose lead is f (its socket readable, or
 * its time due): tells every statement that is over, then waits again or,
 * at the end, gives the connection back. */
void
pipeline_step(read_reactor *r, flight *f)
{
	char           msg[512] = "";
	cruddur_status st;
	PGresult      *res;
	int            wait_ms, fd = PQsocket(pool_conn_pg(f->conn));

	/* Those past their deadline first, before the step's work. */
	(void)pipeline_expire(r, f);
	for (;;) {
		pipeline_limit(f);
		switch (pool_conn_pipeline_step(f->conn, &st, &res, &wait_ms, msg, sizeof(msg))) {
		case POOL_PIPE_WAIT: {
			int64_t expire_at = pipeline_expire(r, f);
			int64_t step_at = clock_mono_us() + (int64_t)wait_ms * 1000;
			if (flight_rearm(r, f, expire_at < step_at ? expire_at : step_at))
				return;
			(void)epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
			pipeline_drop_batch(r, f, CRUDDUR_INTERNAL, "the server could not wait for the database");
			flight_finish(r, f, CRUDDUR_INTERNAL, "the server could not wait for the database",
			    NULL);
			return;
		}
		case POOL_PIPE_DONE:
			pipeline_told(r, f, false, st, msg, res);
			PQclear(res);
			continue;
		case POOL_PIPE_RETRY:
			pipeline_told(r, f, true, st, msg, NULL);
			continue;
		case POOL_PIPE_END:
			/* As in flight_step: a lost connection's socket left the
			 * set by itself. */
			if (PQsocket(pool_conn_pg(f->conn)) == fd)
				(void)epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
			pipeline_drop_batch(r, f, CRUDDUR_OK, NULL); /* none is left but in a bug */
			flight_finish(r, f, CRUDDUR_OK, "", NULL); /* its requests were told */
			return;
		}
	}
}
