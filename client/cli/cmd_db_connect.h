/*
 * cmd_db_connect.h - `cruddur db connect [-- PSQL_ARGS...]` (cmd_db_connect.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_DB_CONNECT_H
#define CRUDDUR_CLI_CMD_DB_CONNECT_H

#include "cli.h"

/* Execs psql, the password in its environment, never in its argv; returns
 * only when it cannot. */
int cmd_db_connect(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_DB_CONNECT_H */
