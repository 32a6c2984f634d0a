/*
 * tls_config.c - the TLS server configuration of tls+tcp:// and https://
 * listeners, from the files the flags name (tls_config.h). No state.
 */
#include <stdio.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "net/tls_config.h"

int
tls_config_server(const char *cert_key_file, const char *client_ca_file,
    nng_tls_config **out, char *err, size_t errlen)
{
	nng_tls_config *tls;
	int             rv;

	if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_SERVER)) != 0)
		goto fail;
	if ((rv = nng_tls_config_cert_key_file(tls, cert_key_file, NULL)) != 0) {
		snprintf(err, errlen, "cannot use %s: %s", cert_key_file, nng_strerror(rv));
		nng_tls_config_free(tls);
		return -1;
	}
	if (client_ca_file != NULL &&
	    ((rv = nng_tls_config_ca_file(tls, client_ca_file)) != 0 ||
	        (rv = nng_tls_config_auth_mode(tls, NNG_TLS_AUTH_MODE_REQUIRED)) != 0)) {
		snprintf(err, errlen, "cannot use %s: %s", client_ca_file, nng_strerror(rv));
		nng_tls_config_free(tls);
		return -1;
	}
	*out = tls;
	return 0;
fail:
	snprintf(err, errlen, "TLS: %s", nng_strerror(rv));
	return -1;
}
