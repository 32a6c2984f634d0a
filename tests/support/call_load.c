/*
 * call_load.c - client threads that call in a loop and tally every outcome
 * (fs_load, fs_tally), and the one-line calls tests make of the server
 * (HomeFeed, GetUser, Health, Stats, CreateActivity, Setup); see faults.h.
 *
 * Load threads share nothing but the stop flag and the time of the last OK
 * (atomics); each keeps its own tally, summed after the join.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"

/* ---- load ------------------------------------------------------------------------ */

typedef struct fs_worker {
	fs_load  *load;
	int       index;
	fs_tally  tally;
	pthread_t tid;
} fs_worker;

struct fs_load {
	cruddur_client *client;
	fs_call_fn      fn;
	void           *arg;
	uint32_t        deadline_ms;
	int             pause_ms;
	long            max_calls;
	int             n_threads;
	atomic_int      finished;
	atomic_bool     stop;
	_Atomic double  last_ok;
	fs_worker       workers[FS_MAX_THREADS];
};

void
fs_tally_record(fs_tally *t, cruddur_status st, const char *msg, double latency_s,
    uint32_t deadline_ms)
{
	int i = (int)st >= 0 && (int)st < FS_STATUSES ? (int)st : CRUDDUR_UNKNOWN;

	t->calls++;
	t->by_status[i]++;
	if (t->sample[i][0] == '\0' && msg != NULL) {
		/* The first message of each status, cut to fit. */
		size_t n = strnlen(msg, sizeof(t->sample[i]) - 1);
		memcpy(t->sample[i], msg, n);
		t->sample[i][n] = '\0';
	}
	if (latency_s > t->max_latency_s)
		t->max_latency_s = latency_s;
	double over = latency_s - deadline_ms / 1000.0;
	if (over > t->max_overrun_s)
		t->max_overrun_s = over;
}

static void *
worker_main(void *p)
{
	fs_worker *w = p;
	fs_load   *l = w->load;

	w->tally.max_overrun_s = -1e9;
	for (long seq = 0; seq < l->max_calls && !atomic_load(&l->stop); seq++) {
		cruddur_call_opts o = { .deadline_ms = l->deadline_ms };
		double            t0 = ts_now();
		cruddur_status    st = l->fn(l->client, w->index, (int)seq, &o, l->arg);
		double            t1 = ts_now();

		fs_tally_record(&w->tally, st, o.message, t1 - t0, l->deadline_ms);
		if (st == CRUDDUR_OK)
			atomic_store(&l->last_ok, t1);
		if (l->pause_ms > 0)
			fs_sleep_ms(l->pause_ms);
	}
	atomic_fetch_add(&l->finished, 1);
	return NULL;
}

