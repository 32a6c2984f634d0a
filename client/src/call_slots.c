/*
 * call_slots.c - free lists of (context, aio) pairs; see call_slots.h.
 *
 * Locking: s->mtx guards the two free lists and is held only to push or
 * pop, never across an nng call, so an aio callback that gives a slot back
 * cannot wait on a thread that is inside nng_close. A taken slot belongs
 * to its call until it is given back. Opening or closing a context and
 * closing the socket exclude each other through s->closed and s->ctx_busy
 * (both sequentially consistent: each side writes its own flag, then reads
 * the other's, so at least one of them sees the other).
 */
#include <sched.h>
#include <stdlib.h>

#include "call_slots.h"
#include "socket_close.h"

void
cruddur_i_call_slots_init(call_slots *s, size_t async_size, void (*async_cb)(void *))
{
	pthread_mutex_init(&s->mtx, NULL);
	s->sync = (call_slot_list){ .free = NULL, .size = sizeof(call_slot), .cb = NULL };
	s->async = (call_slot_list){ .free = NULL, .size = async_size, .cb = async_cb };
	s->all = NULL;
	atomic_init(&s->closed, false);
	atomic_init(&s->ctx_busy, 0);
}

/* Closes slot's context unless the socket took it already. */
static void
ctx_close(call_slots *s, call_slot *slot)
{
	if (!slot->ctx_open)
		return;
	slot->ctx_open = false;
	atomic_fetch_add(&s->ctx_busy, 1);
	if (!atomic_load(&s->closed))
		nng_ctx_close(slot->ctx);
	atomic_fetch_sub(&s->ctx_busy, 1);
}

int
cruddur_i_call_slot_reopen(call_slots *s, call_slot *slot, nng_socket sock)
{
	int rv = NNG_ECLOSED;

	if (slot->ctx_open)
		return 0;
	/* Never while nng_close runs: see call_slots.h. */
	atomic_fetch_add(&s->ctx_busy, 1);
	if (!atomic_load(&s->closed) && (rv = nng_ctx_open(&slot->ctx, sock)) == 0)
		slot->ctx_open = true;
	atomic_fetch_sub(&s->ctx_busy, 1);
	return rv;
}

/* A new slot of list l, its context not yet open, on s's list of all. */
static call_slot *
slot_new(call_slots *s, call_slot_list *l)
{
	call_slot *slot = calloc(1, l->size);

	if (slot == NULL)
		return NULL;
	/* The callback gets the slot: the async struct begins with it. */
	if (nng_aio_alloc(&slot->aio, l->cb, l->cb != NULL ? slot : NULL) != 0) {
		free(slot);
		return NULL;
	}
	pthread_mutex_lock(&s->mtx);
	slot->all_next = s->all;
	s->all = slot;
	pthread_mutex_unlock(&s->mtx);
	return slot;
}

void
cruddur_i_call_slots_cancel_all(call_slots *s)
{
	pthread_mutex_lock(&s->mtx);
	call_slot *slot = s->all;
	pthread_mutex_unlock(&s->mtx);
	/* A free slot's aio is idle: cancelling it does nothing. */
	for (; slot != NULL; slot = slot->all_next)
		nng_aio_cancel(slot->aio);
}

int
cruddur_i_call_slot_take(call_slots *s, call_slot_list *l, nng_socket sock, call_slot **out)
{
	call_slot *slot;
	int        rv;

	pthread_mutex_lock(&s->mtx);
	if ((slot = l->free) != NULL)
		l->free = slot->next;
	pthread_mutex_unlock(&s->mtx);
	if (slot == NULL && (slot = slot_new(s, l)) == NULL)
		return NNG_ENOMEM;
	if ((rv = cruddur_i_call_slot_reopen(s, slot, sock)) != 0) {
		cruddur_i_call_slot_give(s, l, slot); /* keep the aio for later */
		return rv;
	}
	*out = slot;
	return 0;
}

void
cruddur_i_call_slot_fail(call_slots *s, call_slot *slot)
{
	ctx_close(s, slot);
}

void
cruddur_i_call_slot_give(call_slots *s, call_slot_list *l, call_slot *slot)
{
	pthread_mutex_lock(&s->mtx);
	slot->next = l->free;
	l->free = slot;
	pthread_mutex_unlock(&s->mtx);
}

bool
cruddur_i_call_slots_close_socket(call_slots *s, nng_socket sock, int timeout_ms)
{
	atomic_store(&s->closed, true);
	/* A context open or close that began before it saw `closed` ends
	 * quickly: nng_ctx_open and nng_ctx_close wait for nothing of ours. */
	while (atomic_load(&s->ctx_busy) > 0)
		sched_yield();
	return cruddur_i_socket_close_within(sock, timeout_ms);
}

static void
list_free(call_slot_list *l)
{
	call_slot *slot = l->free;

	while (slot != NULL) {
		call_slot *next = slot->next;
		/* Waits for the aio's callback, if one is still returning. */
		nng_aio_free(slot->aio);
		if (slot->timer != NULL)
			nng_aio_free(slot->timer);
		free(slot);
		slot = next;
	}
	l->free = NULL;
}

void
cruddur_i_call_slots_fini(call_slots *s)
{
	/* The socket is closed by now, and its contexts with it. */
	list_free(&s->sync);
	list_free(&s->async);
	pthread_mutex_destroy(&s->mtx);
}
