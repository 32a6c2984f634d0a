/*
 * cancel_sender.h - PostgreSQL cancel requests sent from a thread of their
 * own.
 *
 * Why: PQcancel opens a new connection to the server and waits for it,
 * with no timeout of its own. On the read reactor's thread, a database
 * host that stopped answering would stall every read until the kernel
 * gave up connecting (minutes): the requests it could have answered
 * DEADLINE_EXCEEDED would wait with it. Posted here, a cancel costs the
 * poster a queue push.
 *
 * A cancel may go out later than it would have inline, so a connection
 * whose cancel has not gone yet could see it land on its next statement:
 * the pool waits a little for it (cancel_sender_wait), and closes the
 * connection instead of reusing it if it still has not gone. A cancel holds its own copy of the server's
 * address and keys: it may go after its connection was closed, and then
 * does nothing.
 */
#ifndef CRUDDUR_CANCEL_SENDER_H
#define CRUDDUR_CANCEL_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

typedef struct cancel_sender cancel_sender;

/* Starts the sending thread. Returns 0 or an errno value. */
int cancel_sender_new(cancel_sender **out);

/* Sends cancel (from PQgetCancel; the sender frees it) soon, and returns
 * its ticket. When the queue cannot take it (out of memory), sends it
 * here and now. */
uint64_t cancel_sender_post(cancel_sender *s, PGcancel *cancel);

/* Whether the cancel of that ticket has gone (PQcancel returned), waiting
 * for it up to timeout_ms. */
bool cancel_sender_wait(cancel_sender *s, uint64_t ticket, int timeout_ms);

/* Stops the thread, dropping what is queued, and frees s; a cancel being
 * sent is waited for 200 ms at most, then left to end on its own. */
void cancel_sender_free(cancel_sender *s);

#endif /* CRUDDUR_CANCEL_SENDER_H */
