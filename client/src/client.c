/*
 * client.c - libcruddur's client: its lifecycle (one REQ socket, its
 * dialers, the slots its calls reuse; open and close) and the blocking
 * call. The steps every call takes are call.c's; the async call is
 * call_async.c's.
 *
 * A call packs the request into a RequestEnvelope, sends it on a context of
 * its own with the call's deadline as the aio timeout, and unpacks the
 * ResponseEnvelope. The socket's timed resend is off (NNG_OPT_REQ_RESENDTIME
 * infinite): a resent request would run a write twice. See docs/PROTOCOL.md.
 * The blocking call waits on an aio without a callback, which nng completes
 * inline, waking the caller directly; the async call (call_async.c) takes
 * the same steps (call.h) from an aio callback.
 *
 * Thread-safety: the socket and its dialers are nng's and thread-safe; the
 * other shared state is atomics (the request id counter, the count of calls
 * in progress, `closing`) and the slot free lists (call_slots.c's lock).
 * The list of abandoned clients has a lock of its own, held for a push or
 * a read.
 *
 * Ownership: cruddur_client_open_config makes the client, and
 * cruddur_client_close frees it once no call is counted in `active`
 * (never, for one whose socket would not close: see there). A reply that
 * a call returns is the caller's, freed with cruddur_message_free.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

#include "cruddur/client.h"
#include "call.h"
#include "call_async.h"
#include "client.h"
#include "client_state.h"
#include "reply_arena.h"

#define MAX_DIALERS 16

static uint64_t
request_id_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Distinct across processes in practice: ids are for logs, not keys. */
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)rand() << 16);
}

/* A TLS configuration for dialing, from cfg. */
static int
tls_client_config(const cruddur_client_config *cfg, nng_tls_config **out)
{
	nng_tls_config *tls;
	int             rv;

	if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT)) != 0)
		return rv;
	if (cfg->tls_ca_file != NULL) {
		if ((rv = nng_tls_config_ca_file(tls, cfg->tls_ca_file)) != 0 ||
		    (rv = nng_tls_config_auth_mode(tls, NNG_TLS_AUTH_MODE_REQUIRED)) != 0)
			goto fail;
	}
	if (cfg->tls_cert_key_file != NULL &&
	    (rv = nng_tls_config_cert_key_file(tls, cfg->tls_cert_key_file, NULL)) != 0)
		goto fail;
	if (cfg->tls_server_name != NULL &&
	    (rv = nng_tls_config_server_name(tls, cfg->tls_server_name)) != 0)
		goto fail;
	*out = tls;
	return 0;
fail:
	nng_tls_config_free(tls);
	return rv;
}

/* Dials url; flags 0 waits for the first connection, NNG_FLAG_NONBLOCK
 * lets nng keep trying in the background. */
static int
dial_one(cruddur_client *c, const char *url, nng_tls_config *tls, int flags)
{
	nng_dialer d;
	int        rv;

	if ((rv = nng_dialer_create(&d, c->sock, url)) != 0)
		return rv;
	if (strncmp(url, "tls+", 4) == 0 && tls != NULL &&
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls)) != 0) {
		nng_dialer_close(d);
		return rv;
	}
	if ((rv = nng_dialer_start(d, flags)) != 0)
		nng_dialer_close(d);
	return rv;
}

static void
set_socket_options(cruddur_client *c)
{
	/* No timed resend: it would run a write twice. */
	nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000);
	/* Replies are bounded by the server; this only stops a rogue peer. */
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 64u * 1024u * 1024u);
}

static cruddur_status
dial_all(cruddur_client *c, const cruddur_client_config *cfg, nng_tls_config *tls, char *err,
    size_t errlen)
{
	size_t reachable = 0;

	for (size_t i = 0; i < cfg->n_urls; i++) {
		const char *url = cfg->urls[i];
		int         rv = dial_one(c, url, tls, 0);
		if (rv == 0) {
			reachable++;
			continue;
		}
		if (rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP || rv == NNG_EINVAL) {
			snprintf(err, errlen, "bad server URL %s: %s", url, nng_strerror(rv));
			return CRUDDUR_INVALID_ARGUMENT;
		}
		snprintf(err, errlen, "cannot reach %s: %s", url, nng_strerror(rv));
		/* Keep trying in the background: the server may come up later. */
		dial_one(c, url, tls, NNG_FLAG_NONBLOCK);
	}
	if (reachable == 0)
		return CRUDDUR_UNAVAILABLE;
	err[0] = '\0';
	return CRUDDUR_OK;
}

