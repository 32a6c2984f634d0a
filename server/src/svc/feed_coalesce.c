/*
 * feed_coalesce.c - generations of shared HomeFeed queries (see
 * feed_coalesce.h for the guarantee).
 *
 * One table of slots, one per key (limit, cursor) that has requests in
 * the server. A slot holds at most two generations ("flights"):
 *
 *     running: its query has started; nobody joins it any more
 *     waiting: requests that arrived after `running` started; its query
 *              starts when `running` has finished
 *
 *   request arrives ──> slot idle? ──yes──> new flight, run it now (leader)
 *                          │ no
 *                          v
 *                    join `waiting` ──> wait on its condition variable
 *                          │  running finished and nobody started us?
 *                          │      -> this waiter becomes the leader
 *                          v
 *                    done: take the shared result (or, if it failed, join
 *                    the next flight once, then take its outcome)
 *
 * A request never takes a result whose query started before it arrived:
 * it joins only a flight that has not started. Waiters sleep on worker
 * threads (handlers may block) with their deadline; a waiter whose
 * deadline passes leaves with DEADLINE_EXCEEDED, and the last one to
 * leave a flight that never started removes it.
 *
 * Locking: one mutex (table.mu) guards the slots, every flight's fields
 * and reference counts. It is held only for bookkeeping, never across a
 * query. A flight's PGresult is written once before `done` is set and
 * only read after, by any number of threads (libpq results are immutable);
 * the last reference frees it.
 */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "svc/feed_coalesce.h"
#include "obs/log.h"

#define SLOT_BUCKETS 64
/* A request without a deadline waits for a shared query at most this. */
#define WAIT_CAP_US (30 * 1000000LL)

typedef struct feed_slot feed_slot;

/* A waiter whose shared query failed joins the next one, once. */
typedef enum try_state { FIRST_TRY, TRY_AGAIN, LAST_TRY } try_state;

struct feed_shared {
	feed_slot     *slot; /* while running or waiting; NULL once done */
	int            refs; /* requests holding the flight */
	bool           started, done;
	cruddur_status st;
	PGresult      *res;
	char           message[512]; /* why it failed, when it did (ctx->message) */
	pthread_cond_t cv;
};

struct feed_slot {
	feed_slot   *next;
	unsigned     bucket;
	int          limit;
	feed_shared *running, *waiting;
	char         cursor[FEED_COALESCE_MAX_KEY + 1];
};

static struct {
	pthread_mutex_t    mu;
	feed_slot         *buckets[SLOT_BUCKETS];
	atomic_ullong      queries, requests;
} table = { .mu = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t enabled_once = PTHREAD_ONCE_INIT;
static bool           enabled = true;

static void
read_enabled(void)
{
	const char *v = getenv("CRUDDUR_COALESCE");
	enabled = !(v != NULL && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0 ||
	    strcmp(v, "false") == 0));
}

bool
feed_coalesce_enabled(void)
{
	pthread_once(&enabled_once, read_enabled);
	return enabled;
}

void
feed_coalesce_set_enabled(bool on)
{
	pthread_once(&enabled_once, read_enabled);
	enabled = on;
}

void
feed_coalesce_counts(unsigned long long *queries, unsigned long long *requests)
{
	*queries = atomic_load(&table.queries);
	*requests = atomic_load(&table.requests);
}

static unsigned
key_bucket(const char *cursor, int limit)
{
	uint32_t h = 2166136261u ^ (uint32_t)limit;
	for (const unsigned char *p = (const unsigned char *)cursor; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % SLOT_BUCKETS;
}

/* The slot of the key, made if missing; NULL when out of memory. */
static feed_slot *
slot_get(const char *cursor, int limit)
{
	unsigned   b = key_bucket(cursor, limit);
	feed_slot *s;

	for (s = table.buckets[b]; s != NULL; s = s->next)
		if (s->limit == limit && strcmp(s->cursor, cursor) == 0)
			return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->bucket = b;
	s->limit = limit;
	strcpy(s->cursor, cursor);
	s->next = table.buckets[b];
	table.buckets[b] = s;
	return s;
}

/* Frees s once no flight is in it. */
static void
slot_put(feed_slot *s)
{
	if (s->running != NULL || s->waiting != NULL)
		return;
	feed_slot **pp = &table.buckets[s->bucket];
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	free(s);
}

static feed_shared *
flight_new(feed_slot *s)
{
	feed_shared       *f = calloc(1, sizeof(*f));
	pthread_condattr_t attr;

	if (f == NULL)
		return NULL;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&f->cv, &attr) != 0) {
		free(f);
		f = NULL;
	} else {
		f->slot = s;
	}
	pthread_condattr_destroy(&attr);
	return f;
}

/* Drops one reference; the last frees the flight. Under table.mu. */
static void
flight_unref(feed_shared *f)
{
	if (--f->refs > 0)
		return;
	PQclear(f->res);
	pthread_cond_destroy(&f->cv);
	free(f);
}

void
feed_shared_release(feed_shared *hold)
{
	if (hold == NULL)
		return;
	pthread_mutex_lock(&table.mu);
	flight_unref(hold);
	pthread_mutex_unlock(&table.mu);
}

/* Runs f's query as its leader (f is running, table.mu not held), then
 * publishes the result to f's waiters and lets the next generation go. */
