/*
 * cmd_activities.c - `cruddur activities create|reply|show`.
 *
 *   activities create (--handle H | --cognito-id C) --message M [--ttl 7d]
 *                     [--idempotency-key K]
 *   activities reply PARENT_UUID (--handle H | --cognito-id C) --message M
 *                    [--idempotency-key K]
 *   activities show UUID [--consistency-token T]
 *
 * The CLI checks only the shape of the command line (which flags, exactly
 * one author); the server checks the values (lengths, UTF-8, ttl, uuids)
 * and says precisely what is wrong, so there is one set of rules.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cmd_activities.h"
#include "print.h"

/* The flags of create and reply; NULL when not given. */
typedef struct write_flags {
	const char *handle;
	const char *cognito_id;
	const char *message;
	const char *ttl;
	const char *key;
	const char *positional; /* reply's PARENT_UUID */
} write_flags;

void
cli_show_activity(const Cruddur__V1__Activity *a, const char *indent)
{
	char created[64], expires[64];

	printf("%s%s  @%s  %s\n", indent, a->display_name, a->handle,
	    print_time(a->created_at_us, created, sizeof(created)));
	printf("%s  %s\n", indent, a->message);
	printf("%s  replies %lld  reposts %lld  likes %lld  expires %s  uuid %s\n", indent,
	    (long long)a->replies_count, (long long)a->reposts_count, (long long)a->likes_count,
	    print_time(a->expires_at_us, expires, sizeof(expires)), a->uuid);
	if (a->reply_to_activity_uuid[0] != '\0')
		printf("%s  in reply to %s\n", indent, a->reply_to_activity_uuid);
	printf("\n");
}

/* Parses create's or reply's arguments; `ttl` says whether --ttl is one
 * (create), else PARENT_UUID is (reply). */
static int
write_flags_parse(cli *c, const char *what, int argc, char **argv, bool ttl, write_flags *f)
{
	const char *name = ttl ? "activities create" : "activities reply";
	int         rv, n_pos;

	memset(f, 0, sizeof(*f));
	const cli_opt own[] = {
		{ "handle", &f->handle, NULL, "needs a value" },
		{ "cognito-id", &f->cognito_id, NULL, "needs a value" },
		{ "message", &f->message, NULL, "needs a value" },
		{ "idempotency-key", &f->key, NULL, "needs a value" },
		/* Last: for reply (no --ttl) the list ends here. */
		{ ttl ? "ttl" : NULL, &f->ttl, NULL, "needs a value" },
		CLI_END,
	};
	const cli_args spec = { .what = name, .opts = own, .max_positional = ttl ? 0 : 1 };
	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	if (n_pos == 1)
		f->positional = argv[0];
	if ((f->handle != NULL) == (f->cognito_id != NULL))
		return cli_usage_error("activities %s: give exactly one of --handle or --cognito-id", what);
	if (f->message == NULL)
		return cli_usage_error("activities %s: --message is required", what);
	if (!ttl && f->positional == NULL)
		return cli_usage_error("activities reply: PARENT_UUID is required");
	return 0;
}

static void
author_set(Cruddur__V1__Author *a, const write_flags *f)
{
	a->handle = (char *)(f->handle ? f->handle : "");
	a->cognito_user_id = (char *)(f->cognito_id ? f->cognito_id : "");
}

/* Prints create's or reply's response resp (JSON with --json, else the
 * activity a written and whether the call was a replay) and frees it.
 * Returns the exit code. */
static int
written_print(cli *c, ProtobufCMessage *resp, const Cruddur__V1__Activity *a, bool replayed)
{
	if (c->json) {
		print_json(stdout, resp);
	} else {
		if (a != NULL)
			cli_show_activity(a, "");
		if (replayed)
			printf("(replayed: this idempotency key was used before; nothing new was written)\n");
	}
	cruddur_message_free(resp);
	return 0;
}

static int
activities_create(cli *c, int argc, char **argv)
{
	Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__CreateActivityResponse *resp = NULL;
	Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
	write_flags                          f;
	int                                  rv;

	if ((rv = write_flags_parse(c, "create", argc, argv, true, &f)) != 0)
		return rv;
	cruddur_call_opts opts = cli_call_opts(c);
	author_set(&author, &f);
	req.author = &author;
	req.message = (char *)f.message;
	req.ttl = (char *)(f.ttl ? f.ttl : "");
	req.idempotency_key = (char *)(f.key ? f.key : "");
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_activities_create_activity(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("activities create", st, &opts);
	return written_print(c, &resp->base, resp->activity, resp->replayed);
}

static int
activities_reply(cli *c, int argc, char **argv)
{
	Cruddur__V1__CreateReplyRequest   req = CRUDDUR__V1__CREATE_REPLY_REQUEST__INIT;
	Cruddur__V1__CreateReplyResponse *resp = NULL;
	Cruddur__V1__Author               author = CRUDDUR__V1__AUTHOR__INIT;
	write_flags                       f;
	int                               rv;

	if ((rv = write_flags_parse(c, "reply", argc, argv, false, &f)) != 0)
		return rv;
	cruddur_call_opts opts = cli_call_opts(c);
	author_set(&author, &f);
	req.author = &author;
	req.reply_to_activity_uuid = (char *)f.positional;
	req.message = (char *)f.message;
	req.idempotency_key = (char *)(f.key ? f.key : "");
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_activities_create_reply(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("activities reply", st, &opts);
	return written_print(c, &resp->base, resp->activity, resp->replayed);
}

static int
activities_show(cli *c, int argc, char **argv)
{
	Cruddur__V1__ShowActivityRequest   req = CRUDDUR__V1__SHOW_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__ShowActivityResponse *resp = NULL;
	const char                        *token = NULL;
	const cli_opt                      own[] = { CLI_VALUE("consistency-token", &token), CLI_END };
	const cli_args                     spec = { .what = "activities show", .opts = own,
		                    .max_positional = -1 };
	int                                rv, n_pos;

	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	if (n_pos != 1)
		return cli_usage_error("activities show takes one UUID");
	req.uuid = argv[0];
	if (token != NULL)
		req.consistency_token = (char *)token;
	cruddur_call_opts opts = cli_call_opts(c);
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_activities_show_activity(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("activities show", st, &opts);
	if (c->json) {
		print_json(stdout, &resp->base);
	} else {
		if (resp->activity != NULL)
			cli_show_activity(resp->activity, "");
		printf("replies: %zu\n", resp->n_replies);
		for (size_t i = 0; i < resp->n_replies; i++)
			cli_show_activity(resp->replies[i], "    ");
		if (resp->more_replies)
			printf("(more replies than the %zu shown)\n", resp->n_replies);
	}
	cruddur_message_free(resp);
	return 0;
}

int
cmd_activities(cli *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return activities_create(c, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "reply") == 0)
		return activities_reply(c, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "show") == 0)
		return activities_show(c, argc - 1, argv + 1);
	return cli_usage_error("activities needs a subcommand: create, reply or show");
}
