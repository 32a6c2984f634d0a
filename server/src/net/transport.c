/*
 * transport.c - contexts, callbacks and workers around one REP socket.
 *
 * A receiver (--contexts of them) owns one nng context and one aio, and
 * goes round
 *     recv -> accept (dispatch_accept) -> work queue -> worker -> send -> recv
 *                                      -> (a handler that never blocks) -> send
 * (bad requests are answered by accept itself; a handler that defers,
 * HomeFeed's, sends from the thread that completes it, the read reactor's).
 * so a receiver holds at most one request, and the number of receivers
 * bounds the requests in the server. A receiver's reply can only go to the
 * connection its request came from, so each connection may hold only its
 * share of the receivers (peers_admit, peer_limits.h), and a send that
 * waits past --send-timeout-ms for a peer that does not read closes that
 * connection, which frees the receivers stuck behind it. The callback runs
 * on nng's threads and must not block: it only pushes to the queue or,
 * when the queue is full or the server is draining, sends a status reply
 * that it packs on the spot.
 *
 * The work queue holds jobs (transport_job): a receiver is one, and other
 * front doors (the HTTP gateway) submit theirs (transport_submit_call), so
 * one set of workers and one bound serve every door; their calls count
 * among the calls in flight that transport_drain waits for.
 *
 * Lifetime: receivers live until transport_free, which stops the workers
 * first, then stops every receiver's aio (cancelling the pending receives
 * and sends; a stopped aio can start nothing more), then closes the socket
 * with a bound (socket_close.h) and frees the receivers once it is closed.
 * A close that outlasts the bound leaves the transport allocated for ever:
 * nng may still touch it, and the process is about to exit anyway.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include "base/clock.h"
#include "rpc/dispatch.h"
#include "obs/log.h"
#include "net/peer_limits.h"
#include "socket_close.h"
#include "net/tls_config.h"
#include "net/transport.h"
#include "net/tls_swap.h"
#include "rpc/work_queue.h"

#define RECV_RETRY_MS 10

/* Bytes past --max-request-bytes that nng still receives, so that such a
 * request gets a status instead of a closed connection. */
#define RECV_SLACK_BYTES 4096

/* Descriptors kept for other uses than connections (the pool, files, the
 * metrics listener). */
#define FD_RESERVE 256

/* After the drain timeout, how long cancelled calls get to send their
 * replies before the socket closes: the cancel round trip takes tens of
 * ms. main.c's STOP_SLACK_US bounds this and all that follows. */
#define DRAIN_CANCEL_GRACE_US 800000

/* How long nng_close may take before the stop goes on without it. A close
 * that works takes a few ms (the pipes have nothing left to do by then). */
#define CLOSE_BOUND_MS 500
/* The pause between stopping the receivers and closing the socket. */
#define CLOSE_SETTLE_MS 20

typedef struct receiver {
	transport_job     job; /* first: what the work queue holds */
	struct transport *t;
	nng_ctx           ctx;
	nng_aio          *aio;
	rpc_call         *call; /* accepted, waiting for a worker */
	nng_pipe          pipe; /* the connection of the request it holds */
	bool              sending;
	bool              sleeping; /* pausing after a failed receive */
} receiver;

struct transport {
	transport_config cfg;
	nng_socket   sock;
	nng_listener *listeners; /* cfg.n_listen of them */
	size_t       n_listeners;
	receiver    *receivers;
	int          n_receivers;
	work_queue  *queue;
	peers       *peers;
	atomic_int   inflight;
	atomic_bool  closing;
};

static void
receiver_recv(receiver *rcv)
{
	if (!atomic_load(&rcv->t->closing)) {
		/* The aio is shared with sends, which set a timeout. */
		nng_aio_set_timeout(rcv->aio, NNG_DURATION_INFINITE);
		nng_ctx_recv(rcv->ctx, rcv->aio);
	}
}

/* The receiver's request is over (its reply sent, failed or dropped): it
 * gives back its connection's share and receives again. */
static void
receiver_done(receiver *rcv)
{
	atomic_fetch_sub(&rcv->t->inflight, 1);
	peers_release(rcv->t->peers, rcv->pipe);
	receiver_recv(rcv);
}

/* Sends reply on the receiver's context; the send callback posts the next
 * receive. A NULL reply (out of memory) drops the request: the client's
 * deadline tells it. */
