/*
 * main.c - the cruddur CLI: global options, then one command.
 *
 *   cruddur [--server URL] [--prod] [--json] [--timeout MS] COMMAND ...
 *
 * The global options may also follow the command (args.h). The server is
 * --server (repeatable), else $CRUDDUR_SERVER, else tcp://127.0.0.1:7432;
 * with --prod, $CRUDDUR_PROD_SERVER. The token is --token-file, else
 * $CRUDDUR_TOKEN_FILE, else $CRUDDUR_TOKEN (tool_env.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cmd_activities.h"
#include "cmd_call.h"
#include "cmd_db.h"
#include "cmd_describe.h"
#include "cmd_feed.h"
#include "cmd_health.h"
#include "cmd_stats.h"
#include "cmd_users.h"
#include "help.h"

static const struct {
	const char *name;
	int (*fn)(cli *c, int argc, char **argv);
} commands[] = {
	{ "db", cmd_db },
	{ "feed", cmd_feed },
	{ "activities", cmd_activities },
	{ "users", cmd_users },
	{ "health", cmd_health },
	{ "methods", cmd_methods },
	{ "describe", cmd_describe },
	{ "stats", cmd_stats },
	{ "call", cmd_call },
};

int
main(int argc, char **argv)
{
	cli c = { .timeout_ms = CLI_DEFAULT_TIMEOUT_MS };
	int i = 0, next, rv;

	if ((rv = cli_args_before_command(&c, argc, argv, &i)) != 0)
		return rv;
	if (i == argc)
		return cli_usage_error("no command");
	if ((rv = cli_globals_finish(&c)) != 0)
		return rv;
	/* `cruddur help db seed`, `cruddur db seed --help` (not after "--":
	 * what follows it is arguments, `db connect -- --help` psql's). */
	if (strcmp(argv[i], "help") == 0)
		return help_command(stdout, i + 1 < argc ? argv[i + 1] : "", i + 2 < argc ? argv[i + 2] : NULL);
	for (int k = i + 1; k < argc && strcmp(argv[k], "--") != 0; k++)
		if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)
			return help_command(stdout, argv[i], i + 1 < k ? argv[i + 1] : NULL);
	/* `cruddur feed --json home`: global options before the subcommand. */
	if ((rv = cli_args_after_command(&c, argc, argv, i, &next)) != 0)
		return rv;
	rv = -1;
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			rv = commands[k].fn(&c, argc - next, argv + next);
	if (rv == -1)
		rv = cli_usage_error("unknown command \"%s\"", argv[i]);
	cruddur_client_close(c.client);
	return rv;
}
