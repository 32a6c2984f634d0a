/*
 * args.h - the CLI's command line, read one way (args.c): getopt_long, with
 * `--opt value` and `--opt=value`, `--` ending the options, and the global
 * options (--server, --json, --timeout, ...) accepted before the command,
 * right after it, and among the command's own arguments:
 *
 *   cruddur --json feed home      cruddur feed --json home
 *   cruddur feed home --json      cruddur feed home --limit=5 --server tcp://...
 *
 * A long option is taken by its whole name only (never a prefix: `--lim` is an
 * unknown argument, as it always was), and every error is worded by the CLI,
 * not by getopt. Each command describes its own options in a cli_args and
 * calls cli_args_parse once, before it reads c or calls cli_call_opts.
 */
#ifndef CRUDDUR_CLI_ARGS_H
#define CRUDDUR_CLI_ARGS_H

#include <stdbool.h>

#include "cli.h"

/* One option of a command. */
typedef struct cli_opt {
	const char  *name;    /* "limit" for --limit; NULL ends a list */
	const char **value;   /* where its value goes (the last one given wins) */
	bool        *on;      /* value NULL: a switch, which sets *on */
	/* The error when the value is missing: "WHAT: --NAME MISSING"
	 * ("needs a value"); NULL: "WHAT: unknown argument --NAME". */
	const char  *missing;
} cli_opt;

/* The entries of a cli_opt list: an option with a value, a switch, the end. */
#define CLI_VALUE(name, slot) { (name), (slot), NULL, NULL }
#define CLI_SWITCH(name, flag) { (name), NULL, (flag), NULL }
#define CLI_END { NULL, NULL, NULL, NULL }

/* A command's command line. */
typedef struct cli_args {
	const char    *what;           /* "feed home", in its errors */
	const cli_opt *opts;           /* its own options; NULL: none */
	int            max_positional; /* more are unknown arguments; -1: any number */
	/* The error for an unknown option or one argument too many: bad when
	 * set ("methods takes no arguments"), else unknown_prefix followed by
	 * the argument when set, else "WHAT: unknown argument ARG". */
	const char    *bad;
	const char    *unknown_prefix;
	bool           rest_after_dashdash; /* all after "--" is positional */
} cli_args;

/*
 * Reads argv[0..argc-1], the command's arguments after its name: its options
 * into spec->opts' slots, the global options into c (then the token and the
 * servers again, cli_globals_finish). Returns 0 with the positional
 * arguments, in order, moved to argv[0..*n_positional-1]; or an exit code
 * after saying what is wrong on stderr. --version exits here.
 */
int cli_args_parse(cli *c, const cli_args *spec, int argc, char **argv, int *n_positional);

/* main: the global options before the command. *command is the command's
 * index in argv, argc when there is none. --help and --version exit here. */
int cli_args_before_command(cli *c, int argc, char **argv, int *command);

/* main: the global options right after the command word argv[at], up to the
 * first argument that is not one (the subcommand, "--", or an option the
 * command itself reads); *next is that argument's index. */
int cli_args_after_command(cli *c, int argc, char **argv, int at, int *next);

/* The token and the servers, from the options read so far, else from the
 * environment (cli.h). Returns 0 or EXIT_USAGE after saying why. */
int cli_globals_finish(cli *c);

#endif /* CRUDDUR_CLI_ARGS_H */
