/*
 * read_reactor_calls.h - what the parts of read_reactor_test share: its
 * servers (started on the test's private cluster, tracked so that the alarm
 * can kill them), HomeFeed calls waited for one at a time (rr_feed) or many
 * at once (batch), and each call's result with its packed response.
 *
 * Parts a to d are in read_reactor_test.c, e and f in
 * read_reactor_stop_pipelines.c; read_reactor_test.c's head comment says
 * what each part checks. A batch's callbacks run on nng's threads: its
 * fields are under its mutex until rr_batch_wait returns true.
 */
#ifndef CRUDDUR_READ_REACTOR_CALLS_H
#define CRUDDUR_READ_REACTOR_CALLS_H

#include <pthread.h>

#include "faults.h"

#define DB "cruddur_read_reactor"
#define N_CALLS 64
#define N_SPECS 18
#define GRACE_S 0.55 /* a deadline of 300 ms plus the client's 250 ms grace */

/* CHECK_STATUS for a result (its message is r->msg). */
#define CHECK_RES(got, want, r)                                                          \
	do {                                                                             \
		cruddur_status g_ = (got), w_ = (want);                                 \
		if (g_ != w_)                                                            \
			ts_fail(__FILE__, __LINE__, "status %s, want %s (%s)",           \
			    cruddur_status_name(g_), cruddur_status_name(w_), (r)->msg); \
	} while (0)


/* ---- servers, and the cleanup the alarm does -------------------------------- */

#define RR_MAX_SERVERS 8
extern ts_server *rr_servers[RR_MAX_SERVERS];
extern char       rr_stop_cmd[256]; /* tests/pg/stop DIR, for the alarm */

void rr_track(ts_server *s);
/* SIGALRM: kills the tracked servers, removes the cluster, exits 1. */
void rr_on_alarm(int sig);
/* Starts cruddurd on the cluster with extra args (NULL-terminated); 0 or -1. */
int rr_server_start(ts_server *s, const fs_cluster *pg, const char *const *extra);
/* Closes c (may be NULL), then fs_server_finish. */
void rr_server_finish(ts_server *s, cruddur_client *c);

/* ---- calls -------------------------------------------------------------------- */

/* HomeFeed with and without the client's retry; main sets them. */
extern cruddur_method rr_feed_retry, rr_feed_once;

typedef struct result {
	cruddur_status st;
	uint8_t       *bytes; /* the packed response, on OK */
	size_t         len;
	char           first_message[64];
	char           msg[256];
	double         took;
} result;

/* Fills r from a call's outcome; frees resp. */
void rr_result_fill(result *r, cruddur_status st, ProtobufCMessage *resp, const char *msg);
void rr_result_clear(result *r);
/* One HomeFeed, waited for. */
cruddur_status rr_feed(cruddur_client *c, int32_t limit, const char *cursor, uint32_t deadline_ms,
    bool retry, result *r);

/* Calls in flight at once (async), each with its result. */
typedef struct batch {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             n, left;
	double          t0;
	result          r[N_CALLS];
	struct batch_arg {
		struct batch *b;
		int           i;
	} args[N_CALLS];
} batch;

void rr_batch_init(batch *b);
/* Starts call number b->n. */
void rr_batch_add(batch *b, cruddur_client *c, int32_t limit, const char *cursor,
    uint32_t deadline_ms, bool retry);
/* Waits at most timeout_s for every call; whether they all ended. */
bool rr_batch_wait(batch *b, double timeout_s);
void rr_batch_free(batch *b);
/* How many calls of b ended with st. */
int rr_batch_count(const batch *b, cruddur_status st);

/* ---- parts e and f (read_reactor_stop_pipelines.c) ---------------------------- */

/* e. SIGTERM with reads running and pending; the lock released during the
 * drain (release) or held past it. */
void rr_sigterm_with_reads(const fs_cluster *pg, bool release);
/* f. Pipelines: deadlines inside one, and its backend terminated. */
void rr_pipelines(const fs_cluster *pg);

#endif /* CRUDDUR_READ_REACTOR_CALLS_H */
