/*
 * client_state.h - struct cruddur_client: what a client holds, read by its
 * lifecycle (client.c) and by every call (call.c, call_async.c).
 *
 * A type and nothing else, so that the files that share it need not
 * include each other: client.c opens and closes the client, call.c and
 * call_async.c only read it (and count themselves in `active`).
 *
 * Threads: the socket is nng's and thread-safe; the counters and flags are
 * atomics; the slots have their own lock (call_slots.h). Ownership: the
 * client is made by cruddur_client_open_config and freed by
 * cruddur_client_close, once no call is counted in `active`.
 * Private to libcruddur; nothing here is in client/include.
 */
#ifndef CRUDDUR_CLIENT_STATE_H
#define CRUDDUR_CLIENT_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "cruddur/client.h"
#include "call_slots.h"

struct cruddur_client {
	nng_socket       sock;
	/* Calls in progress (an async one until its callback has returned),
	 * and whether close has begun: close waits for the count to reach
	 * zero before it frees the client. */
	atomic_int       active;
	atomic_bool      closing;
	atomic_uint_least64_t next_request_id;
	size_t           max_request_bytes;
	call_slots       slots; /* contexts and aios kept between calls */
	/* Next on client.c's list of clients whose close outlasted nng. */
	struct cruddur_client *abandoned_next;
};

#endif /* CRUDDUR_CLIENT_STATE_H */
