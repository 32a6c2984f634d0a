/*
 * args.c - the CLI's command line (args.h): the global options, wherever
 * they stand, and each command's own, through one getopt_long loop.
 *
 * Three callers, one loop (parse): main reads the global options before the
 * command and those right after the command word; each command then reads its
 * arguments, its own options and the global ones mixed. The options a loop
 * knows are the command's (if any) followed by the global ones, in one
 * struct option table; getopt_long runs in order ('-': never permuting), so
 * that each positional argument and each error come in the order typed, as
 * they did when every command walked its argv by hand.
 *
 * The token and the servers depend on several options and the environment
 * (--prod picks another variable): cli_globals_finish works them out after
 * main's part, and again after a command's arguments when they held a global
 * option. One thread; getopt's globals are reset (optind = 0) per loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "help.h"
#include "tool_getopt.h"

#define CLI_MAX_OPTS 16 /* of one command */

enum { G_SERVER, G_PROD, G_JSON, G_TIMEOUT, G_TOKEN_FILE, G_TLS_CA, G_TLS_CERT,
	G_TLS_SERVER_NAME, G_VERSION, G_HELP, N_GLOBALS };

static const struct option globals[N_GLOBALS] = {
	[G_SERVER] = { "server", required_argument, NULL, 0 },
	[G_PROD] = { "prod", no_argument, NULL, 0 },
	[G_JSON] = { "json", no_argument, NULL, 0 },
	[G_TIMEOUT] = { "timeout", required_argument, NULL, 0 },
	[G_TOKEN_FILE] = { "token-file", required_argument, NULL, 0 },
	[G_TLS_CA] = { "tls-ca", required_argument, NULL, 0 },
	[G_TLS_CERT] = { "tls-cert", required_argument, NULL, 0 },
	[G_TLS_SERVER_NAME] = { "tls-server-name", required_argument, NULL, 0 },
	[G_VERSION] = { "version", no_argument, NULL, 0 },
	[G_HELP] = { "help", no_argument, NULL, 0 },
};

/* Where a loop stops. */
typedef enum parse_mode {
	MODE_COMMAND, /* a command's arguments: all of them */
	MODE_BEFORE,  /* main: up to the command */
	MODE_AFTER,   /* main: after the command word, up to what is not global */
} parse_mode;

#define OPT_BASE 256 /* getopt_long's value of option i is OPT_BASE + i */

static int
global_apply(cli *c, int g, const char *arg)
{
	long n;

	switch (g) {
	case G_SERVER:
		if (c->n_servers_given == CLI_MAX_SERVERS)
			return cli_usage_error("at most %d --server URLs", CLI_MAX_SERVERS);
		c->servers[c->n_servers_given++] = arg;
		return 0;
	case G_PROD: c->prod = true; return 0;
	case G_JSON: c->json = true; return 0;
	case G_TIMEOUT:
		if (cli_parse_int(arg, 1, 3600000, &n) != 0)
			return cli_usage_error("--timeout takes milliseconds, 1 to 3600000");
		c->timeout_ms = (uint32_t)n;
		return 0;
	case G_TOKEN_FILE: c->token_file = arg; return 0;
	case G_TLS_CA: c->tls_ca_file = arg; return 0;
	case G_TLS_CERT: c->tls_cert_key_file = arg; return 0;
	case G_TLS_SERVER_NAME: c->tls_server_name = arg; return 0;
	case G_VERSION:
		printf("cruddur %s\n", CRUDDUR_VERSION_STRING);
		exit(0);
	default:
		help_overview(stdout);
		exit(0);
	}
}

static int
unknown(const cli_args *spec, const char *arg)
{
	if (spec->bad != NULL)
		return cli_usage_error("%s", spec->bad);
	if (spec->unknown_prefix != NULL)
		return cli_usage_error("%s%s", spec->unknown_prefix, arg);
	return cli_usage_error("%s: unknown argument %s", spec->what, arg);
}

/* A positional argument of a command: kept in pos, or one too many. */
static int
positional(const cli_args *spec, char *arg, char **pos, int *n_pos, bool any)
{
	if (!any && spec->max_positional >= 0 && *n_pos >= spec->max_positional)
		return unknown(spec, arg);
	pos[(*n_pos)++] = arg;
	return 0;
}

/*
 * The loop. argv[0] is a name, not read. MODE_COMMAND: positional arguments
 * go to pos and their count to *out. Otherwise *out is the index of the
 * first argument not read.
 */
