/*
 * options.h - cruddur-bench's command line (options.c).
 */
#ifndef CRUDDUR_BENCH_OPTIONS_H
#define CRUDDUR_BENCH_OPTIONS_H

#include "bench.h"

/* Fills o; returns 0, 1 after --help (exit 0), 2 on a usage error
 * (already printed). */
int         bench_options_parse(bench_options *o, int argc, char **argv);
const char *bench_method_name(bench_method m);

#endif /* CRUDDUR_BENCH_OPTIONS_H */
