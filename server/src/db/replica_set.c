/*
 * replica_set.c - the watcher of the replicas' replay positions, and the
 * choice of the database a read goes to (replica_set.h).
 *
 * The watcher's round: the primary's position (one short query), then
 * each replica's, each bounded by ROUND_QUERY_MS (connect included), so a
 * replica that hangs delays the next round by that much at most and is
 * marked down once REPLICA_STALE_MS pass without an answer. The primary's
 * positions go into a ring of SAMPLES (lsn, first seen at) pairs; a
 * replica at position r lags by now - (the time of the first sample past
 * r); one behind every sample in the ring lags at least as long as the
 * ring reaches back, which is beyond any sensible --replica-max-lag-ms.
 *
 * Locking: rs->mtx over states, samples and the round counter; the
 * watcher runs its queries without it. rs->cv (CLOCK_MONOTONIC) is
 * broadcast after each round, for replica_set_pick_wait and for stop.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/clock.h"
#include "db/replica_set.h"
#include "obs/log.h"

#define SAMPLES 256
#define ROUND_QUERY_MS 500

typedef struct replica {
	pool              *pool;
	char              *name;
	replica_health     health;
	bool               in_recovery;
	uint64_t           replay_lsn;
	int64_t            seen_us;  /* last answer; 0: never */
	bool               failed;   /* the last round, or a read since, found it broken */
	int64_t            lag_ms, lag_bytes;
	unsigned long long reads;
} replica;

typedef struct sample {
	uint64_t lsn;
	int64_t  at_us;
} sample;

struct replica_set {
	pool           *primary;
	replica         r[REPLICA_SET_MAX];
	size_t          n;
	int             max_lag_ms;
	pthread_t       thread;
	bool            started;
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	bool            stopping;
	sample          ring[SAMPLES];
	size_t          ring_len, ring_head; /* the oldest at ring_head */
	atomic_uint     turn;                /* round-robin */
	unsigned long long primary_reads;
};

