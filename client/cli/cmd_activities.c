/*
 * cmd_activities.c - `cruddur activities create|reply|show`.
 * (placeholder: being written)
 */
#include "cli.h"

int cmd_activities(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; return cli_usage_error("activities: not implemented yet"); }
