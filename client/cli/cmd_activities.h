/*
 * cmd_activities.h - how the activity commands show an activity, shared by
 * cmd_activities.c and cmd_feed.c.
 */
#ifndef CRUDDUR_CLI_CMD_ACTIVITIES_H
#define CRUDDUR_CLI_CMD_ACTIVITIES_H

#include "cruddur/cruddur.h"

/* Writes a to stdout in the human form, each line after `indent`:
 *   Display Name  @handle  2026-11-25 13:04:05 UTC
 *     message
 *     replies 0  reposts 0  likes 0  expires ...  uuid ...
 * followed by an empty line. */
void cli_show_activity(const Cruddur__V1__Activity *a, const char *indent);

#endif /* CRUDDUR_CLI_CMD_ACTIVITIES_H */
