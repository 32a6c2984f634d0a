/*
 * cmd_describe.h - `cruddur describe [SERVICE | METHOD | MESSAGE]`
 * (cmd_describe.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_DESCRIBE_H
#define CRUDDUR_CLI_CMD_DESCRIBE_H

#include "cli.h"

int cmd_describe(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_DESCRIBE_H */
