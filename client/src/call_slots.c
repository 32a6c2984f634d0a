/*
 * call_slots.c - a free list of (context, aio) pairs; see call_slots.h.
 *
 * Locking: s->mtx guards the free list only; a taken slot belongs to the
 * calling thread until it gives it back.
 */
#include <stdlib.h>

#include "call_slots.h"

void
call_slots_init(call_slots *s)
{
	pthread_mutex_init(&s->mtx, NULL);
	s->free_list = NULL;
}

static void
slot_close(call_slot *slot)
{
	nng_aio_free(slot->aio);
	nng_ctx_close(slot->ctx);
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
		slot_close(slot);
		return;
	}
	pthread_mutex_lock(&s->mtx);
	slot->next = s->free_list;
	s->free_list = slot;
	pthread_mutex_unlock(&s->mtx);
}

void
call_slots_fini(call_slots *s)
{
	call_slot *slot = s->free_list;

	while (slot != NULL) {
		call_slot *next = slot->next;
		slot_close(slot);
		slot = next;
	}
	s->free_list = NULL;
	pthread_mutex_destroy(&s->mtx);
}
