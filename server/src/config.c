/*
 * config.c - cruddurd's settings from the command line, the environment
 * and an optional config file.
 *
 * Precedence, highest first: command-line flags, environment variables
 * (CONNECTION_URL / PROD_CONNECTION_URL, CRUDDUR_SQL_DIR, CRUDDUR_COALESCE), the config file
 * (--config FILE or $CRUDDUR_CONFIG), built-in defaults. The config file
 * holds "name = value" lines whose names are the long flags without "--"
 * (listen, db, workers, ...); "#" starts a comment line. The flags of a
 * repeatable option (--listen, --http-listen, --http-cors-origin,
 * --jwt-client-id) replace the file's lines of that option rather than
 * adding to them, as any other flag replaces the file's value.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/auth.h"
#include "config.h"
#include "obs/log.h"

#define CONFIG_MAX_LINES 256

void
server_config_defaults(server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 8;
	cfg->read_reactor = true;
	cfg->coalesce = true;
	cfg->pipeline_depth = 8;
	cfg->cache_bytes = 8 << 20;
	cfg->cache_bound_ms = 50;
	cfg->cpu_sched_batch = true;
	/* More contexts than workers + queue, so that the queue can fill and
	 * a burst past it is refused at once (RESOURCE_EXHAUSTED) instead of
	 * waiting unseen inside nng. */
	cfg->contexts = 512;
	cfg->queue_capacity = 256;
	cfg->pool_min = 2;
	cfg->pool_max = 8;
	cfg->pool_acquire_timeout_ms = 2000;
	cfg->replica_max_lag_ms = 1000;
	cfg->replica_wait_ms = 200;
	/* The largest real request is a CreateReply or UpdateUser: 1024 or
	 * 500 characters of up to 4 bytes, a token, an idempotency key and
	 * the envelope, under 8 KiB; 64 KiB leaves room eight times over, and
	 * keeps what a stalled upload can make the server allocate small. */
	cfg->max_request_bytes = 64 * 1024;
	/* 5,000 idle connections cost about 28 MiB; more than a real
	 * deployment's clients, and bounded. */
	cfg->max_connections = 8192;
	cfg->max_requests_per_connection = 0;
	/* A client that reads takes its replies in microseconds; one that
	 * has not read for 3 s is stopped or gone. */
	cfg->send_timeout_ms = 3000;
	/* libcruddur writes a request in one go; 10 s is far beyond any real
	 * link for 64 KiB. */
	cfg->recv_timeout_ms = 10000;
	cfg->drain_timeout_ms = 10000;
	cfg->http_max_in_flight = 256;
	cfg->log_level = LOG_INFO;
}

