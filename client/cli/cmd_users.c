/*
 * cmd_users.c - `cruddur users show HANDLE`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "print.h"

static int
users_show(cli *c, int argc, char **argv)
{
	Cruddur__V1__GetUserRequest   req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	Cruddur__V1__GetUserResponse *resp = NULL;
	cruddur_call_opts             opts = cli_call_opts(c);
	char                          created[64];
	int                           rv;

	if (argc != 1)
		return cli_usage_error("users show takes one HANDLE");
	req.handle = argv[0];
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_users_get_user(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("users show", st, &opts);
	if (c->json) {
		print_json(stdout, &resp->base);
	} else if (resp->user != NULL) {
		const Cruddur__V1__User *u = resp->user;
		printf("handle:          %s\ndisplay_name:    %s\nemail:           %s\n"
		       "cognito_user_id: %s\nuuid:            %s\ncreated_at:      %s\n",
		    u->handle, u->display_name, u->email, u->cognito_user_id, u->uuid,
		    print_time(u->created_at_us, created, sizeof(created)));
	}
	cruddur_message_free(resp);
	return 0;
}

int
cmd_users(cli *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "show") == 0)
		return users_show(c, argc - 1, argv + 1);
	return cli_usage_error("users needs a subcommand: show");
}
