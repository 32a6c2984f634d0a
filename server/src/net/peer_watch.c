/*
 * peer_watch.c - the receive timeout, and freed memory handed back.
 *
 * nng 1.5.2 has no receive timeout for a pipe: its tcp transport reads a
 * message's 64-bit length, allocates the whole message, and then waits for
 * the body as long as the connection lives. A peer that announces a request
 * and stalls holds that memory and a connection for ever. nng does not
 * expose the socket either. So once a tick this thread
 *   - finds each tcp:// connection's socket: it reads the pipe's addresses
 *     from nng (NNG_OPT_REMADDR, NNG_OPT_LOCADDR) and matches them with
 *     getpeername/getsockname over /proc/self/fd, and checks the match again
 *     each tick (a descriptor may be closed and reused);
 *   - compares the bytes the kernel received on it (TCP_INFO
 *     tcpi_bytes_received) with the bytes of the complete requests nng
 *     delivered from that pipe (peers_admit counts them, with their framing,
 *     and the handshake). More received than delivered means a request is
 *     partly in: the clock starts, and it restarts whenever another request
 *     completes. A connection whose requests have not moved on for
 *     recv_timeout_ms while bytes are waiting is closed (peers_close).
 * Idle connections have received exactly what was delivered and are never
 * touched; a connection trickling a byte now and then is still closed,
 * because only complete requests restart the clock. The count assumes one
 * hop (a REQ peer talking to us directly, as libcruddur does); a peer
 * behind an nng device, whose requests carry more backtrace, looks partial
 * once it goes quiet and would be closed after the timeout. tls+tcp:// and
 * ipc:// connections are not watched (TLS adds bytes of its own; ipc peers
 * are local).
 * A request that rep0 holds complete, waiting for a free context, also looks
 * partial: that only lasts recv_timeout_ms when no context at all has come
 * free for that long, i.e. when the server is stuck anyway.
 *
 * After connections go (peers.removed), it calls malloc_trim so that the
 * memory of their partial requests goes back to the system, not only to
 * malloc's free lists.
 *
 * Locking: it copies what it needs from the table under peers.lock, makes
 * its system calls without it, and writes back under it (entries may have
 * gone meanwhile: it looks them up again). Its own fields are the thread's.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/tcp.h>

#include "base/clock.h"
#include "net/peer_limits_internal.h"

typedef struct watched {
	uint32_t  id;
	int       fd;
	peer_addr addr;
	uint64_t  delivered;
	bool      partial;
} watched;

struct peer_watch {
	peers          *p;
	pthread_t       thread;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            stop;
	int             tick_ms;
	int64_t         started_us;
	watched        *list; /* this tick's copy of the table, freed after it */
	size_t          n, cap;
};

static nng_pipe
pipe_of(uint32_t id)
{
	nng_pipe pipe = NNG_PIPE_INITIALIZER;
	pipe.id = id;
	return pipe;
}

/* Fills a from a socket address; false for families other than IP. */
static bool
addr_from_sockaddr(peer_addr *a, const struct sockaddr_storage *remote,
    const struct sockaddr_storage *local)
{
	memset(a, 0, sizeof(*a));
	if (remote->ss_family == AF_INET && local->ss_family == AF_INET) {
		const struct sockaddr_in *r = (const void *)remote, *l = (const void *)local;
		memcpy(a->remote, &r->sin_addr, 4);
		a->remote_port = ntohs(r->sin_port);
		a->local_port = ntohs(l->sin_port);
	} else if (remote->ss_family == AF_INET6 && local->ss_family == AF_INET6) {
		const struct sockaddr_in6 *r = (const void *)remote, *l = (const void *)local;
		memcpy(a->remote, &r->sin6_addr, 16);
		a->remote_port = ntohs(r->sin6_port);
		a->local_port = ntohs(l->sin6_port);
	} else {
		return false;
	}
	a->family = remote->ss_family;
	return true;
}

