/*
 * read_reactor.c - the read reactor's thread and its interface; see
 * read_reactor.h for what the reactor does, read_reactor_internal.h for
 * its state, its locking and its other files.
 *
 * The thread sleeps in epoll_wait on the sockets of the running flights
 * and on an eventfd (reactor_wake) until an event or the next time due (a
 * running flight's look, a pending request's deadline); then it looks at
 * what is ready (flight_step), answers what is late (pending_expire) and
 * starts what may start (pending_start), until it is stopping and has
 * nothing left. read_reactor_submit runs on its callers' threads: it
 * joins a pending flight, or starts a new one at once on an idle
 * connection, or queues it and wakes the thread when nobody else would
 * start it.
 *
 * Locking: r->mtx (read_reactor_internal.h), never held while a done
 * callback runs or the database is waited on. Ownership: r owns its
 * thread, its epoll and eventfd descriptors and its flights; the pool is
 * borrowed (read_reactor_new), the requests are the callers'.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/text.h"
#include "reads/read_reactor_internal.h"

#define MAX_EVENTS 64

/* ---- the thread ------------------------------------------------------ */

/* Running flights whose time to look again has come. */
static void
step_due(read_reactor *r)
{
	flight *due[MAX_EVENTS];
	size_t  n = 0;
	int64_t now = clock_mono_us();

	pthread_mutex_lock(&r->mtx);
	for (flight *f = r->running; f != NULL && n < MAX_EVENTS; f = f->next)
		if (f->step_at_us != 0 && f->step_at_us <= now)
			due[n++] = f;
	pthread_mutex_unlock(&r->mtx);
	for (size_t i = 0; i < n; i++)
		flight_step(r, due[i]);
}

/* How long epoll may sleep: until the next running flight's look or the
 * next pending request's deadline; -1 when there is neither. */
static int
wait_timeout_ms(read_reactor *r)
{
	int64_t next = INT64_MAX, now = clock_mono_us();

	pthread_mutex_lock(&r->mtx);
	for (flight *f = r->running; f != NULL; f = f->next)
		if (f->step_at_us != 0 && f->step_at_us < next)
			next = f->step_at_us;
	int64_t due = pending_deadline(r);
	if (due < next)
		next = due;
	r->sleep_until_us = next;
	pthread_mutex_unlock(&r->mtx);
	if (next == INT64_MAX)
		return -1;
	return next <= now ? 0 : (int)((next - now + 999) / 1000);
}

static bool
done_stopping(read_reactor *r)
{
	pthread_mutex_lock(&r->mtx);
	bool done = r->stopping && r->pending == NULL && r->running == NULL;
	pthread_mutex_unlock(&r->mtx);
	return done;
}

static void *
reactor_main(void *arg)
{
	read_reactor      *r = arg;
	struct epoll_event evs[MAX_EVENTS];

	while (!done_stopping(r)) {
		int n = epoll_wait(r->epfd, evs, MAX_EVENTS, wait_timeout_ms(r));
		pthread_mutex_lock(&r->mtx);
		r->sleep_until_us = 0;
		pthread_mutex_unlock(&r->mtx);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				uint64_t count;
				ssize_t  got = read(r->evfd, &count, sizeof(count));
				(void)got; /* only the wake-up matters */
			} else {
				flight_step(r, evs[i].data.ptr);
			}
		}
		step_due(r);
		pending_expire(r);
		pending_start(r);
	}
	return NULL;
}

void
reactor_wake(read_reactor *r)
{
	uint64_t one = 1;
	ssize_t  put = write(r->evfd, &one, sizeof(one));
	(void)put; /* a full counter wakes the thread just the same */
}

/* ---- the interface --------------------------------------------------- */

/* The pool's connector made a connection, or failed to: look again. */
static void
notified(void *arg)
{
	reactor_wake(arg);
}

