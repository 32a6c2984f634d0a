/*
 * rpc_context.h - what a handler knows about the call it is serving.
 *
 * The dispatcher makes one rpc_context per request, on the nng thread that
 * received it (dispatch_accept); it lives until the reply is packed.
 * Everything a handler puts into its response comes from ctx->arena
 * (rpc_alloc, rpc_strdup) and is freed with it.
 *
 * A handler may finish later, as an nng aio may: it starts its work (a read
 * on the read reactor, say), returns RPC_DEFERRED without touching ctx
 * again, and the callback of that work completes the call exactly once with
 * rpc_complete or rpc_complete_packed, from whatever thread it runs on. Until
 * then ctx, the request and the response stay valid; after it, none is.
 * A context is the dispatcher's: pass it by pointer, never copy it (a
 * copy completed with rpc_complete would not be the call's).
 */
#ifndef CRUDDUR_RPC_CONTEXT_H
#define CRUDDUR_RPC_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "cruddur/method.h"
#include "cruddur/status.h"
#include "cruddur/v1/rpc.pb-c.h"

/* What the services reach (svc/svc_env.h): the dispatcher only hands it on. */
struct svc_env;

/* A handler's return value that is no status: the call completes later
 * (rpc_complete). Never sent on the wire. */
#define RPC_DEFERRED ((cruddur_status)0x7fff)

typedef struct rpc_context {
	const struct svc_env               *env;
	const cruddur_method               *method;
	const Cruddur__V1__RequestEnvelope *envelope; /* metadata lives here */
	uint64_t                            request_id;
	int64_t                             deadline_us; /* CLOCK_MONOTONIC; 0: none */
	arena                              *arena;
	/* The verified user of the call (a token's sub claim, auth.h: the
	 * user's cognito_user_id), in the arena; NULL: no verified user. */
	const char                         *user_sub;
	char                                message[512]; /* set by rpc_fail */
} rpc_context;

/* Sets ctx->message and returns st, so that handlers say
 * `return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "limit %d ...", n);`.
 * A message too long for it is cut between two characters. A caller's
 * text goes in through text_quote (text.h), never as it came. */
cruddur_status rpc_fail(rpc_context *ctx, cruddur_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* INVALID_ARGUMENT with a message naming `field` unless s is valid UTF-8
 * of min..max characters (a caller's text, before it goes near the
 * database). */
cruddur_status rpc_check_text(rpc_context *ctx, const char *field, const char *s, long min,
    long max);

/* Zeroed memory from the request's arena; NULL when out of memory. */
void *rpc_alloc(rpc_context *ctx, size_t n);
/* A copy of s in the arena; "" (static) when out of memory, so that a
 * response field is never NULL. */
char *rpc_strdup(rpc_context *ctx, const char *s);

/* Microseconds left before the deadline (INT64_MAX when there is none;
 * zero or less once it has passed). */
int64_t rpc_remaining_us(const rpc_context *ctx);

/* Completes a deferred call with st (ctx->message says why when st is not
 * OK) and the response the handler filled. Defined by the dispatcher. */
void rpc_complete(rpc_context *ctx, cruddur_status st);
/* Completes a deferred call with OK and a response already packed: len
 * bytes at body, borrowed for the duration of the call. For a reply shared
 * by several calls, packed once (svc_activities.c). */
void rpc_complete_packed(rpc_context *ctx, const uint8_t *body, size_t len);
/* The call's response packed, malloc'd (the caller frees it); NULL when out
 * of memory. */
uint8_t *rpc_pack_response(rpc_context *ctx, size_t *len);

#endif /* CRUDDUR_RPC_CONTEXT_H */
