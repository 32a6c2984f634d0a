/*
 * server.c - wiring the process's parts: database targets, pools, the
 * read reactor, sql/, the services, the dispatcher, the transport's
 * settings and the hooks it calls while stopping.
 *
 * The page cache and its listener: the listener's callbacks (its thread)
 * drive the cache's usable flag, freshness point and drops. With
 * --db-replica the feed is read from the replicas, whose replay may lag the
 * primary's notices, so the cache stays off (and a page for a read with a
 * consistency_token could not be told fresh enough anyway).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "obs/log.h"
#include "net/transport.h"
#include "rpc/dispatch.h"
#include "server.h"

_Static_assert(SERVER_MAX_REPLICAS == REPLICA_SET_MAX, "one limit on replicas");

static bool
has_schema(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/schema.sql", dir) >= (int)sizeof(path))
		return false;
	return access(path, R_OK) == 0;
}

/* sql/ is found from --sql-dir or CRUDDUR_SQL_DIR (config.c), then beside
 * the executable (bin/../share/cruddur/sql, as installed and as in build/),
 * never from the working directory. */
static int
find_sql_dir(server *s, char *err, size_t errlen)
{
	const char *given = s->cfg.sql_dir;
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

/* The listener's heartbeat counts only while both triggers of migration
 * 0006 exist and fire: without them no notice would come. */
#define FEED_TRIGGERS_PRESENT                                                          \
	"(SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgenabled <> 'D' AND tgname IN " \
	"('activities_feed_notify', 'users_feed_notify')) = 2"

static void
on_listener_state(void *arg, notify_state st)
{
	feed_cache *c = arg;

	switch (st) {
	case NOTIFY_LISTENING: {
		/* Emptied now, so every write committed before is reflected by
		 * whatever is kept from here on: now is a freshness point. */
		int64_t now = clock_mono_us();
		feed_cache_set_usable(c, true);
		feed_cache_set_fresh(c, now);
		feed_cache_set_listener_state(c, FEED_LISTENER_LISTENING);
		log_info("msg=\"feed cache listening\"");
		return;
	}
	case NOTIFY_CONNECTING:
		feed_cache_set_usable(c, false);
		feed_cache_set_listener_state(c, FEED_LISTENER_CONNECTING);
		return;
	case NOTIFY_DOWN:
		feed_cache_set_usable(c, false);
		feed_cache_set_listener_state(c, FEED_LISTENER_DOWN);
		return;
	}
}

static void
on_notice(void *arg, const char *payload)
{
	feed_cache_notice(arg, payload);
}

static void
on_fresh(void *arg, int64_t mono_us)
{
	feed_cache_set_fresh(arg, mono_us);
}

static bool
wants_fresh(void *arg)
{
	return feed_cache_wanted(arg);
}

/* The cache and its listener, unless --cache-bytes 0 or any --db-replica. */
static int
start_feed_cache(server *s, char *err, size_t errlen)
{
	const server_config *cfg = &s->cfg;
	int                  rv;

	if (cfg->cache_bytes == 0 || cfg->n_db_replica > 0)
		return 0;
	if ((rv = feed_cache_new(&s->feed_cache, (size_t)cfg->cache_bytes,
	         (int64_t)cfg->cache_bound_ms * 1000)) != 0) {
		snprintf(err, errlen, "cannot make the page cache: %s", strerror(rv));
		return -1;
	}
	notify_listener_config lc = {
		.target = &s->db,
		.channel = "cruddur_feed",
		/* A fifth of the bound: a heartbeat may be late four times
		 * over before hits stop. */
		.heartbeat_ms = cfg->cache_bound_ms / 5 > 0 ? cfg->cache_bound_ms / 5 : 1,
		.guard_sql = FEED_TRIGGERS_PRESENT,
		.on_state = on_listener_state,
		.on_notice = on_notice,
		.on_fresh = on_fresh,
		.wants_fresh = wants_fresh,
		.arg = s->feed_cache,
	};
	if ((rv = notify_listener_new(&s->listener, &lc)) != 0) {
		snprintf(err, errlen, "cannot start the notify listener: %s", strerror(rv));
		return -1;
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

/* What server_init made, in reverse: the listener and the watcher first
 * (they use the cache and the pools), the reactors before the cache and
 * their pools. Safe on what was not made. */
static void
free_parts(server *s)
{
	notify_listener_free(s->listener); /* bounded: its waits end at the stop */
	s->listener = NULL;
	jwks_store_free(s->jwks); /* after the workers and the reactor: no reader is left */
	replica_set_free(s->replicas);
	s->replicas = NULL;
	for (size_t i = 0; i < SERVER_MAX_REPLICAS; i++)
		read_reactor_free(s->replica_reactor[i]); /* stopped first if it was not (quiesce) */
	read_reactor_free(s->reactor);
	feed_cache_free(s->feed_cache); /* after every call: none holds a page */
	s->feed_cache = NULL;
	if (s->has_admin_token)
		auth_token_fini(&s->admin_token);
	s->has_admin_token = false;
	for (size_t i = 0; i < SERVER_MAX_REPLICAS; i++) {
		pool_free(s->replica_pool[i]);
		db_target_fini(&s->replica_db[i]);
	}
	pool_free(s->pool);
	metrics_free(s->metrics);
	db_target_fini(&s->db);
}

int
server_init(server *s, const server_config *cfg, char *err, size_t errlen)
{
	int rv;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->started_us = clock_mono_us();
	atomic_init(&s->draining, false);
	if (find_sql_dir(s, err, errlen) != 0)
		return -1;
	if (db_target_parse(&s->db, cfg->db_url, "cruddurd", err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < cfg->n_db_replica; i++)
		if (db_target_parse(&s->replica_db[i], cfg->db_replica_url[i], "cruddurd-replica", err,
		        errlen) != 0)
			goto fail;
	if ((s->metrics = metrics_new(rpc_method_count)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (make_pool(s, &s->db, &s->pool, err, errlen) != 0)
		goto fail;
	replica_set_config rc = { .primary = s->pool, .n = cfg->n_db_replica,
		.max_lag_ms = cfg->replica_max_lag_ms };
	for (size_t i = 0; i < cfg->n_db_replica; i++) {
		if (make_pool(s, &s->replica_db[i], &s->replica_pool[i], err, errlen) != 0)
			goto fail;
		rc.replicas[i] = s->replica_pool[i];
		rc.names[i] = s->replica_db[i].masked;
	}
	if ((rv = read_reactor_new(&s->reactor, s->pool, (size_t)cfg->queue_capacity, cfg->coalesce,
	         cfg->pipeline_depth)) != 0) {
		snprintf(err, errlen, "cannot start the read reactor: %s", strerror(rv));
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_db_replica; i++)
		if ((rv = read_reactor_new(&s->replica_reactor[i], s->replica_pool[i],
		         (size_t)cfg->queue_capacity, cfg->coalesce, cfg->pipeline_depth)) != 0) {
			snprintf(err, errlen, "cannot start a replica's read reactor: %s", strerror(rv));
			goto fail;
		}
	if ((rv = replica_set_new(&s->replicas, &rc)) != 0) {
		snprintf(err, errlen, "cannot watch the replicas: %s", strerror(rv));
		goto fail;
	}
	if (start_feed_cache(s, err, errlen) != 0)
		goto fail;
	if (cfg->jwks_file != NULL) {
		if (jwks_store_new(&s->jwks, cfg->jwks_file, err, errlen) != 0)
			goto fail;
		s->jwt = (jwt_config){ .keys = s->jwks, .issuer = cfg->jwt_issuer,
			.client_ids = s->cfg.jwt_client_ids, .n_client_ids = cfg->n_jwt_client_ids,
			.leeway_s = JWT_LEEWAY_S };
	}
	if (cfg->admin_token != NULL) {
		/* A copy of its own: a reload (SIGHUP) replaces and frees it. */
		char *copy = strdup(cfg->admin_token);
		if (copy == NULL || auth_token_init(&s->admin_token, copy) != 0) {
			snprintf(err, errlen, "cannot hold the admin token: out of memory");
			goto fail;
		}
		s->has_admin_token = true;
	}
	svc_register_all(&s->services);
	/* main.c adds the transport's figures once it serves. With
	 * --read-reactor off the reactor still reads HomeFeed's pages, but
	 * Stats shows no figures of it, as stats.proto says. */
	s->stats = (stats_sources){ .metrics = s->metrics, .pool = s->pool, .pool_max = cfg->pool_max,
		.queue_capacity = cfg->queue_capacity, .started_us = s->started_us,
		.reactor = cfg->read_reactor ? s->reactor : NULL, .feed_cache = s->feed_cache,
		.replicas = s->replicas };
	s->env = (svc_env){
		.pool = s->pool,
		.replicas = s->replicas,
		.replica_wait_ms = cfg->replica_wait_ms,
		.db = &s->db,
		.sql_dir = s->sql_dir,
		.reactor = s->reactor,
		.feed_cache = s->feed_cache,
		.handlers = &s->services.handlers,
		.stats = &s->stats,
	};
	s->dispatch = (dispatch_config){
		.handlers = &s->services.handlers,
		.env = &s->env,
		.metrics = s->metrics,
		.max_request_bytes = cfg->max_request_bytes,
		.auth = { s->has_admin_token ? &s->admin_token : NULL, cfg->require_token, cfg->prod, s->db.dbname,
			s->jwks != NULL ? &s->jwt : NULL, cfg->require_user_token },
		/* --read-reactor off: every handler starts on a worker. */
		.nonblocking = cfg->read_reactor ? s->services.nonblocking : 0,
	};
	memcpy(s->env.replica_reactor, s->replica_reactor, sizeof(s->replica_reactor));
	memcpy(s->stats.replica_reactors, s->replica_reactor, sizeof(s->replica_reactor));
	s->stats.n_replica_reactors = cfg->n_db_replica;
	return 0;
fail:
	free_parts(s);
	return -1;
}

/* transport_config.cancel_all: the statements of both pools. */
static void
cancel_all(void *arg)
{
	server *s = arg;

	pool_cancel_all(s->pool);
	for (size_t i = 0; i < s->cfg.n_db_replica; i++)
		pool_cancel_all(s->replica_pool[i]);
}

/* transport_config.quiesce: the reactor answers what it holds and stops. */
static void
quiesce(void *arg)
{
	server *s = arg;

	read_reactor_stop(s->reactor);
	for (size_t i = 0; i < s->cfg.n_db_replica; i++)
		read_reactor_stop(s->replica_reactor[i]);
}

void
server_transport_config(server *s, transport_config *out)
{
	const server_config *c = &s->cfg;

	*out = (transport_config){
		.listen = c->listen,
		.n_listen = c->n_listen,
		.tls_cert_key_file = c->tls_cert_key_file,
		.tls_client_ca_file = c->tls_client_ca_file,
		.contexts = c->contexts,
		.workers = c->workers,
		.queue_capacity = c->queue_capacity,
		.max_request_bytes = c->max_request_bytes,
		.max_connections = c->max_connections,
		.max_requests_per_connection = c->max_requests_per_connection,
		.send_timeout_ms = c->send_timeout_ms,
		.recv_timeout_ms = c->recv_timeout_ms,
		.dispatch = &s->dispatch,
		.draining = &s->draining,
		.cancel_all = cancel_all,
		.quiesce = quiesce,
		.hooks_arg = s,
	};
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
	if (s->listener != NULL) {
		int64_t last_us, max_us;
		notify_listener_delay(s->listener, &last_us, &max_us);
		log_info("msg=\"notify listener stops\" heartbeat_last_us=%lld heartbeat_max_us=%lld",
		    (long long)last_us, (long long)max_us);
	}
	free_parts(s);
}
