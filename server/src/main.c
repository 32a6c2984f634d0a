/*
 * main.c - cruddurd: command line, signals, start and graceful stop.
 *
 * The main thread blocks SIGINT, SIGTERM and SIGHUP before any other thread
 * starts (so every thread inherits the mask) and waits for them with
 * sigwait: shutdown runs on an ordinary thread, not in a signal handler.
 * SIGHUP rereads the --jwks-file, the --admin-token-file and the TLS
 * certificate and key of tls+tcp:// listeners (each failed reload keeps
 * what it had, and logs why) and the wait goes on. The service manager
 * hears READY=1 once every listener serves, RELOADING=1 and READY=1 around
 * a reload, STOPPING=1 when the stop begins (obs/service_notify.h). The stop is
 * bounded: drain (transport_drain), then close (transport_free, which goes
 * on without nng_close when nng hangs in it), then the pools; see
 * docs/RELIABILITY.md for the budget.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "config.h"
#include "cpu_sched.h"
#include "obs/log.h"
#include "obs/service_notify.h"
#include "net/http_gateway.h"
#include "net/metrics_http.h"
#include "net/transport.h"
#include "net/transport_stats.h"
#include "server.h"


/* Written to a temporary name and renamed, so a reader never sees half. */
static void
write_file_atomically(const char *path, transport *t, http_gateway *gw, long pid)
{
	char  tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_error("msg=\"cannot write %s: %s\"", tmp, strerror(errno));
		return;
	}
	if (t != NULL) {
		transport_write_urls(t, f);
		if (gw != NULL) /* after the nng URLs: the first line stays one */
			http_gateway_write_urls(gw, f);
	} else
		fprintf(f, "%ld\n", pid);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		log_error("msg=\"cannot write %s: %s\"", path, strerror(errno));
}

/* The stop, from SIGTERM to exit, takes at most the drain timeout plus
 * this, whatever peers, the database and nng do: transport_drain gives
 * cancelled calls 0.8 s at most, and what follows (joining the workers and
 * the read reactor, closing the socket, freeing the pools) gets the rest. */
#define STOP_SLACK_US 1500000

/* What follows the drain, on a thread of its own so that main can bound
 * it (finish_stop). mtx guards done; cv is on CLOCK_MONOTONIC, so a jump
 * of the wall clock moves no deadline. */
typedef struct stop_rest {
	server         *srv;
	transport      *t;
	metrics_http   *metrics_server;
	http_gateway   *gateway;
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	bool            done;
} stop_rest;

static void *
stop_rest_main(void *arg)
{
	stop_rest *r = arg;

	metrics_http_stop(r->metrics_server);
	transport_free(r->t);
	http_gateway_stop(r->gateway); /* its calls were answered in transport_free */
	server_fini(r->srv);
	pthread_mutex_lock(&r->mtx);
	r->done = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mtx);
	return NULL;
}

/* Runs the rest of the stop and waits for it until until_us (monotonic).
 * Returns false when it is still running then: a thread is stuck in a join
 * (a worker or the read reactor waiting on a database host that stopped
 * answering, say) or in nng. By then every reply that could be sent was
 * sent, the statements still running were cancelled, and the connections
 * go with the process, so the caller exits at once (_exit: the stuck
 * thread still uses what an orderly exit would free). */
static bool
finish_stop(stop_rest *r, int64_t until_us)
{
	pthread_condattr_t attr;
	pthread_t          tid;
	struct timespec    until = clock_timespec(until_us);

	pthread_mutex_init(&r->mtx, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&tid, NULL, stop_rest_main, r) != 0) {
		stop_rest_main(r);
		return true;
	}
	pthread_mutex_lock(&r->mtx);
	while (!r->done && pthread_cond_timedwait(&r->cv, &r->mtx, &until) != ETIMEDOUT)
		;
	bool done = r->done;
	pthread_mutex_unlock(&r->mtx);
	if (done) {
		pthread_join(tid, NULL);
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mtx);
	}
	return done;
}

