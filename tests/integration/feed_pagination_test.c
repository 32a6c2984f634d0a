/*
 * feed_pagination_test.c - HomeFeed's keyset pages over thousands of rows
 * while others post.
 *
 * 3000 activities are inserted in bulk, three to a created_at (so that
 * only the uuid orders them), some expired, some that never expire, plus
 * replies among them. Then the feed is read 37 at a time while another
 * thread posts through CreateActivity, one new activity between every two
 * pages. The pages must hold every feed row that existed at the start
 * exactly once, in (created_at DESC, uuid DESC) order, nothing expired, no
 * replies, and nothing but those rows and the concurrent posts.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

#define DB "cruddur_feed_pagination_test"
#define PAGE 37
#define MAX_ROWS 8000
#define MAX_POSTS 2000

/* Setup and Migrate (ts_db_setup_migrated); checks for the feed's index. */
static void
db_ready(cruddur_client *c)
{
	char out[256];

	ts_db_setup_migrated(c, DB);
	CHECK(ts_psql(DB, "SELECT count(*) FROM pg_indexes WHERE indexname = 'activities_feed_idx'",
	          out, sizeof(out)) == 0);
	CHECK_STREQ(out, "1");
}

/* 3000 rows an hour and more old: every third shares its created_at with
 * two others; one in ten expired a minute ago, one in seven never expires;
 * and 300 replies to them, which the feed must skip. */
static const char BULK_SQL[] =
    "INSERT INTO activities (user_uuid, message, created_at, expires_at) "
    "SELECT u.uuid, 'bulk ' || g, now() - interval '1 hour' - (g / 3) * interval '1 second', "
    "  CASE WHEN g % 10 = 0 THEN now() - interval '1 minute' "
    "       WHEN g % 7 = 0 THEN NULL ELSE now() + interval '1 day' END "
    "FROM generate_series(1, 3000) g JOIN users u ON u.handle = CASE WHEN g % 2 = 0 "
    "  THEN 'hotwheels' ELSE 'getFullOrDieTryin' END;\n"
    "INSERT INTO activities (user_uuid, message, created_at, expires_at, reply_to_activity_uuid) "
    "SELECT p.user_uuid, 'reply to ' || p.message, p.created_at, p.expires_at, p.uuid "
    "FROM activities p WHERE p.message LIKE 'bulk %' AND p.message LIKE '%3';\n"
    "ANALYZE activities;";

/* The feed rows there are now, in feed order, one uuid a line. */
static const char EXPECTED_SQL[] =
    "SELECT uuid FROM activities WHERE reply_to_activity_uuid IS NULL "
    "AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at DESC, uuid DESC";

typedef struct poster {
	cruddur_client *client;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             posted; /* guarded by mu */
	int             wanted; /* guarded by mu: post until posted reaches it */
	bool            stop;   /* guarded by mu */
	char          (*uuids)[37];
} poster;

/* Posts one activity each time the pager asks for one. */
static void *
poster_run(void *arg)
{
	poster *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->posted >= p->wanted)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->posted >= MAX_POSTS)
			break;
		pthread_mutex_unlock(&p->mu);

		Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
		Cruddur__V1__CreateActivityResponse *resp = NULL;
		Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
		cruddur_call_opts                    o = ts_opts(30000);
		author.handle = "getFullOrDieTryin";
		req.author = &author;
		req.message = "posted while paging";
		req.ttl = "1h";
		CHECK_STATUS(cruddur_activities_create_activity(p->client, &req, &resp, &o), CRUDDUR_OK, &o);

		pthread_mutex_lock(&p->mu);
		if (resp != NULL && resp->activity != NULL)
			snprintf(p->uuids[p->posted], 37, "%s", resp->activity->uuid);
		p->posted++;
		pthread_cond_broadcast(&p->cv);
		cruddur_message_free(resp);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Asks for one more post and waits until it is committed. */
