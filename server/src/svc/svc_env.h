/*
 * svc_env.h - what the services reach beyond their request: the pools, the
 * database's target, sql/, the read reactor, the handler table, the
 * sources of the stats snapshot.
 *
 * server.c fills one for the process before serving (server_init) and the
 * dispatcher hands it to every handler as ctx->env. Everything in it is
 * read-only once serving, or thread-safe on its own (the pools, the
 * reactor), so handlers on any thread read it without a lock.
 */
#ifndef CRUDDUR_SVC_ENV_H
#define CRUDDUR_SVC_ENV_H

#include "db/db_target.h"
#include "db/pool.h"
#include "db/replica_set.h"
#include "reads/feed_cache.h"
#include "reads/read_reactor.h"
#include "svc/stats_snapshot.h"
#include "rpc_handlers.h"

typedef struct svc_env {
	pool               *pool;         /* the primary: every write, and reads by default */
	/* The primary and the --db-replica standbys: where a read that may
	 * lag goes (replica_set_pick); with no replica, always the primary. */
	replica_set        *replicas;
	/* HomeFeed's reactor on each replica's pool, by the set's index. */
	read_reactor       *replica_reactor[REPLICA_SET_MAX];
	int                 replica_wait_ms; /* --replica-wait-ms */
	const db_target    *db;           /* the primary's: its name, its maintenance keywords */
	const char         *sql_dir;      /* schema.sql, seed.sql, migrations/ */
	read_reactor       *reactor;      /* HomeFeed's reads on the primary */
	feed_cache         *feed_cache;   /* HomeFeed's pages; NULL: off (--cache-bytes 0, replicas) */
	const rpc_handlers *handlers;     /* the table the services filled (Health) */
	const stats_sources *stats;       /* what Stats shows (stats_snapshot.h) */
} svc_env;

/* The pool of the set's database i (REPLICA_PRIMARY: the primary). */
static inline pool *
svc_read_pool(const svc_env *env, int i)
{
	return i == REPLICA_PRIMARY ? env->pool : replica_set_pool(env->replicas, i);
}

/* The reactor on the set's database i. */
static inline read_reactor *
svc_read_reactor(const svc_env *env, int i)
{
	return i == REPLICA_PRIMARY ? env->reactor : env->replica_reactor[i];
}

/* A write through this server may have changed HomeFeed's pages: they are
 * dropped before the write is acknowledged (docs/PROTOCOL.md,
 * "Consistency"). Called after every write, whatever its status: a write
 * whose commit was lost in transit may have committed. */
static inline void
svc_feed_changed(const svc_env *env)
{
	if (env->feed_cache != NULL)
		feed_cache_drop_all(env->feed_cache, false);
}

#endif /* CRUDDUR_SVC_ENV_H */
