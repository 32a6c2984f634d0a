/*
 * main.c - the cruddur CLI: global options, then one command.
 *
 *   cruddur [--server URL] [--prod] [--json] [--timeout MS] COMMAND ...
 *
 * The server is --server (repeatable), else $CRUDDUR_SERVER, else
 * tcp://127.0.0.1:7432; with --prod, $CRUDDUR_PROD_SERVER. The token is
 * --token-file, else $CRUDDUR_TOKEN_FILE, else $CRUDDUR_TOKEN (load_token).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_activities.h"
#include "cmd_call.h"
#include "cmd_db.h"
#include "cmd_describe.h"
#include "cmd_feed.h"
#include "cmd_health.h"
#include "cmd_stats.h"
#include "cmd_users.h"
#include "cruddur/version.h"
#include "help.h"

/*
 * The token for servers that want one: the first line of the file
 * --token-file F, else of the file $CRUDDUR_TOKEN_FILE, else the value of
 * $CRUDDUR_TOKEN itself. Two variables rather than one that may be either:
 * a token may look like a path, and a file keeps the token out of the
 * environment of everything the shell starts (deploy/dev/up's dev.env sets
 * CRUDDUR_TOKEN_FILE).
 */
static int
load_token(cli *c, const char *file)
{
	const char *env = getenv("CRUDDUR_TOKEN");
	const char *env_file = getenv("CRUDDUR_TOKEN_FILE");
	const char *from = "--token-file";

	if (file == NULL && env_file != NULL && env_file[0] != '\0') {
		file = env_file;
		from = "$CRUDDUR_TOKEN_FILE";
	}
	if (file != NULL) {
		FILE *f = fopen(file, "r");
		if (f == NULL || fgets(c->token, sizeof(c->token), f) == NULL) {
			if (f != NULL)
				fclose(f);
			return cli_usage_error("cannot read a token from %s (%s)", file, from);
		}
		fclose(f);
		c->token[strcspn(c->token, "\r\n")] = '\0';
	} else if (env != NULL && env[0] != '\0') {
		snprintf(c->token, sizeof(c->token), "%s", env);
	}
	if (c->token[0] != '\0') {
		c->metadata[0] = (cruddur_metadata){ "authorization", c->token };
		c->n_metadata = 1;
	}
	return 0;
}

static int
resolve_servers(cli *c)
{
	const char *env = c->prod ? "CRUDDUR_PROD_SERVER" : "CRUDDUR_SERVER";
	const char *url = getenv(env);

	if (c->n_servers > 0)
		return 0;
	if (url != NULL && url[0] != '\0')
		c->servers[c->n_servers++] = url;
	else if (c->prod)
		return cli_usage_error("--prod needs CRUDDUR_PROD_SERVER or --server");
	else
		c->servers[c->n_servers++] = CLI_DEFAULT_SERVER;
	return 0;
}

/* Global options come before the command; returns the command's index. */
static int
parse_global(cli *c, int argc, char **argv, int *cmd_index)
{
	int         i = 1, rv;
	long        n;
	const char *token_file = NULL;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			help_overview(stdout);
			exit(0);
		} else if (strcmp(a, "--version") == 0) {
			printf("cruddur %s\n", CRUDDUR_VERSION_STRING);
			exit(0);
		} else if (strcmp(a, "--json") == 0) {
			c->json = true;
		} else if (strcmp(a, "--prod") == 0) {
			c->prod = true;
		} else if (strcmp(a, "--server") == 0 && i + 1 < argc) {
			if (c->n_servers == CLI_MAX_SERVERS)
				return cli_usage_error("at most %d --server URLs", CLI_MAX_SERVERS);
			c->servers[c->n_servers++] = argv[++i];
		} else if (strcmp(a, "--token-file") == 0 && i + 1 < argc) {
			token_file = argv[++i];
		} else if (strcmp(a, "--tls-ca") == 0 && i + 1 < argc) {
			c->tls_ca_file = argv[++i];
		} else if (strcmp(a, "--tls-cert") == 0 && i + 1 < argc) {
			c->tls_cert_key_file = argv[++i];
		} else if (strcmp(a, "--tls-server-name") == 0 && i + 1 < argc) {
			c->tls_server_name = argv[++i];
		} else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
			if (cli_parse_int(argv[++i], 1, 3600000, &n) != 0)
				return cli_usage_error("--timeout takes milliseconds, 1 to 3600000");
			c->timeout_ms = (uint32_t)n;
		} else {
			return cli_usage_error("unknown option %s", a);
		}
	}
	if (i == argc)
		return cli_usage_error("no command");
	*cmd_index = i;
	if ((rv = load_token(c, token_file)) != 0)
		return rv;
	return resolve_servers(c);
}

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
	int i = 0, rv;

	if ((rv = parse_global(&c, argc, argv, &i)) != 0)
		return rv;
	/* `cruddur help db seed`, `cruddur db seed --help` */
	if (strcmp(argv[i], "help") == 0)
		return help_command(stdout, i + 1 < argc ? argv[i + 1] : "", i + 2 < argc ? argv[i + 2] : NULL);
	for (int k = i + 1; k < argc; k++)
		if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)
			return help_command(stdout, argv[i], i + 1 < k ? argv[i + 1] : NULL);
	rv = -1;
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			rv = commands[k].fn(&c, argc - i - 1, argv + i + 1);
	if (rv == -1)
		rv = cli_usage_error("unknown command \"%s\"", argv[i]);
	cruddur_client_close(c.client);
	return rv;
}
