/*
 * call_slots.c - a free list of (context, aio) pairs; see call_slots.h.
 *
 * Locking: s->mtx guards the free list and `closed`; a taken slot belongs
 * to the calling thread until it gives it back. Closing a context and
 * closing the socket both happen under s->mtx: nng 1.5 panics when the two
 * run at once.
 */
#include <stdlib.h>

#include "call_slots.h"

void
call_slots_init(call_slots *s)
{
	pthread_mutex_init(&s->mtx, NULL);
	s->free_list = NULL;
	s->closed = false;
}

/* Frees a slot; its context too unless the socket took it already. */
static void
slot_close(call_slots *s, call_slot *slot)
{
	nng_aio_free(slot->aio);
	pthread_mutex_lock(&s->mtx);
	if (!s->closed)
		nng_ctx_close(slot->ctx);
	pthread_mutex_unlock(&s->mtx);
	free(slot);
}

int
call_slot_take(call_slots *s, nng_socket sock, call_slot **out)
{
	call_slot *slot;
	int        rv;

	pthread_mutex_lock(&s->mtx);
	if ((slot = s->free_list) != NULL)
		s->free_list = slot->next;
	pthread_mutex_unlock(&s->mtx);
	if (slot != NULL) {
		*out = slot;
		return 0;
	}
	if ((slot = calloc(1, sizeof(*slot))) == NULL)
		return NNG_ENOMEM;
	if ((rv = nng_ctx_open(&slot->ctx, sock)) != 0) {
		free(slot);
		return rv;
	}
	if ((rv = nng_aio_alloc(&slot->aio, NULL, NULL)) != 0) {
		nng_ctx_close(slot->ctx);
		free(slot);
		return rv;
	}
	*out = slot;
	return 0;
}

void
call_slot_give(call_slots *s, call_slot *slot, bool reusable)
{
	if (!reusable) {
		slot_close(s, slot);
		return;
	}
	pthread_mutex_lock(&s->mtx);
	slot->next = s->free_list;
	s->free_list = slot;
	pthread_mutex_unlock(&s->mtx);
}

void
call_slots_close_socket(call_slots *s, nng_socket sock)
{
	pthread_mutex_lock(&s->mtx);
	s->closed = true;
	nng_close(sock);
	pthread_mutex_unlock(&s->mtx);
}

void
call_slots_fini(call_slots *s)
{
	call_slot *slot = s->free_list;

	s->closed = true; /* the socket is closed by now */
	while (slot != NULL) {
		call_slot *next = slot->next;
		slot_close(s, slot);
		slot = next;
	}
	s->free_list = NULL;
	pthread_mutex_destroy(&s->mtx);
}
