/*
 * dispatch.h - from a request message to a reply message.
 *
 * The dispatcher decodes the RequestEnvelope, finds the method in the
 * generated table (rpc_handlers.h), decodes the body (dispatch_accept, on
 * nng's thread), runs the handler on a worker (dispatch_run) or hands a
 * fast read to the read reactor, and packs the ResponseEnvelope. It never
 * trusts the bytes: every failure is a reply with a status, never a crash.
 * It knows nothing of sockets, so tests and fuzzers call it directly.
 */
#ifndef CRUDDUR_DISPATCH_H
#define CRUDDUR_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>

#include "cruddur/status.h"
#include "server.h"

typedef struct rpc_call rpc_call;

/* Where a call's reply goes: reply is the packed ResponseEnvelope, NULL
 * when out of memory. Called exactly once per accepted request, on the
 * thread that finished it. */
typedef void (*dispatch_reply_fn)(void *owner, nng_msg *reply);

/*
 * Takes a request as it arrives (req is borrowed: everything needed is
 * copied), without blocking, so nng callbacks call it. Checks it all up
 * to the handler: a request that fails a check is answered at once
 * through fn. With fast true, a fast read (fast_read.h) is handed to the
 * server's read reactor, which answers it through fn later. Either way
 * NULL is returned. Otherwise the call is returned for a worker to run
 * with dispatch_run.
 */
rpc_call *dispatch_accept(server *s, nng_msg *req, int64_t received_us, bool fast,
    dispatch_reply_fn fn, void *owner);

/* Runs the handler of an accepted call (unless its deadline has passed
 * meanwhile) and answers through the call's fn. May block: for workers. */
void dispatch_run(rpc_call *call);

/* Answers an accepted call that will not run (the work queue is full)
 * with st and why, through its fn, and frees it. */
void dispatch_refuse(rpc_call *call, cruddur_status st, const char *why);

/* Serves method's calls on the read reactor, as fr says (server_init). */
void dispatch_set_fast_read(server *s, const cruddur_method *method, const fast_read *fr);

/* Runs the request in req (borrowed; the caller frees it) and returns a
 * new reply message, or NULL when out of memory. received_us is when the
 * request arrived (CLOCK_MONOTONIC), so that its deadline counts the time it
 * spent queued. */
nng_msg *dispatch_request(server *s, nng_msg *req, int64_t received_us);

/* A reply that only carries a status, for requests that are not run
 * (overload, shutdown). NULL when out of memory. */
nng_msg *dispatch_status_reply(uint64_t request_id, cruddur_status st, const char *message);

/* The generated table entry for a full method name, or NULL. */
const rpc_method_entry *dispatch_find_method(const char *full_name);

#endif /* CRUDDUR_DISPATCH_H */
