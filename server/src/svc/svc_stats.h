/*
 * svc_stats.h - the Stats service: GetStats answers with a stats snapshot
 * (stats_snapshot.h), the same figures GET /metrics shows.
 */
#ifndef CRUDDUR_SVC_STATS_H
#define CRUDDUR_SVC_STATS_H

#include "rpc_handlers.h"
#include "svc/stats_snapshot.h"

/* Sets the GetStats handler, which reads src (borrowed: it must live as
 * long as h serves; what the wiring fills in later, the transport and the
 * reactor, is read at each call). One set of sources per process. */
void svc_stats_register(rpc_handlers *h, const stats_sources *src);

#endif /* CRUDDUR_SVC_STATS_H */
