/*
 * cmd_users.h - `cruddur users ...` (cmd_users.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_USERS_H
#define CRUDDUR_CLI_CMD_USERS_H

#include "cli.h"

int cmd_users(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_USERS_H */
