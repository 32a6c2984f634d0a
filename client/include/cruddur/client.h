/*
 * cruddur/client.h - libcruddur: call a cruddurd server.
 *
 * A cruddur_client holds one nng REQ socket dialed to one or more server
 * URLs (tcp://, ipc://, tls+tcp://); nng spreads requests over the servers
 * that are connected. The client is thread-safe: every call has its own
 * nng context, so any number of threads may call through one client at once.
 *
 * Two ways to call, with the same deadline, retry and error rules:
 *   blocking  cruddur_client_call waits for the reply on the calling thread;
 *   async     cruddur_client_call_async returns at once and calls back when
 *             the call ends, so that a few threads (or none: the callbacks
 *             start the next calls) keep many calls in flight, for less
 *             client CPU and fewer context switches per call than a thread
 *             blocked on each call.
 *
 * Calls are made through the typed stubs in cruddur/stubs.h, generated from
 * proto/ (cruddur_activities_home_feed and cruddur_activities_home_feed_async
 * and the rest); cruddur_client_call and cruddur_client_call_async are what
 * they share.
 */
#ifndef CRUDDUR_CLIENT_H
#define CRUDDUR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cruddur/api.h"
#include "cruddur/method.h"
#include "cruddur/status.h"

CRUDDUR_BEGIN_DECLS

typedef struct cruddur_client cruddur_client;

/* Requests larger than this are refused by the client before they are sent
 * (RESOURCE_EXHAUSTED), and by the server when they are not. */
#define CRUDDUR_DEFAULT_MAX_REQUEST_BYTES (1024u * 1024u)
/* The deadline of a call that sets none, and the longest one may set
 * (a day; longer deadlines are cut to it). */
#define CRUDDUR_DEFAULT_DEADLINE_MS 10000u
#define CRUDDUR_MAX_DEADLINE_MS 86400000u

typedef struct cruddur_metadata {
	const char *key;   /* lower case, e.g. "authorization" */
	const char *value;
} cruddur_metadata;

/* Per-call options and results. Zero-initialize, set what you need; may be
 * NULL where a call takes it. */
typedef struct cruddur_call_opts {
	uint32_t                deadline_ms; /* 0: CRUDDUR_DEFAULT_DEADLINE_MS */
	const cruddur_metadata *metadata;
	size_t                  n_metadata;
	/* Out: why the call failed (the server's message, or the client's own
	 * for transport failures); empty on success. */
	char message[512];
	/* Out: the request id the call carried (it is in the server's log). */
	uint64_t request_id;
} cruddur_call_opts;

/*
 * Opens a client dialed to urls[0..n_urls-1]. Each URL is dialed once at
 * once; one that cannot be reached now keeps being redialed in the
 * background. Returns CRUDDUR_OK and *out, or CRUDDUR_INVALID_ARGUMENT (a bad
 * URL) / CRUDDUR_UNAVAILABLE (no server reachable) with a message in err.
 * Close with cruddur_client_close.
 */
CRUDDUR_API cruddur_status cruddur_client_open(cruddur_client **out, const char *const *urls,
    size_t n_urls, char *err, size_t errlen);

/* Everything cruddur_client_open_config may be told. Zero-initialize. */
typedef struct cruddur_client_config {
	const char *const *urls;
	size_t             n_urls;
	/* For tls+tcp:// URLs: the CA bundle that signed the server's
	 * certificate (required for tls+tcp://), a PEM file with this client's
	 * certificate and key when the server asks for one, and the name to
	 * check in the server's certificate (default: the URL's host). */
	const char *tls_ca_file;
	const char *tls_cert_key_file;
	const char *tls_server_name;
} cruddur_client_config;

/* cruddur_client_open with TLS settings; same results. */
CRUDDUR_API cruddur_status cruddur_client_open_config(cruddur_client **out,
    const cruddur_client_config *cfg, char *err, size_t errlen);

/* Ends every call in progress: blocking calls return CRUDDUR_CANCELLED,
 * async calls get their callback with CRUDDUR_CANCELLED (exactly once, as
 * always). Waits for the blocking calls to return and for every callback to
 * have returned, then frees the client. No call may start after it, and it
 * must not be called from a callback. Returns in bounded time: when nng's
 * socket close hangs (a known nng 1.5.2 deadlock), it returns after 500 ms
 * and leaves the client's memory allocated instead of freeing it. */
CRUDDUR_API void cruddur_client_close(cruddur_client *client);

/*
 * Sends req as a call of method and waits for the reply. On CRUDDUR_OK
 * *resp is a new message of method->output, owned by the caller (free with
 * cruddur_message_free); otherwise *resp is NULL. Transport failures are
 * CRUDDUR_UNAVAILABLE, a passed deadline CRUDDUR_DEADLINE_EXCEEDED.
 */
CRUDDUR_API cruddur_status cruddur_client_call(cruddur_client *client, const cruddur_method *method,
    const ProtobufCMessage *req, ProtobufCMessage **resp, cruddur_call_opts *opts);

/*
 * How an async call ends. st is the call's status; on CRUDDUR_OK resp is a
 * new message of method->output (cast it to the stub's response type),
 * owned by the callback (free it with cruddur_message_free, now or later);
 * otherwise resp is NULL. result->message says why the call failed (empty
 * on success) and result->request_id is the id it carried; result is valid
 * only until the callback returns, and its other fields are zero.
 *
 * The callback runs on one of nng's threads, possibly before
 * cruddur_client_call_async has returned. It must not block (no waiting on
 * locks held for long, no blocking calls, no cruddur_client_close): it holds
 * up the replies of other calls. It may start another async call; that is
 * the intended use, but the new call's callback may then run, on another
 * thread, before this one has returned.
 */
typedef void (*cruddur_call_done)(void *arg, cruddur_status st, ProtobufCMessage *resp,
    const cruddur_call_opts *result);

/*
 * Starts a call of method with req and returns without waiting for it.
 *
 * req is checked and packed before the function returns: the caller may
 * free or change it at once. opts may be NULL; its deadline_ms and metadata
 * are read before the function returns.
 *
 * On CRUDDUR_OK the call is under way and done(arg, ...) will be called
 * exactly once, when it ends: with the reply, or with the failure
 * (CRUDDUR_DEADLINE_EXCEEDED when the deadline passes, CRUDDUR_CANCELLED
 * when the client is closed, the server's status, ...). opts is not written
 * then, so one opts may serve any number of calls at once.
 *
 * Any other status means the call was not started and done will NOT be
 * called: CRUDDUR_INVALID_ARGUMENT (req is not a method->input, more than
 * 32 metadata entries, done is NULL), CRUDDUR_RESOURCE_EXHAUSTED (a request
 * over CRUDDUR_DEFAULT_MAX_REQUEST_BYTES, out of memory), CRUDDUR_CANCELLED
 * (the client is closing); opts->message (when opts is given) says why and
 * opts->request_id is the id the call would have carried.
 *
 * Otherwise it behaves as cruddur_client_call: one deadline for the whole
 * call, retries on CRUDDUR_UNAVAILABLE for methods without side effects or
 * requests with an idempotency_key (waiting on a timer, never on a thread).
 */
CRUDDUR_API cruddur_status cruddur_client_call_async(cruddur_client *client,
    const cruddur_method *method, const ProtobufCMessage *req, cruddur_call_opts *opts,
    cruddur_call_done done, void *arg);

/* Frees a response returned by a call; NULL is allowed. */
CRUDDUR_API void cruddur_message_free(void *message);

CRUDDUR_END_DECLS

#endif /* CRUDDUR_CLIENT_H */
