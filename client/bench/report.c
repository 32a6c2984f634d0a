/*
 * report.c - what cruddur-bench prints.
 *
 * stdout: the summary line `NAME req_per_s p50_us p99_us` (req_per_s is
 * calls completed with a good reply per second of the measuring window),
 * or with --json one JSON object instead. stderr: failed calls by status,
 * one line each ("errors DEADLINE_EXCEEDED 3"; "errors BAD_REPLY n" for
 * OK replies that failed the check).
 */
#include <stdio.h>

#include "bench.h"
#include "hist.h"
#include "options.h"
#include "report.h"

static const char *
outcome_name(int i)
{
	return i == BENCH_BAD_REPLY ? "BAD_REPLY" : cruddur_status_name((cruddur_status)i);
}

void
bench_report_line(const bench *b, const hist *all, double req_per_s)
{
	printf("%s %.0f %llu %llu\n", b->opt.name, req_per_s,
	    (unsigned long long)hist_quantile(all, 0.50), (unsigned long long)hist_quantile(all, 0.99));
}

void
bench_report_errors(const uint64_t *outcomes)
{
	for (int i = 1; i < BENCH_N_OUTCOMES; i++)
		if (outcomes[i] > 0)
			fprintf(stderr, "errors %s %llu\n", outcome_name(i), (unsigned long long)outcomes[i]);
}

/* A JSON string of s; s holds only names and URLs, escape quotes and
 * backslashes anyway. */
static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

void
bench_report_json(const bench *b, const hist *all, const uint64_t *outcomes,
    const uint64_t *by_method, double req_per_s)
{
	const bench_options *o = &b->opt;
	FILE                *f = stdout;
	const char          *sep = "";

	fprintf(f, "{\"name\":");
	json_string(f, o->name);
	fprintf(f, ",\"servers\":[");
	for (size_t i = 0; i < o->n_servers; i++) {
		fputs(i ? "," : "", f);
		json_string(f, o->servers[i]);
	}
	fprintf(f, "],\"mode\":\"%s\",\"concurrency\":%d,\"rate\":%g,\"duration_s\":%.3f,"
	           "\"warmup_s\":%g,\"limit\":%d,\"expected_feed_rows\":%zu,",
	    o->rate > 0 ? "open" : "closed", o->concurrency, o->rate,
	    (double)(b->end_ns - b->start_ns) / 1e9, o->warmup_s, o->limit,
	    b->targets.expected_feed_rows);
	fprintf(f, "\"methods\":{");
	for (int m = 0; m < BENCH_N_METHODS; m++) {
		if (o->weights[m] == 0)
			continue;
		fprintf(f, "%s\"%s\":{\"weight\":%u,\"calls\":%llu}", sep,
		    bench_method_name((bench_method)m), o->weights[m], (unsigned long long)by_method[m]);
		sep = ",";
	}
	fprintf(f, "},\"ok\":%llu,\"req_per_s\":%.1f,", (unsigned long long)outcomes[CRUDDUR_OK],
	    req_per_s);
	fprintf(f, "\"latency_us\":{\"samples\":%llu,\"mean\":%.1f,\"p50\":%llu,\"p90\":%llu,"
	           "\"p99\":%llu,\"p99_9\":%llu,\"max\":%llu},",
	    (unsigned long long)all->count,
	    all->count ? (double)all->sum_us / (double)all->count : 0.0,
	    (unsigned long long)hist_quantile(all, 0.50), (unsigned long long)hist_quantile(all, 0.90),
	    (unsigned long long)hist_quantile(all, 0.99), (unsigned long long)hist_quantile(all, 0.999),
	    (unsigned long long)all->max_us);
	fprintf(f, "\"errors\":{");
	sep = "";
	for (int i = 1; i < BENCH_N_OUTCOMES; i++) {
		if (outcomes[i] == 0)
			continue;
		fprintf(f, "%s\"%s\":%llu", sep, outcome_name(i), (unsigned long long)outcomes[i]);
		sep = ",";
	}
	fprintf(f, "},\"histogram\":");
	hist_write_json(all, f);
	fprintf(f, "}\n");
}
