/*
 * users_calls.c - the Users RPCs and the setup that users_test's parts
 * share; see users_calls.h.
 */
#include <string.h>

#include "users_calls.h"

void
repeat(char *buf, const char *unit, int n)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(buf, unit);
}

void
setup(cruddur_client *c)
{
	Cruddur__V1__SetupRequest     req = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse   *resp = NULL;
	Cruddur__V1__MigrateRequest   mreq = CRUDDUR__V1__MIGRATE_REQUEST__INIT;
	Cruddur__V1__MigrateResponse *mresp = NULL;
	cruddur_call_opts             o = ts_opts(60000);

	CHECK_STATUS(cruddur_db_admin_setup(c, &req, &resp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(resp);
	/* Setup ends at the latest version; this is a no-op then. */
	CHECK_STATUS(cruddur_db_admin_migrate(c, &mreq, &mresp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(mresp);
}

cruddur_status
create(cruddur_client *c, const char *name, const char *handle, const char *email,
    const char *cognito, Cruddur__V1__CreateUserResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__CreateUserRequest req = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;

	req.display_name = (char *)name;
	req.handle = (char *)handle;
	req.email = (char *)email;
	req.cognito_user_id = (char *)cognito;
	*resp = NULL;
	return cruddur_users_create_user(c, &req, resp, o);
}

cruddur_status
get(cruddur_client *c, const char *legacy, const char *handle, const char *uuid,
    const char *cognito, Cruddur__V1__GetUserResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__GetUserRequest req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	Cruddur__V1__UserRef        ref = CRUDDUR__V1__USER_REF__INIT;

	req.handle = (char *)(legacy ? legacy : "");
	if (handle || uuid || cognito) {
		ref.handle = (char *)(handle ? handle : "");
		ref.uuid = (char *)(uuid ? uuid : "");
		ref.cognito_user_id = (char *)(cognito ? cognito : "");
		req.user = &ref;
	}
	*resp = NULL;
	return cruddur_users_get_user(c, &req, resp, o);
}

cruddur_status
update(cruddur_client *c, const char *handle, const char *uuid, const char *name, const char *bio,
    Cruddur__V1__UpdateProfileResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__UpdateProfileRequest req = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
	Cruddur__V1__UserRef              ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__StringValue          n = CRUDDUR__V1__STRING_VALUE__INIT;
	Cruddur__V1__StringValue          b = CRUDDUR__V1__STRING_VALUE__INIT;

	ref.handle = (char *)(handle ? handle : "");
	ref.uuid = (char *)(uuid ? uuid : "");
	req.user = &ref;
	if (name != NULL) {
		n.value = (char *)name;
		req.display_name = &n;
	}
	if (bio != NULL) {
		b.value = (char *)bio;
		req.bio = &b;
	}
	*resp = NULL;
	return cruddur_users_update_profile(c, &req, resp, o);
}

cruddur_status
activities(cruddur_client *c, const char *handle, int32_t limit, const char *cursor,
    Cruddur__V1__UserActivitiesResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__UserActivitiesRequest req = CRUDDUR__V1__USER_ACTIVITIES_REQUEST__INIT;
	Cruddur__V1__UserRef               ref = CRUDDUR__V1__USER_REF__INIT;

	ref.handle = (char *)handle;
	req.user = handle ? &ref : NULL;
	req.limit = limit;
	req.cursor = (char *)cursor;
	*resp = NULL;
	return cruddur_users_user_activities(c, &req, resp, o);
}
