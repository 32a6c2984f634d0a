/*
 * cli.c - what the CLI's commands share (cli.h): the client, opened on
 * first use; call options with the CLI's deadline and token; failed calls
 * and usage errors reported the one way; whole numbers parsed strictly.
 *
 * One thread; the client is the cli's, closed by main.c after the command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("cruddur: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see cruddur --help)\n", stderr);
	return EXIT_USAGE;
}

int
cli_call_failed(const char *what, cruddur_status st, const cruddur_call_opts *opts)
{
	fprintf(stderr, "cruddur: %s: %s: %s\n", what, cruddur_status_name(st),
	    opts->message[0] ? opts->message : "(no message)");
	return EXIT_CALL_FAILED;
}

cruddur_call_opts
cli_call_opts(const cli *c)
{
	cruddur_call_opts opts;
	memset(&opts, 0, sizeof(opts));
	opts.deadline_ms = c->timeout_ms;
	opts.metadata = c->auth.metadata;
	opts.n_metadata = c->auth.n_metadata;
	return opts;
}

int
cli_connect(cli *c)
{
	char           err[512];
	cruddur_status st;

	if (c->client != NULL)
		return 0;
	cruddur_client_config cfg = {
		.urls = c->servers,
		.n_urls = c->n_servers,
		.tls_ca_file = c->tls_ca_file,
		.tls_cert_key_file = c->tls_cert_key_file,
		.tls_server_name = c->tls_server_name,
	};
	tool_tls_from_env(&cfg);
	st = cruddur_client_open_config(&c->client, &cfg, err, sizeof(err));
	if (st != CRUDDUR_OK) {
		fprintf(stderr, "cruddur: %s: %s\n", cruddur_status_name(st), err);
		return st == CRUDDUR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_CALL_FAILED;
	}
	return 0;
}
