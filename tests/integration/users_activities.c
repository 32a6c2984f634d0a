/*
 * users_activities.c - users_test's part on UserActivities: a few hundred
 * rows put in with psql (ties in created_at, expired rows, replies,
 * another user's rows, rows inserted while paging) paged at several
 * limits: the pages together are exactly what SQL says, in order, with no
 * duplicates or gaps; and the errors of bad limits, cursors and users.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "users_calls.h"

/* ---- UserActivities --------------------------------------------------- */

/* psql's newline-separated uuids of pager's live activities, newest first. */
static const char *expected_sql =
    "SELECT a.uuid FROM activities a JOIN users u ON u.uuid = a.user_uuid "
    "WHERE u.handle = 'pager' AND (a.expires_at IS NULL OR a.expires_at > now()) "
    "ORDER BY a.created_at DESC, a.uuid DESC";

static const char *fill_sql =
    "WITH p AS (SELECT uuid FROM users WHERE handle = 'pager'), "
    "o AS (SELECT uuid FROM users WHERE handle = 'hotwheels'), "
    "t AS (SELECT date_trunc('second', now()) AS t0) "
    "INSERT INTO activities (user_uuid, message, created_at, expires_at) "
    /* 250 live rows, three to each created_at (ties break on uuid) */
    "SELECT p.uuid, 'live ' || g, t0 - (g / 3) * interval '1 second', now() + interval '1 day' "
    "FROM p, t, generate_series(1, 250) g "
    /* 30 that never expire */
    "UNION ALL SELECT p.uuid, 'forever ' || g, t0 - g * interval '7 second', NULL "
    "FROM p, t, generate_series(1, 30) g "
    /* 20 expired, among the others */
    "UNION ALL SELECT p.uuid, 'expired ' || g, t0 - g * interval '5 second', now() - interval '1 hour' "
    "FROM p, t, generate_series(1, 20) g "
    /* 40 of another user, at the same times */
    "UNION ALL SELECT o.uuid, 'other ' || g, t0 - g * interval '2 second', now() + interval '1 day' "
    "FROM o, t, generate_series(1, 40) g;"
    /* 10 live replies of pager to its own newest activity */
    "INSERT INTO activities (user_uuid, message, created_at, expires_at, reply_to_activity_uuid) "
    "SELECT a.user_uuid, 'reply ' || g, now() - g * interval '3 second', now() + interval '1 day', a.uuid "
    "FROM (SELECT * FROM activities WHERE message = 'live 1') a, generate_series(1, 10) g;";

/* Pages through pager's activities limit rows at a time into got (uuids,
 * each followed by a newline); after the first page, inserts `during` new
 * activities. Returns the number of pages. */
static int
page_all(cruddur_client *c, int32_t limit, long want_count, int during, char *got, size_t len)
{
	Cruddur__V1__UserActivitiesResponse *r = NULL;
	cruddur_call_opts                    o = ts_opts(10000);
	char                                 cursor[256] = "", out[64];
	int                                  pages = 0;
	int64_t                              prev_us = INT64_MAX;
	char                                 prev_uuid[40] = "";

	got[0] = '\0';
	for (;;) {
		CHECK_STATUS(activities(c, "Pager", limit, cursor, &r, &o), CRUDDUR_OK, &o);
		if (r == NULL || r->user == NULL)
			return -1;
		pages++;
		CHECK_STREQ(r->user->handle, "pager");
		CHECK(pages == 1 || during == 0 ? r->activities_count == want_count
		                                : r->activities_count == want_count + during);
		CHECK(r->n_activities == (size_t)limit || r->next_cursor[0] == '\0');
		for (size_t i = 0; i < r->n_activities; i++) {
			Cruddur__V1__Activity *a = r->activities[i];
			CHECK_STREQ(a->user_uuid, r->user->uuid);
			CHECK_STREQ(a->handle, "pager");
			CHECK(strncmp(a->message, "expired", 7) != 0);
			/* Strictly descending by (created_at, uuid). */
			CHECK(a->created_at_us < prev_us ||
			    (a->created_at_us == prev_us && strcmp(a->uuid, prev_uuid) < 0));
			prev_us = a->created_at_us;
			snprintf(prev_uuid, sizeof(prev_uuid), "%s", a->uuid);
			if (strlen(got) + 38 < len) {
				strcat(got, a->uuid);
				strcat(got, "\n");
			}
		}
		snprintf(cursor, sizeof(cursor), "%s", r->next_cursor);
		cruddur_message_free(r);
		if (pages == 1 && during > 0) {
			char sql[512];
			snprintf(sql, sizeof(sql),
			    "INSERT INTO activities (user_uuid, message) SELECT uuid, 'during ' || g "
			    "FROM users, generate_series(1, %d) g WHERE handle = 'pager'", during);
			CHECK(ts_psql(DB, sql, out, sizeof(out)) == 0);
		}
		if (cursor[0] == '\0' || pages > 1000)
			break;
	}
	return pages;
}