/* The addresses of a tcp:// pipe from nng; false when it is not one. */
static bool
addr_from_pipe(peer_addr *a, uint32_t id)
{
	nng_pipe     pipe = pipe_of(id);
	nng_listener l = nng_pipe_listener(pipe);
	nng_sockaddr r, s;
	char        *url = NULL;
	bool         tcp;

	if (nng_listener_get_string(l, NNG_OPT_URL, &url) != 0)
		return false;
	tcp = strncmp(url, "tcp://", 6) == 0;
	nng_strfree(url);
	if (!tcp || nng_pipe_get_addr(pipe, NNG_OPT_REMADDR, &r) != 0 ||
	    nng_pipe_get_addr(pipe, NNG_OPT_LOCADDR, &s) != 0)
		return false;
	memset(a, 0, sizeof(*a));
	if (r.s_family == NNG_AF_INET && s.s_family == NNG_AF_INET) {
		a->family = AF_INET;
		memcpy(a->remote, &r.s_in.sa_addr, 4);
		a->remote_port = ntohs(r.s_in.sa_port);
		a->local_port = ntohs(s.s_in.sa_port);
	} else if (r.s_family == NNG_AF_INET6 && s.s_family == NNG_AF_INET6) {
		a->family = AF_INET6;
		memcpy(a->remote, r.s_in6.sa_addr, 16);
		a->remote_port = ntohs(r.s_in6.sa_port);
		a->local_port = ntohs(s.s_in6.sa_port);
	} else {
		return false;
	}
	return true;
}

/* fd's addresses, when it is an IP socket. */
static bool
addr_from_fd(peer_addr *a, int fd)
{
	struct sockaddr_storage r, l;
	socklen_t               rl = sizeof(r), ll = sizeof(l);

	if (getpeername(fd, (struct sockaddr *)&r, &rl) != 0 ||
	    getsockname(fd, (struct sockaddr *)&l, &ll) != 0)
		return false;
	return addr_from_sockaddr(a, &r, &l);
}

static int
addr_cmp(const void *x, const void *y)
{
	const peer_addr *a = x, *b = y;
	return memcmp(a, b, sizeof(*a));
}

static int
watched_cmp(const void *x, const void *y)
{
	return addr_cmp(&((const watched *)x)->addr, &((const watched *)y)->addr);
}

/* Finds the sockets of the connections whose fd is not known yet: one pass
 * over /proc/self/fd for all of them, a binary search for each socket. */
static void
find_sockets(peer_watch *w)
{
	size_t unknown = 0;
	DIR   *d;

	for (size_t i = 0; i < w->n; i++)
		if (w->list[i].fd == PEER_FD_UNKNOWN && w->list[i].addr.family != 0)
			unknown++;
	if (unknown == 0 || (d = opendir("/proc/self/fd")) == NULL)
		return;
	/* Those first, sorted by address; the rest keep their order after. */
	qsort(w->list, w->n, sizeof(*w->list), watched_cmp);
	watched *sorted = malloc(unknown * sizeof(*sorted));
	if (sorted == NULL) {
		closedir(d);
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < w->n; i++)
		if (w->list[i].fd == PEER_FD_UNKNOWN && w->list[i].addr.family != 0)
			sorted[k++] = w->list[i];
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char     *end;
		long      fd = strtol(de->d_name, &end, 10);
		peer_addr a;
		if (*end != '\0' || end == de->d_name || fd == dirfd(d) || !addr_from_fd(&a, (int)fd))
			continue;
		watched key = { .addr = a }, *hit = bsearch(&key, sorted, unknown, sizeof(*sorted), watched_cmp);
		if (hit != NULL)
			hit->fd = (int)fd;
	}
	closedir(d);
	for (size_t i = 0, j = 0; i < w->n && j < unknown; i++) {
		if (w->list[i].fd == PEER_FD_UNKNOWN && w->list[i].addr.family != 0)
			w->list[i].fd = sorted[j++].fd;
	}
	free(sorted);
}

/* Copies the watched connections out of the table. */
static bool
snapshot(peer_watch *w)
{
	peers *p = w->p;

	pthread_mutex_lock(&p->lock);
	if (w->cap < p->used) {
		watched *grown = realloc(w->list, p->used * sizeof(*grown));
		if (grown == NULL) {
			pthread_mutex_unlock(&p->lock);
			return false;
		}
		w->list = grown;
		w->cap = p->used;
	}
	w->n = 0;
	for (size_t i = 0; i < p->cap && w->n < w->cap; i++) {
		const peer_entry *e = &p->table[i];
		if (e->id == 0 || e->closing || e->fd == PEER_FD_NOT_TCP)
			continue;
		w->list[w->n++] = (watched){ .id = e->id, .fd = e->fd, .addr = e->addr, .delivered = e->delivered };
	}
	pthread_mutex_unlock(&p->lock);
	return true;
}

