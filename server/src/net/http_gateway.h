/*
 * http_gateway.h - every RPC over HTTP/JSON (POST /<package.Service>/<Method>)
 * and the Flask app's routes (/api/..., http_routes.h), on nng's HTTP server,
 * through the same dispatcher, work queue and workers as the nng front door
 * (net/transport.h). docs/HTTP.md says what a client sees.
 *
 * Lifetime, in the process's stop (main.c): transport_drain (waits for the
 * gateway's calls too: they count among the transport's in flight), then
 * http_gateway_close (no new call reaches the transport; what arrives gets
 * 503), transport_free (answers what is queued), http_gateway_stop.
 */
#ifndef CRUDDUR_HTTP_GATEWAY_H
#define CRUDDUR_HTTP_GATEWAY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#include "net/transport.h"
#include "rpc/dispatch.h"

typedef struct http_gateway http_gateway;

typedef struct http_gateway_config {
	const char *const     *listen; /* http://HOST:PORT, https://HOST:PORT */
	size_t                 n_listen;
	const char *const     *cors_origins; /* allowed Origin values; "*": any */
	size_t                 n_cors_origins;
	const char            *tls_cert_key_file;  /* for https:// */
	const char            *tls_client_ca_file; /* NULL: no client certificates */
	size_t                 max_request_bytes;  /* larger bodies get 413 unread */
	int                    max_in_flight;      /* HTTP calls held at once; more get 429 */
	int                    body_timeout_ms;    /* for the body, once its headers came */
	const dispatch_config *dispatch;
	transport             *transport;          /* borrowed: its queue and workers */
	atomic_bool           *draining;           /* set: new calls get 503 */
} http_gateway_config;

/* Serves on every URL of cfg (the strings are borrowed: they must outlive
 * the gateway). Returns 0, or -1 with a message in err. */
int http_gateway_start(http_gateway **out, const http_gateway_config *cfg, char *err,
    size_t errlen);

/* Writes the URLs it serves on, one a line, port 0 replaced by the bound one. */
void http_gateway_write_urls(http_gateway *gw, FILE *f);

/* From now on no call reaches the transport (answered 503); returns once
 * none that began is still on its way there. Before transport_free. */
void http_gateway_close(http_gateway *gw);

/* Stops the HTTP servers (what was answered has had its moment to be
 * written) and frees gw; bounded in time, after transport_free. A call that
 * is still held then (nng did not let go of it) leaves gw allocated. */
void http_gateway_stop(http_gateway *gw);

#endif /* CRUDDUR_HTTP_GATEWAY_H */
