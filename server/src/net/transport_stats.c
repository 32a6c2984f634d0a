/*
 * transport_stats.c - the transport's figures as the stats snapshot takes
 * them; see transport_stats.h. Reads atomics and the peers' counters only,
 * so it is safe on any thread while the transport lives.
 */
#include "net/transport.h"
#include "net/transport_stats.h"

void
transport_stats_read(void *arg, stats_transport *out)
{
	transport  *t = arg;
	peers_stats st;

	out->queue_depth = transport_queue_depth(t);
	out->in_flight = transport_in_flight(t);
	transport_connection_stats(t, &st);
	out->connections.open = st.open;
	out->connections.max_connections = st.max_connections;
	out->connections.max_requests_per_connection = st.max_requests;
	out->connections.refused_connections = (int64_t)st.refused_connections;
	out->connections.refused_requests = (int64_t)st.refused_requests;
	out->connections.dropped_requests = (int64_t)st.dropped_requests;
	out->connections.send_timeouts = (int64_t)st.send_timeouts;
	out->connections.recv_timeouts = (int64_t)st.recv_timeouts;
}
