/*
 * service_notify.h - tell the service manager what cruddurd is doing: the
 * sd_notify protocol, without libsystemd.
 *
 * systemd (Type=notify) puts the address of a unix datagram socket in
 * $NOTIFY_SOCKET: a path ("/run/systemd/notify") or, with a leading '@', a
 * name in the abstract namespace. Each state change is one datagram of
 * newline-separated KEY=VALUE assignments: READY=1 once serving,
 * RELOADING=1 with MONOTONIC_USEC=<CLOCK_MONOTONIC in us> when a reload
 * begins (READY=1 again when it ends), STOPPING=1 when the stop begins
 * (sd_notify(3)). Without $NOTIFY_SOCKET nothing is sent.
 *
 * Thread-safe: each call opens, sends on and closes a socket of its own.
 */
#ifndef CRUDDUR_SERVICE_NOTIFY_H
#define CRUDDUR_SERVICE_NOTIFY_H

#include <stddef.h>

/* Sends state (KEY=VALUE lines) to $NOTIFY_SOCKET. Returns 0 when sent or
 * when there is no $NOTIFY_SOCKET; -1 with a message in err otherwise (an
 * address too long or of a kind it does not know, the socket gone). Never
 * blocks: the send is MSG_DONTWAIT. */
int service_notify(const char *state, char *err, size_t errlen);

/* service_notify, logging a failure as a warning (not fatal: the server
 * serves the same; the service manager just does not hear of it). */
void service_notify_logged(const char *state);

/* RELOADING=1 with the MONOTONIC_USEC systemd wants beside it. */
void service_notify_reloading(void);

#endif /* CRUDDUR_SERVICE_NOTIFY_H */
