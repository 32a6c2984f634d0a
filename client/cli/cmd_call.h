/*
 * cmd_call.h - `cruddur call METHOD [JSON | -]` (cmd_call.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_CALL_H
#define CRUDDUR_CLI_CMD_CALL_H

#include "cli.h"

int cmd_call(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_CALL_H */
