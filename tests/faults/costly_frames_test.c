/*
 * costly_frames_test.c - frames that are cheap to send and dear to decode
 * (issue 16, item 3): each is refused from its wire bytes, before
 * protobuf-c allocates for it, at no more than 3x the cost of an opaque
 * request of the same size, and the server's memory stays bounded.
 *
 * cruddurd runs with an explicit --max-request-bytes 1048576 (the test must
 * not depend on the default). Five kinds of 680 kB request, 600 of each,
 * sent by FLOOD_THREADS threads each on its own REQ socket:
 *   opaque    an envelope for Stats/GetStats whose body holds one 680 kB
 *             unknown bytes field: decoded in full and answered OK, the
 *             baseline;
 *   unknown   340,000 one-byte unknown fields (tag, value 0) in the envelope;
 *   metadata  340,000 empty metadata entries;
 *   body      a valid envelope whose body holds 340,000 one-byte unknown
 *             fields (refused by the body's check, after the method is
 *             known);
 *   limits    the costliest request that passes the checks: every count
 *             at its limit, the rest in one unknown field; answered OK.
 * unknown, metadata and body must be refused INVALID_ARGUMENT with a
 * message that names what was over which limit. For each kind the test
 * prints the wall time of the 600, the server's own time for them (the sum
 * of its per-method latencies, arrival to reply, from Stats: what decoding
 * cost it) and the server's VmRSS after them. It asserts: wall and server
 * time of each kind at most 3x the opaque kind's, VmRSS at most 64 MiB
 * after all of them, and the server still answering a normal call.
 */
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "envelope.h"
#include "faults.h"
#include "wire_frame.h"

#define FRAME_BYTES 680000
#define FIELDS (FRAME_BYTES / 2)
#define REQUESTS 600
#define FLOOD_THREADS 8
#define MAX_REQUEST_BYTES "1048576"
#define RSS_LIMIT_KB (64 * 1024)
#define COST_RATIO_LIMIT 3.0
#define METHOD "cruddur.v1.Stats/GetStats"

/* The envelope's method and request id. */
static void
put_head(wire_frame *f)
{
	wire_frame_bytes(f, 1, METHOD, strlen(METHOD));
	wire_frame_uint(f, 2, 42);
}

typedef enum { KIND_OPAQUE, KIND_UNKNOWN, KIND_METADATA, KIND_BODY, KIND_LIMITS, KINDS } kind;

static const char *const kind_names[KINDS] = { "opaque", "unknown", "metadata", "body", "limits" };

/* What a refusal's message must say (NULL: the call must succeed). */
static const char *const kind_refusal[KINDS] = { NULL, "unknown fields", "metadata",
	"unknown fields", NULL };

/* The costliest request that passes: every count at its limit (32 metadata
 * entries, each with its key and value given 8 times and 16 unknown
 * fields; 16 unknown fields in the envelope and in the body), the rest of
 * FRAME_BYTES in the last unknown field. */
static void
put_at_limits(wire_frame *f)
{
	wire_frame entry = { 0 }, body = { 0 };

	for (int i = 0; i < 8; i++) {
		wire_frame_bytes(&entry, 1, "k", 1);
		wire_frame_bytes(&entry, 2, "v", 1);
	}
	wire_frame_zeros(&entry, 15, 0, 16);
	for (int i = 0; i < 32; i++)
		wire_frame_bytes(f, 4, entry.data, entry.len);
	wire_frame_zeros(&body, 15, 0, 16);
	wire_frame_bytes(f, 5, body.data, body.len);
	wire_frame_zeros(f, 15, 0, 15);
	size_t   pad = FRAME_BYTES - f->len - 8;
	uint8_t *blob = calloc(1, pad);
	if (blob == NULL)
		abort();
	wire_frame_bytes(f, 14, blob, pad);
	free(blob);
	wire_frame_free(&entry);
	wire_frame_free(&body);
}

/* The request of kind k, about FRAME_BYTES long. Field 15 is in neither
 * RequestEnvelope nor GetStatsRequest. */
static wire_frame
make_frame(kind k)
{
	wire_frame f = { 0 }, body = { 0 };

	put_head(&f);
	switch (k) {
	case KIND_OPAQUE: {
		uint8_t *blob = calloc(1, FRAME_BYTES);
		if (blob == NULL)
			abort();
		wire_frame_bytes(&body, 15, blob, FRAME_BYTES - 40);
		free(blob);
		wire_frame_bytes(&f, 5, body.data, body.len);
		break;
	}
	case KIND_UNKNOWN:
		wire_frame_zeros(&f, 15, 0, FIELDS);
		break;
	case KIND_METADATA:
		wire_frame_zeros(&f, 4, 2, FIELDS);
		break;
	case KIND_BODY:
		wire_frame_zeros(&body, 15, 0, FIELDS);
		wire_frame_bytes(&f, 5, body.data, body.len);
		break;
	case KIND_LIMITS:
		put_at_limits(&f);
		break;
	default:
		break;
	}
	wire_frame_free(&body);
	return f;
}

typedef struct flooder {
	const char       *url;
	const wire_frame *f;
	int               n;
	const char       *want;  /* as kind_refusal */
	int               wrong; /* replies that were not what the kind should get */
	char              sample[256];
	pthread_t         tid;
} flooder;

