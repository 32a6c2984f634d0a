/*
 * tls_config.h - a TLS server configuration from PEM files, shared by the
 * nng listeners (transport.c, tls_swap.c) and the HTTP gateway's https://.
 */
#ifndef CRUDDUR_TLS_CONFIG_H
#define CRUDDUR_TLS_CONFIG_H

#include <stddef.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

/* A TLS server configuration with the certificate chain and key in
 * cert_key_file (PEM), requiring client certificates signed by
 * client_ca_file unless it is NULL; for tls+tcp:// and https:// listeners.
 * Returns 0 (*out is the caller's: nng_tls_config_free), or -1 with a
 * message. */
int tls_config_server(const char *cert_key_file, const char *client_ca_file,
    nng_tls_config **out, char *err, size_t errlen);

#endif /* CRUDDUR_TLS_CONFIG_H */
