/*
 * call_async.c - cruddur_client_call_async: a call that returns at once and
 * reports its end through a callback, so that one thread (or none) can keep
 * many calls in flight.
 *
 * An async call lives in an async slot (call_slots.h): a context, and an
 * aio whose callback moves the call from state to state. Every step that
 * is not about waiting is one the blocking call takes too (call.h, named
 * here without their cruddur_i_ prefix), so the two cannot drift apart:
 *
 *   cruddur_client_call_async (caller's thread)
 *     call_build_request, take a slot, nng_ctx_send
 *                                   |
 *   SENDING --sent--> nng_ctx_recv --> RECEIVING --reply--> call_read_reply
 *      | failed                          | failed                  |
 *      +--> close the context, call_transport_status               |
 *                          |                                       |
 *                          +-------------> attempt_ended <---------+
 *                                            |          |
 *                   call_retry_backoff says  |          | no retry
 *                   wait: BACKOFF            |          v
 *                   (nng_sleep_aio on the    |       finish: done(), the
 *                   slot's timer aio), then a|       slot back, active--
 *                   new context if the old   |
 *                   one failed, and the      |
 *                   request again with the --+--> SENDING
 *                   time left in it
 *
 * One deadline bounds the whole call, as in the blocking call: each aio
 * waits until it plus REPLY_GRACE_MS, and each attempt carries the time
 * left. The caller's request is packed before cruddur_client_call_async
 * returns; every call keeps a copy of the packed envelope, since any may
 * be sent again when the server says none of it ran (not_run), and
 * cruddur_i_call_rebuild_request puts the new deadline into it.
 *
 * Threads: the callback runs on nng's threads, one step at a time for a
 * given call (the aio has one operation at a time), and never blocks: the
 * only lock it takes is the free list's, held for a push. The user's done
 * runs on that thread too, and may start the next call from there.
 *
 * Lifetime: the client counts the call in `active` from the moment it is
 * accepted until done has returned; cruddur_client_close closes the socket
 * (every send and receive ends at once, and so the call, with CANCELLED)
 * and waits for the count to reach zero. A call waiting out a retry
 * backoff notices the close when the backoff (at most 100 ms) ends.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "call.h"
#include "call_async.h"
#include "call_slots.h"
#include "client_state.h"

typedef enum async_state {
	ASYNC_SENDING,
	ASYNC_RECEIVING,
	ASYNC_BACKOFF,
} async_state;

typedef struct async_call {
	call_slot             slot; /* first: call_slots allocates async_calls */
	cruddur_client       *c;
	const cruddur_method *method;
	cruddur_call_done     done;
	void                 *arg;
	async_state           state;
	bool                  retryable; /* call_retryable: beyond not_run */
	cruddur_i_retries     retries;
	int64_t               end_ms;  /* the deadline, on cruddur_i_call_mono_ms's
	                                * clock */
	/* The packed request, kept for a retry; NULL once finished. */
	nng_msg              *again;
	/* What done is told besides the status: the failure's message and the
	 * request id. */
	cruddur_call_opts     result;
} async_call;

size_t
cruddur_i_call_async_slot_size(void)
{
	return sizeof(async_call);
}

static void
attempt_send(async_call *a, nng_msg *msg)
{
	a->state = ASYNC_SENDING;
	nng_aio_set_timeout(a->slot.aio, cruddur_i_call_wait_ms(a->end_ms));
	nng_aio_set_msg(a->slot.aio, msg);
	nng_ctx_send(a->slot.ctx, a->slot.aio);
}

/* Tells the caller, and lets the call go. */
static void
finish(async_call *a, cruddur_status st, ProtobufCMessage *resp)
{
	cruddur_client *c = a->c;

	/* A retry that succeeded leaves no message of the failed attempt. */
	if (st == CRUDDUR_OK)
		a->result.message[0] = '\0';
	if (a->again != NULL) {
		nng_msg_free(a->again);
		a->again = NULL;
	}
	a->done(a->arg, st, resp, &a->result);
	cruddur_i_call_slot_give(&c->slots, &c->slots.async, &a->slot);
	/* Last: once this reaches zero, close may free the client (and the
	 * slot may already serve another call). */
	atomic_fetch_sub(&c->active, 1);
}

static void
attempt_ended(async_call *a, cruddur_status st, bool not_run, ProtobufCMessage *resp)
{
	int64_t backoff = -1;

	if (a->again != NULL)
		backoff = cruddur_i_call_retry_backoff(a->c, a->retryable, st, not_run, &a->retries,
		    a->end_ms);
	if (backoff < 0) {
		finish(a, st, resp);
		return;
	}
	/* A retry follows a failure: there is no response to keep. The wait
	 * is on the slot's timer, never on its aio (call_slots.h says why). */
	if (a->slot.timer == NULL &&
	    nng_aio_alloc(&a->slot.timer, cruddur_i_call_async_cb, a) != 0) {
		finish(a, st, NULL);
		return;
	}
	a->state = ASYNC_BACKOFF;
	nng_sleep_aio((nng_duration)backoff, a->slot.timer);
}

/* The exchange failed in nng: its context may hold a request nobody waits
 * for, so it is closed, never reused. */
