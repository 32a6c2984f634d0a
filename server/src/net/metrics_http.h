/*
 * metrics_http.h - the same figures as Stats, as Prometheus text on an
 * HTTP endpoint (GET /metrics), served by nng's HTTP server; with
 * --require-token only to "Authorization: Bearer <token>" (401 otherwise).
 */
#ifndef CRUDDUR_METRICS_HTTP_H
#define CRUDDUR_METRICS_HTTP_H

#include <stdio.h>

#include "server.h"

typedef struct metrics_http metrics_http;

/* Writes every metric in the Prometheus text format (version 0.0.4). */
void metrics_write_prometheus(server *s, FILE *f);

/* Serves GET /metrics at url ("http://127.0.0.1:9464"). Returns 0, or -1
 * with a message. */
int  metrics_http_start(metrics_http **out, server *s, const char *url, char *err, size_t errlen);
void metrics_http_stop(metrics_http *h);

#endif /* CRUDDUR_METRICS_HTTP_H */
