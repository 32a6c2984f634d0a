/*
 * pool_limits.c - pool_test's part on sizes and waits: configurations
 * pool_new refuses; one connection held, so that acquire waits and ends
 * RESOURCE_EXHAUSTED at the pool's timeout, OK when released in time, or
 * DEADLINE_EXCEEDED at the caller's deadline (a past one at once); and 32
 * threads sharing 4 connections for 200 rounds each, every statement
 * answered, no more sessions than the pool's size.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "pool_sessions.h"

void
test_bad_config(void)
{
	db_target t;
	pool *p = (pool *)&t;

	target_parse(&t, base_url, "pool_test");
	CHECK(pool_new(&p, &(pool_config){ NULL, 0, 1, 0, 0 }) != 0);
	CHECK(p == NULL);
	CHECK(pool_new(&p, &(pool_config){ &t, 0, 0, 0, 0 }) != 0);
	CHECK(pool_new(&p, &(pool_config){ &t, 3, 2, 0, 0 }) != 0);
	CHECK(pool_new(&p, &(pool_config){ &t, 0, 2, -1, 0 }) != 0);
	CHECK(pool_new(&p, &(pool_config){ &t, 1, 2, 0, 0 }) == 0);
	pool_free(p);
	pool_free(NULL);
	db_target_fini(&t);
}

/* ---- max_size and timeouts ------------------------------------------- */

typedef struct waiter {
	pool *p;
	int64_t deadline_us;
	cruddur_status st;
	int64_t waited_us;
	char msg[256];
} waiter;

static void *
waiter_main(void *arg)
{
	waiter *w = arg;
	int64_t start = pool_now_us();
	pool_conn *c = NULL;

	w->st = pool_acquire(w->p, w->deadline_us, &c, w->msg, sizeof(w->msg));
	w->waited_us = pool_now_us() - start;
	if (c != NULL) {
		CHECK(add_ok(c, 3, 4));
		pool_release(w->p, c);
	}
	return NULL;
}

/* Waits (up to 2 s) until n threads wait in the pool. */
static bool
wait_for_waiters(pool *p, int n)
{
	pool_stats s;

	for (int i = 0; i < 200; i++) {
		pool_get_stats(p, &s);
		if (s.waiting == n)
			return true;
		sleep_ms(10);
	}
	return false;
}

void
test_exhaustion(void)
{
	char app[64], msg[256];
	waiter w = { 0 };
	pthread_t th;
	pool_conn *c, *c2;
	pool_stats s;
	db_target t;
	pool *p;

	p = pool_case("exhaust", app, sizeof(app), &t, 1, 300);
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);

	/* Nobody releases: RESOURCE_EXHAUSTED after the pool's 300 ms. */
	w.p = p;
	pthread_create(&th, NULL, waiter_main, &w);
	CHECK(wait_for_waiters(p, 1));
	pthread_join(th, NULL);
	CHECK_ST(w.st, CRUDDUR_RESOURCE_EXHAUSTED, w.msg);
	CHECK(w.waited_us >= 290000 && w.waited_us < 2000000);
	pool_get_stats(p, &s);
	CHECK(s.waiting == 0 && s.size == 1 && s.in_use == 1);

	/* Released in time: the waiter gets it. */
	memset(&w, 0, sizeof(w));
	w.p = p;
	pthread_create(&th, NULL, waiter_main, &w);
	CHECK(wait_for_waiters(p, 1));
	sleep_ms(50);
	pool_release(p, c);
	pthread_join(th, NULL);
	CHECK_ST(w.st, CRUDDUR_OK, w.msg);
	CHECK(w.waited_us < 300000);

	/* The caller's deadline comes first: DEADLINE_EXCEEDED. */
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	memset(&w, 0, sizeof(w));
	w.p = p;
	w.deadline_us = pool_now_us() + 80000;
	pthread_create(&th, NULL, waiter_main, &w);
	pthread_join(th, NULL);
	CHECK_ST(w.st, CRUDDUR_DEADLINE_EXCEEDED, w.msg);
	CHECK(w.waited_us >= 70000 && w.waited_us < 290000);

	/* A deadline already past fails at once, even with a slot idle. */
	pool_release(p, c);
	CHECK_ST(pool_acquire(p, pool_now_us() - 1, &c2, msg, sizeof(msg)),
	    CRUDDUR_DEADLINE_EXCEEDED, msg);
	CHECK(c2 == NULL);
	/* A deadline later than the pool's timeout: the pool's wins. */
	CHECK_ST(pool_acquire(p, pool_now_us() + 60000000, &c, msg,
	    sizeof(msg)), CRUDDUR_OK, msg);
	CHECK_ST(pool_acquire(p, pool_now_us() + 60000000, &c2, msg,
	    sizeof(msg)), CRUDDUR_RESOURCE_EXHAUSTED, msg);
	pool_release(p, c);

	pool_get_stats(p, &s);
	CHECK(s.connects == 1 && s.size == 1 && s.idle == 1 && s.in_use == 0);
	pool_free(p);
	db_target_fini(&t);
}

/* ---- many threads ---------------------------------------------------- */

#define STRESS_THREADS 32
#define STRESS_ROUNDS 200

typedef struct stresser {
	pool *p;
	int id;
	int ok;
} stresser;

static void *
stresser_main(void *arg)
{
	stresser *s = arg;
	char msg[256];

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		pool_conn *c;
		cruddur_status st;

		st = pool_acquire(s->p, 0, &c, msg, sizeof(msg));
		if (st != CRUDDUR_OK) {
			fprintf(stderr, "stress %d/%d: %d: %s\n", s->id, i,
			    (int)st, msg);
			continue;
		}
		if (add_ok(c, s->id, i))
			s->ok++;
		pool_release(s->p, c);
	}
	return NULL;
}

void
test_stress(PGconn *admin)
{
	stresser st[STRESS_THREADS];
	pthread_t th[STRESS_THREADS];
	char app[64];
	pool_stats s;
	db_target t;
	pool *p;
	int total = 0;

	p = pool_case("stress", app, sizeof(app), &t, 4, 30000);
	for (int i = 0; i < STRESS_THREADS; i++) {
		st[i] = (stresser){ p, i, 0 };
		pthread_create(&th[i], NULL, stresser_main, &st[i]);
	}
	for (int i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
		total += st[i].ok;
	}
	CHECK(total == STRESS_THREADS * STRESS_ROUNDS);
	pool_get_stats(p, &s);
	CHECK(s.in_use == 0 && s.waiting == 0 && s.size <= 4 && s.size >= 1);
	CHECK(s.idle == s.size && s.connects <= 4 && s.broken == 0);
	CHECK(sessions(admin, app) == s.size);
	pool_free(p);
	db_target_fini(&t);
}