static int
parse_int(const char *name, const char *s, int min, int max, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "cruddurd: %s must be a number from %d to %d, not \"%s\"\n", name, min,
		    max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

enum {
	OPT_LISTEN = 256, OPT_DB, OPT_DB_REPLICA, OPT_ENV, OPT_SQL_DIR, OPT_WORKERS, OPT_CONTEXTS, OPT_QUEUE,
	OPT_POOL_MIN, OPT_POOL_MAX, OPT_POOL_TIMEOUT, OPT_MAX_REQUEST, OPT_DRAIN, OPT_LOG_LEVEL,
	OPT_READY_FILE, OPT_PID_FILE, OPT_TLS_CERT_KEY, OPT_TLS_CLIENT_CA, OPT_METRICS_LISTEN,
	OPT_ADMIN_TOKEN_FILE, OPT_REQUIRE_TOKEN, OPT_COALESCE, OPT_READ_REACTOR, OPT_PIPELINE_DEPTH, OPT_CACHE_BYTES, OPT_CACHE_BOUND, OPT_CPU_SCHED,
	OPT_MAX_CONNECTIONS, OPT_MAX_REQUESTS_PER_CONNECTION, OPT_SEND_TIMEOUT, OPT_RECV_TIMEOUT, OPT_HTTP_LISTEN, OPT_HTTP_CORS_ORIGIN, OPT_HTTP_MAX_IN_FLIGHT, OPT_CONFIG, OPT_VERSION, OPT_HELP,
	OPT_JWKS_FILE, OPT_JWT_ISSUER, OPT_JWT_CLIENT_ID, OPT_REQUIRE_USER_TOKEN,
	OPT_REPLICA_MAX_LAG, OPT_REPLICA_WAIT,
};

static const struct option long_options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "db", required_argument, NULL, OPT_DB },
	{ "db-replica", required_argument, NULL, OPT_DB_REPLICA },
	{ "replica-max-lag-ms", required_argument, NULL, OPT_REPLICA_MAX_LAG },
	{ "replica-wait-ms", required_argument, NULL, OPT_REPLICA_WAIT },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "sql-dir", required_argument, NULL, OPT_SQL_DIR },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "contexts", required_argument, NULL, OPT_CONTEXTS },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "pool-min", required_argument, NULL, OPT_POOL_MIN },
	{ "pool-max", required_argument, NULL, OPT_POOL_MAX },
	{ "pool-timeout", required_argument, NULL, OPT_POOL_TIMEOUT },
	{ "max-request-bytes", required_argument, NULL, OPT_MAX_REQUEST },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "tls-cert-key-file", required_argument, NULL, OPT_TLS_CERT_KEY },
	{ "tls-client-ca-file", required_argument, NULL, OPT_TLS_CLIENT_CA },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "admin-token-file", required_argument, NULL, OPT_ADMIN_TOKEN_FILE },
	{ "require-token", no_argument, NULL, OPT_REQUIRE_TOKEN },
	{ "jwks-file", required_argument, NULL, OPT_JWKS_FILE },
	{ "jwt-issuer", required_argument, NULL, OPT_JWT_ISSUER },
	{ "jwt-client-id", required_argument, NULL, OPT_JWT_CLIENT_ID },
	{ "require-user-token", no_argument, NULL, OPT_REQUIRE_USER_TOKEN },
	{ "coalesce", required_argument, NULL, OPT_COALESCE },
	{ "read-reactor", required_argument, NULL, OPT_READ_REACTOR },
	{ "pipeline-depth", required_argument, NULL, OPT_PIPELINE_DEPTH },
	{ "cache-bytes", required_argument, NULL, OPT_CACHE_BYTES },
	{ "cache-bound-ms", required_argument, NULL, OPT_CACHE_BOUND },
	{ "cpu-sched", required_argument, NULL, OPT_CPU_SCHED },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "max-requests-per-connection", required_argument, NULL, OPT_MAX_REQUESTS_PER_CONNECTION },
	{ "send-timeout-ms", required_argument, NULL, OPT_SEND_TIMEOUT },
	{ "recv-timeout-ms", required_argument, NULL, OPT_RECV_TIMEOUT },
	{ "http-listen", required_argument, NULL, OPT_HTTP_LISTEN },
	{ "http-cors-origin", required_argument, NULL, OPT_HTTP_CORS_ORIGIN },
	{ "http-max-in-flight", required_argument, NULL, OPT_HTTP_MAX_IN_FLIGHT },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* One more value of a repeatable flag, of which there are at most
 * SERVER_MAX_LISTEN. */
static int
add_string(const char *name, const char **list, size_t *n, const char *arg)
{
	if (*n == SERVER_MAX_LISTEN) {
		fprintf(stderr, "cruddurd: at most %d %s values\n", SERVER_MAX_LISTEN, name);
		return -1;
	}
	list[(*n)++] = arg;
	return 0;
}

static int
add_replica(server_config *cfg, const char *url)
{
	if (cfg->n_db_replica == SERVER_MAX_REPLICAS) {
		fprintf(stderr, "cruddurd: at most %d replicas\n", SERVER_MAX_REPLICAS);
		return -1;
	}
	cfg->db_replica_url[cfg->n_db_replica++] = url;
	return 0;
}

