/*
 * activities_calls.h - what the parts of activities_test share: the test's
 * database, two seed users as authors, the Activities RPCs with their
 * arguments spelled out (each with a deadline of 30 s, its outcome in *o),
 * SQL on the test's database, and a check of a failure's status and
 * message.
 *
 * activities_test.c's head comment says what each part checks and where.
 */
#ifndef CRUDDUR_ACTIVITIES_CALLS_H
#define CRUDDUR_ACTIVITIES_CALLS_H

#include <stdbool.h>

#include "test_support.h"

#define DB "cruddur_activities_test"
#define THREADS 16

/* Setup and Migrate (ts_db_setup_migrated); checks that the schema is the
 * one the Activities service needs. */
void db_ready(cruddur_client *c);

/* An author by handle, uuid or cognito_user_id (NULL: unset). */
typedef struct author_arg {
	const char *handle, *uuid, *cognito;
} author_arg;

/* The seed users hotwheels and getFullOrDieTryin, by handle. */
extern const author_arg HOTWHEELS, FIFTY;

void author_fill(Cruddur__V1__Author *a, const author_arg *who);
/* CreateActivity by who (NULL: no author); ttl and key NULL: unset. */
cruddur_status create(cruddur_client *c, const author_arg *who, const char *message, const char *ttl,
    const char *key, Cruddur__V1__CreateActivityResponse **resp, cruddur_call_opts *o);
/* Creates an activity that must succeed; its uuid into uuid. */
void create_ok(cruddur_client *c, const author_arg *who, const char *message, char uuid[37]);
/* CreateReply to parent by who; key NULL: unset. */
cruddur_status reply(cruddur_client *c, const char *parent, const author_arg *who, const char *message,
    const char *key, Cruddur__V1__CreateReplyResponse **resp, cruddur_call_opts *o);
cruddur_status show(cruddur_client *c, const char *uuid, Cruddur__V1__ShowActivityResponse **resp,
    cruddur_call_opts *o);
/* Whether the first 100 of the home feed hold uuid. */
bool in_feed(cruddur_client *c, const char *uuid);
/* The result of one SQL query, as text. */
const char *sql(const char *query, char *out, size_t len);
/* Makes the activity uuid expired (a second ago). */
void expire(const char *uuid);

/* Checks that call fails with want and a message holding substr; the call
 * gets o_ for its options and r_ (void *) for its response. */
#define CHECK_FAILS(call, want, substr)                                        \
	do {                                                                   \
		cruddur_call_opts o_;                                          \
		void             *r_ = NULL;                                   \
		(void)r_;                                                      \
		CHECK_STATUS(call, want, &o_);                                 \
		CHECK_MSG(&o_, substr);                                        \
	} while (0)

/* ---- the parts ------------------------------------------------------- */

/* activities_create.c */
void test_create(cruddur_client *c);
void test_create_errors(cruddur_client *c);
/* activities_idempotency.c */
void test_idempotent_retry(cruddur_client *c);
void test_idempotent_concurrent(cruddur_client *c);
/* activities_replies.c */
void test_replies(cruddur_client *c);
void test_many_replies(cruddur_client *c);
/* activities_show_feed.c */
void test_show_and_feed(cruddur_client *c);
void test_sql_text_verbatim(cruddur_client *c);

#endif /* CRUDDUR_ACTIVITIES_CALLS_H */
