/*
 * socket_close.c - nng_close on a thread of its own, waited for with a
 * bound; see socket_close.h for why.
 *
 * Ownership: the closer thread and the waiter share one heap `closing`
 * with a reference each; whoever drops the last one frees it, so a waiter
 * that gave up never frees memory the stuck thread still uses. Locking:
 * c->mtx guards done and refs; the condition variable runs on
 * CLOCK_MONOTONIC, so a change of the wall clock moves no deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "socket_close.h"

typedef struct closing {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	nng_socket      sock;
	bool            done; /* nng_close returned */
	int             refs; /* the closer thread and the waiter */
} closing;

static void
closing_release(closing *c)
{
	pthread_mutex_lock(&c->mtx);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&c->mtx);
	if (last) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mtx);
		free(c);
	}
}

static void *
closer_main(void *arg)
{
	closing *c = arg;

	nng_close(c->sock);
	pthread_mutex_lock(&c->mtx);
	c->done = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	closing_release(c);
	return NULL;
}

static closing *
closing_new(nng_socket sock)
{
	closing           *c = calloc(1, sizeof(*c));
	pthread_condattr_t attr;

	if (c == NULL)
		return NULL;
	if (pthread_condattr_init(&attr) != 0) {
		free(c);
		return NULL;
	}
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	int rv = pthread_cond_init(&c->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (rv != 0) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mtx, NULL);
	c->sock = sock;
	c->refs = 2;
	return c;
}

bool
cruddur_i_socket_close_within(nng_socket sock, int timeout_ms)
{
	closing        *c = closing_new(sock);
	pthread_t       tid;
	pthread_attr_t  attr;
	struct timespec until;
	bool            done;

	if (c == NULL) {
		nng_close(sock);
		return true;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rv = pthread_create(&tid, &attr, closer_main, c);
	pthread_attr_destroy(&attr);
	if (rv != 0) {
		c->refs = 1;
		closing_release(c);
		nng_close(sock);
		return true;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mtx);
	while (!c->done && pthread_cond_timedwait(&c->cv, &c->mtx, &until) != ETIMEDOUT)
		;
	done = c->done;
	pthread_mutex_unlock(&c->mtx);
	closing_release(c);
	return done;
}
