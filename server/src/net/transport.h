/*
 * transport.h - cruddurd's nng REP socket, its contexts and its workers.
 *
 * Many nng contexts receive at once; a receive callback checks the request
 * (dispatch_accept) and hands it to the read reactor (HomeFeed) or to the
 * work queue, and returns (it never blocks); the reactor or a worker sends
 * the reply on the same context, whose send callback posts the next
 * receive.
 */
#ifndef CRUDDUR_TRANSPORT_H
#define CRUDDUR_TRANSPORT_H

#include <stdio.h>

#include "net/peer_limits.h"
#include "server.h"

typedef struct transport transport;

/* Listens on every URL of s->cfg and starts receiving. Returns 0, or -1
 * with a message in err. */
int transport_start(transport **out, server *s, char *err, size_t errlen);

/* Writes the URLs it listens on, one a line, with any port 0 replaced by
 * the port that was bound. */
void transport_write_urls(transport *t, FILE *f);

/* Stops taking new work (requests that still arrive get UNAVAILABLE; the
 * connections stay open so that replies in flight reach their callers) and
 * waits up to timeout_ms for the calls in flight to be answered. Returns
 * the number still in flight then; those have their statements cancelled
 * (pool_cancel_all) and get at most 0.8 s more to reply UNAVAILABLE. */
int transport_drain(transport *t, int timeout_ms);

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
