/*
 * bench.h - cruddur-bench's shared state: the options, the methods it
 * can call, the targets those calls need, and the per-caller results.
 *
 * The program is in files by concern:
 *   options.c  command line and --help
 *   calls.c    one call of each method through libcruddur's generated
 *              stubs, and the check of its reply
 *   load.c     the callers: closed loop (--concurrency) or open loop
 *              (--rate), warm-up, progress on a terminal
 *   report.c   the summary line and the --json report
 *   hist.c     the latency histogram
 *   main.c     ties them together
 * Nothing here reaches into libcruddur's private headers: a benchmark of
 * the generated client must pay what every user of it pays.
 */
#ifndef CRUDDUR_BENCH_H
#define CRUDDUR_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cruddur/cruddur.h"
#include "hist.h"

#define BENCH_MAX_SERVERS 16
#define BENCH_MAX_TARGETS 100
/* Status slots: the gRPC codes 0..16, then replies that came back OK but
 * failed the check (wrong row count, wrong activity). */
#define BENCH_N_STATUS (CRUDDUR_UNAUTHENTICATED + 1)
#define BENCH_BAD_REPLY BENCH_N_STATUS
#define BENCH_N_OUTCOMES (BENCH_N_STATUS + 1)

typedef enum bench_method {
	BENCH_HOME_FEED,
	BENCH_CREATE_ACTIVITY,
	BENCH_SHOW_ACTIVITY,
	BENCH_USER_ACTIVITIES,
	BENCH_N_METHODS,
} bench_method;

typedef struct bench_options {
	const char *servers[BENCH_MAX_SERVERS];
	size_t      n_servers;
	int         concurrency;
	double      duration_s;
	double      warmup_s;
	double      rate;      /* requests/s over all callers; 0: closed loop */
	int         limit;     /* page size asked of HomeFeed and UserActivities */
	const char *handle;    /* CreateActivity's author */
	const char *name;      /* the summary line's first word; NULL: derived */
	unsigned    weights[BENCH_N_METHODS]; /* --method; all 0 but one unless a mix */
	unsigned    weight_total;
	uint32_t    deadline_ms;
	bool        json;
	bool        progress;  /* stderr is a terminal */
} bench_options;

/* What the calls need to know, learned once before the run (calls.c). */
typedef struct bench_targets {
	size_t expected_feed_rows; /* min(limit, rows available) */
	char   uuids[BENCH_MAX_TARGETS][37];   /* activities for ShowActivity */
	char   handles[BENCH_MAX_TARGETS][65]; /* their authors, for UserActivities */
	size_t n;
} bench_targets;

/* One caller thread's results; merged by report.c. */
typedef struct bench_caller {
	struct bench *b;
	pthread_t     thread;
	uint64_t      rng;
	hist          lat;
	uint64_t      outcomes[BENCH_N_OUTCOMES];
	uint64_t      by_method[BENCH_N_METHODS];
} bench_caller;

typedef struct bench {
	bench_options   opt;
	bench_targets   targets;
	cruddur_client *client;
	bench_caller   *callers;
	/* Set by load.c: when measuring began and ended (CLOCK_MONOTONIC, ns),
	 * and whether callers should record (false during warm-up). */
	int64_t         start_ns, end_ns;
	atomic_bool     measuring;
	atomic_bool     stop;
	atomic_ullong   done;      /* calls completed while measuring */
	atomic_ullong   failed;    /* of which not OK */
	atomic_ullong   next_slot; /* open loop: the next intended send */
	uint64_t        seq;       /* CreateActivity idempotency keys */
} bench;

/* options.c: fills o; returns 0, 1 after --help (exit 0), 2 on a usage
 * error (already printed). */
int         bench_options_parse(bench_options *o, int argc, char **argv);
const char *bench_method_name(bench_method m);

/* calls.c */
/* Calls HomeFeed once to learn the expected row count and the targets of
 * ShowActivity/UserActivities. Returns 0, or -1 after printing why. */
int           bench_targets_learn(bench *b);
/* Picks a method by weight, calls it once, checks the reply. Returns the
 * outcome slot: a status code, or BENCH_BAD_REPLY. */
bench_method  bench_pick(bench_caller *c);
int           bench_call(bench_caller *c, bench_method m);

/* load.c: runs warm-up then the measured run; returns 0 or -1. */
int  bench_load_run(bench *b);
int64_t bench_now_ns(void);

/* report.c */
void bench_report_line(const bench *b, const hist *all, double req_per_s);
void bench_report_json(const bench *b, const hist *all, const uint64_t *outcomes,
    const uint64_t *by_method, double req_per_s);
void bench_report_errors(const uint64_t *outcomes);

#endif /* CRUDDUR_BENCH_H */
