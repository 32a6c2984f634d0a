/*
 * cancel_sender.c - PostgreSQL cancel requests sent from a thread of their
 * own; see cancel_sender.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "db/cancel_sender.h"
#include "base/clock.h"
#include "obs/log.h"

typedef struct cancel_item {
	struct cancel_item *next;
	PGcancel           *cancel;
} cancel_item;

struct cancel_sender {
	pthread_t       thread;
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	pthread_cond_t  sent_cv;     /* broadcast as each cancel has gone */
	cancel_item    *head, *tail; /* under mtx */
	bool            stopping;    /* under mtx */
	bool            orphaned;    /* under mtx: the thread frees s as it ends */
	/* Tickets: cancels go in order, so all up to `sent` have gone. */
	uint64_t        posted;      /* under mtx */
	atomic_ullong   sent;
};

/* How long cancel_sender_free waits for a cancel being sent: one that a
 * database answers takes milliseconds; one to a host that stopped
 * answering may take minutes, and must not hold up the exit. */
#define STOP_WAIT_MS 200

static void
send_one(PGcancel *cancel)
{
	char err[256];

	if (!PQcancel(cancel, err, sizeof(err)))
		log_warn("msg=\"cancel request failed\" error=\"%s\"", err);
	PQfreeCancel(cancel);
}

static void *
sender_main(void *arg)
{
	cancel_sender *s = arg;

	pthread_mutex_lock(&s->mtx);
	for (;;) {
		while (s->head == NULL && !s->stopping)
			pthread_cond_wait(&s->cv, &s->mtx);
		cancel_item *it = s->head;
		if (it == NULL)
			break; /* stopping, and all sent */
		if ((s->head = it->next) == NULL)
			s->tail = NULL;
		pthread_mutex_unlock(&s->mtx);
		send_one(it->cancel);
		free(it);
		pthread_mutex_lock(&s->mtx);
		atomic_fetch_add(&s->sent, 1);
		pthread_cond_broadcast(&s->sent_cv);
	}
	bool orphaned = s->orphaned;
	pthread_mutex_unlock(&s->mtx);
	if (orphaned) {
		pthread_cond_destroy(&s->sent_cv);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mtx);
		free(s);
	}
	return NULL;
}

int
cancel_sender_new(cancel_sender **out)
{
	cancel_sender *s = calloc(1, sizeof(*s));
	int            rv;

	if (s == NULL)
		return ENOMEM;
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->sent_cv, NULL);
	if ((rv = pthread_create(&s->thread, NULL, sender_main, s)) != 0) {
		pthread_cond_destroy(&s->sent_cv);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mtx);
		free(s);
		return rv;
	}
	*out = s;
	return 0;
}

uint64_t
cancel_sender_post(cancel_sender *s, PGcancel *cancel)
{
	cancel_item *it = malloc(sizeof(*it));
	uint64_t     ticket;

	if (it == NULL) {
		send_one(cancel);
		return 0; /* sent: every ticket is >= 0 */
	}
	*it = (cancel_item){ .cancel = cancel };
	pthread_mutex_lock(&s->mtx);
	if (s->tail != NULL)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	ticket = ++s->posted;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mtx);
	return ticket;
}

bool
cancel_sender_wait(cancel_sender *s, uint64_t ticket, int timeout_ms)
{
	struct timespec until;
	bool            sent;

	if (atomic_load(&s->sent) >= ticket)
		return true;
	until = clock_timespec(clock_real_us() + (int64_t)timeout_ms * 1000);
	pthread_mutex_lock(&s->mtx);
	while (atomic_load(&s->sent) < ticket)
		if (pthread_cond_timedwait(&s->sent_cv, &s->mtx, &until) != 0)
			break; /* timed out */
	sent = atomic_load(&s->sent) >= ticket;
	pthread_mutex_unlock(&s->mtx);
	return sent;
}

void
cancel_sender_free(cancel_sender *s)
{
	struct timespec until;
	cancel_item    *left;

	if (s == NULL)
		return;
	/* What is still queued is dropped: its connections are closing. */
	pthread_mutex_lock(&s->mtx);
	s->stopping = true;
	left = s->head;
	s->head = s->tail = NULL;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mtx);
	while (left != NULL) {
		cancel_item *next = left->next;
		PQfreeCancel(left->cancel);
		free(left);
		left = next;
	}
	/* A cancel being sent to a host that stopped answering may take
	 * minutes (PQcancel has no timeout): a stop does not wait for it. */
	until = clock_timespec(clock_real_us() + (int64_t)STOP_WAIT_MS * 1000);
	if (pthread_timedjoin_np(s->thread, NULL, &until) == 0) {
		pthread_cond_destroy(&s->sent_cv);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mtx);
		free(s);
		return;
	}
	log_warn("msg=\"a cancel request is still being sent; not waiting for it\"");
	pthread_mutex_lock(&s->mtx);
	s->orphaned = true;
	pthread_mutex_unlock(&s->mtx);
	pthread_detach(s->thread);
}