static void
receiver_reply(receiver *rcv, nng_msg *reply)
{
	if (reply == NULL) {
		log_error("msg=\"out of memory packing a reply\"");
		receiver_done(rcv);
		return;
	}
	rcv->sending = true;
	nng_aio_set_timeout(rcv->aio, rcv->t->cfg.send_timeout_ms);
	nng_aio_set_msg(rcv->aio, reply);
	nng_ctx_send(rcv->ctx, rcv->aio);
}

/* dispatch_reply_fn: the reply of the receiver's call, from whichever
 * thread finished it (this callback, a worker, whatever completed a
 * deferred call). */
static void
receiver_call_replied(void *owner, nng_msg *reply)
{
	receiver_reply(owner, reply);
}

static void
receiver_received(receiver *rcv, nng_msg *msg)
{
	transport *t = rcv->t;
	rpc_call  *call;

	rcv->pipe = nng_msg_get_pipe(msg);
	switch (peers_admit(t->peers, rcv->pipe, nng_msg_len(msg))) {
	case PEERS_ADMIT: break;
	case PEERS_REFUSE:
		nng_msg_free(msg);
		atomic_fetch_add(&t->inflight, 1);
		receiver_reply(rcv,
		    dispatch_status_reply(0, CRUDDUR_RESOURCE_EXHAUSTED, peers_refusal(t->peers)));
		return;
	case PEERS_DROP: /* its refusals are not being read either */
		nng_msg_free(msg);
		receiver_recv(rcv);
		return;
	}
	atomic_fetch_add(&t->inflight, 1);
	if (atomic_load(t->cfg.draining)) {
		nng_msg_free(msg);
		/* Nothing of it ran: not_run lets the client send it elsewhere. */
		receiver_reply(rcv, dispatch_not_run_reply(0, "the server is shutting down"));
		return;
	}
	/* Bad requests and handlers that never block need no worker. */
	call = dispatch_accept(t->cfg.dispatch, msg, clock_mono_us(), receiver_call_replied, rcv);
	nng_msg_free(msg);
	if (call == NULL)
		return;
	rcv->call = call;
	if (!peers_enqueue(t->peers, rcv->pipe)) {
		rcv->call = NULL;
		dispatch_refuse(call, CRUDDUR_RESOURCE_EXHAUSTED, peers_queue_refusal(t->peers));
		return;
	}
	if (!work_queue_push(t->queue, &rcv->job)) {
		peers_dequeue(t->peers, rcv->pipe);
		rcv->call = NULL;
		dispatch_refuse(call, CRUDDUR_RESOURCE_EXHAUSTED,
		    "the server is overloaded: its work queue is full");
	}
}

static void
receiver_callback(void *arg)
{
	receiver *rcv = arg;
	int       rv = nng_aio_result(rcv->aio);

	if (rcv->sending) {
		rcv->sending = false;
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(rcv->aio));
		if (rv == NNG_ETIMEDOUT)
			peers_close(rcv->t->peers, rcv->pipe, true);
		receiver_done(rcv);
		return;
	}
	if (rcv->sleeping) { /* the pause after a failed receive is over */
		rcv->sleeping = false;
		if (rv == 0)
			receiver_recv(rcv);
		return;
	}
	if (rv != 0) {
		/* A receive that fails for another reason than the socket
		 * closing (out of memory, say) is tried again after a pause,
		 * not at once: at once would spin one of nng's threads. */
		if (rv != NNG_ECLOSED && rv != NNG_ECANCELED && !atomic_load(&rcv->t->closing)) {
			rcv->sleeping = true;
			nng_sleep_aio(RECV_RETRY_MS, rcv->aio);
		}
		return;
	}
	receiver_received(rcv, nng_aio_get_msg(rcv->aio));
}

/* transport_job.run of a receiver, on a worker. */
static void
receiver_work(transport_job *job)
{
	receiver *rcv = (receiver *)job;
	rpc_call *call = rcv->call;

	rcv->call = NULL;
	peers_dequeue(rcv->t->peers, rcv->pipe);
	dispatch_run(call); /* replies through receiver_call_replied */
}

/* work_fn: every item is a job, a receiver's or another front door's. */
static void
run_job(void *item, void *arg)
{
	transport_job *job = item;

	(void)arg;
	job->run(job);
}

bool
transport_submit_call(transport *t, transport_job *job)
{
	return work_queue_push(t->queue, job);
}

