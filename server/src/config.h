/*
 * config.h - cruddurd's settings: flags, environment, config file.
 *
 * One server_config is filled at start (config_parse) and read-only after.
 */
#ifndef CRUDDUR_CONFIG_H
#define CRUDDUR_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "cruddur/version.h" /* CRUDDUR_VERSION_STRING, from CMake */

#define SERVER_MAX_LISTEN 16
#define SERVER_DEFAULT_LISTEN "tcp://127.0.0.1:7432"
#define SERVER_MAX_REPLICAS 8 /* REPLICA_SET_MAX of db/replica_set.h */
#define SERVER_MAX_JWT_CLIENT_IDS 16 /* JWT_MAX_CLIENT_IDS of rpc/jwt.h */

typedef struct server_config {
	const char *listen[SERVER_MAX_LISTEN];
	size_t      n_listen;
	const char *db_url;   /* the URL chosen from --db / the environment */
	const char *db_url_source; /* where it came from, for the log */
	/* Hot standbys the reads that may lag go to (db/replica_set.h):
	 * --db-replica (repeatable), else $REPLICA_CONNECTION_URL
	 * ($PROD_REPLICA_CONNECTION_URL with --env prod), a comma-separated
	 * list split before each postgres:// or postgresql:// (a comma inside
	 * one URL, a multi-host list, stays in it). None: n_db_replica 0. */
	const char *db_replica_url[SERVER_MAX_REPLICAS];
	size_t      n_db_replica;
	char        replica_env[4096]; /* the environment's list, split in place */
	/* A replica more than this behind the primary takes no reads
	 * (--replica-max-lag-ms); how long a read with a consistency token
	 * waits for one to catch up before the primary serves it
	 * (--replica-wait-ms). */
	int         replica_max_lag_ms;
	int         replica_wait_ms;
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
	/* The HTTP/JSON gateway (net/http_gateway.h): http:// or https://
	 * URLs, the Origins its CORS answers allow, and the HTTP calls it
	 * holds at once before it refuses more. */
	const char *http_listen[SERVER_MAX_LISTEN];
	size_t      n_http_listen;
	const char *http_cors_origin[SERVER_MAX_LISTEN];
	size_t      n_http_cors_origin;
	int         http_max_in_flight;
	const char *admin_token_file;
	/* The token DbAdmin calls must carry (auth.h); NULL: none needed. */
	char       *admin_token;
	bool        admin_token_from_file; /* admin_token_file gave it: SIGHUP rereads it */
	bool        require_token; /* every call needs the token */
	/* User tokens (rpc/jwt.h): the JWKS file of their keys (NULL: none
	 * verified), the issuer they must name, the client ids (app clients)
	 * they must be for; writes need a verified user. */
	const char *jwks_file;
	const char *jwt_issuer;
	const char *jwt_client_ids[SERVER_MAX_JWT_CLIENT_IDS];
	size_t      n_jwt_client_ids;
	bool        require_user_token;
	bool        read_reactor;  /* HomeFeed runs on the receiving thread, not a worker */
	bool        coalesce;      /* the reactor lets identical pending reads share a query */
	int         pipeline_depth; /* reads the reactor sends together, 1..64 */
	int         cache_bytes;    /* HomeFeed's page cache; 0: off */
	int         cache_bound_ms; /* BOUNDED's bound (docs/PROTOCOL.md) */
	bool        cpu_sched_batch; /* threads under SCHED_BATCH (cpu_sched.h) */
} server_config;

/* The defaults, before the config file, the environment and the flags. */
void server_config_defaults(server_config *cfg);

/* Writes the --help text (config_usage.c) to f. */
void config_usage(FILE *f);

/* Fills cfg from argv, the environment and the config file (see
 * config.c for the precedence). Prints --help / --version and exits 0 for
 * them. Returns 0, or -1 after printing what is wrong. */
int config_parse(server_config *cfg, int argc, char **argv);

#endif /* CRUDDUR_CONFIG_H */
