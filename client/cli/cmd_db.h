/*
 * cmd_db.h - `cruddur db ...`: the DbAdmin service (cmd_db.c), which hands
 * migrate, rollback, status, kill-sessions, connect and seed to their own
 * files.
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_DB_H
#define CRUDDUR_CLI_CMD_DB_H

#include "cli.h"

int cmd_db(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_DB_H */
