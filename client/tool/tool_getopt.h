/*
 * tool_getopt.h - getopt_long as the cruddur and cruddur-bench programs use it
 * (tool_getopt.c): long options by their whole name only, errors worded by
 * the caller.
 */
#ifndef CRUDDUR_TOOL_GETOPT_H
#define CRUDDUR_TOOL_GETOPT_H

#include <getopt.h>

/*
 * getopt_long(argc, argv, optstring, longopts, index), with opterr = 0, and
 * with one difference: a long option matches only by its whole name
 * (`--limit`, `--limit=5`), never by a prefix (`--lim`), which getopt_long
 * would take; a prefix is an unknown option ('?'). *token is the element of
 * argv that held what was returned (the option, "--limit=5" included, or the
 * argument with 1), for the caller's error messages. *index is the long
 * option's, also with ':' (its value is missing), else -1. Give every long
 * option its own val and flag NULL.
 *
 * optstring must start with '-' or '+' (arguments in order, never permuted:
 * that is what makes *token exact) and then ':' (a missing value is ':').
 * Set optind = 0 before the first call on an argv; argv[0] is skipped.
 */
int tool_getopt(int argc, char **argv, const char *optstring, const struct option *longopts,
    int *index, const char **token);

#endif /* CRUDDUR_TOOL_GETOPT_H */