/* Whether s starts a URL (then a comma before it ends the one before). */
static bool
url_start(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

/* $REPLICA_CONNECTION_URL: URLs separated by commas, split in place in
 * cfg->replica_env. A comma not followed by a URL's scheme belongs to the
 * URL (libpq's multi-host postgresql://h1,h2/db). */
static int
split_replica_env(server_config *cfg, const char *list)
{
	size_t n = strlen(list);
	if (n >= sizeof(cfg->replica_env)) {
		fprintf(stderr, "cruddurd: the replica list in the environment is over %zu bytes\n",
		    sizeof(cfg->replica_env) - 1);
		return -1;
	}
	memcpy(cfg->replica_env, list, n + 1);
	char *start = cfg->replica_env;
	for (char *p = start; *p != '\0'; p++) {
		if (*p == ',' && url_start(p + 1)) {
			*p = '\0';
			if (start[0] != '\0' && add_replica(cfg, start) != 0)
				return -1;
			start = p + 1;
		}
	}
	return start[0] != '\0' ? add_replica(cfg, start) : 0;
}

static int
parse_option(server_config *cfg, int opt, const char *arg, const char **env)
{
	int n;
	switch (opt) {
	case OPT_LISTEN:
		if (cfg->n_listen == SERVER_MAX_LISTEN) {
			fprintf(stderr, "cruddurd: at most %d --listen URLs\n", SERVER_MAX_LISTEN);
			return -1;
		}
		cfg->listen[cfg->n_listen++] = arg;
		return 0;
	case OPT_DB: cfg->db_url = arg; cfg->db_url_source = "--db"; return 0;
	case OPT_DB_REPLICA: return add_replica(cfg, arg);
	case OPT_REPLICA_MAX_LAG:
		return parse_int("--replica-max-lag-ms", arg, 0, 3600000, &cfg->replica_max_lag_ms);
	case OPT_REPLICA_WAIT: return parse_int("--replica-wait-ms", arg, 0, 60000, &cfg->replica_wait_ms);
	case OPT_ENV: *env = arg; return 0;
	case OPT_SQL_DIR: cfg->sql_dir = arg; return 0;
	case OPT_WORKERS: return parse_int("--workers", arg, 1, 1024, &cfg->workers);
	case OPT_CONTEXTS: return parse_int("--contexts", arg, 1, 65536, &cfg->contexts);
	case OPT_QUEUE: return parse_int("--queue", arg, 1, 1 << 20, &cfg->queue_capacity);
	case OPT_POOL_MIN: return parse_int("--pool-min", arg, 0, 1000, &cfg->pool_min);
	case OPT_POOL_MAX: return parse_int("--pool-max", arg, 1, 1000, &cfg->pool_max);
	case OPT_POOL_TIMEOUT: return parse_int("--pool-timeout", arg, 0, 3600000, &cfg->pool_acquire_timeout_ms);
	case OPT_DRAIN: return parse_int("--drain-timeout", arg, 0, 3600000, &cfg->drain_timeout_ms);
	case OPT_MAX_REQUEST:
		if (parse_int("--max-request-bytes", arg, 64, 256 << 20, &n) != 0)
			return -1;
		cfg->max_request_bytes = (size_t)n;
		return 0;
	case OPT_LOG_LEVEL:
		if ((cfg->log_level = log_level_parse(arg)) < 0) {
			fprintf(stderr, "cruddurd: --log-level is debug, info, warn or error\n");
			return -1;
		}
		return 0;
	case OPT_READY_FILE: cfg->ready_file = arg; return 0;
	case OPT_PID_FILE: cfg->pid_file = arg; return 0;
	case OPT_TLS_CERT_KEY: cfg->tls_cert_key_file = arg; return 0;
	case OPT_TLS_CLIENT_CA: cfg->tls_client_ca_file = arg; return 0;
	case OPT_METRICS_LISTEN: cfg->metrics_listen = arg; return 0;
	case OPT_ADMIN_TOKEN_FILE: cfg->admin_token_file = arg; return 0;
	case OPT_REQUIRE_TOKEN: cfg->require_token = true; return 0;
	case OPT_JWKS_FILE: cfg->jwks_file = arg; return 0;
	case OPT_JWT_ISSUER:
		if (arg[0] == '\0') {
			fprintf(stderr, "cruddurd: --jwt-issuer must not be empty\n");
			return -1;
		}
		cfg->jwt_issuer = arg;
		return 0;
	case OPT_JWT_CLIENT_ID:
		if (arg[0] == '\0' || strlen(arg) > 128) {
			fprintf(stderr, "cruddurd: --jwt-client-id must be 1 to 128 bytes\n");
			return -1;
		}
		if (cfg->n_jwt_client_ids == SERVER_MAX_JWT_CLIENT_IDS) {
			fprintf(stderr, "cruddurd: at most %d --jwt-client-id\n", SERVER_MAX_JWT_CLIENT_IDS);
			return -1;
		}
		cfg->jwt_client_ids[cfg->n_jwt_client_ids++] = arg;
		return 0;
	case OPT_REQUIRE_USER_TOKEN: cfg->require_user_token = true; return 0;
	case OPT_COALESCE:
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
			fprintf(stderr, "cruddurd: --coalesce is on or off, not \"%s\"\n", arg);
			return -1;
		}
		cfg->coalesce = strcmp(arg, "on") == 0;
		return 0;
	case OPT_READ_REACTOR:
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
			fprintf(stderr, "cruddurd: --read-reactor is on or off, not \"%s\"\n", arg);
			return -1;
		}
		cfg->read_reactor = strcmp(arg, "on") == 0;
		return 0;
	case OPT_PIPELINE_DEPTH: return parse_int("--pipeline-depth", arg, 1, 64, &cfg->pipeline_depth);
	case OPT_CACHE_BYTES: return parse_int("--cache-bytes", arg, 0, 1 << 30, &cfg->cache_bytes);
	case OPT_CACHE_BOUND: return parse_int("--cache-bound-ms", arg, 5, 10000, &cfg->cache_bound_ms);
	case OPT_CPU_SCHED:
		if (strcmp(arg, "batch") != 0 && strcmp(arg, "normal") != 0) {
			fprintf(stderr, "cruddurd: --cpu-sched is batch or normal, not \"%s\"\n", arg);
			return -1;
		}
		cfg->cpu_sched_batch = strcmp(arg, "batch") == 0;
		return 0;
	case OPT_MAX_CONNECTIONS: return parse_int("--max-connections", arg, 1, 1 << 20, &cfg->max_connections);
	case OPT_MAX_REQUESTS_PER_CONNECTION:
		return parse_int("--max-requests-per-connection", arg, 1, 1 << 20, &cfg->max_requests_per_connection);
	case OPT_SEND_TIMEOUT: return parse_int("--send-timeout-ms", arg, 1, 3600000, &cfg->send_timeout_ms);
	case OPT_RECV_TIMEOUT: return parse_int("--recv-timeout-ms", arg, 0, 3600000, &cfg->recv_timeout_ms);
	case OPT_HTTP_LISTEN:
		if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0) {
			fprintf(stderr, "cruddurd: --http-listen takes http:// or https:// URLs, not \"%s\"\n", arg);
			return -1;
		}
		return add_string("--http-listen", cfg->http_listen, &cfg->n_http_listen, arg);
	case OPT_HTTP_CORS_ORIGIN:
		return add_string("--http-cors-origin", cfg->http_cors_origin, &cfg->n_http_cors_origin, arg);
	case OPT_HTTP_MAX_IN_FLIGHT:
		return parse_int("--http-max-in-flight", arg, 1, 1 << 20, &cfg->http_max_in_flight);
	case OPT_CONFIG: return 0; /* read before the flags, by config_parse */
	default: return -1;
	}
}

