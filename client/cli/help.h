/*
 * help.h - the CLI's help: `cruddur --help`, `cruddur help COMMAND [SUB]`,
 * and `cruddur COMMAND [SUB] --help`, all from one table in help.c.
 */
#ifndef CRUDDUR_CLI_HELP_H
#define CRUDDUR_CLI_HELP_H

#include <stdio.h>

/* The overview: every command, the global options, examples. */
void help_overview(FILE *f);

/* Help for "COMMAND" or "COMMAND SUB" (sub may be NULL); falls back to the
 * overview for an unknown command. Returns 0. */
int help_command(FILE *f, const char *command, const char *sub);

#endif /* CRUDDUR_CLI_HELP_H */
