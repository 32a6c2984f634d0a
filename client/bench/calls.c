/*
 * calls.c - one call of each benchmarked method, through the generated
 * stubs (cruddur_activities_home_feed and friends, blocking, or their
 * *_async twins), and the check of its reply.
 *
 * A call is three steps so that both kinds share them: build_request (on
 * the stack; it is packed before the call returns), the stub, and
 * bench_check, which for an async call runs in its callback. What the
 * check needs of the request (CreateActivity's message, ShowActivity's
 * uuid) waits in the caller, which has one call in flight at a time.
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
 *   ListMethods     at least one service with at least one method
 * The targets of ShowActivity and UserActivities are the activities and
 * authors of a first HomeFeed page.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "calls.h"

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

/* The request of one call, built on the caller's stack: a call packs it
 * before it returns. What the check needs later is in the caller. */
typedef struct call_request {
	union {
		Cruddur__V1__HomeFeedRequest       feed;
		Cruddur__V1__CreateActivityRequest create;
		Cruddur__V1__ShowActivityRequest   show;
		Cruddur__V1__UserActivitiesRequest user_activities;
		Cruddur__V1__ListMethodsRequest    list_methods;
	} u;
	Cruddur__V1__Author  author;
	Cruddur__V1__UserRef user;
} call_request;

static void
build_request(bench_caller *c, bench_method m, call_request *r)
{
	bench *b = c->b;

	c->method = m;
	switch (m) {
	case BENCH_HOME_FEED:
		r->u.feed = (Cruddur__V1__HomeFeedRequest)CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
		r->u.feed.limit = b->opt.limit;
		break;
	case BENCH_CREATE_ACTIVITY:
		r->u.create =
		    (Cruddur__V1__CreateActivityRequest)CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
		r->author = (Cruddur__V1__Author)CRUDDUR__V1__AUTHOR__INIT;
		snprintf(c->message, sizeof(c->message), "cruddur-bench %llu from caller %ld",
		    (unsigned long long)rng_next(&c->rng), (long)(c - b->callers));
		r->author.handle = (char *)b->opt.handle;
		r->u.create.author = &r->author;
		r->u.create.message = c->message;
		break;
	case BENCH_SHOW_ACTIVITY:
		r->u.show = (Cruddur__V1__ShowActivityRequest)CRUDDUR__V1__SHOW_ACTIVITY_REQUEST__INIT;
		c->want_uuid = b->targets.uuids[rng_next(&c->rng) % b->targets.n];
		r->u.show.uuid = (char *)c->want_uuid;
		break;
	case BENCH_LIST_METHODS:
		r->u.list_methods = (Cruddur__V1__ListMethodsRequest)CRUDDUR__V1__LIST_METHODS_REQUEST__INIT;
		break;
	case BENCH_ANY: /* opt.any_request, made once from --request */
		break;
	case BENCH_USER_ACTIVITIES:
	default:
		r->u.user_activities =
		    (Cruddur__V1__UserActivitiesRequest)CRUDDUR__V1__USER_ACTIVITIES_REQUEST__INIT;
		r->user = (Cruddur__V1__UserRef)CRUDDUR__V1__USER_REF__INIT;
		r->user.handle = b->targets.handles[rng_next(&c->rng) % b->targets.n];
		r->u.user_activities.user = &r->user;
		r->u.user_activities.limit = b->opt.limit;
		break;
	}
}

static bool
feed_good(const bench_caller *c, const Cruddur__V1__HomeFeedResponse *r)
{
	return r->n_activities >= c->b->targets.expected_feed_rows &&
	    r->n_activities <= (size_t)c->b->opt.limit;
}

static bool
created_good(const bench_caller *c, const Cruddur__V1__CreateActivityResponse *r)
{
	return r->activity != NULL && strlen(r->activity->uuid) == 36 &&
	    strcmp(r->activity->message, c->message) == 0;
}

static bool
shown_good(const bench_caller *c, const Cruddur__V1__ShowActivityResponse *r)
{
	return r->activity != NULL && strcmp(r->activity->uuid, c->want_uuid) == 0;
}

static bool
user_activities_good(const bench_caller *c, const Cruddur__V1__UserActivitiesResponse *r)
{
	int64_t limit = c->b->opt.limit;
	int64_t want = r->activities_count < limit ? r->activities_count : limit;
	return (int64_t)r->n_activities == want;
}

static bool
methods_good(const Cruddur__V1__ListMethodsResponse *r)
{
	return r->n_services > 0 && r->services[0]->n_methods > 0;
}

/* The options of every call: the deadline and the token. */
static cruddur_call_opts
bench_call_opts(const bench_options *o)
{
	cruddur_call_opts opts = { .deadline_ms = o->deadline_ms };

	opts.metadata = o->token.metadata;
	opts.n_metadata = o->token.n_metadata;
	return opts;
}

