/*
 * server.c - building the shared state: database target, pool, sql/ dir,
 * handler table.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "obs/log.h"
#include "rpc/dispatch.h"
#include "server.h"
#include "svc/svc_activities.h"
#include "svc/svc_stats.h"

void
server_config_defaults(server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 8;
	cfg->read_reactor = true;
	cfg->pipeline_depth = 8;
	cfg->cpu_sched_batch = true;
	/* More contexts than workers + queue, so that the queue can fill and
	 * a burst past it is refused at once (RESOURCE_EXHAUSTED) instead of
	 * waiting unseen inside nng. */
	cfg->contexts = 512;
	cfg->queue_capacity = 256;
	cfg->pool_min = 2;
	cfg->pool_max = 8;
	cfg->pool_acquire_timeout_ms = 2000;
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
	cfg->log_level = LOG_INFO;
}

static bool
has_schema(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/schema.sql", dir) >= (int)sizeof(path))
		return false;
	return access(path, R_OK) == 0;
}

/* sql/ is found from --sql-dir, then CRUDDUR_SQL_DIR, then beside the
 * executable (bin/../share/cruddur/sql, as installed and as in build/),
 * never from the working directory. */
static int
find_sql_dir(server *s, char *err, size_t errlen)
{
	const char *given = s->cfg.sql_dir ? s->cfg.sql_dir : getenv("CRUDDUR_SQL_DIR");
	char        exe[PATH_MAX];
	ssize_t     n;

	if (given != NULL) {
		snprintf(s->sql_dir, sizeof(s->sql_dir), "%s", given);
	} else if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL)
			*slash = '\0';
		if (snprintf(s->sql_dir, sizeof(s->sql_dir), "%s/../share/cruddur/sql", exe) >=
		    (int)sizeof(s->sql_dir))
			s->sql_dir[0] = '\0';
	}
	if (s->sql_dir[0] == '\0' || !has_schema(s->sql_dir)) {
		snprintf(err, errlen, "no schema.sql in %s: give --sql-dir or CRUDDUR_SQL_DIR",
		    s->sql_dir[0] ? s->sql_dir : "(unknown)");
		return -1;
	}
	char *real = realpath(s->sql_dir, NULL);
	if (real != NULL) {
		snprintf(s->sql_dir, sizeof(s->sql_dir), "%s", real);
		free(real);
	}
	return 0;
}

static int
make_pool(server *s, const db_target *target, pool **out, char *err, size_t errlen)
{
	pool_config pc = {
		.target = target,
		.min_size = s->cfg.pool_min,
		.max_size = s->cfg.pool_max,
		.acquire_timeout_ms = s->cfg.pool_acquire_timeout_ms,
		.connect_timeout_s = 5,
	};
	if (pool_new(out, &pc) != 0) {
		snprintf(err, errlen, "cannot create a connection pool");
		return -1;
	}
	return 0;
}

int
server_init(server *s, const server_config *cfg, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->started_us = clock_mono_us();
	atomic_init(&s->draining, false);
	if (find_sql_dir(s, err, errlen) != 0)
		return -1;
	if (db_target_parse(&s->db, cfg->db_url, "cruddurd", err, errlen) != 0)
		return -1;
	if (cfg->db_replica_url != NULL &&
	    db_target_parse(&s->replica_db, cfg->db_replica_url, "cruddurd-replica", err, errlen) != 0)
		goto fail;
	if ((s->metrics = metrics_new(rpc_method_count)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (make_pool(s, &s->db, &s->pool, err, errlen) != 0 ||
	    (cfg->db_replica_url != NULL &&
	        make_pool(s, &s->replica_db, &s->replica_pool, err, errlen) != 0))
		goto fail;
	svc_activities_register(&s->handlers);
	svc_users_register(&s->handlers);
	svc_db_admin_register(&s->handlers);
	svc_migrations_register(&s->handlers);
	svc_seed_bulk_register(&s->handlers);
	s->stats = (stats_sources){ .metrics = s->metrics, .pool = s->pool, .pool_max = cfg->pool_max,
		.queue_capacity = cfg->queue_capacity, .started_us = s->started_us };
	svc_stats_register(&s->handlers, &s->stats);
	svc_health_register(&s->handlers);
	dispatch_set_fast_read(s, &cruddur_method_activities_home_feed,
	    svc_activities_home_feed_fast());
	return 0;
fail:
	pool_free(s->pool);
	metrics_free(s->metrics);
	db_target_fini(&s->replica_db);
	db_target_fini(&s->db);
	return -1;
}

pool *
server_read_pool(server *s)
{
	return s->replica_pool != NULL ? s->replica_pool : s->pool;
}

/* Opens pool_min connections at start, so the first requests do not pay
 * for connecting. Best effort: when the database is not there yet, the
 * pool connects on demand later. Runs on its own thread (it may wait). */
static void *
warm_pool(void *arg)
{
	server    *s = arg;
	pool_conn *held[64];
	int        n = 0, want = s->cfg.pool_min < 64 ? s->cfg.pool_min : 64;
	char       msg[512] = "";

	/* It gives up once a stop has begun: server_fini joins this thread,
	 * and each connect can take the database's connect timeout. */
	while (n < want && !atomic_load(&s->draining) &&
	       pool_acquire(s->pool, clock_mono_us() + 2000000, &held[n], msg, sizeof(msg)) ==
	           CRUDDUR_OK)
		n++;
	for (int i = 0; i < n; i++)
		pool_release(s->pool, held[i]);
	if (n < want && !atomic_load(&s->draining))
		log_info("msg=\"pool not warmed\" connections=%d of=%d reason=\"%s\"", n, want,
		    log_quotable(msg, sizeof(msg), msg));
	return NULL;
}

void
server_start_warming(server *s)
{
	s->warming = pthread_create(&s->warm_thread, NULL, warm_pool, s) == 0;
}

void
server_fini(server *s)
{
	if (s->warming)
		pthread_join(s->warm_thread, NULL);
	pool_free(s->replica_pool);
	pool_free(s->pool);
	metrics_free(s->metrics);
	db_target_fini(&s->replica_db);
	db_target_fini(&s->db);
}