/* The HTTP/JSON gateway on --http-listen, over the transport's queue. */
static int
start_gateway(const server_config *cfg, server *srv, transport *t, http_gateway **out, char *err,
    size_t errlen)
{
	http_gateway_config gc = {
		.listen = cfg->http_listen,
		.n_listen = cfg->n_http_listen,
		.cors_origins = cfg->http_cors_origin,
		.n_cors_origins = cfg->n_http_cors_origin,
		.tls_cert_key_file = cfg->tls_cert_key_file,
		.tls_client_ca_file = cfg->tls_client_ca_file,
		.max_request_bytes = cfg->max_request_bytes,
		.max_in_flight = cfg->http_max_in_flight,
		.body_timeout_ms = cfg->recv_timeout_ms,
		.dispatch = &srv->dispatch,
		.transport = t,
		.draining = &srv->draining,
	};

	if (http_gateway_start(out, &gc, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < cfg->n_http_listen; i++)
		log_info("msg=listening url=%s", cfg->http_listen[i]);
	return 0;
}

/* SIGHUP: the admin token file. The token from CRUDDUR_ADMIN_TOKEN has
 * no file to reread. */
static void
reload_token(server *srv)
{
	char  err[512];
	char *token = NULL;

	if (!srv->has_admin_token || !srv->cfg.admin_token_from_file)
		return;
	if (auth_read_token_file(srv->cfg.admin_token_file, &token, err, sizeof(err)) != 0) {
		log_warn("msg=\"SIGHUP: admin token not reloaded; the old one stays\" error=\"%s\"", err);
		return;
	}
	auth_token_replace(&srv->admin_token, token);
	log_info("msg=\"SIGHUP: admin token reloaded\" path=%s", srv->cfg.admin_token_file);
}

/* SIGHUP: the certificate and key of tls+tcp:// listeners. https://
 * listeners (nng's HTTP server takes its TLS settings only before it
 * starts) keep theirs until a restart. */
static void
reload_tls(server *srv, transport *t)
{
	char err[512];

	if (srv->cfg.tls_cert_key_file == NULL)
		return;
	int n = transport_tls_reload(t, err, sizeof(err));
	if (n < 0)
		log_warn("msg=\"SIGHUP: TLS certificate not reloaded; the old one stays\" error=\"%s\"", err);
	else if (n > 0)
		log_info("msg=\"SIGHUP: TLS certificate reloaded\" path=%s listeners=%d",
		    srv->cfg.tls_cert_key_file, n);
	if (srv->cfg.n_http_listen > 0)
		for (size_t i = 0; i < srv->cfg.n_http_listen; i++)
			if (strncmp(srv->cfg.http_listen[i], "https://", 8) == 0) {
				log_warn("msg=\"SIGHUP: https:// listeners keep their certificate until a restart\"");
				break;
			}
}

/* Waits for SIGINT or SIGTERM; a SIGHUP meanwhile reloads the JWKS, the
 * admin token and the TLS certificate, each on its own. */
static int
wait_for_signal(server *srv, transport *t)
{
	sigset_t set;
	int      sig = 0;
	char     err[512];

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0 || sig != SIGHUP)
			return sig;
		service_notify_reloading();
		if (srv->jwks != NULL)
			jwks_store_reload(srv->jwks, err, sizeof(err)); /* it logs either way */
		reload_token(srv);
		reload_tls(srv, t);
		if (srv->jwks == NULL && !srv->has_admin_token && srv->cfg.tls_cert_key_file == NULL)
			log_info("msg=\"SIGHUP: nothing to reload (no --jwks-file, token or TLS files)\"");
		service_notify_logged("READY=1");
	}
}

