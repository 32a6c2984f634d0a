/*
 * cmd_users.c - `cruddur users create|show|short|update|activities`.
 *
 *   users create --handle H --display-name N --email E --cognito-id C
 *   users show H [--consistency-token T]
 *   users short H [--consistency-token T]
 *   users update H [--display-name N] [--bio B]
 *   users activities H [--limit N] [--cursor C] [--consistency-token T]
 *
 * Scripts rely on these names and flags. `users activities` ends its human
 * output with "next cursor: C" while more pages follow, so a script can
 * page with `sed -n 's/^next cursor: //p'`; --json prints the response
 * (next_cursor is "" on the last page). Range and shape checks are the
 * server's: the CLI only parses, so that both say the same thing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cmd_users.h"
#include "print.h"

/* Flags that take a value, gathered by parse_args. */
typedef struct users_args {
	const char *positional; /* the HANDLE */
	const char *handle, *display_name, *email, *cognito_id, *bio, *limit, *cursor;
	const char *token; /* --consistency-token, on the reads */
} users_args;

#define FLAG(n, field) { n, &a->field, NULL, "takes a value" }

/* Parses argv against own (NULL-terminated, its slots in a); at most one
 * positional argument. Returns 0 or EXIT_USAGE after saying why. */
static int
parse_args(cli *c, const char *what, int argc, char **argv, const cli_opt *own, users_args *a)
{
	const cli_args spec = { .what = what, .opts = own, .max_positional = 1 };
	int            rv, n_pos;

	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	a->positional = n_pos == 1 ? argv[0] : NULL;
	return 0;
}

/* A read of one HANDLE and no options of its own but
 * --consistency-token, into *token (NULL when not given). */
static int
parse_handle(cli *c, const char *what, const char *takes, int argc, char **argv,
    const char **token)
{
	const cli_opt  own[] = { CLI_VALUE("consistency-token", token), CLI_END };
	const cli_args spec = { .what = what, .opts = own, .max_positional = -1 };
	int            rv, n_pos;

	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	return n_pos == 1 ? 0 : cli_usage_error("%s", takes);
}

static void
show_user(const Cruddur__V1__User *u)
{
	char created[64];

	if (u == NULL)
		return;
	printf("handle:          %s\ndisplay_name:    %s\nemail:           %s\n"
	       "cognito_user_id: %s\nuuid:            %s\ncreated_at:      %s\nbio:             %s\n",
	    u->handle, u->display_name, u->email, u->cognito_user_id, u->uuid,
	    print_time(u->created_at_us, created, sizeof(created)), u->bio);
}

static void
show_activity(const Cruddur__V1__Activity *a)
{
	char created[64], expires[64];

	printf("%s  @%s  %s\n", a->display_name, a->handle,
	    print_time(a->created_at_us, created, sizeof(created)));
	printf("  %s\n", a->message);
	if (a->reply_to_activity_uuid[0] != '\0')
		printf("  in reply to %s\n", a->reply_to_activity_uuid);
	printf("  replies %lld  reposts %lld  likes %lld  expires %s  uuid %s\n\n",
	    (long long)a->replies_count, (long long)a->reposts_count, (long long)a->likes_count,
	    print_time(a->expires_at_us, expires, sizeof(expires)), a->uuid);
}

static void
show_created(const Cruddur__V1__CreateUserResponse *r)
{
	if (r->user == NULL)
		return;
	printf(r->existed ? "existed: user @%s was already signed up with this cognito id\n"
	                  : "created user @%s\n", r->user->handle);
	show_user(r->user);
}

static void
show_got(const Cruddur__V1__GetUserResponse *r)
{
	show_user(r->user);
}

static void
show_short(const Cruddur__V1__ShortUserResponse *r)
{
	if (r->user != NULL)
		printf("%s  @%s  %s\n", r->user->uuid, r->user->handle, r->user->display_name);
}

static void
show_updated(const Cruddur__V1__UpdateProfileResponse *r)
{
	show_user(r->user);
}

static void
show_activities(const Cruddur__V1__UserActivitiesResponse *r)
{
	if (r->user != NULL)
		printf("%s  @%s  %lld activities\n\n", r->user->display_name, r->user->handle,
		    (long long)r->activities_count);
	for (size_t i = 0; i < r->n_activities; i++)
		show_activity(r->activities[i]);
	if (r->next_cursor[0] != '\0')
		printf("next cursor: %s\n", r->next_cursor);
	else
		printf("(no more activities)\n");
}

