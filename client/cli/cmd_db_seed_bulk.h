/*
 * cmd_db_seed_bulk.h - `cruddur db seed --users N --activities M`
 * (cmd_db_seed_bulk.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_DB_SEED_BULK_H
#define CRUDDUR_CLI_CMD_DB_SEED_BULK_H

#include "cli.h"

/* `db seed`'s options as given (cmd_db.c reads them); NULL when absent. */
typedef struct db_seed_flags {
	const char *users, *activities, *seed, *batch;
	char       *confirm; /* "" when absent */
} db_seed_flags;

/* Checks the numbers in f and seeds in bulk; returns the exit code. */
int cmd_db_seed_bulk(cli *c, const db_seed_flags *f);

#endif /* CRUDDUR_CLI_CMD_DB_SEED_BULK_H */