static void
poster_one_more(poster *p)
{
	pthread_mutex_lock(&p->mu);
	int target = ++p->wanted;
	pthread_cond_broadcast(&p->cv);
	while (p->posted < target && p->posted < MAX_POSTS)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static int
cmp_uuid(const void *a, const void *b)
{
	return strcmp(a, b);
}

typedef struct row {
	int64_t created_at_us;
	char    uuid[37];
} row;

/* Reads the feed from the start, PAGE rows at a time, the poster posting
 * between pages. Returns the number of rows read into rows. */
static size_t
read_all_pages(cruddur_client *c, poster *p, row *rows, int *pages)
{
	char   cursor[256] = "";
	size_t n = 0;
	int64_t now_us = (int64_t)time(NULL) * 1000000;

	*pages = 0;
	for (;;) {
		Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
		Cruddur__V1__HomeFeedResponse *resp = NULL;
		cruddur_call_opts              o = ts_opts(30000);

		req.limit = PAGE;
		req.cursor = cursor;
		CHECK_STATUS(cruddur_activities_home_feed(c, &req, &resp, &o), CRUDDUR_OK, &o);
		if (resp == NULL)
			break;
		(*pages)++;
		bool last = resp->next_cursor[0] == '\0';
		/* Every page but the last is full. */
		CHECK(last ? resp->n_activities <= PAGE : resp->n_activities == PAGE);
		for (size_t i = 0; i < resp->n_activities && n < MAX_ROWS; i++) {
			const Cruddur__V1__Activity *a = resp->activities[i];
			CHECK_STREQ(a->reply_to_activity_uuid, "");
			CHECK(a->expires_at_us == 0 || a->expires_at_us > now_us - 5000000);
			rows[n].created_at_us = a->created_at_us;
			snprintf(rows[n].uuid, sizeof(rows[n].uuid), "%s", a->uuid);
			n++;
		}
		CHECK(strlen(resp->next_cursor) < sizeof(cursor));
		snprintf(cursor, sizeof(cursor), "%s", resp->next_cursor);
		cruddur_message_free(resp);
		if (last || *pages > MAX_ROWS / PAGE)
			break;
		poster_one_more(p);
	}
	return n;
}

static void
test_pages_under_inserts(cruddur_client *c, cruddur_client *c2)
{
	static row   rows[MAX_ROWS];
	static char  posted[MAX_POSTS][37];
	char        *expected_text = malloc(1 << 20), *save = NULL;
	char       (*expected)[37] = calloc(MAX_ROWS, 37);
	char       (*sorted)[37] = calloc(MAX_ROWS, 37);
	size_t       n_expected = 0, n_rows, at = 0;
	int          pages;
	poster       p = { .client = c2, .uuids = posted };
	pthread_t    t;
	char         out[256];

	CHECK(ts_psql(DB, BULK_SQL, out, sizeof(out)) == 0);
	CHECK(ts_psql(DB, EXPECTED_SQL, expected_text, 1 << 20) == 0);
	for (char *line = strtok_r(expected_text, "\n", &save); line != NULL && n_expected < MAX_ROWS;
	     line = strtok_r(NULL, "\n", &save))
		snprintf(expected[n_expected++], 37, "%s", line);
	/* 3000 - 300 expired, and the seed activity. */
	CHECK(n_expected == 2701);
	memcpy(sorted, expected, n_expected * 37);
	qsort(sorted, n_expected, 37, cmp_uuid);

	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	pthread_create(&t, NULL, poster_run, &p);
	poster_one_more(&p); /* one before the first page, too */
	n_rows = read_all_pages(c, &p, rows, &pages);
	pthread_mutex_lock(&p.mu);
	p.stop = true;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(t, NULL);

	printf("%d pages, %zu rows, %d posted while paging\n", pages, n_rows, p.posted);
	CHECK(pages >= 2701 / PAGE);
	CHECK(p.posted >= pages);
	qsort(posted, (size_t)p.posted, 37, cmp_uuid);
	for (size_t i = 0; i < n_rows; i++) {
		/* Strictly after the row before: in order, no duplicates. */
		if (i > 0)
			CHECK(rows[i - 1].created_at_us > rows[i].created_at_us ||
			    (rows[i - 1].created_at_us == rows[i].created_at_us &&
				strcmp(rows[i - 1].uuid, rows[i].uuid) > 0));
		bool old = bsearch(rows[i].uuid, sorted, n_expected, 37, cmp_uuid) != NULL;
		bool new = bsearch(rows[i].uuid, posted, (size_t)p.posted, 37, cmp_uuid) != NULL;
		CHECK(old || new);
		/* The old rows come exactly in the order they had at the start. */
		if (old) {
			CHECK(at < n_expected && strcmp(rows[i].uuid, expected[at]) == 0);
			at++;
		}
	}
	CHECK(at == n_expected);
	/* Equal created_at values were met, and the uuid broke the ties. */
	int ties = 0;
	for (size_t i = 1; i < n_rows; i++)
		ties += rows[i - 1].created_at_us == rows[i].created_at_us;
	CHECK(ties > 1000);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	free(sorted);
	free(expected);
	free(expected_text);
}

int
main(void)
{
	ts_server s;

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	cruddur_client *c2 = ts_client(&s);
	db_ready(c);
	test_pages_under_inserts(c, c2);
	cruddur_client_close(c2);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("feed_pagination_test");
}
