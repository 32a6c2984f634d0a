/*
 * dispatch.h - from a request message to a reply message.
 *
 * The dispatcher decodes the RequestEnvelope, finds the method in the
 * generated table (rpc_handlers.h), decodes the body, runs the handler on
 * the calling (worker) thread and packs the ResponseEnvelope. It never
 * trusts the bytes: every failure is a reply with a status, never a crash.
 * It knows nothing of sockets, so tests and fuzzers call it directly.
 */
#ifndef CRUDDUR_DISPATCH_H
#define CRUDDUR_DISPATCH_H

#include <stdint.h>

#include <nng/nng.h>

#include "cruddur/status.h"
#include "server.h"

/* Runs the request in req (borrowed; the caller frees it) and returns a
 * new reply message, or NULL when out of memory. received_us is when the
 * request arrived (CLOCK_MONOTONIC), so that its deadline counts the time it
 * spent queued. */
nng_msg *dispatch_request(server *s, nng_msg *req, int64_t received_us);

/* A reply that only carries a status, for requests that are not run
 * (overload, shutdown). NULL when out of memory. */
nng_msg *dispatch_status_reply(uint64_t request_id, cruddur_status st, const char *message);

/* The full name of rpc_method_table[index]; "(unknown)" for the index
 * rpc_method_count, where metrics keep requests that named no method. */
const char *dispatch_method_name(size_t index);

/* The generated table entry for a full method name, or NULL. */
const rpc_method_entry *dispatch_find_method(const char *full_name);

#endif /* CRUDDUR_DISPATCH_H */
