/*
 * rpc_context.h - what a handler knows about the call it is serving.
 *
 * The dispatcher makes one rpc_context per request, on the worker thread
 * that runs the handler; it lives until the reply is packed. Everything a
 * handler puts into its response comes from ctx->arena (rpc_alloc,
 * rpc_strdup) and is freed with it.
 */
#ifndef CRUDDUR_RPC_CONTEXT_H
#define CRUDDUR_RPC_CONTEXT_H

#include <stdint.h>

#include "base/arena.h"
#include "cruddur/method.h"
#include "cruddur/status.h"
#include "cruddur/v1/rpc.pb-c.h"

typedef struct server server;

typedef struct rpc_context {
	server                             *server;
	const cruddur_method               *method;
	const Cruddur__V1__RequestEnvelope *envelope; /* metadata lives here */
	uint64_t                            request_id;
	int64_t                             deadline_us; /* CLOCK_MONOTONIC; 0: none */
	arena                              *arena;
	char                                message[512]; /* set by rpc_fail */
} rpc_context;

/* Sets ctx->message and returns st, so that handlers say
 * `return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "limit %d ...", n);`.
 * A message too long for it is cut between two characters. A caller's
 * text goes in through text_quote (text.h), never as it came. */
cruddur_status rpc_fail(rpc_context *ctx, cruddur_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Zeroed memory from the request's arena; NULL when out of memory. */
void *rpc_alloc(rpc_context *ctx, size_t n);
/* A copy of s in the arena; "" (static) when out of memory, so that a
 * response field is never NULL. */
char *rpc_strdup(rpc_context *ctx, const char *s);

/* Microseconds left before the deadline (INT64_MAX when there is none;
 * zero or less once it has passed). */
int64_t rpc_remaining_us(const rpc_context *ctx);

#endif /* CRUDDUR_RPC_CONTEXT_H */