/* Checks one reply; returns true when it is what the kind should get. */
static bool
reply_ok(flooder *fl, nng_msg *m)
{
	Cruddur__V1__ResponseEnvelope *env =
	    cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	bool ok;

	if (env == NULL) {
		snprintf(fl->sample, sizeof(fl->sample), "a reply that does not decode");
		return false;
	}
	if (fl->want == NULL)
		ok = env->status == CRUDDUR__V1__STATUS_CODE__OK;
	else
		ok = env->status == CRUDDUR__V1__STATUS_CODE__INVALID_ARGUMENT &&
		     strstr(env->message, fl->want) != NULL;
	if (!ok || fl->sample[0] == '\0')
		snprintf(fl->sample, sizeof(fl->sample), "%s: %s",
		    cruddur_status_name((cruddur_status)env->status), env->message);
	cruddur__v1__response_envelope__free_unpacked(env, NULL);
	return ok;
}

static void *
flood_main(void *p)
{
	flooder   *fl = p;
	nng_socket s;

	if (nng_req0_open(&s) != 0) {
		fl->wrong = fl->n;
		return NULL;
	}
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 20000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 20000);
	if (nng_dial(s, fl->url, NULL, 0) != 0) {
		fl->wrong = fl->n;
		nng_close(s);
		return NULL;
	}
	for (int i = 0; i < fl->n; i++) {
		nng_msg *m;
		if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, fl->f->data, fl->f->len) != 0)
			abort();
		if (nng_sendmsg(s, m, 0) != 0) {
			nng_msg_free(m);
			fl->wrong++;
			snprintf(fl->sample, sizeof(fl->sample), "send failed");
			continue;
		}
		if (nng_recvmsg(s, &m, 0) != 0) {
			fl->wrong++;
			snprintf(fl->sample, sizeof(fl->sample), "no reply within 20 s");
			continue;
		}
		if (!reply_ok(fl, m))
			fl->wrong++;
		nng_msg_free(m);
	}
	nng_close(s);
	return NULL;
}

/* The server's own time so far: the sum of its latencies over methods. */
static long
server_busy_us(cruddur_client *c)
{
	Cruddur__V1__GetStatsResponse *resp = ts_get_stats(c, 5000);
	long                           us = 0;

	for (size_t i = 0; resp != NULL && i < resp->n_methods; i++)
		us += (long)resp->methods[i]->sum_us;
	cruddur_message_free(resp);
	return us;
}

typedef struct result {
	double wall_s;
	double server_s;
	long   rss_kb;
} result;

static result
flood(ts_server *s, cruddur_client *c, kind k)
{
	wire_frame f = make_frame(k);
	flooder    fl[FLOOD_THREADS];
	int        wrong = 0;
	result     r;

	long   busy0 = server_busy_us(c);
	double t0 = ts_now();
	for (int i = 0; i < FLOOD_THREADS; i++) {
		fl[i] = (flooder){ .url = s->url, .f = &f, .want = kind_refusal[k],
			.n = REQUESTS / FLOOD_THREADS + (i < REQUESTS % FLOOD_THREADS) };
		pthread_create(&fl[i].tid, NULL, flood_main, &fl[i]);
	}
	for (int i = 0; i < FLOOD_THREADS; i++) {
		pthread_join(fl[i].tid, NULL);
		wrong += fl[i].wrong;
	}
	r.wall_s = ts_now() - t0;
	r.server_s = (double)(server_busy_us(c) - busy0) / 1e6;
	r.rss_kb = fs_rss_kb(s->pid);
	printf("%-8s %d requests of %zu bytes: %.3f s wall, %.3f s in the server (%.0f us each); "
	       "VmRSS after %ld kB; %d not as expected; a reply: %s\n",
	    kind_names[k], REQUESTS, f.len, r.wall_s, r.server_s, r.server_s * 1e6 / REQUESTS,
	    r.rss_kb, wrong, fl[0].sample);
	if (wrong != 0)
		ts_fail(__FILE__, __LINE__, "%s: %d of %d replies were not %s", kind_names[k], wrong,
		    REQUESTS, kind_refusal[k] ? "the refusal" : "OK");
	wire_frame_free(&f);
	return r;
}

int
main(void)
{
	ts_server s;
	bool      serving = false;
	result    r[KINDS];

	ts_require_pg();
	const char *args[] = { "--max-request-bytes", MAX_REQUEST_BYTES, "--pool-min", "0", NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", "postgres", args, fs_server_env()) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	printf("server VmRSS idle: %ld kB\n", fs_rss_kb(s.pid));

	for (kind k = 0; k < KINDS; k++)
		r[k] = flood(&s, c, k);
	for (kind k = KIND_UNKNOWN; k < KINDS; k++) {
		double wall = r[k].wall_s / r[KIND_OPAQUE].wall_s;
		double srv = r[k].server_s / r[KIND_OPAQUE].server_s;
		printf("%-8s / opaque: %.2fx wall, %.2fx server time (limit %.0fx)\n", kind_names[k],
		    wall, srv, COST_RATIO_LIMIT);
		CHECK(wall <= COST_RATIO_LIMIT);
		CHECK(srv <= COST_RATIO_LIMIT);
	}
	long rss = fs_rss_kb(s.pid);
	printf("server VmRSS after %d requests: %ld kB (limit %d kB)\n", KINDS * REQUESTS, rss,
	    RSS_LIMIT_KB);
	CHECK(rss > 0 && rss <= RSS_LIMIT_KB);

	cruddur_call_opts o;
	CHECK_STATUS(fs_health(c, "cruddur.v1.Health", 2000, &serving, &o), CRUDDUR_OK, &o);
	CHECK(serving);
	cruddur_client_close(c);
	CHECK(fs_server_term(&s, 10, NULL) == 0);
	fs_server_cleanup(&s);
	nng_fini();
	return ts_finish("costly_frames_test");
}
