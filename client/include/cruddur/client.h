/*
 * cruddur/client.h - libcruddur: call a cruddurd server.
 *
 * A cruddur_client holds one nng REQ socket dialed to one or more server
 * URLs (tcp://, ipc://, tls+tcp://); nng spreads requests over the servers
 * that are connected. The client is thread-safe: every call opens its own
 * nng context, so any number of threads may call through one client at once.
 *
 * Calls are made through the typed stubs in cruddur/stubs.h, generated from
 * proto/ (cruddur_activities_home_feed and the rest); cruddur_client_call is
 * what they share.
 */
#ifndef CRUDDUR_CLIENT_H
#define CRUDDUR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cruddur/method.h"
#include "cruddur/status.h"

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
cruddur_status cruddur_client_open(cruddur_client **out, const char *const *urls,
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
cruddur_status cruddur_client_open_config(cruddur_client **out, const cruddur_client_config *cfg,
    char *err, size_t errlen);

/* Ends every call in progress (they return CRUDDUR_CANCELLED), waits for
 * them to return, and frees the client. No call may start after it. */
void cruddur_client_close(cruddur_client *client);

/*
 * Sends req as a call of method and waits for the reply. On CRUDDUR_OK
 * *resp is a new message of method->output, owned by the caller (free with
 * cruddur_message_free); otherwise *resp is NULL. Transport failures are
 * CRUDDUR_UNAVAILABLE, a passed deadline CRUDDUR_DEADLINE_EXCEEDED.
 */
cruddur_status cruddur_client_call(cruddur_client *client, const cruddur_method *method,
    const ProtobufCMessage *req, ProtobufCMessage **resp, cruddur_call_opts *opts);

/* Frees a response returned by a call; NULL is allowed. */
void cruddur_message_free(void *message);

#endif /* CRUDDUR_CLIENT_H */
