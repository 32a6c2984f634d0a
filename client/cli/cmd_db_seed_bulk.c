/*
 * cmd_db_seed_bulk.c - `cruddur db seed --users N --activities M [--seed S]
 * [--batch B]`: bulk fake data through DbAdmin SeedBulk (cmd_db.c reads
 * the options and comes here when one of these is given).
 *
 * The work goes in batches of B rows per call (10,000 unless --batch says
 * otherwise), users first, then activities, so that no call runs into its
 * deadline and so that there is progress to show: on a terminal a bar on
 * stderr, redrawn in place with \r (percent, rows/s, ETA); otherwise
 * nothing until the end. Either way the command ends with one summary line
 * on stdout ("seeded 1000 users and 100000 activities in 3.2 s (31250
 * rows/s)"), or with --json with the totals as a SeedBulkResponse.
 *
 * Each batch is its own transaction on the server: a failed batch leaves
 * the batches before it in place, and the command says how far it got
 * before the error (exit 1).
 *
 * Seeds: batch k is called with random_seed = mix(S, k), never 0, so the
 * same --seed and --batch reproduce the same handles and messages; without
 * --seed, S is picked from the clock and the process id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_db_seed_bulk.h"
#include "print.h"

#define SEED_DEFAULT_BATCH 10000
#define SEED_MAX_BATCH 1000000   /* SeedBulk's own limit per call */
#define SEED_MAX_TOTAL 100000000 /* a sanity bound; batches make it possible */
#define BAR_WIDTH 30
#define REDRAW_US 100000

typedef struct seed_run {
	long     users, activities, batch;
	uint64_t seed;
	char    *confirm; /* --confirm: the database name, for a production server */
	int64_t  users_done, activities_done;
	int64_t  start_us, last_draw_us;
	int      tty; /* draw the progress bar */
	uint64_t calls;
} seed_run;

static int64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64's finalizer: spreads a batch number over the seed space. */
static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t
batch_seed(uint64_t seed, uint64_t k)
{
	uint64_t s = mix64(seed + k * UINT64_C(0x9e3779b97f4a7c15));
	return s != 0 ? s : 1;
}

static void
progress_draw(seed_run *r, int force)
{
	int64_t t = now_us();
	if (!r->tty || (!force && t - r->last_draw_us < REDRAW_US))
		return;
	r->last_draw_us = t;

	double total = (double)(r->users + r->activities);
	double done = (double)(r->users_done + r->activities_done);
	double frac = total > 0 ? done / total : 1.0;
	double secs = (double)(t - r->start_us) / 1e6;
	double rate = secs > 0 ? done / secs : 0;
	char   bar[BAR_WIDTH + 1], eta[32];
	int    fill = (int)(frac * BAR_WIDTH);

	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[BAR_WIDTH] = '\0';
	if (rate > 0) {
		long left = (long)((total - done) / rate + 0.5);
		snprintf(eta, sizeof(eta), "%ld:%02ld", left / 60, left % 60);
	} else {
		snprintf(eta, sizeof(eta), "--:--");
	}
	fprintf(stderr, "\rseeding [%s] %3d%%  %.0f rows/s  ETA %s ", bar, (int)(frac * 100), rate,
	    eta);
	fflush(stderr);
}

