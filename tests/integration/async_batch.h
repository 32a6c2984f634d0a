/*
 * async_batch.h - what the parts of async_call_test share: batches of
 * async calls whose callbacks record what they saw (one call_rec each,
 * counted under the batch's mutex, since callbacks run on nng's threads),
 * the answers of blocking calls to compare them with (learn_answers), the
 * checks of a batch, and the server's own counts of calls.
 *
 * async_call_test.c's head comment says what each part checks and where.
 */
#ifndef CRUDDUR_ASYNC_BATCH_H
#define CRUDDUR_ASYNC_BATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <libpq-fe.h>

#include "test_support.h"

#define DB "cruddur_async_call_test"
#define DB_ABSENT "cruddur_async_call_test_absent"
#define MANY 200
#define CHAINS 8
#define CHAIN_LEN 50

/* Counts the callbacks of a batch of calls, and lets the test wait. */
typedef struct batch {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	int             finished;
} batch;

/* One call of a batch: what its callback saw. */
typedef struct call_rec {
	batch         *b;
	atomic_int     calls; /* how many times the callback ran */
	cruddur_status st;
	bool           content_ok;
	char           message[512];
	/* What the reply must hold. */
	enum { WANT_FEED, WANT_USER, WANT_ANY } want;
	int32_t        limit;
	const char    *handle;
} call_rec;

/* The seed users GetUser calls ask for. */
extern const char *const handles[2];

void batch_init(batch *b);
void batch_fini(batch *b);
/* How many callbacks of b have run. */
int batch_finished(batch *b);
/* Waits until n callbacks have run or timeout_s passed; returns how many ran. */
int batch_wait(batch *b, int n, double timeout_s);

/* The callback of every call here (arg is its call_rec): records, checks
 * the content against learn_answers', frees, counts. */
void on_done(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *result);
/* HomeFeed of limit, async, into r (r->b set by the caller). */
cruddur_status feed_async(cruddur_client *c, call_rec *r, int32_t limit, uint32_t deadline_ms);
/* The answers of blocking calls (the first 20 of the feed, the seed users'
 * names), to compare the async ones with. */
void learn_answers(cruddur_client *c);
/* Checks every record of a batch: one callback each, with status want. */
void check_all(call_rec *recs, int n, cruddur_status want, const char *what);

/* How many calls of method the server behind c has counted. */
long server_count(cruddur_client *c, const char *method);
/* One CreateActivity, async, with or without an idempotency key. */
void create_async(cruddur_client *c, call_rec *r, const char *key);

/* ---- the parts ------------------------------------------------------- */

/* async_in_flight.c */
void test_many_in_flight(cruddur_client *c);
void test_chains(cruddur_client *c);
void test_not_started(cruddur_client *c);
void test_deadline(cruddur_client *c);
void test_close_in_flight(const ts_server *s);
/* async_failures.c */
void test_retries(void);
void test_server_gone(PGconn *locker);
/* async_slots.c */
void test_slots_open_vs_close(void);

#endif /* CRUDDUR_ASYNC_BATCH_H */