int
bench_check(bench_caller *c, cruddur_status st, ProtobufCMessage *resp)
{
	bool good;

	if (st != CRUDDUR_OK)
		return outcome(st);
	/* resp is the stub's response type: its base is its first member. */
	switch (c->method) {
	case BENCH_HOME_FEED: good = feed_good(c, (void *)resp); break;
	case BENCH_CREATE_ACTIVITY: good = created_good(c, (void *)resp); break;
	case BENCH_SHOW_ACTIVITY: good = shown_good(c, (void *)resp); break;
	case BENCH_USER_ACTIVITIES: good = user_activities_good(c, (void *)resp); break;
	case BENCH_LIST_METHODS: good = methods_good((void *)resp); break;
	case BENCH_ANY: good = true; break; /* OK is all a method by name promises */
	default: good = false; break;
	}
	cruddur_message_free(resp);
	return good ? CRUDDUR_OK : BENCH_BAD_REPLY;
}

/* The blocking stubs take a typed response pointer: one variable a type. */
int
bench_call(bench_caller *c, bench_method m)
{
	cruddur_client   *cl = c->b->client;
	cruddur_call_opts opts = bench_call_opts(&c->b->opt);
	call_request      r;
	cruddur_status    st;
	Cruddur__V1__HomeFeedResponse       *feed = NULL;
	Cruddur__V1__CreateActivityResponse *created = NULL;
	Cruddur__V1__ShowActivityResponse   *shown = NULL;
	Cruddur__V1__UserActivitiesResponse *acts = NULL;
	Cruddur__V1__ListMethodsResponse    *methods = NULL;

	build_request(c, m, &r);
	switch (m) {
	case BENCH_HOME_FEED:
		st = cruddur_activities_home_feed(cl, &r.u.feed, &feed, &opts);
		return bench_check(c, st, feed != NULL ? &feed->base : NULL);
	case BENCH_CREATE_ACTIVITY:
		st = cruddur_activities_create_activity(cl, &r.u.create, &created, &opts);
		return bench_check(c, st, created != NULL ? &created->base : NULL);
	case BENCH_SHOW_ACTIVITY:
		st = cruddur_activities_show_activity(cl, &r.u.show, &shown, &opts);
		return bench_check(c, st, shown != NULL ? &shown->base : NULL);
	case BENCH_USER_ACTIVITIES:
		st = cruddur_users_user_activities(cl, &r.u.user_activities, &acts, &opts);
		return bench_check(c, st, acts != NULL ? &acts->base : NULL);
	case BENCH_LIST_METHODS:
		st = cruddur_health_list_methods(cl, &r.u.list_methods, &methods, &opts);
		return bench_check(c, st, methods != NULL ? &methods->base : NULL);
	case BENCH_ANY: {
		ProtobufCMessage *any = NULL;
		st = cruddur_client_call(cl, c->b->opt.any, c->b->opt.any_request, &any, &opts);
		return bench_check(c, st, any);
	}
	default:
		return CRUDDUR_INTERNAL;
	}
}

int
bench_call_async(bench_caller *c, bench_method m, cruddur_call_done done)
{
	cruddur_client   *cl = c->b->client;
	cruddur_call_opts opts = bench_call_opts(&c->b->opt);
	call_request      r;
	cruddur_status    st;

	build_request(c, m, &r);
	switch (m) {
	case BENCH_HOME_FEED:
		st = cruddur_activities_home_feed_async(cl, &r.u.feed, &opts, done, c);
		break;
	case BENCH_CREATE_ACTIVITY:
		st = cruddur_activities_create_activity_async(cl, &r.u.create, &opts, done, c);
		break;
	case BENCH_SHOW_ACTIVITY:
		st = cruddur_activities_show_activity_async(cl, &r.u.show, &opts, done, c);
		break;
	case BENCH_USER_ACTIVITIES:
		st = cruddur_users_user_activities_async(cl, &r.u.user_activities, &opts, done, c);
		break;
	case BENCH_LIST_METHODS:
		st = cruddur_health_list_methods_async(cl, &r.u.list_methods, &opts, done, c);
		break;
	case BENCH_ANY:
		st = cruddur_client_call_async(cl, c->b->opt.any, c->b->opt.any_request, &opts, done, c);
		break;
	default:
		return CRUDDUR_INTERNAL;
	}
	return st == CRUDDUR_OK ? CRUDDUR_OK : outcome(st);
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

/* One HomeFeed page of `limit` rows; prints why on failure. */
static int
first_page(bench *b, int limit, Cruddur__V1__HomeFeedResponse **resp)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	cruddur_call_opts            opts = bench_call_opts(&b->opt);

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
