/*
 * peer_limits_internal.h - the table of connections that peer_limits.c
 * keeps and peer_watch.c reads; nothing else includes it.
 *
 * Locking: every field of struct peers below `lock` and every entry is
 * under `lock`, except the counters, which are atomics.
 */
#ifndef CRUDDUR_PEER_LIMITS_INTERNAL_H
#define CRUDDUR_PEER_LIMITS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "net/peer_limits.h"

/* The watcher's view of a connection's TCP socket. */
enum { PEER_FD_UNKNOWN = -1, PEER_FD_NOT_TCP = -2 };

typedef struct peer_addr {
	uint16_t family; /* AF_INET, AF_INET6; 0: not known */
	uint16_t local_port, remote_port;
	uint8_t  remote[16];
} peer_addr;

/* 64 bytes: thousands of idle connections must not cost more than nng's
 * own few kB each. */
typedef struct peer_entry {
	uint32_t  id;        /* nng pipe id; 0: a free slot */
	int32_t   held;      /* contexts it holds (peers_admit .. peers_release) */
	int32_t   queued;    /* of those, waiting for a worker */
	bool      closing;   /* peers_close was called */
	uint64_t  delivered; /* bytes of its complete requests as on the wire, and the handshake */
	/* The watcher's (peer_watch.c): */
	int32_t   fd;        /* its socket, PEER_FD_UNKNOWN or PEER_FD_NOT_TCP */
	uint32_t  stall_since_ms;  /* peer_watch's clock; 0: no partial request seen */
	uint64_t  stall_delivered; /* `delivered` when the partial request was first seen */
	peer_addr addr;
} peer_entry;

typedef struct peer_watch peer_watch;

struct peers {
	peers_config    cfg;
	char            refusal[160], queue_refusal[160];
	peer_watch     *watch;
	atomic_int      open;
	atomic_bool     removed;     /* a connection went since the watcher last looked */
	atomic_uint_fast64_t refused_connections, refused_requests, dropped_requests;
	atomic_uint_fast64_t send_timeouts, recv_timeouts;
	pthread_mutex_t lock;
	peer_entry     *table;       /* open addressing, linear probing */
	size_t          cap;         /* a power of two; grown to keep used <= 3/4 of it */
	size_t          used;
};

/* The entry of pipe id, or NULL; under lock. */
peer_entry *peers_find_locked(peers *p, uint32_t id);

/* Starts and stops the watcher thread (peer_watch.c). */
int  peer_watch_start(peers *p, peer_watch **out);
void peer_watch_stop(peer_watch *w);

#endif /* CRUDDUR_PEER_LIMITS_INTERNAL_H */
