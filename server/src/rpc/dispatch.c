/*
 * dispatch.c - decode, route, run, encode; see dispatch.h.
 *
 * The order of checks is the order of trust: size, envelope (its wire
 * bytes first: counts, and no NUL in a string), method, credentials,
 * deadline, body (its wire bytes first, the same way). Each
 * failure is answered with the status a gRPC server would give, and
 * logged with the request's id when it has one.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/auth.h"
#include "base/clock.h"
#include "rpc/dispatch.h"
#include "envelope.h"
#include "obs/log.h"
#include "rpc/wire_check.h"
#include "base/text.h"

#define METADATA_MAX_ENTRIES 32
#define METADATA_MAX_KEY 128
#define METADATA_MAX_VALUE 8192

/* protobuf-c allocations from the request's arena: decoded requests are
 * freed with it, in one go, not field by field. */
static void *
arena_pb_alloc(void *data, size_t n)
{
	return arena_alloc(data, n > 0 ? n : 1);
}

static void
arena_pb_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

static ProtobufCAllocator
arena_allocator(arena *a)
{
	return (ProtobufCAllocator){ arena_pb_alloc, arena_pb_free, a };
}

static int
compare_method(const void *key, const void *entry)
{
	return strcmp(key, ((const rpc_method_entry *)entry)->method->full_name);
}

const rpc_method_entry *
dispatch_find_method(const char *full_name)
{
	return bsearch(full_name, rpc_method_table, rpc_method_count, sizeof(rpc_method_entry),
	    compare_method);
}

/* The ResponseEnvelope around an already packed body (len 0: none).
 * Every reply passes here, so here the message is made valid UTF-8 when
 * something upstream let a caller's bytes through unquoted (text_quote):
 * a strict decoder would refuse the whole reply. */
static nng_msg *
pack_envelope(uint64_t request_id, cruddur_status st, const char *message, const uint8_t *body,
    size_t len, bool not_run)
{
	Cruddur__V1__ResponseEnvelope env = CRUDDUR__V1__RESPONSE_ENVELOPE__INIT;
	nng_msg                      *msg = NULL;
	char                          clean[sizeof(((rpc_context *)NULL)->message)];

	if (message != NULL && text_utf8_or_quote(clean, sizeof(clean), message) == clean) {
		log_warn("msg=\"reply message was not UTF-8: escaped\" id=%llu",
		    (unsigned long long)request_id);
		message = clean;
	}
	env.request_id = request_id;
	env.status = (Cruddur__V1__StatusCode)st;
	env.message = (char *)(message != NULL ? message : "");
	env.body.data = (uint8_t *)body;
	env.body.len = len;
	env.not_run = not_run;
	if (cruddur_i_envelope_to_msg(&env.base, &msg) != 0)
		msg = NULL;
	return msg;
}

static nng_msg *
pack_reply(uint64_t request_id, cruddur_status st, const char *message, const ProtobufCMessage *body)
{
	uint8_t *buf = NULL;
	size_t   len = 0;
	nng_msg *msg;

	if (st == CRUDDUR_OK && body != NULL &&
	    (buf = cruddur_i_envelope_pack_alloc(body, &len)) == NULL)
		return NULL;
	msg = pack_envelope(request_id, st, message, buf, len, false);
	free(buf);
	return msg;
}

nng_msg *
dispatch_status_reply(uint64_t request_id, cruddur_status st, const char *message)
{
	return pack_reply(request_id, st, message, NULL);
}

nng_msg *
dispatch_not_run_reply(uint64_t request_id, const char *message)
{
	return pack_envelope(request_id, CRUDDUR_UNAVAILABLE, message, NULL, 0, true);
}

/* Metadata is for a few short values (a token): at most
 * METADATA_MAX_ENTRIES of them, counted on the wire (envelope_limits), and
 * short. */
