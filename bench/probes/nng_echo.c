/*
 * nng_echo.c - the floor that nng itself sets on this machine: REQ/REP
 * round trips with nothing else in them (bench/RESULTS.md, "The floor").
 *
 *   nng_echo server URL [--handoff] [--reply-bytes B]
 *   nng_echo client URL [--chains C] [--seconds S]
 *
 * The server answers on 64 contexts, from nng's callback itself or, with
 * --handoff, from one other thread (as cruddurd answers from its read
 * reactor or workers). The client keeps C async chains in flight on one
 * connection, as cruddur-bench does, and prints `echo req_per_s N`.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#define SERVER_CONTEXTS 64
#define MAX_CHAINS 1024

typedef struct slot {
	nng_ctx      ctx;
	nng_aio     *aio;
	bool         sending;
	struct slot *next; /* the hand-off queue */
} slot;

static size_t          reply_bytes = 100;
static bool            handoff;
static pthread_mutex_t queue_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  queue_cv = PTHREAD_COND_INITIALIZER;
static slot           *queue_head, *queue_tail;
static atomic_long     replies;
static atomic_bool     stopping;

static void
die(const char *what, int rv)
{
	fprintf(stderr, "nng_echo: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

/* ---- server ---------------------------------------------------------- */

static void
server_reply(slot *s)
{
	nng_msg *m;

	if (nng_msg_alloc(&m, reply_bytes) != 0) {
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	memset(nng_msg_body(m), 'r', reply_bytes);
	s->sending = true;
	nng_aio_set_msg(s->aio, m);
	nng_ctx_send(s->ctx, s->aio);
}

static void
server_cb(void *arg)
{
	slot *s = arg;
	int   rv = nng_aio_result(s->aio);

	if (s->sending) {
		s->sending = false;
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(s->aio));
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (rv != 0)
		return; /* closed */
	nng_msg_free(nng_aio_get_msg(s->aio));
	if (!handoff) {
		server_reply(s);
		return;
	}
	pthread_mutex_lock(&queue_mtx);
	s->next = NULL;
	if (queue_tail != NULL)
		queue_tail->next = s;
	else
		queue_head = s;
	queue_tail = s;
	pthread_cond_signal(&queue_cv);
	pthread_mutex_unlock(&queue_mtx);
}

static void *
handoff_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&queue_mtx);
		while (queue_head == NULL)
			pthread_cond_wait(&queue_cv, &queue_mtx);
		slot *s = queue_head;
		if ((queue_head = s->next) == NULL)
			queue_tail = NULL;
		pthread_mutex_unlock(&queue_mtx);
		server_reply(s);
	}
	return NULL;
}

static int
run_server(const char *url)
{
	static slot slots[SERVER_CONTEXTS];
	nng_socket  sock;
	pthread_t   thread;
	int         rv;

	if ((rv = nng_rep0_open(&sock)) != 0)
		die("nng_rep0_open", rv);
	if ((rv = nng_listen(sock, url, NULL, 0)) != 0)
		die(url, rv);
	if (handoff && pthread_create(&thread, NULL, handoff_main, NULL) != 0)
		die("pthread_create", NNG_ENOMEM);
	for (int i = 0; i < SERVER_CONTEXTS; i++) {
		if ((rv = nng_ctx_open(&slots[i].ctx, sock)) != 0 ||
		    (rv = nng_aio_alloc(&slots[i].aio, server_cb, &slots[i])) != 0)
			die("context", rv);
		nng_ctx_recv(slots[i].ctx, slots[i].aio);
	}
	for (;;)
		pause(); /* until killed */
	return 0;
}

/* ---- client ---------------------------------------------------------- */

static void
client_send(slot *c)
{
	nng_msg *m;

	if (atomic_load(&stopping) || nng_msg_alloc(&m, 100) != 0)
		return;
	memset(nng_msg_body(m), 'q', 100);
	c->sending = true;
	nng_aio_set_msg(c->aio, m);
	nng_ctx_send(c->ctx, c->aio);
}

static void
client_cb(void *arg)
{
	slot *c = arg;
	int   rv = nng_aio_result(c->aio);

	if (rv != 0) {
		if (c->sending)
			nng_msg_free(nng_aio_get_msg(c->aio));
		if (!atomic_load(&stopping))
			fprintf(stderr, "nng_echo: call failed: %s\n", nng_strerror(rv));
		return;
	}
	if (c->sending) {
		c->sending = false;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	nng_msg_free(nng_aio_get_msg(c->aio));
	atomic_fetch_add(&replies, 1);
	client_send(c);
}

static int
run_client(const char *url, int chains, int seconds)
{
	static slot slots[MAX_CHAINS];
	nng_socket  sock;
	int         rv;

	if ((rv = nng_req0_open(&sock)) != 0)
		die("nng_req0_open", rv);
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0)
		die(url, rv);
	for (int i = 0; i < chains; i++) {
		if ((rv = nng_ctx_open(&slots[i].ctx, sock)) != 0 ||
		    (rv = nng_aio_alloc(&slots[i].aio, client_cb, &slots[i])) != 0)
			die("context", rv);
		client_send(&slots[i]);
	}
	sleep(1); /* warm-up */
	long before = atomic_load(&replies);
	sleep((unsigned)seconds);
	long after = atomic_load(&replies);
	atomic_store(&stopping, true);
	printf("echo req_per_s %.0f\n", (double)(after - before) / seconds);
	nng_close(sock);
	for (int i = 0; i < chains; i++)
		nng_aio_free(slots[i].aio);
	return 0;
}

int
main(int argc, char **argv)
{
	int chains = 16, seconds = 5;

	if (argc < 3 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
		fprintf(stderr, "usage: nng_echo server URL [--handoff] [--reply-bytes B]\n"
		                "       nng_echo client URL [--chains C] [--seconds S]\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--handoff") == 0)
			handoff = true;
		else if (strcmp(argv[i], "--reply-bytes") == 0 && i + 1 < argc)
			reply_bytes = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--chains") == 0 && i + 1 < argc)
			chains = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atoi(argv[++i]);
		else {
			fprintf(stderr, "nng_echo: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (chains < 1 || chains > MAX_CHAINS || seconds < 1 || reply_bytes < 1) {
		fprintf(stderr, "nng_echo: need 1 <= chains <= %d, seconds >= 1, reply bytes >= 1\n",
		    MAX_CHAINS);
		return 2;
	}
	return strcmp(argv[1], "server") == 0 ? run_server(argv[2]) : run_client(argv[2], chains, seconds);
}
