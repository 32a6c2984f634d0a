/*
 * bench.h - cruddur-bench's shared types: the options, the methods it
 * can call, the targets those calls need, and the per-caller results.
 * Each file's functions are declared in its own header (options.h,
 * calls.h, ...), so that who calls whom shows in the includes.
 *
 * The program is in files by concern:
 *   options.c  command line and --help
 *   calls.c    one call of each method through libcruddur's generated
 *              stubs (blocking or *_async), and the check of its reply
 *   load.c     the run: warm-up, the measuring window, progress on a
 *              terminal; and the blocking callers of --sync (one thread
 *              per call in flight)
 *   record.c   the clock, the open loop's schedule, and what one call
 *              counts for: shared by load.c's callers and chains.c
 *   chains.c   the async load (the default): closed loop as C chains of
 *              calls, each started by the previous one's callback; open
 *              loop as one scheduler thread sending each call when due
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
#include "tool_env.h"

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
	BENCH_LIST_METHODS, /* Health.ListMethods: the stack with no database */
	BENCH_ANY,          /* any method, by full name, with --request's JSON */
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
	/* --method with a full name: that method, and its request from
	 * --request (canonical JSON, "{}" by default), parsed once and sent by
	 * every caller (libcruddur only reads it). */
	const cruddur_method *any;
	const char           *request_json;
	ProtobufCMessage     *any_request;
	uint32_t    deadline_ms;
	bool        json;
	bool        sync;      /* --sync: blocking caller threads (load.c) */
	bool        progress;  /* stderr is a terminal */
	/* As the CLI takes them (tool_env.h): the token, sent with every
	 * call, and the TLS files, else from the environment. */
	const char *token_file;
	tool_token  token;
	const char *tls_ca_file;
	const char *tls_cert_key_file;
	const char *tls_server_name;
} bench_options;

/* What the calls need to know, learned once before the run (calls.c). */
typedef struct bench_targets {
	size_t expected_feed_rows; /* min(limit, rows available) */
	char   uuids[BENCH_MAX_TARGETS][37];   /* activities for ShowActivity */
	char   handles[BENCH_MAX_TARGETS][65]; /* their authors, for UserActivities */
	size_t n;
} bench_targets;

/* One caller: a thread (--sync), a chain of async calls (closed loop), or
 * one of the open loop's C calls in flight. It has one call in flight at a
 * time, so its results are written by one thread at a time; merged by
 * main.c. */
typedef struct bench_caller {
	struct bench *b;
	pthread_t     thread;
	uint64_t      rng;
	hist          lat;
	uint64_t      outcomes[BENCH_N_OUTCOMES];
	uint64_t      by_method[BENCH_N_METHODS];
	/* The call in flight: what bench_check needs once it ends. */
	bench_method  method;
	int64_t       from_ns;       /* latency is measured from here */
	char          message[96];   /* CreateActivity's message */
	const char   *want_uuid;     /* ShowActivity's activity */
	struct bench_caller *next_free; /* open loop: the idle callers */
} bench_caller;

typedef struct bench {
	bench_options   opt;
	bench_targets   targets;
	cruddur_client *client;
	bench_caller   *callers;
	/* Set by load.c: when the warm-up began, the base of the open loop's
	 * schedule; when measuring began and ended (CLOCK_MONOTONIC, ns); and
	 * whether callers should record (false during warm-up). */
	int64_t         schedule_ns;
	int64_t         start_ns, end_ns;
	atomic_bool     measuring;
	atomic_bool     stop;
	atomic_ullong   done;      /* calls completed while measuring */
	atomic_ullong   failed;    /* of which not OK */
	atomic_ullong   next_slot; /* open loop: the next intended send */
	uint64_t        seq;       /* CreateActivity idempotency keys */
	/* chains.c: callers with a call in flight or about to start one; the
	 * open loop's scheduler thread and its idle callers. */
	atomic_int      live;
	pthread_t       scheduler;
	pthread_mutex_t idle_mtx;
	pthread_cond_t  idle_cv;
	bench_caller   *idle;
} bench;

#endif /* CRUDDUR_BENCH_H */