static cruddur_status
check_metadata(rpc_context *ctx, const Cruddur__V1__RequestEnvelope *env)
{
	for (size_t i = 0; i < env->n_metadata; i++) {
		const Cruddur__V1__MetadataEntry *m = env->metadata[i];
		if (strlen(m->key) > METADATA_MAX_KEY || strlen(m->value) > METADATA_MAX_VALUE)
			return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
			    "metadata keys are at most %d bytes and values at most %d", METADATA_MAX_KEY,
			    METADATA_MAX_VALUE);
	}
	return CRUDDUR_OK;
}

/* The envelope's only repeated field is its metadata. */
static const wire_limits envelope_limits = { WIRE_MAX_DEPTH, WIRE_MAX_UNKNOWN,
	METADATA_MAX_ENTRIES, WIRE_MAX_REPEATS };

/* INVALID_ARGUMENT unless len bytes at data are a desc within lim: what
 * protobuf-c would allocate for is counted before it is asked to. */
static cruddur_status
check_wire(rpc_context *ctx, const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, const wire_limits *lim)
{
	char why[256];

	if (!wire_check(desc, data, len, lim, why, sizeof(why)))
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "%s", why);
	return CRUDDUR_OK;
}

static cruddur_status
check_envelope(const dispatch_config *d, rpc_context *ctx, nng_msg *req,
    const rpc_method_entry **entry, Cruddur__V1__RequestEnvelope **env_out)
{
	size_t len = nng_msg_len(req);
	Cruddur__V1__RequestEnvelope *env;

	if (len > d->max_request_bytes)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED,
		    "request of %zu bytes exceeds the limit of %zu bytes", len, d->max_request_bytes);
	if (check_wire(ctx, &cruddur__v1__request_envelope__descriptor, nng_msg_body(req), len,
	        &envelope_limits) != CRUDDUR_OK)
		return CRUDDUR_INVALID_ARGUMENT;
	ProtobufCAllocator a = arena_allocator(ctx->arena);
	env = cruddur__v1__request_envelope__unpack(&a, len, nng_msg_body(req));
	if (env == NULL)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "the request is not a cruddur.v1.RequestEnvelope");
	*env_out = env;
	ctx->envelope = env;
	ctx->request_id = env->request_id;
	if (check_metadata(ctx, env) != CRUDDUR_OK)
		return CRUDDUR_INVALID_ARGUMENT;
	if ((*entry = dispatch_find_method(env->method)) == NULL) {
		char q[200];
		return rpc_fail(ctx, CRUDDUR_UNIMPLEMENTED, "unknown method \"%s\"",
		    text_quote(q, sizeof(q), env->method));
	}
	ctx->method = (*entry)->method;
	return auth_check(&d->auth, ctx, *entry);
}

/* A request from its arrival to its reply, in its own arena. ctx comes
 * first: rpc_complete finds the call from the context it was given. */
struct rpc_call {
	rpc_context             ctx;
	const dispatch_config  *d;
	const rpc_method_entry *entry;
	ProtobufCMessage       *req, *resp;
	cruddur_status          st;
	int64_t                 received_us;
	dispatch_reply_fn       reply_fn;
	void                   *owner;
	struct completion      *done; /* signalled once answered; NULL: none */
};

/* A worker's wait for a call it started and a handler deferred: the worker
 * stays with its call to the end, so that the workers still bound the calls
 * in progress (deferred or not). On the stack of dispatch_run. */
typedef struct completion {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	bool            done;
} completion;

static void
completion_signal(completion *c)
{
	pthread_mutex_lock(&c->mtx);
	c->done = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mtx);
}

/* Returns once the call is answered: a deferred call completes within its
 * deadline or the bounds of what it waits on (the read reactor's). */
static void
completion_wait(completion *c)
{
	pthread_mutex_lock(&c->mtx);
	while (!c->done)
		pthread_cond_wait(&c->cv, &c->mtx);
	pthread_mutex_unlock(&c->mtx);
}

