/*
 * call_slots.h - nng contexts and aios kept for reuse between calls.
 *
 * Every call needs its own REQ context and an aio; opening and freeing
 * them per call costs allocations and the socket's lock. A client keeps
 * the ones its calls are done with on a free list and hands them to the
 * next calls, so the list grows to the client's peak concurrency and
 * stays there. A slot whose exchange failed is closed instead of kept.
 */
#ifndef CRUDDUR_CALL_SLOTS_H
#define CRUDDUR_CALL_SLOTS_H

#include <pthread.h>
#include <stdbool.h>

#include <nng/nng.h>

typedef struct call_slot {
	nng_ctx           ctx;
	nng_aio          *aio;
	struct call_slot *next;
} call_slot;

typedef struct call_slots {
	pthread_mutex_t mtx; /* guards free_list and closed */
	call_slot      *free_list;
	/* The socket is closed (call_slots_close_socket): its contexts went
	 * with it, and closing one again would race with nng's teardown. */
	bool closed;
} call_slots;

void call_slots_init(call_slots *s);
/* A slot for one call on sock: a kept one, or a new one. Returns 0 or an
 * NNG_E* code. */
int  call_slot_take(call_slots *s, nng_socket sock, call_slot **out);
/* Gives a slot back after its call: kept when reusable, else closed. */
void call_slot_give(call_slots *s, call_slot *slot, bool reusable);
/* Closes sock (and so every context on it) so that no context is closed
 * at the same time by a call giving its slot back. */
void call_slots_close_socket(call_slots *s, nng_socket sock);
/* Frees every kept slot; the socket must be closed and no call running. */
void call_slots_fini(call_slots *s);

#endif /* CRUDDUR_CALL_SLOTS_H */
