/*
 * metrics_http.h - the same figures as Stats, as Prometheus text on an
 * HTTP endpoint (GET /metrics), served by nng's HTTP server; with
 * --require-token only to "Authorization: Bearer <token>" (401 otherwise).
 * Both show one stats snapshot (svc/stats_snapshot.h).
 */
#ifndef CRUDDUR_METRICS_HTTP_H
#define CRUDDUR_METRICS_HTTP_H

#include <stdbool.h>
#include <stdio.h>

#include "rpc/auth.h"
#include "svc/stats_snapshot.h"

typedef struct metrics_http metrics_http;

typedef struct metrics_http_config {
	const char          *url;     /* "http://127.0.0.1:9464" */
	const stats_sources *sources; /* borrowed: must outlive metrics_http_stop */
	const auth_config   *auth;    /* --require-token and the token; borrowed like sources */
} metrics_http_config;

/* Writes every metric of snap in the Prometheus text format (version 0.0.4). */
void metrics_write_prometheus(const Cruddur__V1__GetStatsResponse *snap, FILE *f);

/* Serves GET /metrics at cfg->url. Returns 0, or -1 with a message. */
int  metrics_http_start(metrics_http **out, const metrics_http_config *cfg, char *err, size_t errlen);
void metrics_http_stop(metrics_http *h);

#endif /* CRUDDUR_METRICS_HTTP_H */
