/*
 * cmd_activities.h - `cruddur activities ...` (cmd_activities.c), and how
 * it shows an activity, which cmd_feed.c shows the same way.
 * A command takes the arguments after its name and returns the exit code
 * (cli.h).
 */
#ifndef CRUDDUR_CLI_CMD_ACTIVITIES_H
#define CRUDDUR_CLI_CMD_ACTIVITIES_H

#include "cruddur/cruddur.h"
#include "cli.h"

/* Writes a to stdout in the human form, each line after `indent`:
 *   Display Name  @handle  2026-11-25 13:04:05 UTC
 *     message
 *     replies 0  reposts 0  likes 0  expires ...  uuid ...
 * followed by an empty line. */
void cli_show_activity(const Cruddur__V1__Activity *a, const char *indent);

int cmd_activities(cli *c, int argc, char **argv);

#endif /* CRUDDUR_CLI_CMD_ACTIVITIES_H */
