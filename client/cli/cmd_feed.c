/*
 * cmd_feed.c - `cruddur feed home [--limit N] [--cursor C] [--strong]
 *   [--consistency-token T]`.
 *
 * --strong asks for a STRONG page (docs/PROTOCOL.md, "Consistency"): from
 * a query that started after the request, never the server's page cache.
 * --consistency-token T, a write's token, is served only by a database
 * that has replayed that write (docs/PROTOCOL.md, "Replicas and read your
 * writes"), never the page cache either.
 *
 * Human output ends with "next cursor: C" when another page follows, so a
 * script can page with --cursor C; --json prints the response (its
 * next_cursor field is "" on the last page).
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cmd_activities.h"
#include "cmd_feed.h"
#include "print.h"

static int
feed_home(cli *c, int argc, char **argv)
{
	Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *resp = NULL;
	const char                    *limit = NULL, *cursor = NULL, *token = NULL;
	bool                           strong = false;
	const cli_opt                  own[] = { CLI_VALUE("limit", &limit), CLI_VALUE("cursor", &cursor),
		CLI_SWITCH("strong", &strong), CLI_VALUE("consistency-token", &token), CLI_END };
	const cli_args                 spec = { .what = "feed home", .opts = own };
	long                           n;
	int                            rv, n_pos;

	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	/* The server validates the range; any int32 goes through. */
	if (limit != NULL && cli_parse_int(limit, INT32_MIN, INT32_MAX, &n) != 0)
		return cli_usage_error("--limit takes a number");
	req.limit = limit != NULL ? (int32_t)n : 0;
	if (cursor != NULL)
		req.cursor = (char *)cursor;
	if (strong)
		req.consistency = CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG;
	if (token != NULL)
		req.consistency_token = (char *)token;
	cruddur_call_opts opts = cli_call_opts(c);
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_activities_home_feed(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("feed home", st, &opts);
	if (c->json) {
		print_json(stdout, &resp->base);
	} else {
		if (resp->n_activities == 0)
			printf("(the home feed is empty)\n");
		for (size_t i = 0; i < resp->n_activities; i++)
			cli_show_activity(resp->activities[i], "");
		if (resp->next_cursor[0] != '\0')
			printf("next cursor: %s\n", resp->next_cursor);
	}
	cruddur_message_free(resp);
	return 0;
}

int
cmd_feed(cli *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "home") == 0)
		return feed_home(c, argc - 1, argv + 1);
	return cli_usage_error("feed needs a subcommand: home");
}
