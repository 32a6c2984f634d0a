/*
 * work_queue.c - a ring of item pointers under one mutex, and its workers.
 *
 * Locking: q->mtx guards head, count and closing. Workers wait on q->ready
 * when the ring is empty; they call fn without the lock held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "rpc/work_queue.h"

struct work_queue {
	pthread_mutex_t mtx;
	pthread_cond_t  ready;
	void          **ring;
	size_t          capacity, head, count;
	bool            closing;
	work_fn         fn;
	void           *arg;
	pthread_t      *threads;
	int             n_threads;
};

static void *
worker_main(void *p)
{
	work_queue *q = p;

	pthread_mutex_lock(&q->mtx);
	for (;;) {
		while (q->count == 0 && !q->closing)
			pthread_cond_wait(&q->ready, &q->mtx);
		if (q->count == 0)
			break; /* closing and drained */
		void *item = q->ring[q->head];
		q->head = (q->head + 1) % q->capacity;
		q->count--;
		pthread_mutex_unlock(&q->mtx);
		q->fn(item, q->arg);
		pthread_mutex_lock(&q->mtx);
	}
	pthread_mutex_unlock(&q->mtx);
	return NULL;
}

int
work_queue_new(work_queue **out, int threads, size_t capacity, work_fn fn, void *arg)
{
	work_queue *q;
	int         rv = ENOMEM;

	if (threads < 1 || capacity < 1)
		return EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return ENOMEM;
	q->ring = calloc(capacity, sizeof(void *));
	q->threads = calloc((size_t)threads, sizeof(pthread_t));
	if (q->ring == NULL || q->threads == NULL)
		goto fail;
	q->capacity = capacity;
	q->fn = fn;
	q->arg = arg;
	pthread_mutex_init(&q->mtx, NULL);
	pthread_cond_init(&q->ready, NULL);
	for (; q->n_threads < threads; q->n_threads++) {
		if ((rv = pthread_create(&q->threads[q->n_threads], NULL, worker_main, q)) != 0) {
			work_queue_free(q);
			return rv;
		}
	}
	*out = q;
	return 0;
fail:
	free(q->ring);
	free(q->threads);
	free(q);
	return rv;
}

bool
work_queue_push(work_queue *q, void *item)
{
	bool ok = false;

	pthread_mutex_lock(&q->mtx);
	if (!q->closing && q->count < q->capacity) {
		q->ring[(q->head + q->count) % q->capacity] = item;
		q->count++;
		ok = true;
		pthread_cond_signal(&q->ready);
	}
	pthread_mutex_unlock(&q->mtx);
	return ok;
}

size_t
work_queue_depth(work_queue *q)
{
	pthread_mutex_lock(&q->mtx);
	size_t n = q->count;
	pthread_mutex_unlock(&q->mtx);
	return n;
}

void
work_queue_stop(work_queue *q)
{
	pthread_mutex_lock(&q->mtx);
	q->closing = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->mtx);
	for (int i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	q->n_threads = 0;
}

void
work_queue_free(work_queue *q)
{
	work_queue_stop(q);
	pthread_cond_destroy(&q->ready);
	pthread_mutex_destroy(&q->mtx);
	free(q->ring);
	free(q->threads);
	free(q);
}
