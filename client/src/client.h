/*
 * client.h - client.c's private side, for tests: libcruddur's users see
 * the client through cruddur/client.h only.
 *
 * Threads: safe from any thread (one lock, held for a read).
 */
#ifndef CRUDDUR_CLIENT_PRIVATE_H
#define CRUDDUR_CLIENT_PRIVATE_H

/* How many clients cruddur_client_close left allocated because nng_close
 * outlasted its bound (tests read it: nng_fini would then wait for ever). */
int cruddur_i_call_clients_abandoned(void);

#endif /* CRUDDUR_CLIENT_PRIVATE_H */