fs_load *
fs_load_start(cruddur_client *client, int threads, fs_call_fn fn, void *arg,
    uint32_t deadline_ms, int pause_ms, long max_calls)
{
	fs_load *l;

	if (threads < 1 || threads > FS_MAX_THREADS || (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->client = client;
	l->fn = fn;
	l->arg = arg;
	l->deadline_ms = deadline_ms;
	l->pause_ms = pause_ms;
	l->max_calls = max_calls;
	atomic_init(&l->stop, false);
	atomic_init(&l->finished, 0);
	atomic_init(&l->last_ok, 0.0);
	for (; l->n_threads < threads; l->n_threads++) {
		fs_worker *w = &l->workers[l->n_threads];
		w->load = l;
		w->index = l->n_threads;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
			fs_tally sum;
			fs_load_stop(l, &sum);
			return NULL;
		}
	}
	return l;
}

bool
fs_load_wait(fs_load *l, double timeout_s)
{
	double until = ts_now() + timeout_s;

	while (atomic_load(&l->finished) < l->n_threads) {
		if (ts_now() >= until)
			return false;
		fs_sleep_ms(5);
	}
	return true;
}

double
fs_load_last_ok(fs_load *l)
{
	return atomic_load(&l->last_ok);
}

void
fs_tally_add(fs_tally *sum, const fs_tally *t)
{
	sum->calls += t->calls;
	for (int i = 0; i < FS_STATUSES; i++) {
		sum->by_status[i] += t->by_status[i];
		if (sum->sample[i][0] == '\0')
			memcpy(sum->sample[i], t->sample[i], sizeof(sum->sample[i]));
	}
	if (t->max_latency_s > sum->max_latency_s)
		sum->max_latency_s = t->max_latency_s;
	if (t->max_overrun_s > sum->max_overrun_s)
		sum->max_overrun_s = t->max_overrun_s;
}

void
fs_load_request_stop(fs_load *l)
{
	atomic_store(&l->stop, true);
}

void
fs_load_stop(fs_load *l, fs_tally *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->max_overrun_s = -1e9;
	atomic_store(&l->stop, true);
	for (int i = 0; i < l->n_threads; i++) {
		pthread_join(l->workers[i].tid, NULL);
		fs_tally_add(sum, &l->workers[i].tally);
	}
	free(l);
}

void
fs_tally_print(const char *label, const fs_tally *t)
{
	printf("%s: %ld calls, max latency %.0f ms (%+.0f ms against the deadline)\n", label,
	    t->calls, t->max_latency_s * 1000, t->max_overrun_s * 1000);
	for (int i = 0; i < FS_STATUSES; i++)
		if (t->by_status[i] > 0)
			printf("  %-18s %6ld  e.g. \"%s\"\n", cruddur_status_name((cruddur_status)i),
			    t->by_status[i], t->sample[i]);
	fflush(stdout);
}

/* ---- calls ---------------------------------------------------------------------- */

cruddur_status
fs_home_feed(cruddur_client *c, uint32_t deadline_ms, bool retry, cruddur_call_opts *o)
{
	return ts_home_feed(c, 1, NULL, retry, deadline_ms, NULL, o); /* STRONG */
}

cruddur_status
fs_get_user(cruddur_client *c, const char *handle, uint32_t deadline_ms, bool retry,
    cruddur_call_opts *o)
{
	Cruddur__V1__GetUserRequest req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	ProtobufCMessage           *resp = NULL;
	cruddur_method              once = cruddur_method_users_get_user;

	once.idempotent = retry;
	req.handle = (char *)handle;
	*o = (cruddur_call_opts){ .deadline_ms = deadline_ms };
	cruddur_status st = cruddur_client_call(c, &once, &req.base, &resp, o);
	cruddur_message_free(resp);
	return st;
}

cruddur_status
fs_health(cruddur_client *c, const char *service, uint32_t deadline_ms, bool *serving,
    cruddur_call_opts *o)
{
	Cruddur__V1__HealthCheckRequest   req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *resp = NULL;

	req.service = (char *)service;
	*o = (cruddur_call_opts){ .deadline_ms = deadline_ms };
	*serving = false;
	cruddur_status st = cruddur_health_check(c, &req, &resp, o);
	if (st == CRUDDUR_OK) {
		*serving = resp->status == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
		if (!*serving)
			snprintf(o->message, sizeof(o->message), "%s", resp->detail);
	}
	cruddur_message_free(resp);
	return st;
}

int
fs_connection_stats(cruddur_client *c, Cruddur__V1__ConnectionStats *out)
{
	cruddur__v1__connection_stats__init(out);
	Cruddur__V1__GetStatsResponse *resp = ts_get_stats(c, 5000);
	if (resp != NULL && resp->connections != NULL)
		*out = *resp->connections;
	cruddur_message_free(resp);
	return resp != NULL ? 0 : -1;
}

void
fs_connection_stats_print(const char *label, const Cruddur__V1__ConnectionStats *cs)
{
	printf("%s: connections open %d (max %d, %d requests each); refused %lld connections, %lld "
	       "requests; dropped %lld; closed for not reading %lld, for stalling %lld\n",
	    label, cs->open, cs->max_connections, cs->max_requests_per_connection,
	    (long long)cs->refused_connections, (long long)cs->refused_requests,
	    (long long)cs->dropped_requests, (long long)cs->send_timeouts, (long long)cs->recv_timeouts);
}

cruddur_status
fs_create_activity(cruddur_client *c, const char *message, const char *key, cruddur_call_opts *o)
{
	Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__CreateActivityResponse *resp = NULL;
	Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;

	author.handle = "hotwheels";
	req.author = &author;
	req.message = (char *)message;
	req.idempotency_key = (char *)(key != NULL ? key : "");
	cruddur_status st = cruddur_activities_create_activity(c, &req, &resp, o);
	cruddur_message_free(resp);
	return st;
}

cruddur_status
fs_setup(cruddur_client *c, cruddur_call_opts *o)
{
	Cruddur__V1__SetupRequest   req = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *resp = NULL;

	*o = (cruddur_call_opts){ .deadline_ms = 60000 };
	cruddur_status st = cruddur_db_admin_setup(c, &req, &resp, o);
	cruddur_message_free(resp);
	return st;
}