static cruddur_status
lead(rpc_context *ctx, feed_shared *f, feed_query_fn run, void *arg, const PGresult **res,
    feed_shared **hold)
{
	PGresult      *r = NULL;
	cruddur_status st = run(ctx, arg, &r);

	atomic_fetch_add(&table.queries, 1);
	pthread_mutex_lock(&table.mu);
	feed_slot *s = f->slot;
	f->done = true;
	f->st = st;
	f->res = st == CRUDDUR_OK ? r : NULL;
	if (st != CRUDDUR_OK)
		snprintf(f->message, sizeof(f->message), "%s", ctx->message);
	f->slot = NULL;
	s->running = NULL;
	/* refs: the leader and every waiter still there share this result;
	 * logged after the lock is let go. */
	int shared_limit = s->limit, shared_refs = f->refs;
	pthread_cond_broadcast(&f->cv);
	if (s->waiting != NULL)
		pthread_cond_broadcast(&s->waiting->cv); /* one of them leads next */
	else
		slot_put(s);
	if (st == CRUDDUR_OK) {
		*res = r;
		*hold = f;
	} else {
		PQclear(r);
		flight_unref(f);
	}
	pthread_mutex_unlock(&table.mu);
	log_debug("msg=\"shared feed query\" limit=%d requests=%d status=%s", shared_limit,
	    shared_refs, cruddur_status_name(st));
	return st;
}

/* A query of our own, outside any generation. */
static cruddur_status
run_alone(rpc_context *ctx, feed_query_fn run, void *arg, const PGresult **res, feed_shared **hold)
{
	feed_shared *f = flight_new(NULL);
	PGresult    *r = NULL;

	if (f == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	cruddur_status st = run(ctx, arg, &r);
	atomic_fetch_add(&table.queries, 1);
	f->refs = 1;
	f->done = true;
	f->res = r;
	if (st == CRUDDUR_OK) {
		*res = r;
		*hold = f;
	} else {
		feed_shared_release(f);
	}
	return st;
}

static struct timespec
deadline_ts(const rpc_context *ctx)
{
	int64_t cap = clock_mono_us() + WAIT_CAP_US;
	int64_t us = ctx->deadline_us > 0 && ctx->deadline_us < cap ? ctx->deadline_us : cap;
	return clock_timespec(us);
}

/* Waits in f (the slot's waiting flight; table.mu held, released on
 * return) until it is done, or leads it when its turn comes. */
static cruddur_status
wait_in(rpc_context *ctx, feed_slot *s, feed_shared *f, feed_query_fn run, void *arg,
    const PGresult **res, feed_shared **hold, try_state *tries)
{
	struct timespec until = deadline_ts(ctx);

	f->refs++;
	while (!f->done) {
		/* s is alive while f is not done: f is its running or waiting flight. */
		if (!f->started && s->running == NULL) {
			f->started = true;
			s->running = f;
			s->waiting = NULL;
			pthread_mutex_unlock(&table.mu);
			return lead(ctx, f, run, arg, res, hold);
		}
		if (pthread_cond_timedwait(&f->cv, &table.mu, &until) == ETIMEDOUT && !f->done) {
			if (f->refs == 1 && !f->started) {
				s->waiting = NULL;
				slot_put(s);
			}
			flight_unref(f);
			pthread_mutex_unlock(&table.mu);
			return rpc_fail(ctx, CRUDDUR_DEADLINE_EXCEEDED,
			    "the deadline passed while waiting for a shared feed query");
		}
	}
	if (f->st == CRUDDUR_OK) {
		*res = f->res;
		*hold = f;
		pthread_mutex_unlock(&table.mu);
		return CRUDDUR_OK;
	}
	/* The leader failed, maybe for reasons of its own (its deadline). The
	 * waiters do not each run a query of their own, which under overload
	 * would be a stampede on an exhausted pool: they join the next shared
	 * query once (it starts after they arrived, so it is fresh enough),
	 * and after that they take its failure as theirs. */
	cruddur_status st = f->st;
	char           why[sizeof(f->message)];
	snprintf(why, sizeof(why), "%s", f->message);
	flight_unref(f);
	pthread_mutex_unlock(&table.mu);
	if (*tries == FIRST_TRY) {
		*tries = TRY_AGAIN;
		return st;
	}
	return rpc_fail(ctx, st, "%s", why);
}

/* Joins or leads a flight for (cursor, limit); *tries says whether this
 * is the second try after a failed shared query (see wait_in). */
static cruddur_status
coalesce(rpc_context *ctx, const char *cursor, int limit, feed_query_fn run, void *arg,
    const PGresult **res, feed_shared **hold, try_state *tries)
{
	feed_slot   *s;
	feed_shared *f;

	pthread_mutex_lock(&table.mu);
	if ((s = slot_get(cursor, limit)) == NULL)
		goto alone;
	if (s->running == NULL && s->waiting == NULL) {
		if ((f = flight_new(s)) == NULL) {
			slot_put(s);
			goto alone;
		}
		f->refs = 1;
		f->started = true;
		s->running = f;
		pthread_mutex_unlock(&table.mu);
		return lead(ctx, f, run, arg, res, hold);
	}
	if (s->waiting == NULL && (s->waiting = flight_new(s)) == NULL)
		goto alone;
	return wait_in(ctx, s, s->waiting, run, arg, res, hold, tries);
alone:
	pthread_mutex_unlock(&table.mu);
	return run_alone(ctx, run, arg, res, hold);
}

cruddur_status
feed_coalesce_query(rpc_context *ctx, const char *cursor, int limit, feed_query_fn run, void *arg,
    const PGresult **res, feed_shared **hold)
{
	try_state      tries = FIRST_TRY;
	cruddur_status st;

	*res = NULL;
	*hold = NULL;
	atomic_fetch_add(&table.requests, 1);
	if (strlen(cursor) > FEED_COALESCE_MAX_KEY)
		return run_alone(ctx, run, arg, res, hold);
	st = coalesce(ctx, cursor, limit, run, arg, res, hold, &tries);
	if (tries == TRY_AGAIN) {
		tries = LAST_TRY;
		st = coalesce(ctx, cursor, limit, run, arg, res, hold, &tries);
	}
	return st;
}
