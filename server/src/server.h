/*
 * server.h - cruddurd's configuration and the state its handlers share.
 *
 * One `server` lives for the whole process (main.c). Handlers reach it as
 * ctx->server; everything in it is either read-only after server_init or
 * thread-safe on its own (the pool, the atomics).
 */
#ifndef CRUDDUR_SERVER_H
#define CRUDDUR_SERVER_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db_target.h"
#include "svc/fast_read.h"
#include "obs/metrics.h"
#include "db/pool.h"
#include "svc/stats_snapshot.h"
#include "rpc_handlers.h"

#define SERVER_MAX_LISTEN 16
#define DISPATCH_MAX_METHODS 64
#define SERVER_DEFAULT_LISTEN "tcp://127.0.0.1:7432"

typedef struct server_config {
	const char *listen[SERVER_MAX_LISTEN];
	size_t      n_listen;
	const char *db_url;   /* the URL chosen from --db / the environment */
	const char *db_url_source; /* where it came from, for the log */
	/* A read replica for the feed (--db-replica, $REPLICA_CONNECTION_URL,
	 * $PROD_REPLICA_CONNECTION_URL with --env prod); NULL: none. */
	const char *db_replica_url;
	bool        prod;     /* --env prod */
	const char *sql_dir;  /* NULL: found beside the executable */
	const char *ready_file;
	const char *pid_file;
	int         workers;
	int         contexts;
	int         queue_capacity;
	int         pool_min, pool_max, pool_acquire_timeout_ms;
	size_t      max_request_bytes;
	/* Each peer's share (peer_limits.h): connections at once; requests in
	 * flight per connection (0: five eighths of contexts, transport.c); how long a
	 * reply may wait for its peer to read, and a partly received request
	 * for the rest of its bytes, before the connection is closed (ms). */
	int         max_connections;
	int         max_requests_per_connection;
	int         send_timeout_ms;
	int         recv_timeout_ms;
	int         drain_timeout_ms;
	int         log_level;
	/* tls+tcp:// listeners: this server's certificate chain and key (one
	 * PEM file), and the CA that client certificates must be signed by;
	 * with a CA, clients must present a certificate. */
	const char *tls_cert_key_file;
	const char *tls_client_ca_file;
	const char *metrics_listen; /* http://HOST:PORT for GET /metrics */
	const char *admin_token_file;
	/* The token DbAdmin calls must carry (auth.h); NULL: none needed. */
	char       *admin_token;
	bool        require_token; /* every call needs the token */
	bool        read_reactor;  /* fast reads skip the workers (read_reactor.h) */
	int         pipeline_depth; /* reads the reactor sends together, 1..64 */
	bool        cpu_sched_batch; /* threads under SCHED_BATCH (cpu_sched.h) */
} server_config;

struct server {
	server_config cfg;
	db_target     db;
	pool         *pool;         /* the primary: every write, and reads by default */
	db_target     replica_db;
	pool         *replica_pool; /* NULL unless cfg.db_replica_url */
	rpc_handlers  handlers;
	char          sql_dir[PATH_MAX];
	int64_t       started_us;  /* CLOCK_MONOTONIC */
	atomic_bool   draining;    /* set on SIGTERM: refuse new work */
	pthread_t     warm_thread;
	bool          warming;
	metrics      *metrics;     /* per-method counters and latencies */
	/* The methods served by the read reactor, by their index in
	 * rpc_method_table (dispatch_set_fast_read), and the reactor itself
	 * while serving (transport.c; NULL with --read-reactor off). */
	const fast_read *fast_reads[DISPATCH_MAX_METHODS];
	read_reactor    *reactor;
	stats_sources    stats; /* what Stats and /metrics read (server_init, main.c) */
};

void server_config_defaults(server_config *cfg);

/* Parses the database URL, makes the pool (without connecting: the
 * database may not exist yet), finds sql/ and registers the handlers.
 * Returns 0, or -1 with a message in err. */
int  server_init(server *s, const server_config *cfg, char *err, size_t errlen);
void server_fini(server *s);

/* The pool that reads which may lag a little (the home feed) go to: the
 * replica's when there is one, else the primary's. */
pool *server_read_pool(server *s);

/* Opens cfg.pool_min connections in the background (best effort). */
void server_start_warming(server *s);

/* Handler registration, one function per service (server/src/svc_*.c). */
void svc_activities_register(rpc_handlers *h);
void svc_users_register(rpc_handlers *h);
void svc_db_admin_register(rpc_handlers *h);
void svc_health_register(rpc_handlers *h);
void svc_migrations_register(rpc_handlers *h);
void svc_seed_bulk_register(rpc_handlers *h);

#endif /* CRUDDUR_SERVER_H */