/* 1 to 8 hex digits at *p, as PostgreSQL prints each half (%X). */
static bool
hex_half(const char **p, uint32_t *out)
{
	uint32_t v = 0;
	int      n = 0;

	for (; n < 9; n++, (*p)++) {
		char c = **p;
		int  d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
		         c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return n >= 1 && n <= 8;
}

bool
replica_lsn_parse(const char *text, uint64_t *out)
{
	uint32_t hi, lo;

	if (text == NULL || !hex_half(&text, &hi) || *text++ != '/' || !hex_half(&text, &lo) ||
	    *text != '\0')
		return false;
	*out = ((uint64_t)hi << 32) | lo;
	return true;
}

void
replica_lsn_format(uint64_t lsn, char *buf)
{
	snprintf(buf, REPLICA_LSN_TEXT, "%X/%X", (unsigned)(lsn >> 32), (unsigned)lsn);
}

const char *
replica_health_name(replica_health h)
{
	switch (h) {
	case REPLICA_HEALTHY: return "healthy";
	case REPLICA_LAGGING: return "lagging";
	case REPLICA_DOWN: return "down";
	default: return "unknown";
	}
}

/* One row of one text column (or two: a boolean then a pg_lsn) from the
 * pool's database, bounded by ROUND_QUERY_MS. */
static bool
position_of(pool *p, const char *sql, bool *in_recovery, uint64_t *lsn)
{
	pool_conn *c;
	PGresult  *res = NULL;
	char       msg[256];
	bool       ok = false;
	int64_t    deadline = clock_mono_us() + ROUND_QUERY_MS * 1000;

	if (pool_acquire(p, deadline, &c, msg, sizeof(msg)) != CRUDDUR_OK)
		return false;
	pool_conn_set_deadline(c, deadline);
	if (pool_conn_query(c, sql, 0, NULL, &res, msg, sizeof(msg)) == CRUDDUR_OK &&
	    PQntuples(res) == 1 && PQnfields(res) == 2 && !PQgetisnull(res, 0, 1)) {
		*in_recovery = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		ok = replica_lsn_parse(PQgetvalue(res, 0, 1), lsn);
	}
	PQclear(res);
	pool_release(p, c);
	return ok;
}

/* Under rs->mtx: the primary's position, into the ring when it moved. */
static void
sample_add(replica_set *rs, uint64_t lsn, int64_t now)
{
	if (rs->ring_len > 0 &&
	    rs->ring[(rs->ring_head + rs->ring_len - 1) % SAMPLES].lsn >= lsn)
		return;
	if (rs->ring_len == SAMPLES) {
		rs->ring_head = (rs->ring_head + 1) % SAMPLES;
		rs->ring_len--;
	}
	rs->ring[(rs->ring_head + rs->ring_len) % SAMPLES] = (sample){ lsn, now };
	rs->ring_len++;
}

/* Under rs->mtx: how long ago the primary first passed replay (0 if it
 * never did, as far as the ring knows). */
static int64_t
lag_ms_of(const replica_set *rs, uint64_t replay, int64_t now)
{
	for (size_t k = 0; k < rs->ring_len; k++) {
		const sample *s = &rs->ring[(rs->ring_head + k) % SAMPLES];
		if (s->lsn > replay)
			return (now - s->at_us) / 1000;
	}
	return 0;
}

static replica_health
judge(const replica_set *rs, const replica *r, int64_t now)
{
	if (r->seen_us == 0)
		return REPLICA_UNKNOWN;
	if (r->failed || now - r->seen_us > (int64_t)REPLICA_STALE_MS * 1000)
		return REPLICA_DOWN;
	if (!r->in_recovery || r->lag_ms < 0 || r->lag_ms > rs->max_lag_ms)
		return REPLICA_LAGGING;
	return REPLICA_HEALTHY;
}

static void
round_once(replica_set *rs)
{
	bool     rec, primary_ok;
	uint64_t plsn = 0;

	/* A primary that is a standby now (failover in progress) reports
	 * what it has replayed: still a true lower bound. */
	primary_ok = position_of(rs->primary,
	    "SELECT pg_is_in_recovery(), (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
	    "ELSE pg_current_wal_lsn() END)::text",
	    &rec, &plsn);
	int64_t now = clock_mono_us();
	pthread_mutex_lock(&rs->mtx);
	if (primary_ok)
		sample_add(rs, plsn, now);
	pthread_mutex_unlock(&rs->mtx);

	for (size_t i = 0; i < rs->n; i++) {
		uint64_t lsn = 0;
		bool     ok = position_of(rs->r[i].pool,
		        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text", &rec, &lsn);
		now = clock_mono_us();
		pthread_mutex_lock(&rs->mtx);
		replica       *r = &rs->r[i];
		replica_health was = r->health;
		r->failed = !ok;
		if (ok) {
			r->seen_us = now;
			r->in_recovery = rec;
			if (lsn > r->replay_lsn)
				r->replay_lsn = lsn;
			r->lag_ms = lag_ms_of(rs, r->replay_lsn, now);
			uint64_t top = rs->ring_len > 0 ?
			    rs->ring[(rs->ring_head + rs->ring_len - 1) % SAMPLES].lsn : 0;
			r->lag_bytes = rs->ring_len == 0 ? -1 :
			    top > r->replay_lsn ? (int64_t)(top - r->replay_lsn) : 0;
		}
		r->health = judge(rs, r, now);
		pthread_mutex_unlock(&rs->mtx);
		if (r->health != was && was != REPLICA_UNKNOWN)
			log_info("msg=\"replica %s\" replica=\"%s\" lag_ms=%" PRId64,
			    replica_health_name(r->health), r->name, r->lag_ms);
	}
	pthread_mutex_lock(&rs->mtx);
	pthread_cond_broadcast(&rs->cv);
	pthread_mutex_unlock(&rs->mtx);
}

static void *
watch(void *arg)
{
	replica_set *rs = arg;

	pthread_mutex_lock(&rs->mtx);
	while (!rs->stopping) {
		pthread_mutex_unlock(&rs->mtx);
		round_once(rs);
		pthread_mutex_lock(&rs->mtx);
		struct timespec ts = clock_timespec(clock_mono_us() + REPLICA_POLL_MS * 1000);
		while (!rs->stopping && pthread_cond_timedwait(&rs->cv, &rs->mtx, &ts) == 0) {
			/* woken by our own broadcast or a waiter: sleep out the slot */
		}
	}
	pthread_mutex_unlock(&rs->mtx);
	return NULL;
}

int
replica_set_new(replica_set **out, const replica_set_config *cfg)
{
	pthread_condattr_t ca;
	replica_set       *rs;
	int                rv;

	*out = NULL;
	if (cfg->primary == NULL || cfg->n > REPLICA_SET_MAX)
		return EINVAL;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return ENOMEM;
	rs->primary = cfg->primary;
	rs->n = cfg->n;
	rs->max_lag_ms = cfg->max_lag_ms;
	atomic_init(&rs->turn, 0);
	for (size_t i = 0; i < cfg->n; i++) {
		rs->r[i] = (replica){ .pool = cfg->replicas[i], .lag_ms = -1, .lag_bytes = -1,
			.name = strdup(cfg->names[i] != NULL ? cfg->names[i] : "") };
		if (rs->r[i].name == NULL) {
			rv = ENOMEM;
			goto fail_names;
		}
	}
	pthread_mutex_init(&rs->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rs->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rs->n > 0) {
		if ((rv = pthread_create(&rs->thread, NULL, watch, rs)) != 0)
			goto fail;
		rs->started = true;
	}
	*out = rs;
	return 0;
fail:
	pthread_cond_destroy(&rs->cv);
	pthread_mutex_destroy(&rs->mtx);
fail_names:
	for (size_t i = 0; i < cfg->n; i++)
		free(rs->r[i].name);
	free(rs);
	return rv;
}

void
replica_set_free(replica_set *rs)
{
	if (rs == NULL)
		return;
	pthread_mutex_lock(&rs->mtx);
	rs->stopping = true;
	pthread_cond_broadcast(&rs->cv);
	pthread_mutex_unlock(&rs->mtx);
	if (rs->started)
		pthread_join(rs->thread, NULL);
	pthread_cond_destroy(&rs->cv);
	pthread_mutex_destroy(&rs->mtx);
	for (size_t i = 0; i < rs->n; i++)
		free(rs->r[i].name);
	free(rs);
}

/* Under rs->mtx. */
static int
pick_locked(replica_set *rs, uint64_t min_lsn)
{
	int64_t now = clock_mono_us();
	size_t  start = atomic_fetch_add_explicit(&rs->turn, 1, memory_order_relaxed);

	for (size_t k = 0; k < rs->n; k++) {
		size_t   i = (start + k) % rs->n;
		replica *r = &rs->r[i];
		r->health = judge(rs, r, now); /* a watcher stuck on a query: stale is down */
		if (r->health == REPLICA_HEALTHY && r->replay_lsn >= min_lsn) {
			r->reads++;
			return (int)i;
		}
	}
	return REPLICA_PRIMARY;
}

int
replica_set_pick(replica_set *rs, uint64_t min_lsn)
{
	if (rs == NULL || rs->n == 0)
		return REPLICA_PRIMARY;
	pthread_mutex_lock(&rs->mtx);
	int i = pick_locked(rs, min_lsn);
	if (i == REPLICA_PRIMARY)
		rs->primary_reads++;
	pthread_mutex_unlock(&rs->mtx);
	return i;
}

int
replica_set_pick_wait(replica_set *rs, uint64_t min_lsn, int64_t until_us)
{
	if (rs == NULL || rs->n == 0)
		return REPLICA_PRIMARY;
	pthread_mutex_lock(&rs->mtx);
	int i = pick_locked(rs, min_lsn);
	/* Only a position not yet seen is worth waiting for: one that no
	 * replica is healthy enough to serve will not come by waiting. */
	struct timespec ts = clock_timespec(until_us);
	while (i == REPLICA_PRIMARY && min_lsn != 0 && !rs->stopping && clock_mono_us() < until_us) {
		bool any_healthy = false;
		for (size_t k = 0; k < rs->n; k++)
			any_healthy |= rs->r[k].health == REPLICA_HEALTHY;
		if (!any_healthy)
			break;
		if (pthread_cond_timedwait(&rs->cv, &rs->mtx, &ts) == ETIMEDOUT)
			break;
		i = pick_locked(rs, min_lsn);
	}
	if (i == REPLICA_PRIMARY)
		rs->primary_reads++;
	pthread_mutex_unlock(&rs->mtx);
	return i;
}

void
replica_set_mark_down(replica_set *rs, int i)
{
	if (rs == NULL || i < 0 || (size_t)i >= rs->n)
		return;
	pthread_mutex_lock(&rs->mtx);
	rs->r[i].failed = true;
	rs->r[i].health = REPLICA_DOWN;
	pthread_mutex_unlock(&rs->mtx);
}

pool *
replica_set_pool(replica_set *rs, int i)
{
	return i == REPLICA_PRIMARY || i < 0 || (size_t)i >= rs->n ? rs->primary : rs->r[i].pool;
}

size_t
replica_set_count(const replica_set *rs)
{
	return rs->n;
}

void
replica_set_get(replica_set *rs, size_t i, replica_state *out)
{
	pthread_mutex_lock(&rs->mtx);
	const replica *r = &rs->r[i];
	*out = (replica_state){ .name = r->name, .health = judge(rs, r, clock_mono_us()),
		.lag_ms = r->lag_ms, .lag_bytes = r->lag_bytes, .replay_lsn = r->replay_lsn,
		.reads = r->reads };
	pthread_mutex_unlock(&rs->mtx);
}

unsigned long long
replica_set_primary_reads(replica_set *rs)
{
	pthread_mutex_lock(&rs->mtx);
	unsigned long long n = rs->primary_reads;
	pthread_mutex_unlock(&rs->mtx);
	return n;
}