static int
users_create(cli *c, int argc, char **argv)
{
	Cruddur__V1__CreateUserRequest req = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;
	users_args                     args = { 0 }, *a = &args;
	const cli_opt own[] = { FLAG("handle", handle), FLAG("display-name", display_name),
		FLAG("email", email), FLAG("cognito-id", cognito_id), CLI_END };
	int                            rv;

	if ((rv = parse_args(c, "users create", argc, argv, own, a)) != 0)
		return rv;
	if (a->positional != NULL)
		return cli_usage_error("users create: unknown argument %s", a->positional);
	if (a->handle == NULL || a->display_name == NULL || a->email == NULL || a->cognito_id == NULL)
		return cli_usage_error(
		    "users create needs --handle H --display-name N --email E --cognito-id C");
	req.handle = (char *)a->handle;
	req.display_name = (char *)a->display_name;
	req.email = (char *)a->email;
	req.cognito_user_id = (char *)a->cognito_id;
	CLI_CALL(c, "users create", cruddur_users_create_user, req, Cruddur__V1__CreateUserResponse,
	    show_created);
}

static int
users_show(cli *c, int argc, char **argv)
{
	Cruddur__V1__GetUserRequest req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	const char                 *token = NULL;
	int                         rv;

	if ((rv = parse_handle(c, "users show", "users show takes one HANDLE", argc, argv, &token)) != 0)
		return rv;
	req.handle = argv[0];
	if (token != NULL)
		req.consistency_token = (char *)token;
	CLI_CALL(c, "users show", cruddur_users_get_user, req, Cruddur__V1__GetUserResponse, show_got);
}

static int
users_short(cli *c, int argc, char **argv)
{
	Cruddur__V1__UserRef          ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__ShortUserRequest req = CRUDDUR__V1__SHORT_USER_REQUEST__INIT;
	const char                   *token = NULL;
	int                           rv;

	if ((rv = parse_handle(c, "users short", "users short takes one HANDLE", argc, argv, &token)) != 0)
		return rv;
	ref.handle = argv[0];
	if (token != NULL)
		req.consistency_token = (char *)token;
	req.user = &ref;
	CLI_CALL(c, "users short", cruddur_users_short_user, req, Cruddur__V1__ShortUserResponse,
	    show_short);
}

static int
users_update(cli *c, int argc, char **argv)
{
	Cruddur__V1__UserRef              ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__StringValue          name = CRUDDUR__V1__STRING_VALUE__INIT;
	Cruddur__V1__StringValue          bio = CRUDDUR__V1__STRING_VALUE__INIT;
	Cruddur__V1__UpdateProfileRequest req = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
	users_args                        args = { 0 }, *a = &args;
	const cli_opt own[] = { FLAG("display-name", display_name), FLAG("bio", bio), CLI_END };
	int                               rv;

	if ((rv = parse_args(c, "users update", argc, argv, own, a)) != 0)
		return rv;
	if (a->positional == NULL)
		return cli_usage_error("users update takes a HANDLE");
	if (a->display_name == NULL && a->bio == NULL)
		return cli_usage_error("users update needs --display-name N or --bio B (or both)");
	ref.handle = (char *)a->positional;
	req.user = &ref;
	/* An absent flag leaves the field unset: the server keeps it. */
	if (a->display_name != NULL) {
		name.value = (char *)a->display_name;
		req.display_name = &name;
	}
	if (a->bio != NULL) {
		bio.value = (char *)a->bio;
		req.bio = &bio;
	}
	CLI_CALL(c, "users update", cruddur_users_update_profile, req,
	    Cruddur__V1__UpdateProfileResponse, show_updated);
}

static int
users_activities(cli *c, int argc, char **argv)
{
	Cruddur__V1__UserRef               ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__UserActivitiesRequest req = CRUDDUR__V1__USER_ACTIVITIES_REQUEST__INIT;
	users_args                         args = { 0 }, *a = &args;
	const cli_opt own[] = { FLAG("limit", limit), FLAG("cursor", cursor),
		FLAG("consistency-token", token), CLI_END };
	long                               n = 0;
	int                                rv;

	if ((rv = parse_args(c, "users activities", argc, argv, own, a)) != 0)
		return rv;
	if (a->positional == NULL)
		return cli_usage_error("users activities takes a HANDLE");
	/* The server validates the range; any int32 goes through. */
	if (a->limit != NULL && cli_parse_int(a->limit, INT32_MIN, INT32_MAX, &n) != 0)
		return cli_usage_error("--limit takes a number");
	req.limit = a->limit != NULL ? (int32_t)n : 0;
	req.cursor = (char *)(a->cursor != NULL ? a->cursor : "");
	if (a->token != NULL)
		req.consistency_token = (char *)a->token;
	ref.handle = (char *)a->positional;
	req.user = &ref;
	CLI_CALL(c, "users activities", cruddur_users_user_activities, req,
	    Cruddur__V1__UserActivitiesResponse, show_activities);
}

int
cmd_users(cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(cli *, int, char **);
	} subs[] = {
		{ "create", users_create },
		{ "show", users_show },
		{ "short", users_short },
		{ "update", users_update },
		{ "activities", users_activities },
	};

	for (size_t i = 0; argc >= 1 && i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].fn(c, argc - 1, argv + 1);
	}
	return cli_usage_error("users needs a subcommand: create, show, short, update, activities");
}
