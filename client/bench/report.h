/*
 * report.h - the summary line, the --json report, and the count of
 * failures by status (report.c), printed once the run is over.
 */
#ifndef CRUDDUR_BENCH_REPORT_H
#define CRUDDUR_BENCH_REPORT_H

#include <stdint.h>

#include "bench.h"
#include "hist.h"

void bench_report_line(const bench *b, const hist *all, double req_per_s);
void bench_report_json(const bench *b, const hist *all, const uint64_t *outcomes,
    const uint64_t *by_method, double req_per_s);
void bench_report_errors(const uint64_t *outcomes);

#endif /* CRUDDUR_BENCH_REPORT_H */
