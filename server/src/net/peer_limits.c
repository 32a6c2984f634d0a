/*
 * peer_limits.c - connections counted and capped, requests in flight per
 * connection bounded (peer_limits.h says why and how).
 *
 * The table maps nng pipe ids to entries: open addressing with linear
 * probing, deletion by shifting back the entries that follow. It starts
 * small and doubles when three quarters full, so that its memory follows
 * the connections open; a pipe that cannot get an entry (out of memory) is
 * closed like one past max_connections.
 *
 * Locking: p->lock around every table access; the counters are atomics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/log.h"
#include "net/peer_limits_internal.h"

/* Bytes a message costs on a tcp:// wire besides its body: the 64-bit
 * length, and the 4-byte request id (one hop: a REQ peer talking to us
 * directly). The handshake is 8 bytes once. */
#define PEER_FRAME_BYTES 12
#define PEER_HANDSHAKE_BYTES 8

static size_t
slot_of(const peers *p, uint32_t id)
{
	return (size_t)(id * 2654435761u) & (p->cap - 1);
}

peer_entry *
peers_find_locked(peers *p, uint32_t id)
{
	for (size_t i = slot_of(p, id);; i = (i + 1) & (p->cap - 1)) {
		if (p->table[i].id == id)
			return &p->table[i];
		if (p->table[i].id == 0)
			return NULL;
	}
}

static void insert_locked(peers *p, uint32_t id);

/* Doubles the table; false when out of memory (the old one stays). */
static bool
grow_locked(peers *p)
{
	peer_entry *old = p->table;
	size_t      old_cap = p->cap;

	if ((p->table = calloc(old_cap * 2, sizeof(*p->table))) == NULL) {
		p->table = old;
		return false;
	}
	p->cap = old_cap * 2;
	p->used = 0;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].id == 0)
			continue;
		size_t j = slot_of(p, old[i].id);
		while (p->table[j].id != 0)
			j = (j + 1) & (p->cap - 1);
		p->table[j] = old[i];
		p->used++;
	}
	free(old);
	return true;
}

static void
insert_locked(peers *p, uint32_t id)
{
	size_t i = slot_of(p, id);
	while (p->table[i].id != 0 && p->table[i].id != id)
		i = (i + 1) & (p->cap - 1);
	if (p->table[i].id == 0)
		p->used++;
	p->table[i] = (peer_entry){ .id = id, .fd = PEER_FD_UNKNOWN, .delivered = PEER_HANDSHAKE_BYTES };
}

/* Removes id and shifts back the entries of its probe run, so that
 * lookups never stop early at the hole (no tombstones). */
static void
remove_locked(peers *p, uint32_t id)
{
	size_t mask = p->cap - 1, hole = slot_of(p, id);

	while (p->table[hole].id != id) {
		if (p->table[hole].id == 0)
			return;
		hole = (hole + 1) & mask;
	}
	p->used--;
	for (size_t j = (hole + 1) & mask; p->table[j].id != 0; j = (j + 1) & mask) {
		size_t home = slot_of(p, p->table[j].id);
		/* j may move into the hole unless its home lies cyclically in (hole, j]. */
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!stays) {
			p->table[hole] = p->table[j];
			hole = j;
		}
	}
	p->table[hole] = (peer_entry){ 0 };
}

/* nng's pipe callback: runs on nng's threads, before a pipe joins the
 * socket (ADD_PRE) and after it left (REM_POST). */
static void
pipe_event(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	peers *p = arg;
	bool   refuse = false;

	pthread_mutex_lock(&p->lock);
	if (ev == NNG_PIPE_EV_ADD_PRE) {
		if (atomic_load(&p->open) >= p->cfg.max_connections ||
		    ((p->used + 1) * 4 > p->cap * 3 && !grow_locked(p))) {
			refuse = true;
		} else {
			insert_locked(p, nng_pipe_id(pipe));
			atomic_fetch_add(&p->open, 1);
		}
	} else if (ev == NNG_PIPE_EV_REM_POST && peers_find_locked(p, nng_pipe_id(pipe)) != NULL) {
		/* Only pipes that got an entry: a refused one may report too. */
		remove_locked(p, nng_pipe_id(pipe));
		atomic_fetch_sub(&p->open, 1);
		atomic_store(&p->removed, true);
	}
	pthread_mutex_unlock(&p->lock);
	if (refuse) {
		/* Closed here, nng never adds it: the peer sees its connection
		 * close right after the handshake. Logged at most once a
		 * second would be nicer; a debug line is enough to find it. */
		atomic_fetch_add(&p->refused_connections, 1);
		log_debug("msg=\"connection refused: --max-connections %d are open\"",
		    p->cfg.max_connections);
		nng_pipe_close(pipe);
	}
}

