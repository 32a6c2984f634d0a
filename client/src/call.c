/*
 * call.c - the steps of one call, either way (call.h): the deadline, the
 * request envelope built and rebuilt, a slot to exchange on, an exchange's
 * failure as a status, the reply read, and whether and when to retry.
 * The blocking call (client.c) and the async call (call_async.c) each take
 * them in their own order around their own exchange; this file calls
 * neither of them.
 *
 * Threads: no state of its own; it reads the client's atomics and takes
 * the slot lists' lock (call_slots.c) only in cruddur_i_call_slot_for. Safe from any
 * thread, and from nng's callbacks: nothing here blocks.
 *
 * Ownership: cruddur_i_call_build_request and cruddur_i_call_rebuild_request make a new nng
 * message, the caller's; cruddur_i_call_read_reply frees the reply it is given and
 * hands the response to the caller (freed with cruddur_message_free).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <nng/nng.h>

#include "cruddur/client.h"
#include "cruddur/v1/rpc.pb-c.h"
#include "call.h"
#include "call_slots.h"
#include "client_state.h"
#include "envelope.h"
#include "reply_arena.h"

cruddur_status
cruddur_i_call_fail(cruddur_call_opts *out, cruddur_status st, const char *fmt, ...)
{
	if (out != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(out->message, sizeof(out->message), fmt, ap);
		va_end(ap);
	}
	return st;
}

uint32_t
cruddur_i_call_deadline_ms(const cruddur_call_opts *opts)
{
	uint32_t ms = opts != NULL && opts->deadline_ms != 0 ? opts->deadline_ms
	                                                     : CRUDDUR_DEFAULT_DEADLINE_MS;
	/* nng's timeouts are int32 milliseconds. */
	return ms > CRUDDUR_MAX_DEADLINE_MS ? CRUDDUR_MAX_DEADLINE_MS : ms;
}

int64_t
cruddur_i_call_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint32_t
cruddur_i_call_left_ms(int64_t end_ms)
{
	int64_t left = end_ms - cruddur_i_call_mono_ms();
	return (uint32_t)(left > 0 ? left : 1);
}

/* Never negative, which nng would take as "forever". */
nng_duration
cruddur_i_call_wait_ms(int64_t end_ms)
{
	int64_t ms = end_ms - cruddur_i_call_mono_ms() + REPLY_GRACE_MS;
	return (nng_duration)(ms > 1 ? ms : 1);
}