static void
exchange_failed(async_call *a, int rv)
{
	cruddur_i_call_slot_fail(&a->c->slots, &a->slot);
	attempt_ended(a, cruddur_i_call_transport_status(a->c, rv, &a->result), false, NULL);
}

/* The backoff is over: the same request again, on a working context. */
static void
retry(async_call *a, int rv)
{
	nng_msg       *msg = NULL;
	cruddur_status st;

	if (rv != 0 || atomic_load(&a->c->closing)) {
		finish(a, cruddur_i_call_fail(&a->result, CRUDDUR_CANCELLED, "the client was closed"),
		    NULL);
		return;
	}
	if ((rv = cruddur_i_call_slot_reopen(&a->c->slots, &a->slot, a->c->sock)) != 0) {
		finish(a, cruddur_i_call_transport_status(a->c, rv, &a->result), NULL);
		return;
	}
	st = cruddur_i_call_rebuild_request(a->again, cruddur_i_call_left_ms(a->end_ms), &msg,
	    &a->result);
	if (st != CRUDDUR_OK) {
		finish(a, st, NULL);
		return;
	}
	attempt_send(a, msg);
}

void
cruddur_i_call_async_cb(void *slot)
{
	async_call       *a = slot;
	nng_aio          *aio = a->state == ASYNC_BACKOFF ? a->slot.timer : a->slot.aio;
	int               rv = nng_aio_result(aio);
	ProtobufCMessage *resp = NULL;
	bool              not_run;
	cruddur_status    st;

	switch (a->state) {
	case ASYNC_SENDING:
		if (rv != 0) {
			/* An unsent request is still ours. */
			if (nng_aio_get_msg(aio) != NULL)
				nng_msg_free(nng_aio_get_msg(aio));
			nng_aio_set_msg(aio, NULL);
			exchange_failed(a, rv);
			return;
		}
		a->state = ASYNC_RECEIVING;
		nng_aio_set_timeout(aio, cruddur_i_call_wait_ms(a->end_ms));
		nng_ctx_recv(a->slot.ctx, aio);
		return;
	case ASYNC_RECEIVING:
		if (rv != 0) {
			exchange_failed(a, rv);
			return;
		}
		st = cruddur_i_call_read_reply(a->method, nng_aio_get_msg(aio), a->result.request_id,
		    &resp, &not_run, &a->result);
		nng_aio_set_msg(aio, NULL); /* cruddur_i_call_read_reply freed it */
		attempt_ended(a, st, not_run, resp);
		return;
	case ASYNC_BACKOFF:
		retry(a, rv);
		return;
	}
}

/* The call's slot, set up for its first attempt. */
static cruddur_status
call_start(cruddur_client *c, const cruddur_method *method, uint64_t id, uint32_t deadline_ms,
    cruddur_call_done done, void *arg, async_call **out, cruddur_call_opts *err)
{
	call_slot     *slot;
	async_call    *a;
	cruddur_status st;

	if ((st = cruddur_i_call_slot_for(c, &c->slots.async, &slot, err)) != CRUDDUR_OK)
		return st;
	a = (async_call *)slot;
	a->c = c;
	a->method = method;
	a->done = done;
	a->arg = arg;
	a->retries = (cruddur_i_retries){ 0, 0 };
	a->end_ms = cruddur_i_call_mono_ms() + deadline_ms;
	a->again = NULL;
	a->result = (cruddur_call_opts){ .request_id = id };
	*out = a;
	return CRUDDUR_OK;
}

cruddur_status
cruddur_client_call_async(cruddur_client *c, const cruddur_method *method,
    const ProtobufCMessage *req, cruddur_call_opts *opts, cruddur_call_done done, void *arg)
{
	uint64_t       id = atomic_fetch_add(&c->next_request_id, 1);
	uint32_t       deadline_ms = cruddur_i_call_deadline_ms(opts);
	nng_msg       *msg = NULL;
	async_call    *a = NULL;
	cruddur_status st;

	/* Counted before `closing` is read: close either sees this call or
	 * this call sees close. */
	atomic_fetch_add(&c->active, 1);
	if (done == NULL)
		st = cruddur_i_call_fail(opts, CRUDDUR_INVALID_ARGUMENT,
		    "an async call needs a callback");
	else if (atomic_load(&c->closing))
		st = cruddur_i_call_fail(opts, CRUDDUR_CANCELLED, "the client is closing");
	else
		st = cruddur_i_call_build_request(c, method, req, opts, deadline_ms, id, &msg, opts);
	if (st == CRUDDUR_OK)
		st = call_start(c, method, id, deadline_ms, done, arg, &a, opts);
	if (st == CRUDDUR_OK && nng_msg_dup(&a->again, msg) != 0) {
		cruddur_i_call_slot_give(&c->slots, &c->slots.async, &a->slot);
		st = cruddur_i_call_fail(opts, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	}
	if (st == CRUDDUR_OK)
		a->retryable = cruddur_i_call_retryable(method, req);
	if (st != CRUDDUR_OK) {
		if (msg != NULL)
			nng_msg_free(msg);
		if (opts != NULL)
			opts->request_id = id;
		atomic_fetch_sub(&c->active, 1);
		return st;
	}
	attempt_send(a, msg);
	return CRUDDUR_OK;
}
