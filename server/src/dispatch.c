/*
 * dispatch.c - decode, route, run, encode; see dispatch.h.
 *
 * The order of checks is the order of trust: size, envelope, method,
 * deadline, body. Each failure is answered with the status a gRPC server
 * would give, and logged with the request's id when it has one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "dispatch.h"
#include "envelope.h"
#include "log.h"

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

const char *
dispatch_method_name(size_t index)
{
	return index < rpc_method_count ? rpc_method_table[index].method->full_name : "(unknown)";
}

const rpc_method_entry *
dispatch_find_method(const char *full_name)
{
	return bsearch(full_name, rpc_method_table, rpc_method_count, sizeof(rpc_method_entry),
	    compare_method);
}

static nng_msg *
pack_reply(uint64_t request_id, cruddur_status st, const char *message, const ProtobufCMessage *body)
{
	Cruddur__V1__ResponseEnvelope env = CRUDDUR__V1__RESPONSE_ENVELOPE__INIT;
	nng_msg                      *msg = NULL;
	uint8_t                      *buf = NULL;

	env.request_id = request_id;
	env.status = (Cruddur__V1__StatusCode)st;
	env.message = (char *)(message != NULL ? message : "");
	if (st == CRUDDUR_OK && body != NULL) {
		if ((buf = envelope_pack_alloc(body, &env.body.len)) == NULL)
			return NULL;
		env.body.data = buf;
	}
	if (envelope_to_msg(&env.base, &msg) != 0)
		msg = NULL;
	free(buf);
	return msg;
}

nng_msg *
dispatch_status_reply(uint64_t request_id, cruddur_status st, const char *message)
{
	return pack_reply(request_id, st, message, NULL);
}

/* Unpacks the body and runs the handler; fills ctx->message on failure. */
static cruddur_status
run_method(rpc_context *ctx, const rpc_method_entry *entry, ProtobufCMessage **resp_out)
{
	const ProtobufCMessageDescriptor *in = entry->method->input, *out = entry->method->output;
	const Cruddur__V1__RequestEnvelope *env = ctx->envelope;
	ProtobufCMessage *req, *resp;
	cruddur_status    st;

	ProtobufCAllocator a = arena_allocator(ctx->arena);
	req = protobuf_c_message_unpack(in, &a, env->body.len, env->body.data);
	if (req == NULL)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "the request body is not a valid %s", in->name);
	if ((st = auth_check_confirm(ctx, req)) != CRUDDUR_OK)
		return st;
	if ((resp = rpc_alloc(ctx, out->sizeof_message)) == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	protobuf_c_message_init(out, resp);
	st = entry->invoke(&ctx->server->handlers, ctx, req, resp);
	/* A handler that finishes after the deadline still replies with what
	 * it did: the work is done (a write committed), so the truth is sent. */
	*resp_out = resp;
	return st;
}

/* Metadata is for a few short values (a token); a request that sends
 * thousands is refused before anything looks at them one by one. */
static cruddur_status
check_metadata(rpc_context *ctx, const Cruddur__V1__RequestEnvelope *env)
{
	if (env->n_metadata > METADATA_MAX_ENTRIES)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "%zu metadata entries; at most %d",
		    env->n_metadata, METADATA_MAX_ENTRIES);
	for (size_t i = 0; i < env->n_metadata; i++) {
		const Cruddur__V1__MetadataEntry *m = env->metadata[i];
		if (strlen(m->key) > METADATA_MAX_KEY || strlen(m->value) > METADATA_MAX_VALUE)
			return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
			    "metadata keys are at most %d bytes and values at most %d", METADATA_MAX_KEY,
			    METADATA_MAX_VALUE);
	}
	return CRUDDUR_OK;
}

static cruddur_status
check_envelope(rpc_context *ctx, nng_msg *req, const rpc_method_entry **entry,
    Cruddur__V1__RequestEnvelope **env_out)
{
	size_t len = nng_msg_len(req);
	Cruddur__V1__RequestEnvelope *env;

	if (len > ctx->server->cfg.max_request_bytes)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED,
		    "request of %zu bytes exceeds the limit of %zu bytes", len,
		    ctx->server->cfg.max_request_bytes);
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
	if ((*entry = dispatch_find_method(env->method)) == NULL)
		return rpc_fail(ctx, CRUDDUR_UNIMPLEMENTED, "unknown method \"%.200s\"", env->method);
	ctx->method = (*entry)->method;
	return auth_check(ctx, *entry);
}

nng_msg *
dispatch_request(server *s, nng_msg *req, int64_t received_us)
{
	rpc_context                   ctx = { .server = s };
	Cruddur__V1__RequestEnvelope *env = NULL;
	const rpc_method_entry       *entry = NULL;
	ProtobufCMessage             *resp = NULL;
	cruddur_status                st;
	nng_msg                      *reply;

	if ((ctx.arena = arena_new()) == NULL)
		return NULL;
	st = check_envelope(&ctx, req, &entry, &env);
	if (st == CRUDDUR_OK && env->deadline_ms != 0) {
		ctx.deadline_us = received_us + (int64_t)env->deadline_ms * 1000;
		if (clock_mono_us() >= ctx.deadline_us)
			st = rpc_fail(&ctx, CRUDDUR_DEADLINE_EXCEEDED,
			    "deadline of %u ms passed before the call could run", env->deadline_ms);
	}
	if (st == CRUDDUR_OK)
		st = run_method(&ctx, entry, &resp);
	reply = pack_reply(ctx.request_id, st, ctx.message, resp);
	int64_t us = clock_mono_us() - received_us;
	metrics_record(s->metrics, entry != NULL ? (size_t)(entry - rpc_method_table) : SIZE_MAX, st, us);
	if (st == CRUDDUR_OK)
		log_info("msg=request id=%llu method=%s status=OK us=%lld",
		    (unsigned long long)ctx.request_id, ctx.method->full_name, (long long)us);
	else if (log_enabled(LOG_INFO)) {
		char why[sizeof(ctx.message)];
		log_write(LOG_INFO, "msg=request id=%llu method=%s status=%s us=%lld error=\"%s\"",
		    (unsigned long long)ctx.request_id, ctx.method ? ctx.method->full_name : "-",
		    cruddur_status_name(st), (long long)us, log_quotable(why, sizeof(why), ctx.message));
	}
	arena_free(ctx.arena); /* the request, its envelope and the response */
	return reply;
}
