/*
 * http_gateway_server.c - the HTTP gateway's servers: start (one nng HTTP
 * server per --http-listen URL, shared with a --metrics-listen on the same
 * address by nng_http_server_hold, TLS for https://), the URLs they are bound
 * to, and the stop; the requests are http_gateway.c's.
 *
 * Start and stop run on main's threads; the counts they wait on are atomics
 * (http_gateway_internal.h).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include "base/clock.h"
#include "net/http_gateway_internal.h"
#include "net/tls_config.h"
#include "obs/log.h"

/* How long http_gateway_stop lets the responses handed to nng be written
 * before it closes the connections, and then waits for the calls that were
 * still reading their bodies to let go. */
#define STOP_SETTLE_MS 50
#define STOP_BOUND_MS  1000

/* One server: held (shared with a --metrics-listen on the same address),
 * TLS for https://, our handler, started. */
static int
serve_on(http_gateway *gw, const char *url, nng_tls_config **tls, char *err, size_t errlen)
{
	nng_http_server  *s = NULL;
	nng_http_handler *h = NULL;
	nng_url          *u = NULL;
	int               rv;

	if ((rv = nng_url_parse(&u, url)) != 0 || (rv = nng_http_server_hold(&s, u)) != 0)
		goto fail;
	if (strncmp(url, "https://", 8) == 0) {
		if (*tls == NULL && (gw->cfg.tls_cert_key_file == NULL ||
		    tls_config_server(gw->cfg.tls_cert_key_file, gw->cfg.tls_client_ca_file,
		        tls, err, errlen) != 0)) {
			if (gw->cfg.tls_cert_key_file == NULL)
				snprintf(err, errlen, "https:// needs --tls-cert-key-file");
			nng_http_server_release(s);
			nng_url_free(u);
			return -1;
		}
		if ((rv = nng_http_server_set_tls(s, *tls)) != 0)
			goto fail;
	}
	if ((rv = nng_http_handler_alloc(&h, "/", gw_serve)) != 0 ||
	    (rv = nng_http_handler_set_method(h, NULL)) != 0 ||
	    (rv = nng_http_handler_set_tree(h)) != 0 ||
	    (rv = nng_http_handler_collect_body(h, false, 0)) != 0 ||
	    (rv = nng_http_handler_set_data(h, gw, NULL)) != 0 ||
	    (rv = nng_http_server_add_handler(s, h)) != 0) {
		nng_http_handler_free(h);
		goto fail;
	}
	if ((rv = nng_http_server_start(s)) != 0) /* the handler is the server's now */
		goto fail;
	gw->servers[gw->n_servers] = s;
	gw->urls[gw->n_servers++] = u;
	return 0;
fail:
	snprintf(err, errlen, "cannot serve HTTP on %s: %s", url, nng_strerror(rv));
	if (s != NULL)
		nng_http_server_release(s);
	if (u != NULL)
		nng_url_free(u);
	return -1;
}

int
http_gateway_start(http_gateway **out, const http_gateway_config *cfg, char *err, size_t errlen)
{
	http_gateway   *gw;
	nng_tls_config *tls = NULL;
	int             rv = 0;

	if (cfg->n_listen > HTTP_GATEWAY_MAX_SERVERS) {
		snprintf(err, errlen, "at most %d HTTP listeners", HTTP_GATEWAY_MAX_SERVERS);
		return -1;
	}
	if ((gw = calloc(1, sizeof(*gw))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	gw->cfg = *cfg;
	atomic_init(&gw->calls, 0);
	atomic_init(&gw->entering, 0);
	atomic_init(&gw->closed, false);
	/* Ids apart from the nng callers' small ones, so the log tells them apart. */
	atomic_init(&gw->next_id, (uint_fast64_t)1 << 48);
	for (size_t i = 0; rv == 0 && i < cfg->n_listen; i++)
		rv = serve_on(gw, cfg->listen[i], &tls, err, errlen);
	if (tls != NULL)
		nng_tls_config_free(tls); /* each server holds its own reference */
	if (rv != 0) {
		http_gateway_close(gw);
		http_gateway_stop(gw);
		return -1;
	}
	*out = gw;
	return 0;
}

void
http_gateway_write_urls(http_gateway *gw, FILE *f)
{
	for (size_t i = 0; i < gw->n_servers; i++) {
		nng_url     *u = gw->urls[i];
		nng_sockaddr sa;
		unsigned     port = (unsigned)atoi(u->u_port);
		if (nng_http_server_get_addr(gw->servers[i], &sa) == 0) {
			if (sa.s_family == NNG_AF_INET)
				port = ntohs(sa.s_in.sa_port);
			else if (sa.s_family == NNG_AF_INET6)
				port = ntohs(sa.s_in6.sa_port);
		}
		bool v6 = strchr(u->u_hostname, ':') != NULL;
		fprintf(f, "%s://%s%s%s:%u\n", u->u_scheme, v6 ? "[" : "", u->u_hostname, v6 ? "]" : "",
		    port);
	}
}

void
http_gateway_close(http_gateway *gw)
{
	if (gw == NULL)
		return;
	atomic_store(&gw->closed, true);
	while (atomic_load(&gw->entering) > 0)
		nng_msleep(1);
}

/* Waits up to ms for the held calls to be 0; returns whether they are. */
static bool
wait_calls(http_gateway *gw, int ms)
{
	int64_t until = clock_mono_us() + (int64_t)ms * 1000;

	while (atomic_load(&gw->calls) > 0 && clock_mono_us() < until)
		nng_msleep(2);
	return atomic_load(&gw->calls) == 0;
}

void
http_gateway_stop(http_gateway *gw)
{
	if (gw == NULL)
		return;
	http_gateway_close(gw);
	/* Every call that reached the transport was answered in
	 * transport_free; those still reading a body end when their
	 * connections close below. */
	wait_calls(gw, STOP_SETTLE_MS);
	nng_msleep(STOP_SETTLE_MS); /* the last responses on their way out */
	for (size_t i = 0; i < gw->n_servers; i++)
		nng_http_server_stop(gw->servers[i]);
	bool idle = wait_calls(gw, STOP_BOUND_MS);
	for (size_t i = 0; i < gw->n_servers; i++) {
		nng_http_server_release(gw->servers[i]);
		nng_url_free(gw->urls[i]);
	}
	if (!idle) {
		log_warn("msg=\"HTTP calls still held at stop: going on without them\" calls=%d",
		    atomic_load(&gw->calls));
		return; /* gw stays allocated: a call still points at it */
	}
	free(gw);
}
