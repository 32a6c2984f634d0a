/*
 * nng_echo.c - the floor that nng itself sets on this machine: REQ/REP
 * round trips with nothing else in them (bench/RESULTS.md, "The floor").
 *
 *   nng_echo server URL [--handoff] [--reply-bytes B | --reply-file F]
 *   nng_echo client URL [--chains C] [--seconds S]
 *   nng_echo fetch URL FILE [--limit N]
 *
 * The server answers on 64 contexts, from nng's callback itself or, with
 * --handoff, from one other thread (as cruddurd answers from its read
 * reactor or workers). The client keeps C async chains in flight on one
 * connection, as cruddur-bench does, and prints `echo req_per_s N`.
 *
 * To be driven by cruddur-bench itself (bench/run's echo-callback line),
 * the server can answer every request with one real reply: `fetch` asks a
 * cruddurd at URL for a HomeFeed page of N rows (20) and keeps its
 * ResponseEnvelope in FILE; `server --reply-file FILE` then sends those
 * bytes back with each request's own request_id put in (a client matches
 * replies by it), so the reply is exactly a real page's size and content.
 * The envelopes are read and written by hand (protobuf's wire format:
 * field 1 or 2 a varint) so that this probe needs nothing but nng.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
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
	uint64_t     request_id; /* of the request being answered (--reply-file) */
	struct slot *next;       /* the hand-off queue */
} slot;

static size_t          reply_bytes = 100;
static uint8_t        *reply_tail; /* --reply-file: the envelope without its request_id */
static size_t          reply_tail_len;
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

/* ---- protobuf varints, by hand ------------------------------------------ */

/* Reads a varint at *p (before end); false when it runs past end or 10 bytes. */
static bool
varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 70; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return true;
	}
	return false;
}

static size_t
varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	do {
		out[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return n;
}

/* Skips the value of a field of wire type wt; false on a type we cannot skip. */
static bool
skip_value(const uint8_t **p, const uint8_t *end, unsigned wt)
{
	uint64_t v;
	switch (wt) {
	case 0: return varint_get(p, end, &v);
	case 1: if ((size_t)(end - *p) < 8) return false; *p += 8; return true;
	case 5: if ((size_t)(end - *p) < 4) return false; *p += 4; return true;
	case 2:
		if (!varint_get(p, end, &v) || v > (uint64_t)(end - *p))
			return false;
		*p += v;
		return true;
	default: return false;
	}
}

/* The varint of field `field` of the top-level message in buf (0 when absent
 * or undecodable: a request_id of 0 is what a malformed request gets). */
static uint64_t
varint_field(const uint8_t *buf, size_t len, unsigned field)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t       key, v;

	while (p < end && varint_get(&p, end, &key)) {
		if (key >> 3 == field && (key & 7) == 0)
			return varint_get(&p, end, &v) ? v : 0;
		if (!skip_value(&p, end, (unsigned)(key & 7)))
			break;
	}
	return 0;
}

/* Keeps the envelope in path without its field 1 (request_id), which each
 * reply puts back in front. Exits on failure. */
static void
load_reply_file(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE          *f = fopen(path, "rb");
	size_t         len;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (len == sizeof(buf)) {
		fprintf(stderr, "nng_echo: %s is over %zu bytes\n", path, sizeof(buf) - 1);
		exit(1);
	}
	if ((reply_tail = malloc(len + 1)) == NULL)
		die("--reply-file", NNG_ENOMEM);
	const uint8_t *p = buf, *end = buf + len;
	while (p < end) {
		const uint8_t *start = p;
		uint64_t       key;
		if (!varint_get(&p, end, &key) || !skip_value(&p, end, (unsigned)(key & 7))) {
			fprintf(stderr, "nng_echo: %s is not a protobuf message\n", path);
			exit(1);
		}
		if (key >> 3 != 1) {
			memcpy(reply_tail + reply_tail_len, start, (size_t)(p - start));
			reply_tail_len += (size_t)(p - start);
		}
	}
}

/* ---- server ---------------------------------------------------------- */

