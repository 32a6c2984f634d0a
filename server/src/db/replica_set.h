/*
 * replica_set.h - the primary and its hot standbys, and which of them a
 * read that may lag goes to.
 *
 * Each replica's replay position is watched by one thread of its own, on a
 * bounded schedule (every REPLICA_POLL_MS), never on a request's path: it
 * asks the primary for pg_current_wal_lsn() and each replica for
 * pg_last_wal_replay_lsn(), and keeps the primary's recent positions with
 * the time each was first seen, so that a replica's lag in milliseconds is
 * how long ago the primary first passed the point the replica has
 * replayed (0 when it has replayed all the primary had), and its lag in
 * bytes the distance between the two. A replica is healthy while it
 * answers, is in recovery, was seen within the last REPLICA_STALE_MS and
 * lags no more than max_lag_ms; lagging while it answers but lags more;
 * down otherwise (also from the moment a round or a read finds it
 * unreachable, until a round finds it answering). replica_set_pick spreads reads round-robin over the
 * healthy ones, and with none left gives the primary.
 *
 * Read your writes: a write's consistency token is the primary's WAL
 * position after its commit (replica_lsn_format). A read that carries one
 * goes only to a replica seen to have replayed that far (a position seen
 * only grows, so what was seen is true now), or, after waiting up to a
 * bound for one (replica_set_pick_wait; only where the caller may block),
 * to the primary.
 *
 * Ownership: the set borrows the pools (the caller frees them after
 * replica_set_free). Locking: one mutex over the replicas' states, held
 * only to copy or update them (never across a query); a condition
 * variable on it wakes the readers that wait for a position after each
 * round of the watcher.
 */
#ifndef CRUDDUR_REPLICA_SET_H
#define CRUDDUR_REPLICA_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/pool.h"

#define REPLICA_SET_MAX 8
#define REPLICA_POLL_MS 100
#define REPLICA_STALE_MS 2000

typedef struct replica_set replica_set;

typedef struct replica_set_config {
	pool       *primary;                     /* borrowed */
	pool       *replicas[REPLICA_SET_MAX];   /* borrowed */
	const char *names[REPLICA_SET_MAX];      /* for Stats and logs (masked URLs); copied */
	size_t      n;
	int         max_lag_ms;
} replica_set_config;

/* Makes the set and, when it has replicas, starts the watcher. Returns 0,
 * EINVAL (more than REPLICA_SET_MAX, no primary) or an errno value. */
int replica_set_new(replica_set **out, const replica_set_config *cfg);

/* Stops the watcher and frees the set. NULL is ignored. */
void replica_set_free(replica_set *rs);

/* Where a read goes: -1 the primary, else the index of a replica. */
#define REPLICA_PRIMARY (-1)

/* A healthy replica that has replayed min_lsn (0: any position), in turn
 * with the others; REPLICA_PRIMARY when there is none. Never blocks (a
 * mutex held for a copy): nng callbacks may call it. rs may be NULL (no
 * set: the primary), for both picks. */
int replica_set_pick(replica_set *rs, uint64_t min_lsn);

/* replica_set_pick, but when min_lsn is set and no replica has replayed
 * it yet, waits for the watcher's rounds until until_us (CLOCK_MONOTONIC)
 * for one that has, then gives the primary. For worker threads only. */
int replica_set_pick_wait(replica_set *rs, uint64_t min_lsn, int64_t until_us);

/* A read on replica i found it unreachable (UNAVAILABLE): it takes no
 * reads until the watcher's next round finds it answering. Never blocks.
 * REPLICA_PRIMARY and a NULL rs are ignored. */
void replica_set_mark_down(replica_set *rs, int i);

/* The pool of replica i, or the primary's for REPLICA_PRIMARY. */
pool *replica_set_pool(replica_set *rs, int i);

size_t replica_set_count(const replica_set *rs);

typedef enum replica_health {
	REPLICA_UNKNOWN,  /* not seen yet */
	REPLICA_HEALTHY,
	REPLICA_LAGGING,  /* answers, but too far behind (or not in recovery) */
	REPLICA_DOWN,     /* does not answer, or was not seen for REPLICA_STALE_MS */
} replica_health;

typedef struct replica_state {
	const char        *name;       /* the set's; valid until replica_set_free */
	replica_health     health;
	int64_t            lag_ms;     /* -1: unknown */
	int64_t            lag_bytes;  /* -1: unknown */
	uint64_t           replay_lsn; /* 0: unknown */
	unsigned long long reads;      /* reads given to it */
} replica_state;

/* A snapshot of replica i (0..count-1). */
void replica_set_get(replica_set *rs, size_t i, replica_state *out);
/* Reads given to the primary by replica_set_pick*, for want of a replica
 * (0 when the set has none). */
unsigned long long replica_set_primary_reads(replica_set *rs);
const char *replica_health_name(replica_health h);

/* "16/B374D848" (PostgreSQL's pg_lsn text) to a number; false for
 * anything else. Stateless. */
bool replica_lsn_parse(const char *text, uint64_t *out);
/* The number as pg_lsn text into buf (at least REPLICA_LSN_TEXT bytes). */
#define REPLICA_LSN_TEXT 20
void replica_lsn_format(uint64_t lsn, char *buf);

#endif /* CRUDDUR_REPLICA_SET_H */
