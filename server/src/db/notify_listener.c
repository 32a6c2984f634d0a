/*
 * notify_listener.c - the LISTEN connection's thread; see notify_listener.h.
 *
 * Locking: the connection and every field but those below are the
 * thread's alone. stop_us (set once by notify_listener_free, which then
 * writes the wake pipe) and the delay figures are atomics.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/clock.h"
#include "db/db_connect.h"
#include "db/notify_listener.h"
#include "obs/log.h"

#define CONNECT_TIMEOUT_US  5000000
#define LISTEN_TIMEOUT_US   5000000
#define HEARTBEAT_LOST_US   2000000
#define IDLE_HEARTBEAT_US   1000000
#define BACKOFF_MIN_MS      100
#define BACKOFF_MAX_MS      5000

struct notify_listener {
	notify_listener_config cfg;
	pthread_t              thread;
	int                    wake[2]; /* a byte written at stop */
	_Atomic int64_t        stop_us;
	_Atomic int64_t        last_delay_us, max_delay_us;
	/* The thread's */
	PGconn  *conn;
	char     hb_channel[64];
	uint64_t hb_seq;     /* of the heartbeat in flight; 0: none */
	int64_t  hb_sent_us; /* when it was sent */
	int64_t  hb_next_us; /* when the next is due */
};

static bool
stopping(notify_listener *l)
{
	return atomic_load(&l->stop_us) != 0;
}

/* Waits for events on the connection's socket (0: none) or the stop,
 * until until_us at the latest. Returns the socket's revents; 0 on a
 * timeout or stop. */
static short
wait_socket(notify_listener *l, short events, int64_t until_us)
{
	struct pollfd p[2] = { { l->wake[0], POLLIN, 0 }, { -1, events, 0 } };
	int64_t       left = until_us - clock_mono_us();

	if (l->conn != NULL && events != 0)
		p[1].fd = PQsocket(l->conn);
	if (left < 0)
		left = 0;
	if (poll(p, 2, (int)((left + 999) / 1000)) <= 0 || stopping(l))
		return 0;
	return p[1].revents;
}

/* Sends what libpq holds (non-blocking), waiting for the socket to take
 * it, until until_us. */
static bool
flush_out(notify_listener *l, int64_t until_us)
{
	int rv;

	while ((rv = PQflush(l->conn)) == 1) {
		if (clock_mono_us() >= until_us || stopping(l))
			return false;
		if (wait_socket(l, POLLOUT | POLLIN, until_us) & (POLLIN))
			if (!PQconsumeInput(l->conn))
				return false;
	}
	return rv == 0;
}

/* The results of the query sent last, all OK; false on an error, the
 * connection lost, a stop or until_us. *rows: the last one's rows. */
static bool
await_results(notify_listener *l, int64_t until_us, int *rows)
{
	PGresult *res;
	bool      ok = true;

	for (;;) {
		while (PQisBusy(l->conn)) {
			if (clock_mono_us() >= until_us || stopping(l))
				return false;
			if ((wait_socket(l, POLLIN, until_us) & (POLLIN | POLLERR | POLLHUP)) &&
			    !PQconsumeInput(l->conn))
				return false;
		}
		if ((res = PQgetResult(l->conn)) == NULL)
			return ok;
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			ok = false;
		*rows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
		PQclear(res);
	}
}

