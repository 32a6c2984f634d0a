/*
 * config.h - cruddurd's settings: flags, environment, config file.
 */
#ifndef CRUDDUR_CONFIG_H
#define CRUDDUR_CONFIG_H

#include "server.h"

#include "cruddur/version.h" /* CRUDDUR_VERSION_STRING, from CMake */

/* Fills cfg from argv, the environment and the config file (see
 * config.c for the precedence). Prints --help / --version and exits 0 for
 * them. Returns 0, or -1 after printing what is wrong. */
int config_parse(server_config *cfg, int argc, char **argv);

#endif /* CRUDDUR_CONFIG_H */