/* Clears the bar's line so that what follows starts clean. */
static void
progress_clear(const seed_run *r)
{
	if (r->tty) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

/* One SeedBulk call for n users or n activities. */
static cruddur_status
seed_batch(cli *c, seed_run *r, int32_t users, int32_t activities, cruddur_call_opts *opts)
{
	Cruddur__V1__SeedBulkRequest   req = CRUDDUR__V1__SEED_BULK_REQUEST__INIT;
	Cruddur__V1__SeedBulkResponse *resp = NULL;

	req.users = users;
	req.activities = activities;
	req.random_seed = batch_seed(r->seed, r->calls++);
	req.confirm = r->confirm;
	*opts = cli_call_opts(c);
	cruddur_status st = cruddur_db_admin_seed_bulk(c->client, &req, &resp, opts);
	if (st == CRUDDUR_OK) {
		r->users_done += resp->users_created;
		r->activities_done += resp->activities_created;
	}
	cruddur_message_free(resp);
	return st;
}

static void
summary(const cli *c, const seed_run *r, FILE *f, const char *verb)
{
	int64_t elapsed = now_us() - r->start_us;
	double  secs = (double)elapsed / 1e6;
	double  rows = (double)(r->users_done + r->activities_done);

	if (c->json && f == stdout) {
		Cruddur__V1__SeedBulkResponse total = CRUDDUR__V1__SEED_BULK_RESPONSE__INIT;
		total.users_created = r->users_done;
		total.activities_created = r->activities_done;
		total.duration_us = elapsed;
		print_json(stdout, &total.base);
		return;
	}
	fprintf(f, "%s%lld users and %lld activities in %.1f s (%.0f rows/s)\n", verb,
	    (long long)r->users_done, (long long)r->activities_done, secs,
	    secs > 0 ? rows / secs : 0.0);
}

static int
seed_parse(seed_run *r, const db_seed_flags *f)
{
	r->confirm = f->confirm;
	if (f->users != NULL && cli_parse_int(f->users, 0, SEED_MAX_TOTAL, &r->users) != 0)
		return cli_usage_error("--users takes a number, 0 to %d", SEED_MAX_TOTAL);
	if (f->activities != NULL && cli_parse_int(f->activities, 0, SEED_MAX_TOTAL, &r->activities) != 0)
		return cli_usage_error("--activities takes a number, 0 to %d", SEED_MAX_TOTAL);
	if (f->batch != NULL && cli_parse_int(f->batch, 1, SEED_MAX_BATCH, &r->batch) != 0)
		return cli_usage_error("--batch takes a number, 1 to %d", SEED_MAX_BATCH);
	if (f->seed != NULL) {
		const char *v = f->seed;
		char       *end;
		errno = 0;
		r->seed = strtoull(v, &end, 10);
		if (errno != 0 || *v == '\0' || *v == '-' || *end != '\0')
			return cli_usage_error("--seed takes a number, 0 to 18446744073709551615");
	}
	if (f->users == NULL && f->activities == NULL)
		return cli_usage_error("db seed: give --users N and/or --activities M "
		                       "(plain `db seed` loads sql/seed.sql)");
	return 0;
}

/* Calls SeedBulk until `total` rows of one kind are in; users selects the
 * kind. Returns the first failure. */
static cruddur_status
seed_phase(cli *c, seed_run *r, int users, cruddur_call_opts *opts)
{
	long     total = users ? r->users : r->activities;
	int64_t *done = users ? &r->users_done : &r->activities_done;

	while (*done < total) {
		long           left = total - (long)*done;
		int32_t        n = (int32_t)(left < r->batch ? left : r->batch);
		int64_t        before = *done;
		cruddur_status st = seed_batch(c, r, users ? n : 0, users ? 0 : n, opts);
		if (st != CRUDDUR_OK)
			return st;
		if (*done == before) {
			/* The server said OK but added nothing: do not spin. */
			snprintf(opts->message, sizeof(opts->message), "a batch of %d added no rows", n);
			return CRUDDUR_INTERNAL;
		}
		progress_draw(r, 0);
	}
	return CRUDDUR_OK;
}

int
cmd_db_seed_bulk(cli *c, const db_seed_flags *f)
{
	seed_run          r = { .batch = SEED_DEFAULT_BATCH };
	cruddur_call_opts opts = cli_call_opts(c);
	cruddur_status    st;
	int               rv;

	if ((rv = seed_parse(&r, f)) != 0)
		return rv;
	if (r.seed == 0)
		r.seed = mix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)now_us());
	if ((rv = cli_connect(c)) != 0)
		return rv;
	r.tty = isatty(STDERR_FILENO);
	r.start_us = now_us();
	progress_draw(&r, 1);
	st = seed_phase(c, &r, 1, &opts);
	if (st == CRUDDUR_OK)
		st = seed_phase(c, &r, 0, &opts);
	progress_clear(&r);
	if (st != CRUDDUR_OK) {
		summary(c, &r, stderr, "cruddur: db seed: stopped after ");
		return cli_call_failed("db seed", st, &opts);
	}
	summary(c, &r, stdout, "seeded ");
	return 0;
}
