/*
 * cli.h - what the cruddur CLI's commands share (cli.c): global options,
 * the client, and how a failed call is reported. Each command's entry is
 * in a header of its own name (cmd_db.h, cmd_feed.h, ...), called by
 * main.c with the arguments after its name; commands call only this,
 * args.h (their command line: call cli_args_parse first) and print.h.
 *
 * Exit codes: 0 success, 1 a call failed (status and message on stderr),
 * 2 a usage error.
 */
#ifndef CRUDDUR_CLI_H
#define CRUDDUR_CLI_H

#include <stdbool.h>

#include "cruddur/cruddur.h"
#include "print.h"
#include "tool_env.h"

#define CLI_MAX_SERVERS 16
#define CLI_DEFAULT_SERVER TOOL_DEFAULT_SERVER
#define CLI_DEFAULT_TIMEOUT_MS 30000

enum { EXIT_CALL_FAILED = 1, EXIT_USAGE = 2 };

/* The global options (args.c reads them), then what they lead to. */
typedef struct cli {
	/* --server URLs, servers[0..n_servers_given-1]; n_servers counts them,
	 * or the one from the environment or the default (cli_globals_finish). */
	const char     *servers[CLI_MAX_SERVERS];
	size_t          n_servers;
	size_t          n_servers_given;
	bool            prod; /* --prod: CRUDDUR_PROD_SERVER, PROD_CONNECTION_URL */
	bool            json;
	uint32_t        timeout_ms;
	/* tls+tcp://: --tls-ca or $CRUDDUR_TLS_CA_FILE, --tls-cert or
	 * $CRUDDUR_TLS_CERT_FILE (certificate and key, one PEM file). */
	const char     *tls_ca_file;
	const char     *tls_cert_key_file;
	const char     *tls_server_name;
	/* --token-file F, else the file $CRUDDUR_TOKEN_FILE, else the value
	 * $CRUDDUR_TOKEN: sent as "authorization" metadata (tool_env.h). */
	const char     *token_file;
	tool_token      auth;
	cruddur_client *client;
} cli;

/* Opens the client on first use. Returns 0, or an exit code after saying
 * why on stderr. */
int cli_connect(cli *c);

/* Call options with the CLI's deadline. */
cruddur_call_opts cli_call_opts(const cli *c);

/* Reports a failed call on stderr ("cruddur: db setup: UNAVAILABLE: ...")
 * and returns EXIT_CALL_FAILED. */
int cli_call_failed(const char *what, cruddur_status st, const cruddur_call_opts *opts);

/* Reports a usage error and returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a whole decimal number in [min, max]; -1 when it is not one. */
int cli_parse_int(const char *s, long min, long max, long *out);

/*
 * The body of most commands: connect, call `stub` with `req`, report a
 * failure, print the response (JSON with --json, else show(resp)), free
 * it, and return the exit code from the enclosing command function.
 */
#define CLI_CALL(c, what, stub, req, resp_t, show)                              \
	do {                                                                    \
		resp_t           *resp_ = NULL;                                 \
		cruddur_call_opts opts_ = cli_call_opts(c);                     \
		int               rv_ = cli_connect(c);                         \
		if (rv_ != 0)                                                   \
			return rv_;                                             \
		cruddur_status st_ = stub((c)->client, &(req), &resp_, &opts_); \
		if (st_ != CRUDDUR_OK)                                          \
			return cli_call_failed(what, st_, &opts_);              \
		if ((c)->json)                                                  \
			print_json(stdout, &resp_->base);                       \
		else                                                            \
			show(resp_);                                            \
		cruddur_message_free(resp_);                                    \
		return 0;                                                       \
	} while (0)

#endif /* CRUDDUR_CLI_H */