/* Fails the call when its deadline has passed: it is not run. */
static cruddur_status
check_deadline(rpc_call *call)
{
	rpc_context *ctx = &call->ctx;

	if (ctx->deadline_us != 0 && clock_mono_us() >= ctx->deadline_us)
		return rpc_fail(ctx, CRUDDUR_DEADLINE_EXCEEDED,
		    "deadline of %u ms passed before the call could run", ctx->envelope->deadline_ms);
	return CRUDDUR_OK;
}

/* Decodes and checks everything the handler does not: envelope, method,
 * credentials, deadline, body; makes the empty response. */
static cruddur_status
call_decode(rpc_call *call, nng_msg *msg)
{
	rpc_context                   *ctx = &call->ctx;
	Cruddur__V1__RequestEnvelope *env = NULL;
	const ProtobufCMessageDescriptor *in, *out;
	cruddur_status                st;

	if ((st = check_envelope(call->d, ctx, msg, &call->entry, &env)) != CRUDDUR_OK)
		return st;
	if (env->deadline_ms != 0)
		ctx->deadline_us = call->received_us + (int64_t)env->deadline_ms * 1000;
	if ((st = check_deadline(call)) != CRUDDUR_OK)
		return st;
	in = call->entry->method->input;
	out = call->entry->method->output;
	if ((st = check_wire(ctx, in, env->body.data, env->body.len, &wire_default_limits)) !=
	    CRUDDUR_OK)
		return st;
	ProtobufCAllocator a = arena_allocator(ctx->arena);
	call->req = protobuf_c_message_unpack(in, &a, env->body.len, env->body.data);
	if (call->req == NULL)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "the request body is not a valid %s", in->name);
	if ((st = auth_check_confirm(&call->d->auth, ctx, call->req)) != CRUDDUR_OK)
		return st;
	if ((call->resp = rpc_alloc(ctx, out->sizeof_message)) == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	protobuf_c_message_init(out, call->resp);
	return CRUDDUR_OK;
}

/* Packs the reply (around body when len is not 0: packed already),
 * counts and logs the call, frees it, and hands the reply to its owner. */
static void
call_reply_packed(rpc_call *call, const uint8_t *body, size_t len)
{
	rpc_context      *ctx = &call->ctx;
	cruddur_status    st = call->st;
	dispatch_reply_fn fn = call->reply_fn;
	void             *owner = call->owner;
	completion       *done = call->done;
	nng_msg          *reply;

	/* A handler that finishes after the deadline still replies with what
	 * it did: the work is done (a write committed), so the truth is sent. */
	if (st == CRUDDUR_OK && body != NULL)
		reply = pack_envelope(ctx->request_id, st, ctx->message, body, len, false);
	else
		reply = pack_reply(ctx->request_id, st, ctx->message, st == CRUDDUR_OK ? call->resp : NULL);
	int64_t us = clock_mono_us() - call->received_us;
	metrics_record(call->d->metrics,
	    call->entry != NULL ? (size_t)(call->entry - rpc_method_table) : SIZE_MAX, st, us);
	if (st == CRUDDUR_OK)
		log_info("msg=request id=%llu method=%s status=OK us=%lld",
		    (unsigned long long)ctx->request_id, ctx->method->full_name, (long long)us);
	else if (log_enabled(LOG_INFO)) {
		char why[sizeof(ctx->message)];
		log_write(LOG_INFO, "msg=request id=%llu method=%s status=%s us=%lld error=\"%s\"",
		    (unsigned long long)ctx->request_id, ctx->method ? ctx->method->full_name : "-",
		    cruddur_status_name(st), (long long)us, log_quotable(why, sizeof(why), ctx->message));
	}
	arena_free(ctx->arena); /* the call, its request, envelope and response */
	fn(owner, reply);
	if (done != NULL)
		completion_signal(done);
}

static void
call_reply(rpc_call *call)
{
	call_reply_packed(call, NULL, 0);
}

/* Runs the handler, whose call is answered now unless it deferred: then
 * the call may be gone already (rpc_complete) and is not touched. */
