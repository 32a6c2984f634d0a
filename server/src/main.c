/*
 * main.c - cruddurd: command line, signals, start and graceful stop.
 *
 * The main thread blocks SIGINT and SIGTERM before any other thread starts
 * (so every thread inherits the mask) and waits for them with sigwait:
 * shutdown runs on an ordinary thread, not in a signal handler.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "server.h"
#include "transport.h"

#define VERSION "0.1.0"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cruddurd [OPTIONS]\n"
	    "\n"
	    "The cruddur data service: Activities, Users, DbAdmin and Health RPCs over nng.\n"
	    "\n"
	    "  --listen URL           listen on URL (repeatable; tcp://, ipc://, tls+tcp://)\n"
	    "                         default " SERVER_DEFAULT_LISTEN "\n"
	    "  --db URL               database URL (default: $CONNECTION_URL)\n"
	    "  --env dev|prod         prod takes $PROD_CONNECTION_URL instead (default dev)\n"
	    "  --sql-dir DIR          where schema.sql and seed.sql are (default: beside the\n"
	    "                         executable, ../share/cruddur/sql; or $CRUDDUR_SQL_DIR)\n"
	    "  --workers N            threads that run handlers (default 8)\n"
	    "  --contexts N           requests received at once (default 128)\n"
	    "  --queue N              requests waiting for a worker before RESOURCE_EXHAUSTED\n"
	    "                         (default 128)\n"
	    "  --pool-min N           database connections kept open (default 2)\n"
	    "  --pool-max N           database connections at most (default 8)\n"
	    "  --pool-timeout MS      wait for a free connection (default 2000)\n"
	    "  --max-request-bytes N  larger requests are refused (default 1048576)\n"
	    "  --drain-timeout MS     on SIGTERM, wait this long for calls in flight (default 10000)\n"
	    "  --log-level L          debug, info (one line per request), warn, error (default info)\n"
	    "  --tls-cert-key-file F  PEM with the certificate chain and key for tls+tcp://\n"
	    "  --tls-client-ca-file F require client certificates signed by this CA\n"
	    "  --ready-file PATH      write the listening URLs here once serving; removed at exit\n"
	    "  --pid-file PATH        write the process id here; removed at exit\n"
	    "  --version, --help\n"
	    "\n"
	    "example:\n"
	    "  CONNECTION_URL=postgresql://postgres@127.0.0.1:5433/cruddur cruddurd \\\n"
	    "      --listen tcp://127.0.0.1:7432 --listen ipc:///tmp/cruddur.sock\n");
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
	OPT_LISTEN = 256, OPT_DB, OPT_ENV, OPT_SQL_DIR, OPT_WORKERS, OPT_CONTEXTS, OPT_QUEUE,
	OPT_POOL_MIN, OPT_POOL_MAX, OPT_POOL_TIMEOUT, OPT_MAX_REQUEST, OPT_DRAIN, OPT_LOG_LEVEL,
	OPT_READY_FILE, OPT_PID_FILE, OPT_TLS_CERT_KEY, OPT_TLS_CLIENT_CA, OPT_VERSION, OPT_HELP,
};

static const struct option long_options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "db", required_argument, NULL, OPT_DB },
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
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

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
	default: return -1;
	}
}

/* The seed's dev/prod switch: --env prod reads PROD_CONNECTION_URL. */
static int
choose_db_url(server_config *cfg, const char *env)
{
	if (strcmp(env, "dev") != 0 && strcmp(env, "prod") != 0) {
		fprintf(stderr, "cruddurd: --env is dev or prod, not \"%s\"\n", env);
		return -1;
	}
	cfg->prod = strcmp(env, "prod") == 0;
	if (cfg->db_url == NULL) {
		cfg->db_url_source = cfg->prod ? "PROD_CONNECTION_URL" : "CONNECTION_URL";
		cfg->db_url = getenv(cfg->db_url_source);
	}
	if (cfg->db_url == NULL || cfg->db_url[0] == '\0') {
		fprintf(stderr, "cruddurd: no database URL: give --db or set %s\n",
		    cfg->prod ? "PROD_CONNECTION_URL" : "CONNECTION_URL");
		return -1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, server_config *cfg)
{
	const char *env = "dev";
	int         opt;

	server_config_defaults(cfg);
	while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		if (opt == OPT_HELP || opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == OPT_VERSION) {
			printf("cruddurd %s\n", VERSION);
			exit(0);
		}
		if (parse_option(cfg, opt, optarg, &env) != 0) {
			if (opt == '?')
				usage(stderr);
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
	return choose_db_url(cfg, env);
}

/* Written to a temporary name and renamed, so a reader never sees half. */
static void
write_file_atomically(const char *path, transport *t, long pid)
{
	char  tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_error("msg=\"cannot write %s: %s\"", tmp, strerror(errno));
		return;
	}
	if (t != NULL)
		transport_write_urls(t, f);
	else
		fprintf(f, "%ld\n", pid);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		log_error("msg=\"cannot write %s: %s\"", path, strerror(errno));
}

static int
wait_for_signal(void)
{
	sigset_t set;
	int      sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	return sig;
}

int
main(int argc, char **argv)
{
	static server srv;
	server_config cfg;
	transport    *t = NULL;
	char          err[1024];
	sigset_t      set;

	if (parse_args(argc, argv, &cfg) != 0)
		return 2;
	log_set_level(cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (server_init(&srv, &cfg, err, sizeof(err)) != 0) {
		log_error("msg=\"cannot start\" error=\"%s\"", err);
		return 1;
	}
	if (transport_start(&t, &srv, err, sizeof(err)) != 0) {
		log_error("msg=\"cannot start\" error=\"%s\"", err);
		server_fini(&srv);
		return 1;
	}
	server_start_warming(&srv);
	for (size_t i = 0; i < cfg.n_listen; i++)
		log_info("msg=listening url=%s", cfg.listen[i]);
	log_info("msg=started version=%s env=%s db=\"%s\" db_from=%s sql_dir=%s workers=%d pool_max=%d",
	    VERSION, cfg.prod ? "prod" : "dev", srv.db.masked, cfg.db_url_source, srv.sql_dir,
	    cfg.workers, cfg.pool_max);
	if (cfg.pid_file != NULL)
		write_file_atomically(cfg.pid_file, NULL, (long)getpid());
	if (cfg.ready_file != NULL)
		write_file_atomically(cfg.ready_file, t, 0);

	int sig = wait_for_signal();
	log_info("msg=stopping signal=%s drain_timeout_ms=%d", sig == SIGINT ? "SIGINT" : "SIGTERM",
	    cfg.drain_timeout_ms);
	if (cfg.ready_file != NULL)
		unlink(cfg.ready_file);
	int left = transport_drain(t, cfg.drain_timeout_ms);
	if (left > 0)
		log_warn("msg=\"drain timed out\" in_flight=%d", left);
	transport_free(t);
	server_fini(&srv);
	if (cfg.pid_file != NULL)
		unlink(cfg.pid_file);
	log_info("msg=stopped");
	return 0;
}
