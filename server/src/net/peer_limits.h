/*
 * peer_limits.h - each connection's share of the server: connections
 * counted and capped, requests in flight per connection bounded, and the
 * figures for Stats and /metrics.
 *
 * nng's REP contexts are the resource every peer shares: a context holds a
 * request from its receive to the end of its reply's send, and a reply can
 * only go to the connection (pipe) its request came from. So a peer that
 * sends without reading could hold every context in a send that never ends.
 * The transport asks peers_admit for each request it receives and calls
 * peers_release when that context's send is over; a connection holds at
 * most max_requests contexts for requests and max_refusals more for the
 * RESOURCE_EXHAUSTED replies past that; what it sends beyond both is
 * dropped unanswered, so that refusals cannot pile up on a peer that does
 * not read either. The send timeout (transport.c) and the receive timeout
 * (peer_watch.c) then close such a connection, which frees its contexts.
 *
 * Connections: a pipe-notify callback counts them (NNG_PIPE_EV_ADD_PRE,
 * NNG_PIPE_EV_REM_POST) and closes any past max_connections before nng
 * adds it to the socket.
 *
 * Locking: one mutex over the table of connections, held for a few
 * instructions by nng's callbacks and the watcher; never across a call
 * into nng except nng_pipe_close, which does not call back into us.
 * Lifetime: peers_new before the listeners start; peers_free after
 * nng_close has returned (nng runs REM_POST before it lets nng_close
 * return) and after every context's aio has stopped.
 */
#ifndef CRUDDUR_PEER_LIMITS_H
#define CRUDDUR_PEER_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

typedef struct peers peers;

typedef enum peers_verdict {
	PEERS_ADMIT,  /* serve it */
	PEERS_REFUSE, /* answer RESOURCE_EXHAUSTED (peers_refusal says why) */
	PEERS_DROP,   /* free it unanswered: its connection has too many refusals pending */
} peers_verdict;

typedef struct peers_config {
	int max_connections;
	int max_requests;    /* per connection, from receive to the end of the send */
	int max_refusals;    /* per connection, past max_requests */
	int max_queued;      /* per connection, waiting for a worker */
	int recv_timeout_ms; /* a partial request older than this closes its tcp:// connection; 0: never */
} peers_config;

typedef struct peers_stats {
	int      open;                /* connections now */
	int      max_connections;
	int      max_requests;
	uint64_t refused_connections; /* closed at once: max_connections were open */
	uint64_t refused_requests;    /* answered RESOURCE_EXHAUSTED: max_requests in flight or max_queued waiting */
	uint64_t dropped_requests;    /* not answered: max_refusals pending as well */
	uint64_t send_timeouts;       /* connections closed: a reply waited past the send timeout */
	uint64_t recv_timeouts;       /* connections closed: a request stalled past the receive timeout */
} peers_stats;

/* Registers the pipe callbacks on sock and starts the watcher (receive
 * timeout, memory handed back). Returns 0 or an errno value. */
int peers_new(peers **out, nng_socket sock, const peers_config *cfg);

/* Stops the watcher and frees; see Lifetime above. NULL is fine. */
void peers_free(peers *p);

/* A request of body_len bytes (after the request id) arrived from pipe.
 * PEERS_ADMIT and PEERS_REFUSE hold one of the connection's contexts until
 * peers_release. A pipe already gone is admitted and not counted. */
peers_verdict peers_admit(peers *p, nng_pipe pipe, size_t body_len);

/* The context that peers_admit counted for pipe has finished its send. */
void peers_release(peers *p, nng_pipe pipe);

/* The message of a PEERS_REFUSE reply, naming the limit. */
const char *peers_refusal(const peers *p);

/* An admitted request of pipe goes into the work queue: false (and a
 * refusal counted) when max_queued of its requests already wait there,
 * so that one connection cannot fill the queue for all;
 * peers_queue_refusal says why. peers_dequeue when a worker takes it (or
 * the queue refuses it). */
bool        peers_enqueue(peers *p, nng_pipe pipe);
void        peers_dequeue(peers *p, nng_pipe pipe);
const char *peers_queue_refusal(const peers *p);

/* Closes pipe's connection, which fails its other queued sends and so
 * frees its contexts: a reply to it waited past the send timeout
 * (send_timeout true, transport.c) or a request from it stalled past the
 * receive timeout (peer_watch.c). Counted and logged once per connection. */
void peers_close(peers *p, nng_pipe pipe, bool send_timeout);

void peers_get_stats(peers *p, peers_stats *out);

#endif /* CRUDDUR_PEER_LIMITS_H */
