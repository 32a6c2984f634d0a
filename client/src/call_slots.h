/*
 * call_slots.h - nng contexts and aios kept for reuse between calls.
 *
 * Every call needs its own REQ context and an aio; opening and freeing
 * them per call costs allocations and the socket's lock. A client keeps
 * the slots its calls are done with on free lists and hands them to the
 * next calls, so the lists grow to the client's peak concurrency and stay
 * there.
 *
 * Two kinds of slot, one list each:
 *   sync   a bare call_slot whose aio has no callback: the caller waits on
 *          it, and nng completes it inline and wakes the waiter directly
 *          (a callback would add a hop to one of nng's threads);
 *   async  a larger struct that begins with a call_slot (call_async.c's
 *          async_call), whose aio calls back with the slot as argument.
 *
 * A slot whose exchange failed may hold a request nobody waits for: its
 * context is closed and the next cruddur_i_call_slot_take opens a new one. The aio
 * is kept: it is idle once its operation has ended, and an async slot is
 * given back from inside its own aio's callback, where nng_aio_free would
 * wait for itself.
 */
#ifndef CRUDDUR_CALL_SLOTS_H
#define CRUDDUR_CALL_SLOTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <nng/nng.h>

typedef struct call_slot {
	nng_ctx           ctx;
	bool              ctx_open; /* false after a failure: reopened on take */
	nng_aio          *aio;
	/* Async slots: an aio to wait out a retry's backoff on, with the same
	 * callback, made when first needed (NULL until then). Not `aio`: nng
	 * 1.5's nng_sleep_aio leaves its aio taking every later timeout for
	 * success, so a send that timed out would look sent. */
	nng_aio          *timer;
	struct call_slot *next;
	/* Every slot ever made, free or taken: set once, before the slot is
	 * linked in, and never changed, so a walk needs no lock. */
	struct call_slot *all_next;
} call_slot;

typedef struct call_slot_list {
	call_slot *free;
	size_t     size; /* bytes per slot, a struct that begins with a call_slot */
	void     (*cb)(void *); /* the aio's callback, given the slot; NULL: waited on */
} call_slot_list;

typedef struct call_slots {
	pthread_mutex_t mtx; /* guards both free lists and `all`, nothing else */
	call_slot_list  sync;
	call_slot_list  async;
	call_slot      *all; /* every slot of both kinds, through all_next */
	/* The socket is closed (cruddur_i_call_slots_close_socket): its contexts went
	 * with it, and closing one again would race with nng's teardown (nng
	 * 1.5 panics when a context and its socket close at once). Opening
	 * one races too: nng 1.5.2's nng_ctx_open, run while nng_close is
	 * past closing the socket's contexts, leaves the new one on the
	 * socket's list with no reference and not closed, and nng_close waits
	 * for that list to empty, forever. Contexts are opened and closed by
	 * callbacks, which must never wait for the thread that closes the
	 * socket, so the two exclude each other with these atomics instead of
	 * a lock: an opener or closer of a context announces itself in
	 * ctx_busy and then looks at closed; the closer of the socket sets
	 * closed and then waits for ctx_busy to drain. */
	atomic_bool closed;
	atomic_int  ctx_busy;
} call_slots;

/* async_size and async_cb describe the async kind (see above). */
void cruddur_i_call_slots_init(call_slots *s, size_t async_size, void (*async_cb)(void *));
/* A slot of list l (&s->sync or &s->async) for one call on sock: a kept
 * one, or a new one; its context is open. Returns 0 or an NNG_E* code. */
int  cruddur_i_call_slot_take(call_slots *s, call_slot_list *l, nng_socket sock, call_slot **out);
/* Opens a new context for a slot whose context failed (cruddur_i_call_slot_fail);
 * used by an async call that retries on the slot it holds. NNG_ECLOSED
 * once the socket is closing (cruddur_i_call_slots_close_socket). */
int  cruddur_i_call_slot_reopen(call_slots *s, call_slot *slot, nng_socket sock);
/* Closes the context of a slot whose exchange failed; the slot stays the
 * caller's. */
void cruddur_i_call_slot_fail(call_slots *s, call_slot *slot);
/* Gives a slot back to list l after its call. */
void cruddur_i_call_slot_give(call_slots *s, call_slot_list *l, call_slot *slot);
/* Cancels the operation of every taken slot's aio (nng_aio_cancel): each
 * call in flight ends with NNG_ECANCELED through its own path, as if its
 * caller had given up. An operation that starts after it is not touched.
 * Never holds the lock across nng. */
void cruddur_i_call_slots_cancel_all(call_slots *s);
/* Closes sock (and so every context on it), never at the same time as a
 * context is being opened or closed, waiting at most timeout_ms for nng
 * (socket_close.h). False: nng_close is still running and may still call
 * back into the slots, which must then never be freed. */
bool cruddur_i_call_slots_close_socket(call_slots *s, nng_socket sock, int timeout_ms);
/* Frees every kept slot; the socket must be closed and no call running. */
void cruddur_i_call_slots_fini(call_slots *s);

#endif /* CRUDDUR_CALL_SLOTS_H */