/* The seed's dev/prod switch: --env prod reads PROD_CONNECTION_URL. A
 * --db flag wins over the environment, which wins over the config file. */
static int
choose_db_url(server_config *cfg, const char *env, bool db_from_flag, bool replica_from_flag)
{
	if (strcmp(env, "dev") != 0 && strcmp(env, "prod") != 0) {
		fprintf(stderr, "cruddurd: --env is dev or prod, not \"%s\"\n", env);
		return -1;
	}
	cfg->prod = strcmp(env, "prod") == 0;
	const char *var = cfg->prod ? "PROD_CONNECTION_URL" : "CONNECTION_URL";
	const char *from_env = getenv(var);
	if (!db_from_flag && from_env != NULL && from_env[0] != '\0') {
		cfg->db_url = from_env;
		cfg->db_url_source = var;
	}
	const char *replica = getenv(cfg->prod ? "PROD_REPLICA_CONNECTION_URL" : "REPLICA_CONNECTION_URL");
	if (!replica_from_flag && replica != NULL && replica[0] != '\0') {
		cfg->n_db_replica = 0; /* the environment wins over the file */
		if (split_replica_env(cfg, replica) != 0)
			return -1;
	}
	if (cfg->db_url == NULL || cfg->db_url[0] == '\0') {
		fprintf(stderr, "cruddurd: no database URL: give --db, set %s, or put db in --config\n", var);
		return -1;
	}
	return 0;
}

