/*
 * main.c - cruddur-bench: load on cruddurd through libcruddur.
 *
 *   parse options -> open one client -> learn the targets (a first
 *   HomeFeed) -> warm up and measure (load.c) -> merge the callers'
 *   histograms and counters -> print the line or the JSON report.
 *
 * One cruddur_client is shared by all callers, as a service calling
 * cruddurd would share it (libcruddur gives each call its own nng
 * context). The client is closed only after every call has ended.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "calls.h"
#include "hist.h"
#include "load.h"
#include "options.h"
#include "report.h"

static void
merge(const bench *b, hist *all, uint64_t *outcomes, uint64_t *by_method)
{
	for (int i = 0; i < b->opt.concurrency; i++) {
		const bench_caller *c = &b->callers[i];
		hist_merge(all, &c->lat);
		for (int k = 0; k < BENCH_N_OUTCOMES; k++)
			outcomes[k] += c->outcomes[k];
		for (int m = 0; m < BENCH_N_METHODS; m++)
			by_method[m] += c->by_method[m];
	}
}

int
main(int argc, char **argv)
{
	static bench b;
	uint64_t     outcomes[BENCH_N_OUTCOMES] = { 0 }, by_method[BENCH_N_METHODS] = { 0 };
	hist        *all = NULL;
	char         err[512];
	int          rv = 1;

	switch (bench_options_parse(&b.opt, argc, argv)) {
	case 0: break;
	case 1: return 0;
	default: return 2;
	}
	cruddur_client_config cfg = {
		.urls = b.opt.servers,
		.n_urls = b.opt.n_servers,
		.tls_ca_file = b.opt.tls_ca_file,
		.tls_cert_key_file = b.opt.tls_cert_key_file,
		.tls_server_name = b.opt.tls_server_name,
	};
	tool_tls_from_env(&cfg);
	if (cruddur_client_open_config(&b.client, &cfg, err, sizeof(err)) != CRUDDUR_OK) {
		fprintf(stderr, "cruddur-bench: %s\n", err);
		return 1;
	}
	b.callers = calloc((size_t)b.opt.concurrency, sizeof(*b.callers));
	all = calloc(1, sizeof(*all));
	if (b.callers == NULL || all == NULL) {
		fprintf(stderr, "cruddur-bench: out of memory\n");
		goto out;
	}
	if (bench_targets_learn(&b) != 0 || bench_load_run(&b) != 0)
		goto out;
	merge(&b, all, outcomes, by_method);
	double secs = (double)(b.end_ns - b.start_ns) / 1e9;
	double req_per_s = secs > 0 ? (double)outcomes[CRUDDUR_OK] / secs : 0;
	if (b.opt.json)
		bench_report_json(&b, all, outcomes, by_method, req_per_s);
	else
		bench_report_line(&b, all, req_per_s);
	bench_report_errors(outcomes);
	rv = outcomes[CRUDDUR_OK] > 0 && atomic_load(&b.failed) == 0 ? 0 : 1;
out:
	free(all);
	free(b.callers);
	cruddur_message_free(b.opt.any_request);
	cruddur_client_close(b.client);
	return rv;
}