static int
parse(cli *c, const cli_args *spec, parse_mode mode, int argc, char **argv, char **pos, int *out)
{
	struct option longopts[CLI_MAX_OPTS + N_GLOBALS + 1];
	int           n_own = 0, opt, index, rv;
	bool          globals_seen = false;
	const char   *token;

	for (; spec->opts != NULL && spec->opts[n_own].name != NULL && n_own < CLI_MAX_OPTS; n_own++)
		longopts[n_own] = (struct option){ spec->opts[n_own].name,
			spec->opts[n_own].value != NULL ? required_argument : no_argument, NULL,
			OPT_BASE + n_own };
	for (int g = 0; g < N_GLOBALS; g++) {
		longopts[n_own + g] = globals[g];
		longopts[n_own + g].val = OPT_BASE + n_own + g;
	}
	longopts[n_own + N_GLOBALS] = (struct option){ NULL, 0, NULL, 0 };

	*out = 0;
	optind = 0;
	for (;;) {
		int at = optind == 0 ? 1 : optind;
		opt = tool_getopt(argc, argv, "-:h", longopts, &index, &token);
		if (opt == -1) {
			/* The end, or "--" (MODE_AFTER leaves it to the command). */
			if (mode == MODE_AFTER && at < argc && strcmp(argv[at], "--") == 0)
				optind = at;
			break;
		}
		if (mode != MODE_COMMAND && (opt == 1 || (mode == MODE_AFTER && (opt == '?' || opt == ':')))) {
			*out = opt == 1 ? optind - 1 : at;
			goto done;
		}
		if (opt == 1) {
			rv = positional(spec, optarg, pos, out, false);
		} else if (opt == 'h') {
			help_overview(stdout);
			exit(0);
		} else if (opt == ':' && index >= 0 && index < n_own && spec->opts[index].missing != NULL) {
			rv = cli_usage_error("%s: %s %s", spec->what, token, spec->opts[index].missing);
		} else if (opt == '?' || opt == ':') {
			rv = unknown(spec, token);
		} else if (opt - OPT_BASE < n_own) {
			const cli_opt *o = &spec->opts[opt - OPT_BASE];
			if (o->value != NULL)
				*o->value = optarg;
			else
				*o->on = true;
			rv = 0;
		} else {
			globals_seen = true;
			rv = global_apply(c, opt - OPT_BASE - n_own, optarg);
		}
		if (rv != 0)
			return rv;
	}
	if (mode != MODE_COMMAND) {
		*out = optind;
		goto done;
	}
	/* After "--": arguments, whatever they look like. */
	for (int i = optind; i < argc; i++)
		if ((rv = positional(spec, argv[i], pos, out, spec->rest_after_dashdash)) != 0)
			return rv;
done:
	/* main works them out itself after the options before the command. */
	return globals_seen && mode != MODE_BEFORE ? cli_globals_finish(c) : 0;
}

int
cli_args_parse(cli *c, const cli_args *spec, int argc, char **argv, int *n_positional)
{
	/* getopt_long wants argv[0] to be a name: a copy with spec->what
	 * there; the positional arguments go back into argv. */
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	int    rv;

	if (args == NULL) {
		fprintf(stderr, "cruddur: out of memory\n");
		return EXIT_CALL_FAILED;
	}
	args[0] = (char *)spec->what;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*args));
	rv = parse(c, spec, MODE_COMMAND, argc + 1, args, argv, n_positional);
	free(args);
	return rv;
}

int
cli_args_before_command(cli *c, int argc, char **argv, int *command)
{
	static const cli_args spec = { .unknown_prefix = "unknown option " };
	int rv = parse(c, &spec, MODE_BEFORE, argc, argv, NULL, command);

	if (rv == 0 && *command > argc)
		*command = argc;
	return rv;
}

int
cli_args_after_command(cli *c, int argc, char **argv, int at, int *next)
{
	static const cli_args spec = { .unknown_prefix = "unknown option " };
	int rv = parse(c, &spec, MODE_AFTER, argc - at, argv + at, NULL, next);

	*next += at;
	return rv;
}

static int
resolve_servers(cli *c)
{
	const char *env = c->prod ? "CRUDDUR_PROD_SERVER" : "CRUDDUR_SERVER";
	const char *url = tool_env_server(env);

	c->n_servers = c->n_servers_given;
	if (c->n_servers > 0)
		return 0;
	if (url != NULL)
		c->servers[c->n_servers++] = url;
	else if (c->prod)
		return cli_usage_error("--prod needs CRUDDUR_PROD_SERVER or --server");
	else
		c->servers[c->n_servers++] = CLI_DEFAULT_SERVER;
	return 0;
}

int
cli_globals_finish(cli *c)
{
	char err[4200];

	if (tool_token_load(&c->auth, c->token_file, err, sizeof(err)) != 0)
		return cli_usage_error("%s", err);
	return resolve_servers(c);
}
