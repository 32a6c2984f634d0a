/*
 * transport_stats.h - the transport's figures for the stats snapshot
 * (svc/stats_snapshot.h): the queue, the calls in flight and what the peer
 * limits did. The services cannot reach the transport (it is a layer
 * above them), so the wiring hands this function to the snapshot's sources
 * once the transport has started.
 */
#ifndef CRUDDUR_TRANSPORT_STATS_H
#define CRUDDUR_TRANSPORT_STATS_H

#include "svc/stats_snapshot.h"

/* A stats_transport_fn: arg is the transport (transport.h), which must
 * outlive every snapshot taken with it. */
void transport_stats_read(void *arg, stats_transport *out);

#endif /* CRUDDUR_TRANSPORT_STATS_H */