int
peers_new(peers **out, nng_socket sock, const peers_config *cfg)
{
	peers *p = calloc(1, sizeof(*p));
	int    rv;

	if (p == NULL)
		return ENOMEM;
	p->cfg = *cfg;
	p->cap = 256;
	if ((p->table = calloc(p->cap, sizeof(*p->table))) == NULL) {
		free(p);
		return ENOMEM;
	}
	snprintf(p->refusal, sizeof(p->refusal),
	    "this connection already has %d requests in flight, the most "
	    "--max-requests-per-connection allows: wait for replies or open another connection",
	    cfg->max_requests);
	snprintf(p->queue_refusal, sizeof(p->queue_refusal),
	    "this connection already has %d requests waiting for a worker, its share of the "
	    "server's work queue: wait for replies", cfg->max_queued);
	pthread_mutex_init(&p->lock, NULL);
	if ((rv = nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, pipe_event, p)) != 0 ||
	    (rv = nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, pipe_event, p)) != 0) {
		peers_free(p);
		return ENOMEM;
	}
	if ((rv = peer_watch_start(p, &p->watch)) != 0) {
		peers_free(p);
		return rv;
	}
	*out = p;
	return 0;
}

void
peers_free(peers *p)
{
	if (p == NULL)
		return;
	peer_watch_stop(p->watch);
	pthread_mutex_destroy(&p->lock);
	free(p->table);
	free(p);
}

peers_verdict
peers_admit(peers *p, nng_pipe pipe, size_t body_len)
{
	peers_verdict v = PEERS_ADMIT;
	peer_entry   *e;

	pthread_mutex_lock(&p->lock);
	if ((e = peers_find_locked(p, nng_pipe_id(pipe))) != NULL) {
		e->delivered += body_len + PEER_FRAME_BYTES;
		if (e->held >= p->cfg.max_requests + p->cfg.max_refusals)
			v = PEERS_DROP;
		else if (e->held >= p->cfg.max_requests)
			v = PEERS_REFUSE;
		if (v != PEERS_DROP)
			e->held++;
	}
	pthread_mutex_unlock(&p->lock);
	if (v == PEERS_REFUSE)
		atomic_fetch_add(&p->refused_requests, 1);
	else if (v == PEERS_DROP)
		atomic_fetch_add(&p->dropped_requests, 1);
	return v;
}

void
peers_release(peers *p, nng_pipe pipe)
{
	peer_entry *e;

	pthread_mutex_lock(&p->lock);
	if ((e = peers_find_locked(p, nng_pipe_id(pipe))) != NULL && e->held > 0)
		e->held--;
	pthread_mutex_unlock(&p->lock);
}

const char *
peers_refusal(const peers *p)
{
	return p->refusal;
}

bool
peers_enqueue(peers *p, nng_pipe pipe)
{
	peer_entry *e;
	bool        ok = true;

	pthread_mutex_lock(&p->lock);
	if ((e = peers_find_locked(p, nng_pipe_id(pipe))) != NULL) {
		ok = e->queued < p->cfg.max_queued;
		e->queued += ok;
	}
	pthread_mutex_unlock(&p->lock);
	if (!ok)
		atomic_fetch_add(&p->refused_requests, 1);
	return ok;
}

void
peers_dequeue(peers *p, nng_pipe pipe)
{
	peer_entry *e;

	pthread_mutex_lock(&p->lock);
	if ((e = peers_find_locked(p, nng_pipe_id(pipe))) != NULL && e->queued > 0)
		e->queued--;
	pthread_mutex_unlock(&p->lock);
}

const char *
peers_queue_refusal(const peers *p)
{
	return p->queue_refusal;
}

/* Marks e closing; true the first time, so that a connection whose many
 * queued replies all time out is counted and logged once. Under lock. */
static bool
mark_closing_locked(peer_entry *e)
{
	bool first = e != NULL && !e->closing;
	if (e != NULL)
		e->closing = true;
	return first;
}

void
peers_close(peers *p, nng_pipe pipe, bool send_timeout)
{
	pthread_mutex_lock(&p->lock);
	bool first = mark_closing_locked(peers_find_locked(p, nng_pipe_id(pipe)));
	pthread_mutex_unlock(&p->lock);
	if (first) {
		atomic_fetch_add(send_timeout ? &p->send_timeouts : &p->recv_timeouts, 1);
		log_warn("msg=\"connection closed: %s\" pipe=%u",
		    send_timeout ? "a reply waited past --send-timeout-ms (the peer does not read)"
		                 : "a request stalled past --recv-timeout-ms",
		    nng_pipe_id(pipe));
	}
	nng_pipe_close(pipe);
}

void
peers_get_stats(peers *p, peers_stats *out)
{
	*out = (peers_stats){
		.open = atomic_load(&p->open),
		.max_connections = p->cfg.max_connections,
		.max_requests = p->cfg.max_requests,
		.refused_connections = atomic_load(&p->refused_connections),
		.refused_requests = atomic_load(&p->refused_requests),
		.dropped_requests = atomic_load(&p->dropped_requests),
		.send_timeouts = atomic_load(&p->send_timeouts),
		.recv_timeouts = atomic_load(&p->recv_timeouts),
	};
}