static void
call_invoke(rpc_call *call)
{
	cruddur_status st = call->entry->invoke(call->d->handlers, &call->ctx, call->req, call->resp);

	if (st == RPC_DEFERRED)
		return;
	call->st = st;
	call_reply(call);
}

void
rpc_complete(rpc_context *ctx, cruddur_status st)
{
	rpc_call *call = (rpc_call *)ctx;

	call->st = st;
	call_reply(call);
}

void
rpc_complete_packed(rpc_context *ctx, const uint8_t *body, size_t len)
{
	rpc_call *call = (rpc_call *)ctx;

	call->st = CRUDDUR_OK;
	call_reply_packed(call, body, len);
}

uint8_t *
rpc_pack_response(rpc_context *ctx, size_t *len)
{
	return cruddur_i_envelope_pack_alloc(((rpc_call *)ctx)->resp, len);
}

static bool
is_nonblocking(const dispatch_config *d, const rpc_method_entry *entry)
{
	size_t index = (size_t)(entry - rpc_method_table);

	return index < 64 && (d->nonblocking & (UINT64_C(1) << index)) != 0;
}

/* Decodes and checks req into a new call; NULL when it was answered
 * already (a check failed, or out of memory). */
static rpc_call *
call_accept(const dispatch_config *d, nng_msg *req, int64_t received_us, dispatch_reply_fn fn,
    void *owner)
{
	arena    *a = arena_new();
	rpc_call *call;

	if (a == NULL || (call = arena_alloc(a, sizeof(*call))) == NULL) {
		arena_free(a);
		fn(owner, NULL);
		return NULL;
	}
	memset(call, 0, sizeof(*call));
	call->ctx.env = d->env;
	call->ctx.arena = a;
	call->d = d;
	call->received_us = received_us;
	call->reply_fn = fn;
	call->owner = owner;
	if ((call->st = call_decode(call, req)) != CRUDDUR_OK) {
		call_reply(call);
		return NULL;
	}
	return call;
}

rpc_call *
dispatch_accept(const dispatch_config *d, nng_msg *req, int64_t received_us,
    dispatch_reply_fn fn, void *owner)
{
	rpc_call *call = call_accept(d, req, received_us, fn, owner);

	if (call != NULL && is_nonblocking(d, call->entry)) {
		call_invoke(call);
		return NULL;
	}
	return call;
}

void
dispatch_run(rpc_call *call)
{
	completion c = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };

	/* The time spent queued counts: a call whose deadline passed while
	 * it waited for a worker is not run. */
	if ((call->st = check_deadline(call)) != CRUDDUR_OK) {
		call_reply(call);
		return;
	}
	call->done = &c;
	call_invoke(call);
	completion_wait(&c);
	pthread_cond_destroy(&c.cv);
	pthread_mutex_destroy(&c.mtx);
}

void
dispatch_refuse(rpc_call *call, cruddur_status st, const char *why)
{
	call->st = rpc_fail(&call->ctx, st, "%s", why);
	call_reply(call);
}

/* dispatch_reply_fn of dispatch_request: keeps the reply. */
static void
keep_reply(void *owner, nng_msg *reply)
{
	*(nng_msg **)owner = reply;
}

nng_msg *
dispatch_request(const dispatch_config *d, nng_msg *req, int64_t received_us)
{
	nng_msg  *reply = NULL;
	rpc_call *call = call_accept(d, req, received_us, keep_reply, &reply);

	if (call != NULL)
		dispatch_run(call); /* returns once the reply is kept */
	return reply;
}

void
dispatch_mark_nonblocking(uint64_t *nonblocking, const cruddur_method *method)
{
	const rpc_method_entry *entry = dispatch_find_method(method->full_name);

	/* A method past the 64 bits runs on a worker: slower, never wrong. */
	if (entry != NULL && (size_t)(entry - rpc_method_table) < 64)
		*nonblocking |= UINT64_C(1) << (entry - rpc_method_table);
}