static void
server_reply(slot *s, uint64_t request_id)
{
	nng_msg *m;
	size_t   len = reply_bytes;
	uint8_t  head[11];
	size_t   head_len = 0;

	if (reply_tail != NULL) {
		head[0] = 0x08; /* field 1, varint: request_id */
		head_len = request_id != 0 ? 1 + varint_put(head + 1, request_id) : 0;
		len = head_len + reply_tail_len;
	}
	if (nng_msg_alloc(&m, len) != 0) {
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (reply_tail != NULL) {
		memcpy(nng_msg_body(m), head, head_len);
		memcpy((uint8_t *)nng_msg_body(m) + head_len, reply_tail, reply_tail_len);
	} else
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
	nng_msg *req = nng_aio_get_msg(s->aio);
	/* RequestEnvelope.request_id is field 2. */
	s->request_id = reply_tail != NULL ? varint_field(nng_msg_body(req), nng_msg_len(req), 2) : 0;
	nng_msg_free(req);
	if (!handoff) {
		server_reply(s, s->request_id);
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
		server_reply(s, s->request_id);
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

/* ---- fetch: one real HomeFeed reply, for --reply-file ------------------ */

static int
run_fetch(const char *url, const char *path, int limit)
{
	static const char method[] = "cruddur.v1.Activities/HomeFeed";
	uint8_t           req[64];
	size_t            n = 0;
	nng_socket        sock;
	nng_msg          *m;
	int               rv;

	/* RequestEnvelope{method, request_id 1, deadline_ms 10000, body HomeFeedRequest{limit}} */
	req[n++] = 0x0a;
	req[n++] = (uint8_t)(sizeof(method) - 1);
	memcpy(req + n, method, sizeof(method) - 1);
	n += sizeof(method) - 1;
	req[n++] = 0x10;
	req[n++] = 0x01;
	req[n++] = 0x18;
	n += varint_put(req + n, 10000);
	req[n++] = 0x2a;
	req[n++] = 2;
	req[n++] = 0x08;
	req[n++] = (uint8_t)limit;
	if ((rv = nng_req0_open(&sock)) != 0)
		die("nng_req0_open", rv);
	if ((rv = nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 10000)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 10000)) != 0)
		die("timeouts", rv);
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0)
		die(url, rv);
	if ((rv = nng_msg_alloc(&m, n)) != 0)
		die("nng_msg_alloc", rv);
	memcpy(nng_msg_body(m), req, n);
	if ((rv = nng_sendmsg(sock, m, 0)) != 0)
		die("send", rv);
	if ((rv = nng_recvmsg(sock, &m, 0)) != 0)
		die("receive", rv);
	/* ResponseEnvelope.status is field 2; absent is OK. */
	uint64_t status = varint_field(nng_msg_body(m), nng_msg_len(m), 2);
	if (status != 0) {
		fprintf(stderr, "nng_echo: HomeFeed answered status %llu\n", (unsigned long long)status);
		return 1;
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(nng_msg_body(m), 1, nng_msg_len(m), f) != nng_msg_len(m) ||
	    fclose(f) != 0) {
		perror(path);
		return 1;
	}
	printf("fetched %zu bytes\n", nng_msg_len(m));
	nng_msg_free(m);
	nng_close(sock);
	return 0;
}

int
main(int argc, char **argv)
{
	int         chains = 16, seconds = 5, limit = 20;
	const char *reply_file = NULL;
	bool        fetch = argc >= 4 && strcmp(argv[1], "fetch") == 0;

	if (!fetch &&
	    (argc < 3 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0))) {
		fprintf(stderr, "usage: nng_echo server URL [--handoff] [--reply-bytes B | --reply-file F]\n"
		                "       nng_echo client URL [--chains C] [--seconds S]\n"
		                "       nng_echo fetch URL FILE [--limit N]\n");
		return 2;
	}
	for (int i = fetch ? 4 : 3; i < argc; i++) {
		if (strcmp(argv[i], "--handoff") == 0)
			handoff = true;
		else if (strcmp(argv[i], "--reply-bytes") == 0 && i + 1 < argc)
			reply_bytes = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--reply-file") == 0 && i + 1 < argc)
			reply_file = argv[++i];
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
			limit = atoi(argv[++i]);
		else if (strcmp(argv[i], "--chains") == 0 && i + 1 < argc)
			chains = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atoi(argv[++i]);
		else {
			fprintf(stderr, "nng_echo: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (chains < 1 || chains > MAX_CHAINS || seconds < 1 || reply_bytes < 1 || limit < 1 ||
	    limit > 100) {
		fprintf(stderr, "nng_echo: need 1 <= chains <= %d, seconds >= 1, reply bytes >= 1, "
		                "1 <= limit <= 100\n",
		    MAX_CHAINS);
		return 2;
	}
	if (fetch)
		return run_fetch(argv[2], argv[3], limit);
	if (reply_file != NULL)
		load_reply_file(reply_file);
	return strcmp(argv[1], "server") == 0 ? run_server(argv[2]) : run_client(argv[2], chains, seconds);
}