/* Connects, sets up the session and LISTENs; true once confirmed. */
static bool
connect_and_listen(notify_listener *l)
{
	char    msg[512], sql[768];
	int64_t until = clock_mono_us() + CONNECT_TIMEOUT_US;

	if (db_connect(&l->conn, (const char *const *)l->cfg.target->keywords,
	        (const char *const *)l->cfg.target->values, until, &l->stop_us, l->cfg.target, NULL,
	        msg, sizeof(msg)) != CRUDDUR_OK) {
		if (!stopping(l))
			log_info("msg=\"notify listener cannot connect\" reason=\"%s\"",
			    log_quotable(msg, sizeof(msg), msg));
		return false;
	}
	if (PQsetnonblocking(l->conn, 1) != 0)
		return false;
	snprintf(l->hb_channel, sizeof(l->hb_channel), "%s_hb_%d", l->cfg.channel,
	    PQbackendPID(l->conn));
	/* The heartbeats commit without waiting for the WAL flush: they
	 * change nothing, and they come often. */
	/* The guard last: listening is no use while it does not hold. */
	snprintf(sql, sizeof(sql), "SET synchronous_commit TO off; LISTEN %s; LISTEN %s; SELECT WHERE %s",
	    l->cfg.channel, l->hb_channel, l->cfg.guard_sql != NULL ? l->cfg.guard_sql : "true");
	until = clock_mono_us() + LISTEN_TIMEOUT_US;
	int rows = 0;
	if (!PQsendQuery(l->conn, sql) || !flush_out(l, until) || !await_results(l, until, &rows)) {
		if (!stopping(l))
			log_info("msg=\"notify listener: LISTEN failed\" reason=\"%s\"",
			    log_quotable(msg, sizeof(msg), PQerrorMessage(l->conn)));
		return false;
	}
	if (rows != 1) {
		log_info("msg=\"notify listener: the guard does not hold (are the triggers of "
		         "migration 0006 there?)\"");
		return false;
	}
	l->hb_seq = 0;
	l->hb_next_us = 0;
	return true;
}

static void
record_delay(notify_listener *l, int64_t us)
{
	atomic_store(&l->last_delay_us, us);
	if (us > atomic_load(&l->max_delay_us))
		atomic_store(&l->max_delay_us, us);
}

/* Every notice libpq has parsed, in order. */
static void
take_notices(notify_listener *l)
{
	PGnotify *n;

	while ((n = PQnotifies(l->conn)) != NULL) {
		if (strcmp(n->relname, l->hb_channel) == 0) {
			if (l->hb_seq != 0 && strtoull(n->extra, NULL, 10) == l->hb_seq) {
				record_delay(l, clock_mono_us() - l->hb_sent_us);
				l->cfg.on_fresh(l->cfg.arg, l->hb_sent_us);
				l->hb_seq = 0;
			}
		} else
			l->cfg.on_notice(l->cfg.arg, n->extra);
		PQfreemem(n);
	}
}

/* Reads what came, hands on the notices, drops the heartbeats' results.
 * false: the connection is lost or failed. */
static bool
read_input(notify_listener *l)
{
	PGresult *res;

	if (!PQconsumeInput(l->conn))
		return false;
	while (!PQisBusy(l->conn) && (res = PQgetResult(l->conn)) != NULL) {
		/* A heartbeat's: no row when the guard did not hold (the
		 * triggers are gone), and then notices may be missed. */
		ExecStatusType st = PQresultStatus(res);
		int            rows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
		PQclear(res);
		if (rows == 0) {
			take_notices(l);
			log_info("msg=\"notify listener: a heartbeat failed (are the triggers of "
			         "migration 0006 there?)\"");
			return false;
		}
	}
	take_notices(l);
	return PQstatus(l->conn) == CONNECTION_OK;
}

/* Sends the next heartbeat. */
static bool
send_heartbeat(notify_listener *l, int64_t now)
{
	char sql[512];

	l->hb_seq++;
	if (l->hb_seq == 0)
		l->hb_seq = 1;
	snprintf(sql, sizeof(sql), "SELECT pg_notify('%s', '%llu') WHERE %s", l->hb_channel,
	    (unsigned long long)l->hb_seq, l->cfg.guard_sql != NULL ? l->cfg.guard_sql : "true");
	l->hb_sent_us = now;
	l->hb_next_us = now + (int64_t)l->cfg.heartbeat_ms * 1000;
	return PQsendQuery(l->conn, sql) && PQflush(l->conn) >= 0;
}