int
read_reactor_new(read_reactor **out, pool *p, size_t max_pending, bool coalesce, int depth)
{
	read_reactor      *r = calloc(1, sizeof(*r));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int                rv;

	if (r == NULL)
		return ENOMEM;
	r->pool = p;
	r->max_pending = max_pending;
	r->coalesce = coalesce;
	r->depth = depth < 1 ? 1 : depth > 64 ? 64 : depth;
	r->epfd = r->evfd = -1;
	r->sleep_until_us = 0;
	pthread_mutex_init(&r->mtx, NULL);
	if ((r->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (r->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->evfd, &ev) != 0) {
		rv = errno;
		goto fail;
	}
	if ((rv = pthread_create(&r->thread, NULL, reactor_main, r)) != 0)
		goto fail;
	r->thread_started = true;
	pool_set_notify(p, notified, r);
	*out = r;
	return 0;
fail:
	read_reactor_free(r);
	return rv;
}

cruddur_status
read_reactor_submit(read_reactor *r, const read_query *q, read_waiter *w, char *msg,
    size_t msglen)
{
	flight        *f;
	pool_conn     *conn = NULL;
	cruddur_status st;

	w->next = NULL;
	pthread_mutex_lock(&r->mtx);
	if (r->stopping) {
		pthread_mutex_unlock(&r->mtx);
		text_set(msg, msglen, "the server is shutting down");
		return CRUDDUR_UNAVAILABLE;
	}
	if (r->n_waiting >= r->max_pending) {
		/* Joining a flight costs the database nothing, but a request
		 * that waits holds a context all the same: the bound is on
		 * waiting requests, not on queries. */
		pthread_mutex_unlock(&r->mtx);
		text_set(msg, msglen, "the server is overloaded: its read queue is full");
		return CRUDDUR_RESOURCE_EXHAUSTED;
	}
	if (pending_join(r, q, w)) {
		atomic_fetch_add(&r->requests, 1);
		pthread_mutex_unlock(&r->mtx);
		return CRUDDUR_OK;
	}
	/* Made only now: a request that joins a flight needs none. */
	if ((f = flight_new(q, &st, msg, msglen)) == NULL) {
		pthread_mutex_unlock(&r->mtx);
		return st;
	}
	atomic_fetch_add(&r->requests, 1);
	f->waiters = w;
	/* While the reactor waits in pool_acquire the connections are for it
	 * (pending_start). */
	pool_try t = pending_sendable(r, f) && !r->acquiring ? pool_try_acquire(r->pool, &conn)
	                                                     : POOL_BUSY;
	if (t == POOL_TAKEN) {
		f->next = r->running;
		r->running = f;
		r->n_running++;
		pthread_mutex_unlock(&r->mtx);
		flight_start(r, f, conn);
		return CRUDDUR_OK;
	}
	pending_push(r, f);
	/* Nobody else would start it: no read of ours runs to end and start
	 * it, or the pool can make a connection that only the reactor may
	 * wait for. */
	bool need_wake = t != POOL_BUSY || r->n_running == 0 ||
	    (w->deadline_us != 0 && w->deadline_us < r->sleep_until_us);
	pthread_mutex_unlock(&r->mtx);
	if (need_wake)
		reactor_wake(r);
	return CRUDDUR_OK;
}

void
read_reactor_get_stats(read_reactor *r, read_reactor_stats *out)
{
	pthread_mutex_lock(&r->mtx);
	out->waiting = r->n_waiting;
	out->running = r->n_running;
	pthread_mutex_unlock(&r->mtx);
	out->queries = atomic_load(&r->queries);
	out->requests = atomic_load(&r->requests);
	out->pipelines = atomic_load(&r->pipelines);
	out->pipelined_queries = atomic_load(&r->pipelined_queries);
}

void
read_reactor_stop(read_reactor *r)
{
	if (r == NULL || !r->thread_started)
		return;
	pthread_mutex_lock(&r->mtx);
	r->stopping = true;
	pthread_mutex_unlock(&r->mtx);
	reactor_wake(r);
	pthread_join(r->thread, NULL);
	r->thread_started = false;
}

void
read_reactor_free(read_reactor *r)
{
	if (r == NULL)
		return;
	/* Before r goes, whether or not it was stopped first (cruddurd stops
	 * it at quiesce and frees it later): the pool's connector would
	 * otherwise wake a freed reactor. Only the reactor sets the notify. */
	pool_set_notify(r->pool, NULL, NULL);
	read_reactor_stop(r);
	if (r->evfd >= 0)
		close(r->evfd);
	if (r->epfd >= 0)
		close(r->epfd);
	pthread_mutex_destroy(&r->mtx);
	free(r);
}
