/*
 * tls_swap.h - give a running tls+tcp:// listener a new TLS configuration
 * (transport_tls_reload, on SIGHUP).
 */
#ifndef CRUDDUR_TLS_SWAP_H
#define CRUDDUR_TLS_SWAP_H

#include <stddef.h>

#include <nng/nng.h>

typedef struct nng_tls_config nng_tls_config;

/* Makes cfg the TLS configuration of connections l accepts from now on
 * (l takes its own reference). Returns 0, or -1 with a message. */
int tls_swap(nng_listener l, nng_tls_config *cfg, char *err, size_t errlen);

#endif /* CRUDDUR_TLS_SWAP_H */
