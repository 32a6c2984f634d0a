/*
 * transport.h - cruddurd's nng REP socket, its contexts and its workers.
 *
 * Many nng contexts receive at once; a receive callback checks the request
 * (dispatch_accept), which runs a handler that never blocks at once, and
 * hands any other call to the work queue, and returns (it never blocks);
 * whoever completes the call (a worker, the read reactor) sends the reply
 * on the same context, whose send callback posts the next receive.
 */
#ifndef CRUDDUR_TRANSPORT_H
#define CRUDDUR_TRANSPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "net/peer_limits.h"
#include "rpc/dispatch.h"

typedef struct transport transport;
typedef struct nng_tls_config nng_tls_config;

/* What the work queue holds: a call that a worker runs with run(job),
 * which calls dispatch_run. The first member of whoever owns the call (a
 * receiver; the HTTP gateway's call), which stays valid until run returns. */
typedef struct transport_job transport_job;
struct transport_job {
	void (*run)(transport_job *job);
};

/* What the transport serves with (server.c fills it from the flags). */
typedef struct transport_config {
	const char *const     *listen; /* URLs */
	size_t                 n_listen;
	const char            *tls_cert_key_file;  /* for tls+tcp:// listeners */
	const char            *tls_client_ca_file; /* NULL: no client certificates */
	int                    contexts, workers, queue_capacity;
	size_t                 max_request_bytes;
	int                    max_connections, max_requests_per_connection;
	int                    send_timeout_ms, recv_timeout_ms;
	const dispatch_config *dispatch;
	/* Set by transport_drain and transport_free; others may read it. */
	atomic_bool           *draining;
	/* Called once the drain timeout has passed with calls in flight:
	 * cancels what keeps them running (server.c: the pools' statements). */
	void (*cancel_all)(void *arg);
	/* Called in transport_free once the workers are joined and before the
	 * contexts stop: stops whatever else still completes calls (server.c:
	 * the read reactor, which answers what it holds first). */
	void (*quiesce)(void *arg);
	void *hooks_arg;
} transport_config;

/* Listens on every URL of cfg (copied) and starts receiving. Returns 0,
 * or -1 with a message in err. */
int transport_start(transport **out, const transport_config *cfg, char *err, size_t errlen);

/* Writes the URLs it listens on, one a line, with any port 0 replaced by
 * the port that was bound. */
void transport_write_urls(transport *t, FILE *f);

/* Stops taking new work (requests that still arrive get UNAVAILABLE; the
 * connections stay open so that replies in flight reach their callers) and
 * waits up to timeout_ms for the calls in flight to be answered. Returns
 * the number still in flight then; those have their statements cancelled
 * (cfg.cancel_all) and get at most 0.8 s more to reply UNAVAILABLE. */
int transport_drain(transport *t, int timeout_ms);

/* Queues job for the workers, as the receivers queue their calls; false
 * when the queue is full or stopped (the job is still the caller's, which
 * then answers its call with dispatch_refuse). Never blocks: nng
 * callbacks call it. */
bool transport_submit_call(transport *t, transport_job *job);

/* A call of another front door begins / has been answered: it counts
 * among the calls in flight (transport_in_flight), which transport_drain
 * waits for. Begin before dispatch_accept; end once its reply is out. */
void transport_call_begin(transport *t);
void transport_call_end(transport *t);

/* Rereads --tls-cert-key-file (and --tls-client-ca-file) and gives the new
 * configuration to every tls+tcp:// listener: connections accepted from
 * then on use it, those open keep theirs. Both files are read and
 * parsed before any listener changes, so a file that is missing or not
 * PEM changes nothing. Returns the number of listeners changed (0: none is tls+tcp://),
 * or -1 with a message. Call from one thread at a time (main's). */
int transport_tls_reload(transport *t, char *err, size_t errlen);

/* Requests waiting for a worker, and received but not yet answered. */
int transport_queue_depth(transport *t);
int transport_in_flight(transport *t);

/* Connections and what their limits did (peer_limits.h). */
void transport_connection_stats(transport *t, peers_stats *out);

/* Answers what is queued, joins the workers, stops the contexts, closes the
 * socket and frees t. Bounded in time: when nng_close outlasts 500 ms (an
 * nng 1.5.2 deadlock) it returns without it and leaves t allocated. */
void transport_free(transport *t);

#endif /* CRUDDUR_TRANSPORT_H */
