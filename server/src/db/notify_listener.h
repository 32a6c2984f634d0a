/*
 * notify_listener.h - the one connection that LISTENs for the database's
 * change notices (sql/migrations/0006: triggers on activities and users
 * pg_notify inside the writing transaction, so the notice goes out at
 * commit, whoever wrote).
 *
 * Its own thread, its own libpq connection (never one of the pool's):
 * connect (db_connect.h, bounded, ended by the stop), then, non-blocking,
 * `SET synchronous_commit TO off; LISTEN <channel>; LISTEN <heartbeat
 * channel>`, and only once PostgreSQL has confirmed both LISTENs, on_state
 * (LISTENING). Then it polls the socket, with waits of at most
 * heartbeat_ms, and passes every notice to on_notice, in the order the
 * database sent them.
 *
 * The heartbeat: every heartbeat_ms (while wants_fresh says so) it NOTIFYs its own channel (named
 * after its backend's pid, so no other server hears it) and waits for that
 * notice to come back. PostgreSQL delivers notices in the order of its
 * queue, and a transaction's notice is queued before it commits, so when
 * the heartbeat sent at time t comes back, every notice of a write that
 * committed before t has been handed to on_notice: on_fresh(t) says so.
 * A heartbeat not back within 2 s, an error, or the connection lost: the
 * connection is closed, on_state(DOWN), and it connects again after a
 * backoff (100 ms doubling to 5 s, with jitter).
 *
 * Callbacks run on the listener's thread, one at a time; they must not
 * block. Stop: notify_listener_free ends the thread within about 100 ms
 * (every wait is cut by the stop), and joins it.
 */
#ifndef CRUDDUR_NOTIFY_LISTENER_H
#define CRUDDUR_NOTIFY_LISTENER_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db_target.h"

typedef struct notify_listener notify_listener;

typedef enum notify_state {
	NOTIFY_CONNECTING, /* connecting, or LISTEN sent and not yet confirmed */
	NOTIFY_LISTENING,  /* LISTEN confirmed */
	NOTIFY_DOWN,       /* the connection failed or was lost; backing off */
} notify_state;

typedef struct notify_listener_config {
	const db_target *target;       /* borrowed; outlives the listener */
	const char      *channel;      /* an identifier: [a-z_]+ */
	int              heartbeat_ms; /* 1..1000 */
	/* A boolean SQL expression (ours, no caller text) that must hold for
	 * the LISTEN to count and for each heartbeat to be sent back: the
	 * triggers exist. A heartbeat that finds it false counts as a lost
	 * connection; a connect that finds it false as a failed one (backoff).
	 * NULL: always true. */
	const char      *guard_sql;
	void (*on_state)(void *arg, notify_state st);
	void (*on_notice)(void *arg, const char *payload);
	/* Every notice of a write committed before mono_us (CLOCK_MONOTONIC)
	 * has been passed to on_notice. */
	void (*on_fresh)(void *arg, int64_t mono_us);
	/* Whether a freshness point is wanted now (someone looked for a page
	 * lately); NULL: always. While not, a heartbeat goes only once a
	 * second, to notice a connection that died: each costs the database
	 * a transaction id. */
	bool (*wants_fresh)(void *arg);
	void *arg;
} notify_listener_config;

/* Starts the thread. Returns 0 or an errno value. */
int  notify_listener_new(notify_listener **out, const notify_listener_config *cfg);
/* Stops and joins the thread (bounded), closes the connection, frees l.
 * NULL is ignored. */
void notify_listener_free(notify_listener *l);

/* The last heartbeat's round trip, and the longest since start
 * (microseconds; 0 before the first): the notification delay measured. */
void notify_listener_delay(notify_listener *l, int64_t *last_us, int64_t *max_us);

#endif /* CRUDDUR_NOTIFY_LISTENER_H */
