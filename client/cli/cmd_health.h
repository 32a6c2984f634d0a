/*
 * cmd_health.h - `cruddur health [SERVICE]` and `cruddur methods`
 * (cmd_health.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_HEALTH_H
#define CRUDDUR_CLI_CMD_HEALTH_H

#include "cli.h"

int cmd_health(cli *c, int argc, char **argv);
int cmd_methods(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_HEALTH_H */
