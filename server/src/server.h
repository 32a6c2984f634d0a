/*
 * server.h - the process's parts, wired together: pools, read reactor,
 * services, dispatcher; main.c adds the transport and the metrics listener.
 *
 * One `server` lives for the whole process (main.c). Handlers see only its
 * env (svc_env.h), the dispatcher only its dispatch config; everything in
 * it is read-only after server_init or thread-safe on its own (the pools,
 * the reactor, the atomics). Only main.c and server.c include this file.
 */
#ifndef CRUDDUR_SERVER_H
#define CRUDDUR_SERVER_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db/db_target.h"
#include "db/notify_listener.h"
#include "db/pool.h"
#include "db/replica_set.h"
#include "obs/metrics.h"
#include "reads/feed_cache.h"
#include "reads/read_reactor.h"
#include "rpc/dispatch.h"
#include "svc/registry.h"
#include "svc/svc_env.h"

struct transport_config;

typedef struct server server;

struct server {
	server_config    cfg;
	db_target        db;
	pool            *pool;         /* the primary: every write, and reads by default */
	db_target        replica_db[SERVER_MAX_REPLICAS];
	pool            *replica_pool[SERVER_MAX_REPLICAS]; /* cfg.n_db_replica of them */
	read_reactor    *replica_reactor[SERVER_MAX_REPLICAS]; /* HomeFeed's, one per replica */
	replica_set     *replicas;     /* the primary and the replicas: where reads go */
	read_reactor    *reactor;      /* HomeFeed's reads on the primary */
	feed_cache      *feed_cache;   /* HomeFeed's pages; NULL: --cache-bytes 0, or replicas */
	notify_listener *listener;     /* keeps feed_cache fresh; NULL with it */
	svc_registration services;     /* the handlers, and which never block */
	svc_env          env;          /* what the handlers reach (ctx->env) */
	dispatch_config  dispatch;
	jwks_store      *jwks;        /* user tokens' keys; NULL: no --jwks-file (SIGHUP reloads) */
	jwt_config       jwt;         /* what dispatch.auth.jwt points to */
	auth_token       admin_token; /* what dispatch.auth.admin_token points to, when
	                                 has_admin_token (SIGHUP rereads its file) */
	bool             has_admin_token;
	char             sql_dir[PATH_MAX];
	int64_t          started_us;  /* CLOCK_MONOTONIC */
	atomic_bool      draining;    /* set on SIGTERM: refuse new work */
	pthread_t        warm_thread;
	bool             warming;
	metrics         *metrics;     /* per-method counters and latencies */
	stats_sources    stats;       /* what Stats and /metrics read (main.c adds the transport) */
};

/* Parses the database URL, makes the pools (without connecting: the
 * database may not exist yet) and the read reactor, finds sql/ and
 * registers the services. Returns 0, or -1 with a message in err. */
int  server_init(server *s, const server_config *cfg, char *err, size_t errlen);
/* Stops and frees what server_init made. The transport, if any, is freed
 * first (transport_free). */
void server_fini(server *s);

/* The transport's settings from the server's (server_serve). */
void server_transport_config(server *s, struct transport_config *out);

/* Opens cfg.pool_min connections in the background (best effort). */
void server_start_warming(server *s);

#endif /* CRUDDUR_SERVER_H */
