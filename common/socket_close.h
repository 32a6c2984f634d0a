/*
 * socket_close.h - nng_close with a bound on how long the caller waits.
 *
 * nng 1.5.2 (Debian 12) can hang in nng_close for ever: its reaper thread
 * waits in a protocol's pipe_stop (nni_aio_stop, then nni_task_wait) for a
 * pipe aio whose task was prepared (nni_aio_begin) but never ends, and
 * nng_close waits for that pipe to be reaped. Upstream: nanomsg/nng#1543,
 * #1813, fixed in nng 1.8 (PR #1824). Nothing a caller does afterwards can
 * free that pipe, so the close is left to finish, or not, on a thread of
 * its own, and the caller goes on once the bound has passed.
 *
 * Used by cruddurd's transport_free and by cruddur_client_close; shared
 * code of libcruddur, not part of its public API.
 */
#ifndef CRUDDUR_SOCKET_CLOSE_H
#define CRUDDUR_SOCKET_CLOSE_H

#include <stdbool.h>

#include <nng/nng.h>

/* Closes sock on a detached thread and waits at most timeout_ms for it.
 * Returns true when nng_close returned in time: the socket, its contexts
 * and its pipes are gone, and no callback of an aio on it is running.
 * False: nng_close is still running (or stuck). It may still call back
 * into aios that were on the socket, so the caller must keep alive what
 * those callbacks touch (leave it allocated) rather than free it. The
 * close thread's few bytes are freed by whichever of the two ends last.
 * Without threads (pthread_create failed) it closes inline, unbounded. */
bool cruddur_i_socket_close_within(nng_socket sock, int timeout_ms);

#endif /* CRUDDUR_SOCKET_CLOSE_H */
