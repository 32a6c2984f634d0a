/*
 * cmd_stats.h - `cruddur stats` (cmd_stats.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_STATS_H
#define CRUDDUR_CLI_CMD_STATS_H

#include "cli.h"

int cmd_stats(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_STATS_H */
