/*
 * call.h - the steps of one call, either way: what the blocking call
 * (client.c) and the async call (call_async.c) both take, so that the two
 * cannot drift apart. call.c holds them; it knows neither caller.
 *
 *   cruddur_i_call_deadline_ms       the one deadline of the whole call
 *   cruddur_i_call_build_request     the RequestEnvelope, checked and packed
 *   cruddur_i_call_slot_for          a context and an aio to exchange on
 *                                    (call_slots.h)
 *   exchange                         send and receive on the context (each
 *                                    caller its own: a waited-on aio, or a
 *                                    chain of callbacks)
 *   cruddur_i_call_transport_status  an exchange that failed, as a status
 *   cruddur_i_call_read_reply        the ResponseEnvelope and the response
 *   cruddur_i_call_retry_backoff     whether and when a failed attempt goes
 *                                    again
 *
 * Threads: every step may run on any thread at once; none blocks or takes
 * a lock but cruddur_i_call_slot_for (call_slots.c's, for a pop). Ownership
 * is said on each step. Private to libcruddur; nothing here is in
 * client/include, and every name has libcruddur's internal prefix
 * cruddur_i_ (docs/ARCHITECTURE.md, "Names").
 */
#ifndef CRUDDUR_CALL_H
#define CRUDDUR_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>

#include "cruddur/client.h"
#include "call_slots.h"
#include "client_state.h"

/* Servers may take this long to answer once the deadline they were sent has
 * passed (the reply saying DEADLINE_EXCEEDED has to travel back). */
#define REPLY_GRACE_MS 250
/* Calls without side effects are tried this many more times on UNAVAILABLE,
 * after 50 ms, then 100 ms, within the call's deadline. */
#define RETRY_ATTEMPTS 2
#define RETRY_BACKOFF_MS 50
/* A call the server refused before any of it ran (not_run: it is
 * shutting down) is sent again whatever its method, up to this many times,
 * after NOT_RUN_BACKOFF_MS each (another server is likely ready), within
 * the deadline; these do not count toward RETRY_ATTEMPTS. */
#define NOT_RUN_ATTEMPTS 8
#define NOT_RUN_BACKOFF_MS 20

/* Writes the message of a failure into out (may be NULL); returns st. */
cruddur_status cruddur_i_call_fail(cruddur_call_opts *out, cruddur_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The deadline opts asks for (0 or NULL: the default), cut to the longest
 * nng can wait for. */
uint32_t cruddur_i_call_deadline_ms(const cruddur_call_opts *opts);

int64_t cruddur_i_call_mono_ms(void);
/* The time left until end_ms, as the deadline an attempt carries (>= 1). */
uint32_t cruddur_i_call_left_ms(int64_t end_ms);
/* How long to wait for the server: the time left plus REPLY_GRACE_MS. */
nng_duration cruddur_i_call_wait_ms(int64_t end_ms);

/* Builds the envelope of req (checked against method) with the metadata of
 * in (may be NULL) into a new nng message *out. On failure writes why into
 * err (may be NULL) and returns INVALID_ARGUMENT or RESOURCE_EXHAUSTED. */
cruddur_status cruddur_i_call_build_request(cruddur_client *c, const cruddur_method *method,
    const ProtobufCMessage *req, const cruddur_call_opts *in, uint32_t deadline_ms, uint64_t id,
    nng_msg **out, cruddur_call_opts *err);
/* The request packed in sent (a message cruddur_i_call_build_request made, not
 * consumed) again, carrying deadline_ms instead: a retry carries the time
 * that is really left. */
cruddur_status cruddur_i_call_rebuild_request(const nng_msg *sent, uint32_t deadline_ms,
    nng_msg **out, cruddur_call_opts *err);

/* The status of an exchange that ended with nng error rv: CANCELLED when
 * the client is closing, DEADLINE_EXCEEDED on a timeout, and so on. */
cruddur_status cruddur_i_call_transport_status(cruddur_client *c, int rv, cruddur_call_opts *err);

/* A slot of list l (&c->slots.sync or .async) with an open context; on
 * failure writes why into err (CANCELLED when the client is closing). */
cruddur_status cruddur_i_call_slot_for(cruddur_client *c, call_slot_list *l, call_slot **out,
    cruddur_call_opts *err);

/* Unpacks the reply envelope and, on OK, its body into *resp (the
 * caller's). *not_run says whether the server refused the request before
 * any of it ran (the envelope's not_run). Frees reply. */
cruddur_status cruddur_i_call_read_reply(const cruddur_method *method, nng_msg *reply, uint64_t id,
    ProtobufCMessage **resp, bool *not_run, cruddur_call_opts *err);

/* Whether req may ever be sent twice: its method has no side effects, or it
 * carries an idempotency key that the server deduplicates on. */
bool cruddur_i_call_retryable(const cruddur_method *method, const ProtobufCMessage *req);
/* The retries a call has had (zero before its first attempt). */
typedef struct {
	int attempts; /* counted toward RETRY_ATTEMPTS */
	int not_run;  /* of requests refused unrun, toward NOT_RUN_ATTEMPTS */
} cruddur_i_retries;

/* After an attempt ended with st (not_run: the server said none of it
 * ran): the milliseconds to wait before trying again, counted in *r, or -1
 * when it must not be (not retryable, not a failure that retrying can
 * cure, out of attempts, out of time, closing). */
int64_t cruddur_i_call_retry_backoff(cruddur_client *c, bool retryable, cruddur_status st,
    bool not_run, cruddur_i_retries *r, int64_t end_ms);

#endif /* CRUDDUR_CALL_H */
