/*
 * calls.c - one call of each benchmarked method, through the generated
 * stubs (cruddur_activities_home_feed and friends), and the check of its
 * reply.
 *
 * A reply counts as good only if its status is OK and its content is what
 * the request must produce:
 *   HomeFeed        min(limit, rows available) rows, learned from a first
 *                   call before the run (more may appear while
 *                   CreateActivity runs in a mix, never more than limit)
 *   CreateActivity  the new activity, with our message and a uuid
 *   ShowActivity    the activity asked for
 *   UserActivities  min(limit, activities_count) rows (one snapshot on the
 *                   server, so this holds exactly)
 * The targets of ShowActivity and UserActivities are the activities and
 * authors of a first HomeFeed page.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define TARGET_PAGE 100

static uint64_t
rng_next(uint64_t *s)
{
	/* xorshift64*: per-caller, no lock, good enough to pick a method. */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

static int
outcome(cruddur_status st)
{
	return (unsigned)st < BENCH_N_STATUS ? (int)st : CRUDDUR_UNKNOWN;
}

static int
call_home_feed(bench_caller *c)
{
	bench                         *b = c->b;
	Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *resp = NULL;
	cruddur_call_opts              opts = { .deadline_ms = b->opt.deadline_ms };

	req.limit = b->opt.limit;
	cruddur_status st = cruddur_activities_home_feed(b->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return outcome(st);
	size_t n = resp->n_activities;
	cruddur_message_free(resp);
	if (n < b->targets.expected_feed_rows || n > (size_t)b->opt.limit)
		return BENCH_BAD_REPLY;
	return CRUDDUR_OK;
}

static int
call_create_activity(bench_caller *c)
{
	bench                               *b = c->b;
	Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
	Cruddur__V1__CreateActivityResponse *resp = NULL;
	cruddur_call_opts                    opts = { .deadline_ms = b->opt.deadline_ms };
	char                                 message[96];

	snprintf(message, sizeof(message), "cruddur-bench %llu from caller %ld",
	    (unsigned long long)rng_next(&c->rng), (long)(c - b->callers));
	author.handle = (char *)b->opt.handle;
	req.author = &author;
	req.message = message;
	cruddur_status st = cruddur_activities_create_activity(b->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return outcome(st);
	bool good = resp->activity != NULL && strlen(resp->activity->uuid) == 36 &&
	    strcmp(resp->activity->message, message) == 0;
	cruddur_message_free(resp);
	return good ? CRUDDUR_OK : BENCH_BAD_REPLY;
}

static int
call_show_activity(bench_caller *c)
{
	bench                             *b = c->b;
	Cruddur__V1__ShowActivityRequest   req = CRUDDUR__V1__SHOW_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__ShowActivityResponse *resp = NULL;
	cruddur_call_opts                  opts = { .deadline_ms = b->opt.deadline_ms };

	req.uuid = b->targets.uuids[rng_next(&c->rng) % b->targets.n];
	cruddur_status st = cruddur_activities_show_activity(b->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return outcome(st);
	bool good = resp->activity != NULL && strcmp(resp->activity->uuid, req.uuid) == 0;
	cruddur_message_free(resp);
	return good ? CRUDDUR_OK : BENCH_BAD_REPLY;
}

static int
call_user_activities(bench_caller *c)
{
	bench                               *b = c->b;
	Cruddur__V1__UserActivitiesRequest   req = CRUDDUR__V1__USER_ACTIVITIES_REQUEST__INIT;
	Cruddur__V1__UserRef                 user = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__UserActivitiesResponse *resp = NULL;
	cruddur_call_opts                    opts = { .deadline_ms = b->opt.deadline_ms };

	user.handle = b->targets.handles[rng_next(&c->rng) % b->targets.n];
	req.user = &user;
	req.limit = b->opt.limit;
	cruddur_status st = cruddur_users_user_activities(b->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return outcome(st);
	int64_t want = resp->activities_count < b->opt.limit ? resp->activities_count : b->opt.limit;
	bool    good = (int64_t)resp->n_activities == want;
	cruddur_message_free(resp);
	return good ? CRUDDUR_OK : BENCH_BAD_REPLY;
}

bench_method
bench_pick(bench_caller *c)
{
	const bench_options *o = &c->b->opt;

	if (o->weights[BENCH_HOME_FEED] == o->weight_total)
		return BENCH_HOME_FEED;
	unsigned r = (unsigned)(rng_next(&c->rng) % o->weight_total);
	for (int m = 0; m < BENCH_N_METHODS; m++) {
		if (r < o->weights[m])
			return (bench_method)m;
		r -= o->weights[m];
	}
	return BENCH_HOME_FEED;
}

int
bench_call(bench_caller *c, bench_method m)
{
	switch (m) {
	case BENCH_HOME_FEED: return call_home_feed(c);
	case BENCH_CREATE_ACTIVITY: return call_create_activity(c);
	case BENCH_SHOW_ACTIVITY: return call_show_activity(c);
	case BENCH_USER_ACTIVITIES: return call_user_activities(c);
	default: return CRUDDUR_INTERNAL;
	}
}

/* One HomeFeed page of `limit` rows; prints why on failure. */
static int
first_page(bench *b, int limit, Cruddur__V1__HomeFeedResponse **resp)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	cruddur_call_opts            opts = { .deadline_ms = b->opt.deadline_ms };

	req.limit = limit;
	cruddur_status st = cruddur_activities_home_feed(b->client, &req, resp, &opts);
	if (st != CRUDDUR_OK) {
		fprintf(stderr, "cruddur-bench: first HomeFeed call: %s: %s\n", cruddur_status_name(st),
		    opts.message);
		return -1;
	}
	return 0;
}

int
bench_targets_learn(bench *b)
{
	Cruddur__V1__HomeFeedResponse *resp = NULL;
	bench_targets                 *t = &b->targets;

	if (first_page(b, b->opt.limit, &resp) != 0)
		return -1;
	t->expected_feed_rows = resp->n_activities;
	cruddur_message_free(resp);
	if (first_page(b, TARGET_PAGE, &resp) != 0)
		return -1;
	for (size_t i = 0; i < resp->n_activities && t->n < BENCH_MAX_TARGETS; i++) {
		const Cruddur__V1__Activity *a = resp->activities[i];
		if (strlen(a->uuid) != 36 || strlen(a->handle) > 64)
			continue;
		memcpy(t->uuids[t->n], a->uuid, 37);
		strcpy(t->handles[t->n], a->handle);
		t->n++;
	}
	cruddur_message_free(resp);
	bool need = b->opt.weights[BENCH_SHOW_ACTIVITY] > 0 || b->opt.weights[BENCH_USER_ACTIVITIES] > 0;
	if (need && t->n == 0) {
		fprintf(stderr, "cruddur-bench: the home feed is empty: no targets for ShowActivity "
		                "or UserActivities (seed the database first)\n");
		return -1;
	}
	return 0;
}