/* Reads each connection's received bytes; leaves fd PEER_FD_NOT_TCP for
 * the ones that are not tcp://, PEER_FD_UNKNOWN where the socket no longer
 * matches. */
static void
measure(peer_watch *w)
{
	for (size_t i = 0; i < w->n; i++) {
		watched *c = &w->list[i];
		if (c->addr.family == 0 && !addr_from_pipe(&c->addr, c->id))
			c->fd = PEER_FD_NOT_TCP;
	}
	find_sockets(w);
	for (size_t i = 0; i < w->n; i++) {
		watched        *c = &w->list[i];
		struct tcp_info ti;
		socklen_t       len = sizeof(ti);
		peer_addr       now;
		if (c->fd < 0)
			continue;
		if (!addr_from_fd(&now, c->fd) || addr_cmp(&now, &c->addr) != 0 ||
		    getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
		    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received)) {
			c->fd = PEER_FD_UNKNOWN; /* closed, or reused by another connection */
			continue;
		}
		c->partial = ti.tcpi_bytes_received > c->delivered;
	}
}

/* Writes the results back and closes the connections stalled too long. */
static void
judge(peer_watch *w)
{
	peers  *p = w->p;
	/* Milliseconds since the watcher started, never 0 (0 means "none"). */
	uint32_t now = (uint32_t)((clock_mono_us() - w->started_us) / 1000) + 1;
	uint32_t limit = (uint32_t)p->cfg.recv_timeout_ms;
	size_t  n_close = 0;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < w->n; i++) {
		watched    *c = &w->list[i];
		peer_entry *e = peers_find_locked(p, c->id);
		if (e == NULL)
			continue;
		e->fd = c->fd;
		e->addr = c->addr;
		if (!c->partial || c->fd < 0) {
			e->stall_since_ms = 0;
		} else if (e->stall_since_ms == 0 || e->stall_delivered != c->delivered) {
			e->stall_since_ms = now; /* a new partial request, or the last one completed */
			e->stall_delivered = c->delivered;
		} else if (now - e->stall_since_ms >= limit) {
			w->list[n_close++].id = c->id; /* reuses the list: i >= n_close */
		}
	}
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < n_close; i++)
		peers_close(p, pipe_of(w->list[i].id), false);
}

static void
tick(peer_watch *w)
{
	if (atomic_exchange(&w->p->removed, false))
		malloc_trim(0);
	if (w->p->cfg.recv_timeout_ms <= 0 || !snapshot(w))
		return;
	measure(w);
	judge(w);
	/* Mapped (large) and so handed back to the system at once: idle
	 * connections cost nothing between ticks. */
	free(w->list);
	w->list = NULL;
	w->cap = 0;
}

static void *
watch_main(void *arg)
{
	peer_watch *w = arg;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		struct timespec until = clock_timespec(clock_real_us() + (int64_t)w->tick_ms * 1000);
		pthread_cond_timedwait(&w->cv, &w->mu, &until);
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->mu);
		tick(w);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
peer_watch_start(peers *p, peer_watch **out)
{
	peer_watch *w = calloc(1, sizeof(*w));
	int         rv;

	if (w == NULL)
		return ENOMEM;
	w->p = p;
	w->started_us = clock_mono_us();
	/* A quarter of the timeout, so a stall is closed within 1.25 timeouts;
	 * at most a second (the memory hand-back), at least 50 ms. */
	w->tick_ms = p->cfg.recv_timeout_ms > 0 ? p->cfg.recv_timeout_ms / 4 : 1000;
	w->tick_ms = w->tick_ms < 50 ? 50 : w->tick_ms > 1000 ? 1000 : w->tick_ms;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((rv = pthread_create(&w->thread, NULL, watch_main, w)) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return rv;
	}
	*out = w;
	return 0;
}

void
peer_watch_stop(peer_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->list);
	free(w);
}