void
transport_call_begin(transport *t)
{
	atomic_fetch_add(&t->inflight, 1);
}

void
transport_call_end(transport *t)
{
	atomic_fetch_sub(&t->inflight, 1);
}

/* The TLS settings of tls+tcp:// listeners, from the configuration. */
static int
tls_server_config(const transport_config *cfg, nng_tls_config **out, char *err, size_t errlen)
{
	if (cfg->tls_cert_key_file == NULL) {
		snprintf(err, errlen, "tls+tcp:// needs --tls-cert-key-file");
		return -1;
	}
	return tls_config_server(cfg->tls_cert_key_file, cfg->tls_client_ca_file, out,
	    err, errlen);
}

static int
listen_one(transport *t, const char *url, nng_tls_config **tls, char *err, size_t errlen)
{
	nng_listener *l = &t->listeners[t->n_listeners];
	int           rv;

	if ((rv = nng_listener_create(l, t->sock, url)) != 0)
		goto fail;
	if (strncmp(url, "tls+", 4) == 0) {
		if (*tls == NULL && tls_server_config(&t->cfg, tls, err, errlen) != 0)
			return -1;
		if ((rv = nng_listener_set_ptr(*l, NNG_OPT_TLS_CONFIG, *tls)) != 0)
			goto fail;
	}
	if ((rv = nng_listener_start(*l, 0)) != 0)
		goto fail;
	t->n_listeners++;
	return 0;
fail:
	snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
	return -1;
}

int
transport_tls_reload(transport *t, char *err, size_t errlen)
{
	nng_tls_config *tls = NULL;
	int             changed = 0;

	for (size_t i = 0; i < t->n_listeners; i++) {
		char *url = NULL;
		if (nng_listener_get_string(t->listeners[i], NNG_OPT_URL, &url) != 0)
			continue;
		bool is_tls = strncmp(url, "tls+", 4) == 0;
		nng_strfree(url);
		if (!is_tls)
			continue;
		if (tls == NULL && tls_server_config(&t->cfg, &tls, err, errlen) != 0)
			return -1; /* nothing changed yet: the first tls listener is here */
		/* The listener takes a reference and drops its old one; the
		 * connections it accepted hold theirs. */
		if (tls_swap(t->listeners[i], tls, err, errlen) != 0) {
			nng_tls_config_free(tls);
			return -1;
		}
		changed++;
	}
	if (tls != NULL)
		nng_tls_config_free(tls);
	return changed;
}

static int
listen_all(transport *t, char *err, size_t errlen)
{
	nng_tls_config *tls = NULL;
	int             rv = 0;

	if ((t->listeners = calloc(t->cfg.n_listen > 0 ? t->cfg.n_listen : 1, sizeof(nng_listener))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; rv == 0 && i < t->cfg.n_listen; i++)
		rv = listen_one(t, t->cfg.listen[i], &tls, err, errlen);
	if (tls != NULL)
		nng_tls_config_free(tls); /* each listener holds its own reference */
	return rv;
}

static int
open_receivers(transport *t, char *err, size_t errlen)
{
	int rv;

	t->n_receivers = t->cfg.contexts;
	if ((t->receivers = calloc((size_t)t->n_receivers, sizeof(receiver))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < t->n_receivers; i++) {
		receiver *rcv = &t->receivers[i];
		rcv->t = t;
		rcv->job.run = receiver_work;
		if ((rv = nng_ctx_open(&rcv->ctx, t->sock)) != 0 ||
		    (rv = nng_aio_alloc(&rcv->aio, receiver_callback, rcv)) != 0) {
			snprintf(err, errlen, "cannot open context: %s", nng_strerror(rv));
			return -1;
		}
	}
	return 0;
}

/* A message as large as the largest request goes straight to mmap, so
 * that what a stalled upload held goes back to the system when it is
 * freed, instead of staying in malloc's heap (glibc otherwise raises its
 * mmap threshold to the largest block freed). */
static void
limit_memory(const transport_config *cfg)
{
	size_t threshold = cfg->max_request_bytes < 65536 ? cfg->max_request_bytes : 65536;
	mallopt(M_MMAP_THRESHOLD, (int)(threshold < 16384 ? 16384 : threshold));
}

/* The connection limits, with --max-connections held within the
 * descriptors the process may open (raising its soft limit if it can). */
static int
start_peers(transport *t, const transport_config *cfg)
{
	peers_config  pc = {
		 .max_connections = cfg->max_connections,
		 .max_requests = cfg->max_requests_per_connection,
		 .recv_timeout_ms = cfg->recv_timeout_ms,
	};
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)pc.max_connections + FD_RESERVE) {
		rlim_t want = (rlim_t)pc.max_connections + FD_RESERVE;
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
			pc.max_connections = rl.rlim_cur > 2 * FD_RESERVE ? (int)(rl.rlim_cur - FD_RESERVE) : FD_RESERVE;
			log_warn("msg=\"--max-connections lowered to %d: the process may open %llu "
			         "descriptors\"", pc.max_connections, (unsigned long long)rl.rlim_cur);
		}
	}
	/* Unset: five eighths of the contexts (320 of 512): above the 256
	 * calls in flight of cruddur-bench --concurrency 256 on its one
	 * connection, with the rest left to everyone else. */
	if (pc.max_requests <= 0)
		pc.max_requests = cfg->contexts * 5 / 8 > 0 ? cfg->contexts * 5 / 8 : 1;
	/* Half the work queue, so that one connection cannot fill it for all,
	 * but never less than 32; a queue of 32 or less is not split at all
	 * (the queue itself says when it is full). */
	pc.max_queued = cfg->queue_capacity / 2 > 32 ? cfg->queue_capacity / 2 : 32;
	if (pc.max_queued >= cfg->queue_capacity)
		pc.max_queued = INT_MAX;
	/* Refusals hold a context while they are sent, too; a few are enough
	 * for a client that reads to learn why. */
	pc.max_refusals = cfg->contexts / 16 > 4 ? cfg->contexts / 16 : 4;
	return peers_new(&t->peers, t->sock, &pc);
}

