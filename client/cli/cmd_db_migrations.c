/*
 * cmd_db_migrations.c - `cruddur db migrate|rollback|status|kill-sessions`.
 * (placeholder: being written)
 */
#include "cli.h"

int cmd_db_migrate(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; return cli_usage_error("db migrate: not implemented yet"); }
int cmd_db_rollback(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; return cli_usage_error("db rollback: not implemented yet"); }
int cmd_db_status(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; return cli_usage_error("db status: not implemented yet"); }
int cmd_db_kill_sessions(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; return cli_usage_error("db kill-sessions: not implemented yet"); }