cruddur_status
cruddur_client_open_config(cruddur_client **out, const cruddur_client_config *cfg, char *err,
    size_t errlen)
{
	cruddur_client *c;
	nng_tls_config *tls = NULL;
	cruddur_status  st;
	int             rv;

	err[0] = '\0';
	if (cfg->n_urls == 0 || cfg->n_urls > MAX_DIALERS) {
		snprintf(err, errlen, "give 1 to %d server URLs", MAX_DIALERS);
		return CRUDDUR_INVALID_ARGUMENT;
	}
	for (size_t i = 0; i < cfg->n_urls; i++) {
		if (strncmp(cfg->urls[i], "tls+", 4) == 0 && cfg->tls_ca_file == NULL) {
			snprintf(err, errlen, "%s: a tls+tcp:// server needs a CA file to be verified",
			    cfg->urls[i]);
			return CRUDDUR_INVALID_ARGUMENT;
		}
	}
	if (cfg->tls_ca_file != NULL && (rv = tls_client_config(cfg, &tls)) != 0) {
		snprintf(err, errlen, "TLS settings: %s", nng_strerror(rv));
		return CRUDDUR_INVALID_ARGUMENT;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		st = CRUDDUR_RESOURCE_EXHAUSTED;
		goto out;
	}
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		snprintf(err, errlen, "cannot open socket: %s", nng_strerror(rv));
		free(c);
		st = CRUDDUR_INTERNAL;
		goto out;
	}
	atomic_init(&c->next_request_id, request_id_seed());
	atomic_init(&c->active, 0);
	atomic_init(&c->closing, false);
	cruddur_i_call_slots_init(&c->slots, cruddur_i_call_async_slot_size(),
	    cruddur_i_call_async_cb);
	c->max_request_bytes = CRUDDUR_DEFAULT_MAX_REQUEST_BYTES;
	set_socket_options(c);
	if ((st = dial_all(c, cfg, tls, err, errlen)) != CRUDDUR_OK) {
		nng_close(c->sock);
		cruddur_i_call_slots_fini(&c->slots);
		free(c);
		goto out;
	}
	*out = c;
out:
	if (tls != NULL)
		nng_tls_config_free(tls); /* the dialers hold their own reference */
	return st;
}

cruddur_status
cruddur_client_open(cruddur_client **out, const char *const *urls, size_t n_urls, char *err,
    size_t errlen)
{
	cruddur_client_config cfg = { .urls = urls, .n_urls = n_urls };
	return cruddur_client_open_config(out, &cfg, err, errlen);
}

/* How long cruddur_client_close waits for nng_close (socket_close.h). */
#define CLOSE_BOUND_MS 500
/* How long it waits for the calls it cancelled to end (they end at once,
 * but for one that started an operation just after the cancel), and the
 * pause between them and closing the socket. */
#define CLOSE_CANCEL_WAIT_MS 200
#define CLOSE_SETTLE_MS 20

/* Clients whose socket did not close in time: never freed, since nng may
 * still call into their slots, and kept reachable from here (a leak
 * checker sees memory held on purpose, not lost). */
static pthread_mutex_t  abandoned_mtx = PTHREAD_MUTEX_INITIALIZER;
static cruddur_client  *abandoned;
static int              n_abandoned;

int
cruddur_i_call_clients_abandoned(void)
{
	pthread_mutex_lock(&abandoned_mtx);
	int n = n_abandoned;
	pthread_mutex_unlock(&abandoned_mtx);
	return n;
}

void
cruddur_client_close(cruddur_client *client)
{
	struct timespec nap = { 0, 1000000 };

	if (client == NULL)
		return;
	atomic_store(&client->closing, true);
	/* The calls in flight are ended first, each by cancelling its own
	 * operation, and only then is the socket closed: nng_close then finds
	 * contexts with nothing to do, instead of failing their operations
	 * and running their callbacks (which end calls, give slots back and
	 * close contexts) while it tears down the very pipes those callbacks
	 * run on, the traffic that opens the window of nng 1.5.2's close
	 * deadlock (socket_close.h). A call that began an operation just
	 * after the cancel ends with the close, as before. */
	bool busy = atomic_load(&client->active) > 0;
	cruddur_i_call_slots_cancel_all(&client->slots);
	int64_t until = cruddur_i_call_mono_ms() + CLOSE_CANCEL_WAIT_MS;
	while (atomic_load(&client->active) > 0 && cruddur_i_call_mono_ms() < until)
		nanosleep(&nap, NULL);
	/* The requests of the calls just cancelled are still on the wire and
	 * their replies on the way back: let those bytes land (nng discards
	 * them) before the pipes are torn down. 64 calls cancelled, closed at
	 * once: nng_close hung within 3 to 24 closes; after CLOSE_SETTLE_MS,
	 * in none of 90 (stop_under_load_test measures it). */
	if (busy) {
		struct timespec settle = { 0, CLOSE_SETTLE_MS * 1000000L };
		nanosleep(&settle, NULL);
	}
	/* Calls still waiting on the socket end with CANCELLED. */
	if (!cruddur_i_call_slots_close_socket(&client->slots, client->sock, CLOSE_BOUND_MS)) {
		/* nng 1.5.2's close deadlock: return anyway, in bounded time.
		 * The calls already ended (nng fails every operation of the
		 * contexts before it waits for the pipes) or end with their
		 * deadline; none may start after close, as always. */
		pthread_mutex_lock(&abandoned_mtx);
		client->abandoned_next = abandoned;
		abandoned = client;
		n_abandoned++;
		pthread_mutex_unlock(&abandoned_mtx);
		return;
	}
	/* Every operation has ended: a blocking call returns at once, or
	 * after its retry pause (at most 100 ms); an async call once its
	 * callback has run. */
	while (atomic_load(&client->active) > 0)
		nanosleep(&nap, NULL);
	cruddur_i_call_slots_fini(&client->slots);
	free(client);
}