int
transport_start(transport **out, const transport_config *cfg, char *err, size_t errlen)
{
	transport *t;
	int        rv;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->cfg = *cfg;
	if ((rv = nng_rep0_open(&t->sock)) != 0) {
		snprintf(err, errlen, "cannot open socket: %s", nng_strerror(rv));
		free(t);
		return -1;
	}
	/* nng drops a connection that announces more than this, and allocates
	 * what is announced before the bytes come: a stalled upload holds up to
	 * this much. Requests a little over max_request_bytes get a
	 * RESOURCE_EXHAUSTED reply from the dispatcher, which says more than a
	 * closed connection. */
	nng_socket_set_size(t->sock, NNG_OPT_RECVMAXSZ, cfg->max_request_bytes + RECV_SLACK_BYTES);
	limit_memory(cfg);
	if ((rv = start_peers(t, cfg)) != 0) {
		snprintf(err, errlen, "cannot track connections: %s", strerror(rv));
		goto fail;
	}
	if ((rv = work_queue_new(&t->queue, cfg->workers, (size_t)cfg->queue_capacity,
	         run_job, NULL)) != 0) {
		snprintf(err, errlen, "cannot start workers: %s", strerror(rv));
		goto fail;
	}
	if (open_receivers(t, err, errlen) != 0 || listen_all(t, err, errlen) != 0)
		goto fail;
	for (int i = 0; i < t->n_receivers; i++)
		receiver_recv(&t->receivers[i]);
	*out = t;
	return 0;
fail:
	transport_free(t);
	return -1;
}

void
transport_write_urls(transport *t, FILE *f)
{
	for (size_t i = 0; i < t->n_listeners; i++) {
		char        *url = NULL;
		nng_sockaddr sa;
		if (nng_listener_get_string(t->listeners[i], NNG_OPT_URL, &url) != 0)
			continue;
		char *port0 = strstr(url, ":0");
		if (port0 != NULL && port0[2] == '\0' &&
		    nng_listener_get_addr(t->listeners[i], NNG_OPT_LOCADDR, &sa) == 0 &&
		    sa.s_family == NNG_AF_INET)
			fprintf(f, "%.*s:%u\n", (int)(port0 - url), url, (unsigned)ntohs(sa.s_in.sa_port));
		else
			fprintf(f, "%s\n", url);
		nng_strfree(url);
	}
}

/* Waits until no request is in flight or until (monotonic us). */
static int
wait_inflight(transport *t, int64_t until)
{
	while (atomic_load(&t->inflight) > 0 && clock_mono_us() < until)
		usleep(5000);
	return atomic_load(&t->inflight);
}