void
test_user_activities(cruddur_client *c)
{
	Cruddur__V1__CreateUserResponse     *cr = NULL;
	Cruddur__V1__UserActivitiesResponse *r = NULL;
	cruddur_call_opts                    o = ts_opts(10000);
	size_t                               len = 64 * 1024;
	char                                *want = malloc(len), *got = malloc(len), out[256];

	CHECK_STATUS(create(c, "Page Turner", "pager", "pager@example.com", "cog-pager", &cr, &o),
	    CRUDDUR_OK, &o);
	cruddur_message_free(cr);

	/* No activities yet: an empty last page. */
	CHECK_STATUS(activities(c, "pager", 0, "", &r, &o), CRUDDUR_OK, &o);
	CHECK(r != NULL && r->activities_count == 0 && r->n_activities == 0 && r->next_cursor[0] == '\0');
	cruddur_message_free(r);

	CHECK(ts_psql(DB, fill_sql, out, sizeof(out)) == 0);
	CHECK(ts_psql(DB, expected_sql, want, len) == 0);
	strcat(want, "\n");
	long live = 250 + 30 + 10;
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities a JOIN users u ON u.uuid = a.user_uuid "
	                "WHERE u.handle = 'pager'") == live + 20);

	/* 290 rows, 7 to a page: 42 pages, the last with 3; every row once. */
	CHECK(page_all(c, 7, live, 0, got, len) == 42);
	CHECK(strcmp(got, want) == 0);
	CHECK(page_all(c, 100, live, 0, got, len) == 3);
	CHECK(strcmp(got, want) == 0);
	CHECK(page_all(c, 1, live, 0, got, len) == 290);
	CHECK(strcmp(got, want) == 0);
	/* Rows inserted while paging are newer than the first page: the
	 * pages that follow are exactly the old ones, no duplicates, no gaps. */
	CHECK(page_all(c, 13, live, 5, got, len) == 23);
	CHECK(strcmp(got, want) == 0);

	CHECK_STATUS(activities(c, "pager", 0, "", &r, &o), CRUDDUR_OK, &o);
	CHECK(r != NULL && r->n_activities == 20 && r->activities_count == live + 5);
	CHECK(r != NULL && r->user != NULL && strcmp(r->user->display_name, "Page Turner") == 0);
	cruddur_message_free(r);

	CHECK_FAIL(activities(c, "pager", 101, "", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "limit must be from 1 to 100 (or 0 for 20), not 101", o);
	CHECK_FAIL(activities(c, "pager", -1, "", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "limit must be from 1 to 100", o);
	CHECK_FAIL(activities(c, "pager", 10, "not a cursor!", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "cursor is not one this server returned", o);
	/* Base64url of "12345.nope": the right alphabet, not our key. */
	CHECK_FAIL(activities(c, "pager", 10, "MTIzNDUubm9wZQ", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "cursor is not one this server returned", o);
	CHECK_FAIL(activities(c, "nobody", 10, "", &r, &o), CRUDDUR_NOT_FOUND,
	    "no user with handle \"nobody\"", o);
	CHECK_FAIL(activities(c, NULL, 10, "", &r, &o), CRUDDUR_INVALID_ARGUMENT, "(0 given)", o);
	free(want);
	free(got);
}