void
cruddur_message_free(void *message)
{
	if (message != NULL)
		cruddur_i_reply_free(message);
}


/* One attempt's send and receive on a context of its own, waiting on an
 * aio without a callback: nng completes it inline and wakes this thread
 * directly. Consumes msg. */
static cruddur_status
exchange(cruddur_client *c, nng_msg *msg, int64_t end_ms, nng_msg **reply, cruddur_call_opts *opts)
{
	call_slot     *slot;
	nng_aio       *aio;
	cruddur_status st;
	int            rv;

	if ((st = cruddur_i_call_slot_for(c, &c->slots.sync, &slot, opts)) != CRUDDUR_OK) {
		nng_msg_free(msg);
		return st;
	}
	aio = slot->aio;
	/* One deadline for the whole exchange: what the send used up is not
	 * given to the receive again. */
	nng_aio_set_timeout(aio, cruddur_i_call_wait_ms(end_ms));
	nng_aio_set_msg(aio, msg);
	nng_ctx_send(slot->ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(aio));
		goto out;
	}
	nng_aio_set_timeout(aio, cruddur_i_call_wait_ms(end_ms));
	nng_ctx_recv(slot->ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) == 0)
		*reply = nng_aio_get_msg(aio);
out:
	/* A context that failed may hold a request nobody waits for. */
	if (rv != 0)
		cruddur_i_call_slot_fail(&c->slots, slot);
	cruddur_i_call_slot_give(&c->slots, &c->slots.sync, slot);
	return rv == 0 ? CRUDDUR_OK : cruddur_i_call_transport_status(c, rv, opts);
}

static cruddur_status
call_attempts(cruddur_client *c, const cruddur_method *method, const ProtobufCMessage *req,
    ProtobufCMessage **resp, cruddur_call_opts *opts, uint64_t id, uint32_t deadline_ms)
{
	int64_t        end_ms = cruddur_i_call_mono_ms() + deadline_ms;
	bool              retryable = cruddur_i_call_retryable(method, req);
	cruddur_i_retries retries = { 0, 0 };
	cruddur_status    st;

	for (;;) {
		nng_msg *msg = NULL, *reply = NULL;
		bool     not_run = false;
		/* Each attempt carries the time that is really left. */
		st = cruddur_i_call_build_request(c, method, req, opts, cruddur_i_call_left_ms(end_ms),
		    id, &msg, opts);
		if (st != CRUDDUR_OK)
			return st;
		st = exchange(c, msg, end_ms, &reply, opts);
		if (st == CRUDDUR_OK)
			st = cruddur_i_call_read_reply(method, reply, id, resp, &not_run, opts);
		int64_t backoff =
		    cruddur_i_call_retry_backoff(c, retryable, st, not_run, &retries, end_ms);
		if (backoff < 0)
			break;
		struct timespec nap = { 0, (long)backoff * 1000000L };
		nanosleep(&nap, NULL);
	}
	return st;
}

cruddur_status
cruddur_client_call(cruddur_client *c, const cruddur_method *method, const ProtobufCMessage *req,
    ProtobufCMessage **resp, cruddur_call_opts *opts)
{
	uint64_t       id = atomic_fetch_add(&c->next_request_id, 1);
	cruddur_status st;

	*resp = NULL;
	if (opts != NULL) {
		opts->message[0] = '\0';
		opts->request_id = id;
	}
	atomic_fetch_add(&c->active, 1);
	if (atomic_load(&c->closing))
		st = cruddur_i_call_fail(opts, CRUDDUR_CANCELLED, "the client is closing");
	else
		st = call_attempts(c, method, req, resp, opts, id, cruddur_i_call_deadline_ms(opts));
	atomic_fetch_sub(&c->active, 1);
	/* A retry that succeeded leaves no message of the failed attempt. */
	if (st == CRUDDUR_OK && opts != NULL)
		opts->message[0] = '\0';
	return st;
}
