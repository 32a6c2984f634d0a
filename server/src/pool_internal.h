/*
 * pool_internal.h - what pool.c (connections, slots, waiting) and
 * pool_exec.c (running statements on a connection) share. Not for use
 * outside the pool.
 */
#ifndef CRUDDUR_POOL_INTERNAL_H
#define CRUDDUR_POOL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cancel_sender.h"
#include "pool.h"

struct pool_conn {
	PGconn *pg;
	int64_t deadline_us;    /* CLOCK_MONOTONIC; 0: none (pool_conn_set_deadline) */
	bool abandoned;         /* its last statement was given up on: close it */
	uint64_t prepared;      /* bit i: statement id i is prepared */
	/* The statement started by pool_conn_start (pool_exec.c), until
	 * pool_conn_step says it is over. */
	const db_statement *stmt;
	const char *const *params;
	bool preparing;         /* its PREPARE is what runs now */
	bool retried;           /* prepared again once after 26000 */
	int64_t cancelled_us;   /* when the last cancel went out; 0: none */
	uint64_t cancel_ticket; /* its last cancel's (cancel_sender.h); 0: none */
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
	const char **keywords;  /* target's, connect_timeout replaced */
	const char **values;
	char connect_timeout[16];
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
};


/* Copies text into msg (msglen bytes, always terminated). */
void pool_set_msg(char *msg, size_t msglen, const char *text);

/* Shared by pool_exec.c and pool_pipeline.c. */

/* c's command has not answered yet: once its limit (deadline or
 * pool_cancel_all) has passed, cancels it, again each second. Returns true
 * with how long to wait for its socket at most, or false when the
 * database answered no cancel for 5 s: c is given up (c->abandoned). */
bool pool_conn_watch(pool_conn *c, int *wait_ms);
/* Whether c's limit (deadline or pool_cancel_all) has passed. */
bool pool_conn_limit_passed(const pool_conn *c);
/* The status of res, the result of c's last statement (NULL: failed). */
cruddur_status pool_conn_result_status(pool_conn *c, const PGresult *res, char *msg,
    size_t msglen);
/* The status of a statement not answered by c's limit: DEADLINE_EXCEEDED,
 * or UNAVAILABLE when the limit was pool_cancel_all's. */
cruddur_status pool_conn_limit_status(const pool_conn *c, char *msg, size_t msglen);
/* The status of a statement given up on (c->abandoned): the database
 * answered neither it nor its cancels in time, or the server stops. */
cruddur_status pool_conn_abandoned_status(const pool_conn *c, char *msg, size_t msglen);

#endif /* CRUDDUR_POOL_INTERNAL_H */
