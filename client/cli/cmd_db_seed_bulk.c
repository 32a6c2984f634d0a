/*
 * cmd_db_seed_bulk.c - `cruddur db seed --users N --activities M`.
 * (placeholder: being written)
 */
#include "cli.h"

int cmd_db_seed_bulk(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; return cli_usage_error("db seed --users: not implemented yet"); }
