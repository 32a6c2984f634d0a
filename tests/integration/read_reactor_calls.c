/*
 * read_reactor_calls.c - read_reactor_test's servers, calls and results;
 * see read_reactor_calls.h.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "read_reactor_calls.h"

/* ---- cleanup, also from the alarm ---------------------------------------- */

ts_server *rr_servers[RR_MAX_SERVERS];
char       rr_stop_cmd[256]; /* tests/pg/stop DIR, for the alarm */

void
rr_track(ts_server *s)
{
	for (int i = 0; i < RR_MAX_SERVERS; i++)
		if (rr_servers[i] == NULL) {
			rr_servers[i] = s;
			return;
		}
}

void
rr_on_alarm(int sig)
{
	(void)sig;
	static const char why[] = "read_reactor_test: timed out; killing its servers and cluster\n";
	ssize_t           w = write(2, why, sizeof(why) - 1);
	(void)w;
	for (int i = 0; i < RR_MAX_SERVERS; i++)
		if (rr_servers[i] != NULL && rr_servers[i]->pid > 0)
			kill(rr_servers[i]->pid, SIGKILL);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", rr_stop_cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	_exit(1);
}

/* Starts cruddurd on the cluster with extra args (NULL-terminated). */
int
rr_server_start(ts_server *s, const fs_cluster *pg, const char *const *extra)
{
	if (fs_cluster_server_start(s, pg, DB, extra) != 0)
		return -1;
	rr_track(s);
	return 0;
}

/* Closes c, then SIGTERM, exit 0 checked, the log on failure (fs_server_finish). */
void
rr_server_finish(ts_server *s, cruddur_client *c)
{
	if (c != NULL)
		cruddur_client_close(c);
	fs_server_finish(s);
}

/* ---- calls ------------------------------------------------------------------- */

cruddur_method rr_feed_retry, rr_feed_once; /* HomeFeed, with and without client retry */


void
rr_result_fill(result *r, cruddur_status st, ProtobufCMessage *resp, const char *msg)
{
	r->st = st;
	snprintf(r->msg, sizeof(r->msg), "%s", msg != NULL ? msg : "");
	if (st == CRUDDUR_OK && resp != NULL) {
		const Cruddur__V1__HomeFeedResponse *f = (const Cruddur__V1__HomeFeedResponse *)resp;
		r->len = protobuf_c_message_get_packed_size(resp);
		r->bytes = malloc(r->len + 1);
		if (r->bytes != NULL)
			protobuf_c_message_pack(resp, r->bytes);
		if (f->n_activities > 0)
			snprintf(r->first_message, sizeof(r->first_message), "%s", f->activities[0]->message);
	}
	cruddur_message_free(resp);
}

void
rr_result_clear(result *r)
{
	free(r->bytes);
	memset(r, 0, sizeof(*r));
}

/* One HomeFeed, waited for. */
cruddur_status
rr_feed(cruddur_client *c, int32_t limit, const char *cursor, uint32_t deadline_ms, bool retry,
    result *r)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	ProtobufCMessage            *resp = NULL;
	cruddur_call_opts            o = { .deadline_ms = deadline_ms };
	double                       t0 = ts_now();

	req.limit = limit;
	req.cursor = (char *)(cursor != NULL ? cursor : "");
	/* The reactor's tests: every call reaches it, never the page cache. */
	req.consistency = CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG;
	memset(r, 0, sizeof(*r));
	cruddur_status st = cruddur_client_call(c, retry ? &rr_feed_retry : &rr_feed_once, &req.base, &resp, &o);
	rr_result_fill(r, st, resp, o.message);
	r->took = ts_now() - t0;
	return st;
}


static void
rr_batch_done(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *o)
{
	struct batch_arg *a = arg;
	batch            *b = a->b;

	rr_result_fill(&b->r[a->i], st, resp, o->message);
	pthread_mutex_lock(&b->mu);
	b->r[a->i].took = ts_now() - b->t0;
	b->left--;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

void
rr_batch_init(batch *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->t0 = ts_now();
}

/* Starts call number b->n. */
void
rr_batch_add(batch *b, cruddur_client *c, int32_t limit, const char *cursor, uint32_t deadline_ms,
    bool retry)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	cruddur_call_opts            o = { .deadline_ms = deadline_ms };
	int                          i = b->n++;

	req.limit = limit;
	req.cursor = (char *)(cursor != NULL ? cursor : "");
	/* The reactor's tests: every call reaches it, never the page cache. */
	req.consistency = CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG;
	b->args[i] = (struct batch_arg){ b, i };
	pthread_mutex_lock(&b->mu);
	b->left++;
	pthread_mutex_unlock(&b->mu);
	cruddur_status st = cruddur_client_call_async(c, retry ? &rr_feed_retry : &rr_feed_once, &req.base,
	    &o, rr_batch_done, &b->args[i]);
	if (st != CRUDDUR_OK) {
		pthread_mutex_lock(&b->mu);
		b->left--;
		pthread_mutex_unlock(&b->mu);
		rr_result_fill(&b->r[i], st, NULL, o.message);
	}
}

/* Waits at most timeout_s for every call; whether they all ended. */
bool
rr_batch_wait(batch *b, double timeout_s)
{
	double until = ts_now() + timeout_s;

	pthread_mutex_lock(&b->mu);
	while (b->left > 0 && ts_now() < until) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
	}
	bool all = b->left == 0;
	pthread_mutex_unlock(&b->mu);
	if (!all)
		fprintf(stderr, "%d calls still unanswered after %.1f s\n", b->left, timeout_s);
	return all;
}

void
rr_batch_free(batch *b)
{
	for (int i = 0; i < b->n; i++)
		rr_result_clear(&b->r[i]);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
}

/* How many calls of b ended with st. */
int
rr_batch_count(const batch *b, cruddur_status st)
{
	int n = 0;
	for (int i = 0; i < b->n; i++)
		n += b->r[i].st == st;
	return n;
}

