/*
 * cmd_feed.h - `cruddur feed home` (cmd_feed.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_FEED_H
#define CRUDDUR_CLI_CMD_FEED_H

#include "cli.h"

int cmd_feed(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_FEED_H */