/* Listens until the connection fails or the stop. */
static void
listen_loop(notify_listener *l)
{
	while (!stopping(l)) {
		int64_t now = clock_mono_us();

		if (l->hb_seq != 0 && now - l->hb_sent_us > HEARTBEAT_LOST_US) {
			log_info("msg=\"notify listener: heartbeat lost\" ms=%lld",
			    (long long)((now - l->hb_sent_us) / 1000));
			return;
		}
		if (l->hb_seq == 0 && now >= l->hb_next_us) {
			bool wanted = l->cfg.wants_fresh == NULL || l->cfg.wants_fresh(l->cfg.arg);
			if (wanted || now - l->hb_sent_us >= IDLE_HEARTBEAT_US) {
				if (!send_heartbeat(l, now))
					return;
			} else
				l->hb_next_us = now + (int64_t)l->cfg.heartbeat_ms * 1000;
		}
		int64_t until = l->hb_seq == 0 ? l->hb_next_us : now + l->cfg.heartbeat_ms * 1000;
		short   want = POLLIN | (PQflush(l->conn) == 1 ? POLLOUT : 0);
		short   got = wait_socket(l, want, until);
		if ((got & (POLLIN | POLLERR | POLLHUP)) && !read_input(l))
			return;
	}
}

static void
set_state(notify_listener *l, notify_state st, notify_state *cur)
{
	if (*cur != st)
		l->cfg.on_state(l->cfg.arg, st);
	*cur = st;
}

static void *
listener_main(void *arg)
{
	notify_listener *l = arg;
	int              backoff_ms = BACKOFF_MIN_MS;
	notify_state     cur = NOTIFY_CONNECTING;
	unsigned         seed = (unsigned)clock_mono_us();

	while (!stopping(l)) {
		set_state(l, NOTIFY_CONNECTING, &cur);
		if (connect_and_listen(l)) {
			set_state(l, NOTIFY_LISTENING, &cur);
			backoff_ms = BACKOFF_MIN_MS;
			listen_loop(l);
		}
		if (!stopping(l) && l->conn != NULL && PQstatus(l->conn) != CONNECTION_OK)
			log_info("msg=\"notify listener lost its connection\" reason=\"%s\"",
			    PQerrorMessage(l->conn)[0] != '\0' ? "connection failed" : "-");
		PQfinish(l->conn); /* NULL is fine */
		l->conn = NULL;
		set_state(l, NOTIFY_DOWN, &cur);
		/* Jitter: servers that lost the database together do not come
		 * back together. */
		int wait_ms = backoff_ms / 2 + (int)(rand_r(&seed) % (unsigned)(backoff_ms / 2 + 1));
		wait_socket(l, 0, clock_mono_us() + (int64_t)wait_ms * 1000);
		backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
	}
	return NULL;
}

int
notify_listener_new(notify_listener **out, const notify_listener_config *cfg)
{
	notify_listener *l = calloc(1, sizeof(*l));
	int              rv;

	*out = NULL;
	if (l == NULL)
		return ENOMEM;
	l->cfg = *cfg;
	atomic_init(&l->stop_us, 0);
	atomic_init(&l->last_delay_us, 0);
	atomic_init(&l->max_delay_us, 0);
	if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		rv = errno;
		free(l);
		return rv;
	}
	if ((rv = pthread_create(&l->thread, NULL, listener_main, l)) != 0) {
		close(l->wake[0]);
		close(l->wake[1]);
		free(l);
		return rv;
	}
	*out = l;
	return 0;
}

void
notify_listener_free(notify_listener *l)
{
	if (l == NULL)
		return;
	atomic_store(&l->stop_us, clock_mono_us());
	if (write(l->wake[1], "x", 1) < 0) {
		/* the pipe is full: a byte is there already */
	}
	pthread_join(l->thread, NULL);
	close(l->wake[0]);
	close(l->wake[1]);
	free(l);
}

void
notify_listener_delay(notify_listener *l, int64_t *last_us, int64_t *max_us)
{
	*last_us = l != NULL ? atomic_load(&l->last_delay_us) : 0;
	*max_us = l != NULL ? atomic_load(&l->max_delay_us) : 0;
}
