/*
 * cmd_db_migrations.h - `cruddur db migrate|rollback|status|kill-sessions`
 * (cmd_db_migrations.c).
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_DB_MIGRATIONS_H
#define CRUDDUR_CLI_CMD_DB_MIGRATIONS_H

#include "cli.h"

int cmd_db_migrate(cli *c, int argc, char **argv);
int cmd_db_rollback(cli *c, int argc, char **argv);
int cmd_db_status(cli *c, int argc, char **argv);
int cmd_db_kill_sessions(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_DB_MIGRATIONS_H */
