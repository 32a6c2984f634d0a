/*
 * pool_internal.h - what pool.c (slots, waiting), pool_connect.c (making
 * connections: the bounded connect, backing off, the background
 * connector) and pool_exec.c (running statements on a connection; its
 * COPY in pool_copy.c) share.
 * Not for use outside the pool.
 */
#ifndef CRUDDUR_POOL_INTERNAL_H
#define CRUDDUR_POOL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/cancel_sender.h"
#include "db/pool.h"

struct pool_conn {
	PGconn *pg;
	int64_t deadline_us;    /* CLOCK_MONOTONIC; 0: none (pool_conn_set_deadline) */
	bool abandoned;         /* its last statement was given up on: close it */
	/* A statement failed with 25006: the server is read-only (a standby,
	 * or a primary demoted by a failover). Closed on release, so that the
	 * next connect finds the writable one (target_session_attrs). */
	bool read_only_seen;
	uint64_t prepared;      /* bit i: statement id i is prepared */
	/* The statement started by pool_conn_start (pool_exec.c), until
	 * pool_conn_step says it is over. */
	const db_statement *stmt;
	const char *const *params;
	bool preparing;         /* its PREPARE is what runs now */
	bool retried;           /* prepared again once after 26000 */
	int64_t cancelled_us;   /* when the last cancel went out; 0: none */
	uint64_t cancel_ticket; /* its last cancel's (cancel_sender.h); 0: none */
	/* A command run by pool_exec.c's result machine: its last result so
	 * far (each NULL) or where each result goes (pool_conn_each); whether
	 * a COPY ... FROM STDIN is what the caller wants (pool_copy.c), and
	 * whether the rows of a COPY TO STDOUT are being skipped. */
	PGresult *last;
	void (*each)(void *arg, PGresult *res);
	void *each_arg;
	bool want_copy_in;
	bool copy_out;
	/* A pipeline (pool_pipeline.c): how many statements it has, how many
	 * of them ended (their results all read), were reported to the
	 * caller, had their Sync read; the current statement's last result
	 * (NULL: none yet); whether the connection failed under it. */
	int pipe_sent, pipe_ended, pipe_reported, pipe_synced;
	PGresult *pipe_res;
	bool pipe_broken;
	uint64_t generation;    /* p->generation when the slot was reserved */
	pool *pool;             /* its pool, for pool_cancel_all */
	pool_conn *next;        /* idle stack link, under p->mtx */
};

struct pool {
	/* Set by pool_new, read-only afterwards. */
	const db_target *target;
	const char **keywords;  /* target's, keepalives added (pool_connect.c) */
	const char **values;
	int64_t connect_timeout_us; /* a connect waits at most this long */
	int max_size;
	int acquire_timeout_ms;
	cancel_sender *canceller; /* sends every cancel of the pool's connections */
	/* Set once by pool_cancel_all, read without the lock. */
	_Atomic int64_t cancel_all_us;

	pthread_mutex_t mtx;
	pthread_cond_t cv;      /* a slot or idle connection became free */
	/* Protected by mtx. */
	pool_conn *idle;
	int nidle;
	int size;
	int in_use;
	int waiting;
	uint64_t generation;
	uint64_t connects;
	uint64_t connect_failures;
	uint64_t broken;
	/* Backing off (pool_connect.c): connects that failed in a row; no
	 * new connect before retry_at_us while there are any, then one at a
	 * time (probing); the last failure's status and message, which
	 * callers get at once meanwhile (backoff_refusals counts them). */
	int connecting;         /* slots reserved by connects in progress */
	int fail_streak;
	int64_t retry_at_us;
	int64_t backoff_us;
	bool probing;
	cruddur_status last_status;
	char last_msg[256];
	unsigned int jitter_seed;
	uint64_t backoff_refusals;
	/* The connector thread (pool_grow_async): asked to make a connection,
	 * told to stop; under mtx, its own condition variable. */
	pthread_t connector;
	bool connector_started;
	bool grow_wanted;
	bool connector_stop;
	pthread_cond_t connector_cv;
	/* pool_set_notify's callback, under notify_mtx (never held with mtx). */
	pthread_mutex_t notify_mtx;
	void (*notify)(void *);
	void *notify_arg;
};


/* Shared by pool.c and pool_connect.c. */

/* Gives up a slot that holds no connection (any more). Called locked. */
void pool_slot_free_locked(pool *p);
/* Closes c's connection and frees c; NULL is ignored. */
void pool_conn_close(pool_conn *c);
/* Sends sql on pg and reads its results until until_us at most: whether
 * the last result was want and pg is idle and well afterwards. A
 * database that does not answer in time leaves pg unusable (close it). */
bool pool_pg_roundtrip(PGconn *pg, const char *sql, ExecStatusType want, int64_t until_us);
/* Whether connecting backs off now (failures in a row, and the wait not
 * over or its one retry running). Locked. */
bool pool_backoff_active_locked(const pool *p, int64_t now);
/* Whether a caller that would connect must be refused at once: backing
 * off, and no connection of the pool that could come back. Locked. */
bool pool_backoff_refuses_locked(const pool *p, int64_t now);
/* Such a refusal: counts it, writes why, returns the last failure's
 * status. Locked. */
cruddur_status pool_refusal_locked(pool *p, char *msg, size_t msglen);
/* Connects into the slot the caller reserved in generation gen, never
 * past deadline_us (0: the connect timeout only); on failure frees the
 * slot and records it for backing off. Called without the lock. */
cruddur_status pool_conn_open(pool *p, uint64_t gen, int64_t deadline_us, pool_conn **out,
    char *msg, size_t msglen);
/* Options from the target, for pool_new; 0 or ENOMEM. */
int pool_build_options(pool *p, const pool_config *cfg);
/* The connector thread, for pool_new and pool_free; 0 or an errno. */
int pool_connector_start(pool *p);
void pool_connector_stop(pool *p);

/* Shared by pool_exec.c and pool_pipeline.c. */

/* c's command has not answered yet: once its limit (deadline or
 * pool_cancel_all) has passed, cancels it, again each second. Returns true
 * with how long to wait for its socket at most, or false when the
 * database answered no cancel for 5 s: c is given up (c->abandoned). */
bool pool_conn_watch(pool_conn *c, int *wait_ms);
/* The status of a statement not answered by c's limit: DEADLINE_EXCEEDED,
 * or UNAVAILABLE when the limit was pool_cancel_all's. */
cruddur_status pool_conn_limit_status(const pool_conn *c, char *msg, size_t msglen);
/* The status of a statement given up on (c->abandoned): the database
 * answered neither it nor its cancels in time, or the server stops. */
cruddur_status pool_conn_abandoned_status(const pool_conn *c, char *msg, size_t msglen);

/* Shared by pool_exec.c and pool_copy.c. */

/* Makes c ready to send a new command: no cancel sent, no result kept.
 * c->abandoned stays: a connection given up on is not used again. */
void pool_conn_run_reset(pool_conn *c);
/* Reads the results of the command just sent on c until it is over,
 * waiting on its socket at most until its limit, then cancelling and
 * giving up (as pool_conn_exec does). Returns the last result (NULL: the
 * connection failed or was given up), or the COPY_IN result when
 * c->want_copy_in. */
PGresult *pool_conn_run_until(pool_conn *c);
/* Waits for c's socket to be ready for events (POLLIN, POLLOUT), at most
 * until its limit, cancelling and giving up as pool_conn_watch does.
 * false: given up (c->abandoned). */
bool pool_conn_wait(pool_conn *c, short events);

#endif /* CRUDDUR_POOL_INTERNAL_H */
