/*
 * work_queue.h - a bounded queue served by a fixed set of worker threads.
 *
 * nng callbacks must never block, so they push decoded-to-be requests here
 * and return; the workers are the only threads that wait on PostgreSQL.
 * A push never blocks: when the queue is full it fails at once, and the
 * caller answers RESOURCE_EXHAUSTED instead of letting memory grow.
 */
#ifndef CRUDDUR_WORK_QUEUE_H
#define CRUDDUR_WORK_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct work_queue work_queue;
typedef void (*work_fn)(void *item, void *arg);

/* Starts `threads` workers that call fn(item, arg) for each pushed item.
 * Returns 0, or an errno value. */
int work_queue_new(work_queue **out, int threads, size_t capacity, work_fn fn, void *arg);

/* Queues item; false when the queue is full or closed (the item is still
 * the caller's). Never blocks. */
bool work_queue_push(work_queue *q, void *item);

size_t work_queue_depth(work_queue *q);

/* Lets the workers finish every queued item and joins them; pushes fail
 * from now on, but q stays valid for them until work_queue_free. */
void work_queue_stop(work_queue *q);

/* Stops q (if it is not yet) and frees it. */
void work_queue_free(work_queue *q);

#endif /* CRUDDUR_WORK_QUEUE_H */