int
main(int argc, char **argv)
{
	static server srv;
	server_config cfg;
	transport    *t = NULL;
	metrics_http *metrics_server = NULL;
	http_gateway *gateway = NULL;
	char          err[1024];
	sigset_t      set;

	log_init();
	if (config_parse(&cfg, argc, argv) != 0)
		return 2;
	log_set_level(cfg.log_level);
	/* Before any thread starts: they inherit the policy. Not fatal: the
	 * server works the same, only slower under load. */
	if (cpu_sched_apply(cfg.cpu_sched_batch, err, sizeof(err)) != 0)
		log_warn("msg=\"cannot set the scheduling policy\" error=\"%s\"", err);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (server_init(&srv, &cfg, err, sizeof(err)) != 0) {
		log_error("msg=\"cannot start\" error=\"%s\"", err);
		return 1;
	}
	transport_config tc;
	server_transport_config(&srv, &tc);
	srv.stats.transport = transport_stats_read; /* before any worker may ask */
	if (transport_start(&t, &tc, err, sizeof(err)) != 0) {
		log_error("msg=\"cannot start\" error=\"%s\"", err);
		server_fini(&srv);
		return 1;
	}
	/* Stats and /metrics show the transport's figures from here on; it
	 * outlives every reader (/metrics stops first, and transport_free
	 * joins the workers before it frees anything). A Stats call already
	 * on a worker sees NULL or t, never half of it. */
	atomic_store(&srv.stats.transport_arg, t);
	server_start_warming(&srv);
	for (size_t i = 0; i < cfg.n_listen; i++)
		log_info("msg=listening url=%s", cfg.listen[i]);
	if (cfg.metrics_listen != NULL &&
	    metrics_http_start(&metrics_server,
	        &(metrics_http_config){ .url = cfg.metrics_listen, .sources = &srv.stats,
	            .auth = &srv.dispatch.auth },
	        err, sizeof(err)) != 0) {
		log_error("msg=\"cannot start\" error=\"%s\"", err);
		transport_free(t);
		server_fini(&srv);
		return 1;
	}
	if (cfg.n_http_listen > 0 && start_gateway(&cfg, &srv, t, &gateway, err, sizeof(err)) != 0) {
		log_error("msg=\"cannot start\" error=\"%s\"", err);
		metrics_http_stop(metrics_server);
		transport_free(t);
		server_fini(&srv);
		return 1;
	}
	log_info("msg=started version=%s env=%s db=\"%s\" db_from=%s replicas=%zu sql_dir=%s "
	         "workers=%d pool_max=%d cpu_sched=%s pipeline_depth=%d",
	    CRUDDUR_VERSION_STRING, cfg.prod ? "prod" : "dev", srv.db.masked, cfg.db_url_source,
	    cfg.n_db_replica, srv.sql_dir, cfg.workers, cfg.pool_max,
	    cfg.cpu_sched_batch ? "batch" : "normal", cfg.pipeline_depth);
	if (cfg.pid_file != NULL)
		write_file_atomically(cfg.pid_file, NULL, NULL, (long)getpid());
	if (cfg.ready_file != NULL)
		write_file_atomically(cfg.ready_file, t, gateway, 0);
	service_notify_logged("READY=1\nSTATUS=serving");

	int     sig = wait_for_signal(&srv, t);
	int64_t stop_began_us = clock_mono_us();
	service_notify_logged("STOPPING=1\nSTATUS=draining");
	log_info("msg=stopping signal=%s drain_timeout_ms=%d", sig == SIGINT ? "SIGINT" : "SIGTERM",
	    cfg.drain_timeout_ms);
	if (cfg.ready_file != NULL)
		unlink(cfg.ready_file);
	int left = transport_drain(t, cfg.drain_timeout_ms);
	if (left > 0)
		log_warn("msg=\"drain timed out\" in_flight=%d", left);
	http_gateway_close(gateway); /* before transport_free: nothing more reaches it */
	/* transport_free is bounded even when nng_close hangs (it then goes
	 * on without it); the joins are bounded here. */
	stop_rest rest = { .srv = &srv, .t = t, .metrics_server = metrics_server,
		.gateway = gateway, .done = false };
	bool      done = finish_stop(&rest,
	         stop_began_us + (int64_t)cfg.drain_timeout_ms * 1000 + STOP_SLACK_US);
	if (cfg.pid_file != NULL)
		unlink(cfg.pid_file);
	long long took_ms = (long long)((clock_mono_us() - stop_began_us) / 1000);
	if (!done) {
		log_warn("msg=\"stop did not finish in time: exiting without it\" took_ms=%lld", took_ms);
		_exit(0);
	}
	log_info("msg=stopped took_ms=%lld", took_ms);
	return 0;
}
