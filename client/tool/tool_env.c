/*
 * tool_env.c - the server, token and TLS settings of cruddur and
 * cruddur-bench, from flags and environment (tool_env.h). One thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_env.h"

int
tool_token_load(tool_token *t, const char *file, char *err, size_t errlen)
{
	const char *env = getenv("CRUDDUR_TOKEN");
	const char *env_file = getenv("CRUDDUR_TOKEN_FILE");
	const char *from = "--token-file";

	memset(t, 0, sizeof(*t));
	if (file == NULL && env_file != NULL && env_file[0] != '\0') {
		file = env_file;
		from = "$CRUDDUR_TOKEN_FILE";
	}
	if (file != NULL) {
		FILE *f = fopen(file, "r");
		if (f == NULL || fgets(t->token, sizeof(t->token), f) == NULL) {
			if (f != NULL)
				fclose(f);
			memset(t, 0, sizeof(*t));
			snprintf(err, errlen, "cannot read a token from %s (%s)", file, from);
			return -1;
		}
		fclose(f);
		t->token[strcspn(t->token, "\r\n")] = '\0';
	} else if (env != NULL && env[0] != '\0') {
		snprintf(t->token, sizeof(t->token), "%s", env);
	}
	if (t->token[0] != '\0') {
		t->metadata[0] = (cruddur_metadata){ "authorization", t->token };
		t->n_metadata = 1;
	}
	return 0;
}

const char *
tool_env_server(const char *var)
{
	const char *url = getenv(var);
	return url != NULL && url[0] != '\0' ? url : NULL;
}

void
tool_tls_from_env(cruddur_client_config *cfg)
{
	if (cfg->tls_ca_file == NULL)
		cfg->tls_ca_file = getenv("CRUDDUR_TLS_CA_FILE");
	if (cfg->tls_cert_key_file == NULL)
		cfg->tls_cert_key_file = getenv("CRUDDUR_TLS_CERT_FILE");
}
