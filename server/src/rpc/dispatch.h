/*
 * dispatch.h - from a request message to a reply message.
 *
 * The dispatcher decodes the RequestEnvelope, finds the method in the
 * generated table (rpc_handlers.h), decodes the body (dispatch_accept, on
 * nng's thread), runs the handler on a worker (dispatch_run) or, for a
 * method whose handler never blocks, at once on the receiving thread, and
 * packs the ResponseEnvelope when the handler completes, now or later
 * (RPC_DEFERRED, rpc_context.h). It never trusts the bytes: every failure is
 * a reply with a status, never a crash. It knows nothing of sockets nor of
 * what handlers wait on, so tests and fuzzers call it directly.
 */
#ifndef CRUDDUR_DISPATCH_H
#define CRUDDUR_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>

#include "cruddur/status.h"
#include "obs/metrics.h"
#include "rpc/auth.h"
#include "rpc_handlers.h"

typedef struct rpc_call rpc_call;

/* What the dispatcher serves with; read-only once serving (server.c). */
typedef struct dispatch_config {
	const rpc_handlers   *handlers;
	const struct svc_env *env;      /* every call's ctx->env */
	metrics              *metrics;  /* every call is recorded here */
	size_t                max_request_bytes;
	auth_config           auth;
	/* Bit i: the handler of rpc_method_table[i] never blocks, so it runs
	 * on the thread that received the request, without a worker. */
	uint64_t              nonblocking;
} dispatch_config;

/* Where a call's reply goes: reply is the packed ResponseEnvelope, NULL
 * when out of memory. Called exactly once per accepted request, on the
 * thread that finished it. */
typedef void (*dispatch_reply_fn)(void *owner, nng_msg *reply);

/*
 * Takes a request as it arrives (req is borrowed: everything needed is
 * copied), without blocking, so nng callbacks call it. Checks it all up
 * to the handler: a request that fails a check is answered at once
 * through fn. A method whose handler never blocks (d->nonblocking) is run
 * here, and answers through fn now or when it completes. Either way NULL
 * is returned. Otherwise the call is returned for a worker to run with
 * dispatch_run.
 */
rpc_call *dispatch_accept(const dispatch_config *d, nng_msg *req, int64_t received_us,
    dispatch_reply_fn fn, void *owner);

/* Runs the handler of an accepted call (unless its deadline has passed
 * meanwhile) and returns once the call is answered through its fn: when
 * the handler deferred, the worker waits for it to complete, so the
 * workers bound the calls in progress. Blocks: for workers. */
void dispatch_run(rpc_call *call);

/* Answers an accepted call that will not run (the work queue is full)
 * with st and why, through its fn, and frees it. */
void dispatch_refuse(rpc_call *call, cruddur_status st, const char *why);

/* Marks method's handler as never blocking in *nonblocking (server.c, from
 * what the services register). */
void dispatch_mark_nonblocking(uint64_t *nonblocking, const cruddur_method *method);

/* Runs the request in req (borrowed; the caller frees it) as a worker
 * would, and returns its reply, or NULL when out of memory.
 * received_us is when the request arrived (CLOCK_MONOTONIC), so that its
 * deadline counts the time it spent queued. For tests and fuzzers. */
nng_msg *dispatch_request(const dispatch_config *d, nng_msg *req, int64_t received_us);

/* A reply that only carries a status, for requests that are not run
 * (overload, shutdown). NULL when out of memory. */
nng_msg *dispatch_status_reply(uint64_t request_id, cruddur_status st, const char *message);
/* UNAVAILABLE with not_run set: the request was refused before any of it
 * ran (the server is draining), so a client may send it again anywhere,
 * whatever its method. Only for refusals made before a call began; NULL
 * when out of memory. */
nng_msg *dispatch_not_run_reply(uint64_t request_id, const char *message);

/* The generated table entry for a full method name, or NULL. */
const rpc_method_entry *dispatch_find_method(const char *full_name);

#endif /* CRUDDUR_DISPATCH_H */
