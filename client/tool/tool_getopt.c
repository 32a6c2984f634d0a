/*
 * tool_getopt.c - getopt_long for cruddur and cruddur-bench (tool_getopt.h).
 *
 * Why a wrapper: getopt_long accepts any unambiguous prefix of a long option,
 * so `--step 2` would mean `--steps 2`; these programs always refused a
 * misspelt flag (a typo must never run a different command or benchmark), and
 * scripts and tests rely on that. Its own error messages are off (opterr = 0):
 * each program words its errors as it always has.
 *
 * getopt keeps its state in globals (optind, optarg): one thread, one parse
 * at a time, as in any program's main.
 */
#include <stdio.h>
#include <string.h>

#include "tool_getopt.h"

int
tool_getopt(int argc, char **argv, const char *optstring, const struct option *longopts,
    int *index, const char **token)
{
	/* optind 0 asks glibc to start afresh; the element looked at is 1. */
	int at = optind == 0 ? 1 : optind;
	int opt;

	opterr = 0;
	*index = -1;
	opt = getopt_long(argc, argv, optstring, longopts, index);
	*token = at < argc ? argv[at] : "";
	if (opt == -1 || opt == 1 || strncmp(*token, "--", 2) != 0)
		return opt;
	/* A long option without its value: getopt_long names it by optopt only. */
	for (int i = 0; opt == ':' && *index < 0 && longopts[i].name != NULL; i++)
		if (longopts[i].flag == NULL && longopts[i].val == optopt)
			*index = i;
	if (*index < 0)
		return opt;
	/* A long option: by its whole name, with or without "=value". */
	const char *name = longopts[*index].name;
	size_t      len = strlen(name);
	if (strncmp(*token + 2, name, len) != 0 || ((*token)[2 + len] != '\0' && (*token)[2 + len] != '='))
		return '?';
	return opt;
}
