/*
 * users_calls.h - what the parts of users_test share: the test's database,
 * the Users RPCs with their arguments spelled out (NULL for a field left
 * unset), and a check of a failure's status and message.
 *
 * users_test.c's head comment says what each part checks and where it is.
 */
#ifndef CRUDDUR_USERS_CALLS_H
#define CRUDDUR_USERS_CALLS_H

#include "test_support.h"

#define DB "cruddur_users_test"
#define RACE_THREADS 16
#define RACE_ROUNDS 5

/* Checks a call's status and that its message holds want_msg. */
#define CHECK_FAIL(call, want, want_msg, o)                                   \
	do {                                                                  \
		CHECK_STATUS((call), (want), &(o));                           \
		CHECK_MSG(&(o), (want_msg));                                  \
	} while (0)

/* n copies of unit into buf. */
void repeat(char *buf, const char *unit, int n);
/* DbAdmin Setup, then Migrate (a no-op then). */
void setup(cruddur_client *c);

cruddur_status create(cruddur_client *c, const char *name, const char *handle, const char *email,
    const char *cognito, Cruddur__V1__CreateUserResponse **resp, cruddur_call_opts *o);
/* GetUser with the old handle field (legacy) or a UserRef. */
cruddur_status get(cruddur_client *c, const char *legacy, const char *handle, const char *uuid,
    const char *cognito, Cruddur__V1__GetUserResponse **resp, cruddur_call_opts *o);
/* UpdateProfile of the user handle or uuid; name, bio NULL: absent. */
cruddur_status update(cruddur_client *c, const char *handle, const char *uuid, const char *name,
    const char *bio, Cruddur__V1__UpdateProfileResponse **resp, cruddur_call_opts *o);
/* UserActivities of handle (NULL: no UserRef). */
cruddur_status activities(cruddur_client *c, const char *handle, int32_t limit, const char *cursor,
    Cruddur__V1__UserActivitiesResponse **resp, cruddur_call_opts *o);

/* ---- the parts ------------------------------------------------------- */

/* users_create.c */
void test_create_idempotent(cruddur_client *c);
void test_create_handle_taken(cruddur_client *c);
void test_create_invalid(cruddur_client *c);
void test_injection_verbatim(cruddur_client *c);
void test_concurrent_create(const ts_server *s);
/* users_get_update.c */
void test_get_user(cruddur_client *c);
void test_short_user(cruddur_client *c);
void test_update_profile(cruddur_client *c);
/* users_activities.c */
void test_user_activities(cruddur_client *c);

#endif /* CRUDDUR_USERS_CALLS_H */
