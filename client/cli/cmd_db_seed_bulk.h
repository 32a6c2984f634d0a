/*
 * cmd_db_seed_bulk.h - `cruddur db seed --users N --activities M`
 * (cmd_db_seed_bulk.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_DB_SEED_BULK_H
#define CRUDDUR_CLI_CMD_DB_SEED_BULK_H

#include "cli.h"

int cmd_db_seed_bulk(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_DB_SEED_BULK_H */