/* The admin token: --admin-token-file, then CRUDDUR_ADMIN_TOKEN, then the
 * config file's admin-token-file. A production server must have one. */
static int
load_token(server_config *cfg, bool file_from_flag)
{
	const char *from_env = getenv("CRUDDUR_ADMIN_TOKEN");
	char        err[512];

	if ((!file_from_flag || cfg->admin_token_file == NULL) && from_env != NULL && from_env[0] != '\0') {
		if (strlen(from_env) < 16) {
			fprintf(stderr, "cruddurd: CRUDDUR_ADMIN_TOKEN must be at least 16 bytes\n");
			return -1;
		}
		if ((cfg->admin_token = strdup(from_env)) == NULL) {
			/* Never start unprotected because memory ran out. */
			fprintf(stderr, "cruddurd: out of memory\n");
			return -1;
		}
	} else if (cfg->admin_token_file != NULL) {
		if (auth_read_token_file(cfg->admin_token_file, &cfg->admin_token, err, sizeof(err)) != 0) {
			fprintf(stderr, "cruddurd: %s\n", err);
			return -1;
		}
		cfg->admin_token_from_file = true;
	}
	if (cfg->prod && cfg->admin_token == NULL) {
		fprintf(stderr, "cruddurd: --env prod needs an admin token: --admin-token-file or CRUDDUR_ADMIN_TOKEN\n");
		return -1;
	}
	if (cfg->require_token && cfg->admin_token == NULL) {
		fprintf(stderr, "cruddurd: --require-token needs an admin token\n");
		return -1;
	}
	return 0;
}

/* User tokens are verified against all three or not at all. */
static int
check_jwt(const server_config *cfg)
{
	if (cfg->jwks_file != NULL && (cfg->jwt_issuer == NULL || cfg->n_jwt_client_ids == 0)) {
		fprintf(stderr, "cruddurd: --jwks-file needs --jwt-issuer and at least one --jwt-client-id\n");
		return -1;
	}
	if (cfg->jwks_file == NULL && (cfg->jwt_issuer != NULL || cfg->n_jwt_client_ids > 0 ||
	                                  cfg->require_user_token)) {
		fprintf(stderr, "cruddurd: --jwt-issuer, --jwt-client-id and --require-user-token need --jwks-file\n");
		return -1;
	}
	return 0;
}

static int
option_by_name(const char *name)
{
	for (const struct option *o = long_options; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0 && o->val != OPT_CONFIG && o->val != OPT_HELP &&
		    o->val != OPT_VERSION)
			return o->val;
	return -1;
}

/* The file's lines stay allocated for the life of the process: the
 * configuration points into them. */
static char *config_lines[CONFIG_MAX_LINES];

