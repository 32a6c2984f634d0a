/*
 * tool_env.h - what the cruddur and cruddur-bench programs take from their
 * flags and environment alike (tool_env.c): the server, the token, TLS.
 *
 *   server  --server URL (repeatable), else $CRUDDUR_SERVER, else
 *           TOOL_DEFAULT_SERVER (the CLI's --prod: $CRUDDUR_PROD_SERVER)
 *   token   --token-file F, else the file $CRUDDUR_TOKEN_FILE, else the
 *           value $CRUDDUR_TOKEN; sent as "authorization" metadata
 *   TLS     --tls-ca or $CRUDDUR_TLS_CA_FILE, --tls-cert or
 *           $CRUDDUR_TLS_CERT_FILE, --tls-server-name
 *
 * Not part of libcruddur: a library takes its settings from its caller, never
 * from the environment; these are the programs' conventions.
 */
#ifndef CRUDDUR_TOOL_ENV_H
#define CRUDDUR_TOOL_ENV_H

#include <stddef.h>

#include "cruddur/cruddur.h"

#define TOOL_DEFAULT_SERVER "tcp://127.0.0.1:7432"

/* The token and the metadata that carries it; metadata points into token,
 * so a tool_token is never copied. */
typedef struct tool_token {
	char             token[4097];
	cruddur_metadata metadata[1];
	size_t           n_metadata; /* 0: no token */
} tool_token;

/*
 * Loads the token from file (the --token-file flag; NULL when not given),
 * else from $CRUDDUR_TOKEN_FILE, else $CRUDDUR_TOKEN, replacing what t held.
 * Returns 0 (with or without a token), or -1 with "cannot read a token from
 * F (--token-file)" in err. Two variables rather than one that may be
 * either: a token may look like a path, and a file keeps the token out of
 * the environment of everything the shell starts.
 */
int tool_token_load(tool_token *t, const char *file, char *err, size_t errlen);

/* $var when it is set and not empty, else NULL. */
const char *tool_env_server(const char *var);

/* Fills cfg's TLS files from $CRUDDUR_TLS_CA_FILE and $CRUDDUR_TLS_CERT_FILE
 * where the flags left them NULL. */
void tool_tls_from_env(cruddur_client_config *cfg);

#endif /* CRUDDUR_TOOL_ENV_H */