/* Packs env into *out unless it is larger than the client allows. */
static cruddur_status
envelope_to_request(cruddur_client *c, const Cruddur__V1__RequestEnvelope *env, nng_msg **out,
    cruddur_call_opts *err)
{
	size_t size = protobuf_c_message_get_packed_size(&env->base);

	if (c != NULL && size > c->max_request_bytes)
		return cruddur_i_call_fail(err, CRUDDUR_RESOURCE_EXHAUSTED,
		    "request of %zu bytes exceeds the limit of %zu bytes", size, c->max_request_bytes);
	if (cruddur_i_envelope_to_msg(&env->base, out) != 0)
		return cruddur_i_call_fail(err, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	return CRUDDUR_OK;
}

cruddur_status
cruddur_i_call_build_request(cruddur_client *c, const cruddur_method *method,
    const ProtobufCMessage *req, const cruddur_call_opts *in, uint32_t deadline_ms, uint64_t id,
    nng_msg **out, cruddur_call_opts *err)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry   entries[32];
	Cruddur__V1__MetadataEntry  *entry_ptrs[32];
	size_t                       body_len;
	uint8_t                     *body;
	cruddur_status               st;

	if (req->descriptor != method->input)
		return cruddur_i_call_fail(err, CRUDDUR_INVALID_ARGUMENT, "%s takes %s, not %s",
		    method->full_name, method->input->name, req->descriptor->name);
	if (in != NULL && in->n_metadata > 32)
		return cruddur_i_call_fail(err, CRUDDUR_INVALID_ARGUMENT,
		    "at most 32 metadata entries");
	if ((body = cruddur_i_envelope_pack_alloc(req, &body_len)) == NULL)
		return cruddur_i_call_fail(err, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");

	env.method = (char *)method->full_name;
	env.request_id = id;
	env.deadline_ms = deadline_ms;
	env.body.data = body;
	env.body.len = body_len;
	if (in != NULL) {
		for (size_t i = 0; i < in->n_metadata; i++) {
			cruddur__v1__metadata_entry__init(&entries[i]);
			entries[i].key = (char *)in->metadata[i].key;
			entries[i].value = (char *)in->metadata[i].value;
			entry_ptrs[i] = &entries[i];
		}
		env.n_metadata = in->n_metadata;
		env.metadata = entry_ptrs;
	}
	st = envelope_to_request(c, &env, out, err);
	free(body);
	return st;
}

cruddur_status
cruddur_i_call_rebuild_request(const nng_msg *sent, uint32_t deadline_ms, nng_msg **out,
    cruddur_call_opts *err)
{
	Cruddur__V1__RequestEnvelope *env;
	cruddur_status                st;

	/* nng_msg_body does not change the message; its prototype lacks const. */
	env = cruddur__v1__request_envelope__unpack(NULL, nng_msg_len(sent),
	    nng_msg_body((nng_msg *)sent));
	if (env == NULL)
		return cruddur_i_call_fail(err, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	env->deadline_ms = deadline_ms;
	/* Its size was checked when it was first built. */
	st = envelope_to_request(NULL, env, out, err);
	cruddur__v1__request_envelope__free_unpacked(env, NULL);
	return st;
}

static cruddur_status
status_from_nng(int rv)
{
	switch (rv) {
	case NNG_ETIMEDOUT:
		return CRUDDUR_DEADLINE_EXCEEDED;
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		return CRUDDUR_CANCELLED;
	case NNG_ENOMEM:
	case NNG_EMSGSIZE:
		return CRUDDUR_RESOURCE_EXHAUSTED;
	default:
		return CRUDDUR_UNAVAILABLE;
	}
}

cruddur_status
cruddur_i_call_transport_status(cruddur_client *c, int rv, cruddur_call_opts *err)
{
	if (atomic_load(&c->closing))
		return cruddur_i_call_fail(err, CRUDDUR_CANCELLED, "the client was closed");
	if (rv == NNG_ETIMEDOUT)
		return cruddur_i_call_fail(err, CRUDDUR_DEADLINE_EXCEEDED,
		    "no reply from the server in time");
	return cruddur_i_call_fail(err, status_from_nng(rv), "transport: %s", nng_strerror(rv));
}

cruddur_status
cruddur_i_call_read_reply(const cruddur_method *method, nng_msg *reply, uint64_t id,
    ProtobufCMessage **resp, bool *not_run, cruddur_call_opts *err)
{
	Cruddur__V1__ResponseEnvelope *env;
	cruddur_status                 st;

	*not_run = false;
	env = cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(reply), nng_msg_body(reply));
	nng_msg_free(reply);
	if (env == NULL)
		return cruddur_i_call_fail(err, CRUDDUR_INTERNAL,
		    "the server's reply is not a ResponseEnvelope");
	st = (cruddur_status)env->status;
	/* Only a refusal says nothing ran. */
	*not_run = env->not_run && st == CRUDDUR_UNAVAILABLE;
	if (env->request_id != id && st == CRUDDUR_OK)
		st = cruddur_i_call_fail(err, CRUDDUR_INTERNAL,
		    "reply for request %llu, expected %llu", (unsigned long long)env->request_id,
		    (unsigned long long)id);
	else if (st != CRUDDUR_OK)
		cruddur_i_call_fail(err, st, "%s",
		    env->message[0] ? env->message : cruddur_status_name(st));
	else if ((*resp = cruddur_i_reply_unpack(method->output, env->body.len,
	              env->body.data)) == NULL)
		st = cruddur_i_call_fail(err, CRUDDUR_INTERNAL, "the server's reply is not a %s",
		    method->output->name);
	cruddur__v1__response_envelope__free_unpacked(env, NULL);
	return st;
}

/* Whether req is a write that the server deduplicates: its message has a
 * string field named idempotency_key (not repeated, not in a oneof) and
 * the caller set it. Sending such a request again cannot apply it twice. */
static bool
has_idempotency_key(const ProtobufCMessage *req)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(req->descriptor, "idempotency_key");

	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED ||
	    (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0)
		return false;
	const char *key = *(const char *const *)(const void *)((const char *)req + f->offset);
	return key != NULL && key[0] != '\0';
}

bool
cruddur_i_call_retryable(const cruddur_method *method, const ProtobufCMessage *req)
{
	return method->idempotent || has_idempotency_key(req);
}

/* Only UNAVAILABLE is retried: it says nothing ran to completion or the
 * server could not serve (it is shutting down, or lost its database). A
 * write without a key is sent once: after a lost connection it may or may
 * not have run. Unless the server said none of it ran (not_run, from a
 * draining server): then any call goes again, on a budget of its own, so
 * that a draining server that nng's REQ keeps picking (its refusals come
 * back at once, so its connection is ready first) cannot use up the
 * retries a lost database or connection needs. */
int64_t
cruddur_i_call_retry_backoff(cruddur_client *c, bool retryable, cruddur_status st, bool not_run,
    cruddur_i_retries *r, int64_t end_ms)
{
	int64_t left = end_ms - cruddur_i_call_mono_ms();

	if (st != CRUDDUR_UNAVAILABLE || atomic_load(&c->closing))
		return -1;
	if (not_run) {
		if (r->not_run >= NOT_RUN_ATTEMPTS || left <= NOT_RUN_BACKOFF_MS)
			return -1;
		r->not_run++;
		return NOT_RUN_BACKOFF_MS;
	}
	int64_t backoff = (int64_t)RETRY_BACKOFF_MS << r->attempts;
	if (!retryable || r->attempts >= RETRY_ATTEMPTS || left <= backoff)
		return -1;
	r->attempts++;
	return backoff;
}

cruddur_status
cruddur_i_call_slot_for(cruddur_client *c, call_slot_list *l, call_slot **out,
    cruddur_call_opts *err)
{
	int rv = cruddur_i_call_slot_take(&c->slots, l, c->sock, out);

	if (rv == 0)
		return CRUDDUR_OK;
	return cruddur_i_call_fail(err,
	    atomic_load(&c->closing) ? CRUDDUR_CANCELLED : status_from_nng(rv),
	    "cannot open context: %s", nng_strerror(rv));
}