int
transport_drain(transport *t, int timeout_ms)
{
	atomic_store(t->cfg.draining, true);
	/* The listeners stay open until transport_free: closing a listener
	 * closes its connections, and the replies of the calls in flight
	 * would be lost with them. What still arrives is answered UNAVAILABLE
	 * (receiver_received). */
	int left = wait_inflight(t, clock_mono_us() + (int64_t)timeout_ms * 1000);
	if (left > 0) {
		/* Past the limit. Cancel the statements that keep calls running,
		 * so that the workers finish (their callers get UNAVAILABLE) and
		 * the process can exit in bounded time. */
		if (t->cfg.cancel_all != NULL)
			t->cfg.cancel_all(t->cfg.hooks_arg);
		wait_inflight(t, clock_mono_us() + DRAIN_CANCEL_GRACE_US);
	}
	return left;
}

int
transport_queue_depth(transport *t)
{
	return (int)work_queue_depth(t->queue);
}

int
transport_in_flight(transport *t)
{
	return atomic_load(&t->inflight);
}

/* A transport whose socket did not close in time (transport_free): kept
 * reachable, never freed, since nng may still call into its receivers. */
static transport *transport_abandoned;

void
transport_connection_stats(transport *t, peers_stats *out)
{
	peers_get_stats(t->peers, out);
}

void
transport_free(transport *t)
{
	/* New requests are answered UNAVAILABLE from here on, without the
	 * queue; the queued ones are run by the workers, who are then joined.
	 * A receive callback that still pushes finds the queue stopped, not
	 * freed: it is freed only once no aio can call back. */
	atomic_store(t->cfg.draining, true);
	if (t->queue != NULL)
		work_queue_stop(t->queue);
	/* Deferred calls (the read reactor's) reply on the receivers'
	 * contexts: they end before those. */
	if (t->cfg.quiesce != NULL)
		t->cfg.quiesce(t->cfg.hooks_arg);
	atomic_store(&t->closing, true);
	/* Every aio of ours is stopped before the socket closes, not after:
	 * a pending receive or queued send is cancelled, a callback that is
	 * running is waited for, and a callback that posts again (a receive
	 * after a send, the retry pause) finds its aio stopped and starts
	 * nothing. So nng_close meets contexts with no operation and pipes
	 * with nothing more to do, instead of tearing them down while replies
	 * and receives still come and go on them: the traffic that opens the
	 * window of nng 1.5.2's close deadlock (socket_close.h). */
	for (int i = 0; t->receivers != NULL && i < t->n_receivers; i++)
		if (t->receivers[i].aio != NULL)
			nng_aio_stop(t->receivers[i].aio);
	/* A callback that was running when its aio stopped may have packed a
	 * reply (a refusal) and sent it: nng refused to start that send and
	 * will never call back, so the reply is still on the aio, and ours. */
	for (int i = 0; t->receivers != NULL && i < t->n_receivers; i++) {
		receiver *rcv = &t->receivers[i];
		if (rcv->aio != NULL && rcv->sending && nng_aio_get_msg(rcv->aio) != NULL) {
			nng_msg_free(nng_aio_get_msg(rcv->aio));
			nng_aio_set_msg(rcv->aio, NULL);
			rcv->sending = false;
			atomic_fetch_sub(&t->inflight, 1);
		}
	}
	/* The last replies handed to nng are still being written, and each
	 * connection may be reading one more request (which nobody receives
	 * now): let those bytes move before the pipes are torn down. It also
	 * gives the last replies their chance to reach their callers. */
	nng_msleep(CLOSE_SETTLE_MS);
	if (!cruddur_i_socket_close_within(t->sock, CLOSE_BOUND_MS)) {
		/* The reply of every call was handed to nng before the drain
		 * ended and the workers are joined: nothing that matters waits
		 * on the socket any more. What nng holds goes with the process. */
		log_warn("msg=\"nng_close did not return: going on without it\" bound_ms=%d "
		         "cause=\"nng 1.5.2 close deadlock, nanomsg/nng#1813\"", CLOSE_BOUND_MS);
		transport_abandoned = t;
		return;
	}
	for (int i = 0; t->receivers != NULL && i < t->n_receivers; i++)
		if (t->receivers[i].aio != NULL)
			nng_aio_free(t->receivers[i].aio);
	if (t->queue != NULL)
		work_queue_free(t->queue);
	peers_free(t->peers); /* nng calls its pipe callbacks no more */
	free(t->listeners);
	free(t->receivers);
	free(t);
}