static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int
read_config_file(server_config *cfg, const char *path, const char **env)
{
	FILE  *f = fopen(path, "r");
	char   buf[4096];
	int    lineno = 0, n = 0;

	if (f == NULL) {
		fprintf(stderr, "cruddurd: cannot read config %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		char *line = trim(buf), *eq;
		lineno++;
		if (*line == '\0' || *line == '#')
			continue;
		int opt = -1;
		if ((eq = strchr(line, '=')) != NULL) {
			*eq = '\0';
			opt = option_by_name(trim(line));
		}
		if (opt < 0 || n == CONFIG_MAX_LINES || (config_lines[n] = strdup(trim(eq + 1))) == NULL) {
			fprintf(stderr, "cruddurd: %s:%d: expected \"name = value\" with a known name\n", path, lineno);
			fclose(f);
			return -1;
		}
		const char *value = config_lines[n++];
		bool        bad = false;
		if (opt == OPT_COALESCE && getenv("CRUDDUR_COALESCE") != NULL)
			continue; /* the environment wins over the file */
		if (opt == OPT_REQUIRE_TOKEN || opt == OPT_REQUIRE_USER_TOKEN) {
			/* a switch: true or false in a file */
			bad = strcmp(value, "true") != 0 && strcmp(value, "false") != 0;
			*(opt == OPT_REQUIRE_TOKEN ? &cfg->require_token : &cfg->require_user_token) =
			    strcmp(value, "true") == 0;
		} else {
			bad = parse_option(cfg, opt, value, env) != 0;
		}
		if (bad) {
			fprintf(stderr, "cruddurd: %s:%d: bad value\n", path, lineno);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (cfg->db_url != NULL)
		cfg->db_url_source = "config";
	return 0;
}

/* --config is read before every other flag, so that flags override it. */
static const char *
find_config(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return getenv("CRUDDUR_CONFIG");
}

/* A repeatable option: its count in cfg, and whether its values are still
 * the file's (the first flag empties them). */
typedef struct repeatable {
	int     opt;
	size_t *n;
	bool    from_file;
} repeatable;

int
config_parse(server_config *cfg, int argc, char **argv)
{
	const char *env = "dev", *file = find_config(argc, argv);
	bool        db_from_flag = false, replica_from_flag = false, token_file_from_flag = false;
	bool        sql_dir_from_flag = false;
	int         opt;
	repeatable  reps[] = {
		{ OPT_LISTEN, &cfg->n_listen, true },
		{ OPT_HTTP_LISTEN, &cfg->n_http_listen, true },
		{ OPT_HTTP_CORS_ORIGIN, &cfg->n_http_cors_origin, true },
		{ OPT_JWT_CLIENT_ID, &cfg->n_jwt_client_ids, true },
	};

	server_config_defaults(cfg);
	if (file != NULL && read_config_file(cfg, file, &env) != 0)
		return -1;
	/* $CRUDDUR_COALESCE wins over the file, and --coalesce over it. */
	const char *coalesce_env = getenv("CRUDDUR_COALESCE");
	if (coalesce_env != NULL)
		cfg->coalesce = !(strcmp(coalesce_env, "off") == 0 || strcmp(coalesce_env, "0") == 0 ||
		    strcmp(coalesce_env, "false") == 0);
	while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		if (opt == OPT_HELP || opt == 'h') {
			config_usage(stdout);
			exit(0);
		}
		if (opt == OPT_VERSION) {
			printf("cruddurd %s\n", CRUDDUR_VERSION_STRING);
			exit(0);
		}
		for (size_t i = 0; i < sizeof(reps) / sizeof(reps[0]); i++)
			if (opt == reps[i].opt && reps[i].from_file) {
				*reps[i].n = 0; /* flags replace the file's lines */
				reps[i].from_file = false;
			}
		db_from_flag |= opt == OPT_DB;
		if (opt == OPT_DB_REPLICA && !replica_from_flag)
			cfg->n_db_replica = 0; /* flags replace the file's replicas */
		replica_from_flag |= opt == OPT_DB_REPLICA;
		sql_dir_from_flag |= opt == OPT_SQL_DIR;
		token_file_from_flag |= opt == OPT_ADMIN_TOKEN_FILE;
		if (parse_option(cfg, opt, optarg, &env) != 0) {
			if (opt == '?')
				config_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cruddurd: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (cfg->n_listen == 0)
		cfg->listen[cfg->n_listen++] = SERVER_DEFAULT_LISTEN;
	if (cfg->pool_min > cfg->pool_max)
		cfg->pool_min = cfg->pool_max;
	if (cfg->queue_capacity >= cfg->contexts - cfg->workers)
		log_warn("msg=\"--queue %d is not below --contexts %d - --workers %d: the queue never "
		         "fills, and a burst waits inside nng instead of being refused\"",
		    cfg->queue_capacity, cfg->contexts, cfg->workers);
	const char *sql_dir_env = getenv("CRUDDUR_SQL_DIR");
	if (!sql_dir_from_flag && sql_dir_env != NULL && sql_dir_env[0] != '\0')
		cfg->sql_dir = sql_dir_env; /* the environment wins over the file */
	if (choose_db_url(cfg, env, db_from_flag, replica_from_flag) != 0 ||
	    load_token(cfg, token_file_from_flag) != 0 || check_jwt(cfg) != 0)
		return -1;
	return 0;
}
