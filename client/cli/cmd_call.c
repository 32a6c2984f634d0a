/*
 * cmd_call.c - `cruddur call METHOD [JSON | -]`: any method, by its full
 * name, with a request written as canonical proto3 JSON.
 *
 * The method comes from the generated table of every method
 * (cruddur_methods in cruddur/stubs.h), so a method added to a .proto can
 * be called without C code of its own. The request is the argument, or
 * standard input when it is "-" or missing; libcruddur reads it
 * (cruddur_json_parse) and the call goes out through cruddur_client_call
 * with the CLI's server, token, TLS and deadline like every other command.
 * The reply is printed as canonical JSON, indented; a failure is
 * "cruddur: call METHOD: STATUS: message" on stderr, exit 1. A request that
 * is not good JSON for the method is a usage error (exit 2, nothing sent),
 * as other commands' bad arguments are.
 *
 * One thread; the request and the reply are freed before it returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "cmd_call.h"
#include "print.h"

/* A request read from stdin may be up to four times the largest request
 * the client sends: JSON is wordier than protobuf. */
#define MAX_JSON_BYTES (4 * CRUDDUR_DEFAULT_MAX_REQUEST_BYTES)

/* All of stdin into a malloc'd buffer; NULL (after saying why) on failure. */
static char *
read_stdin(size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char  *buf = malloc(cap);

	while (buf != NULL && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n > MAX_JSON_BYTES) {
			fprintf(stderr, "cruddur: call: the request on stdin is over %u bytes\n",
			    (unsigned)MAX_JSON_BYTES);
			free(buf);
			return NULL;
		}
		if (n == cap) {
			char *bigger = realloc(buf, cap *= 2);
			if (bigger == NULL)
				free(buf);
			buf = bigger;
		}
	}
	if (buf != NULL && ferror(stdin)) {
		fprintf(stderr, "cruddur: call: cannot read the request from stdin\n");
		free(buf);
		return NULL;
	}
	if (buf == NULL)
		fprintf(stderr, "cruddur: call: out of memory\n");
	*len = n;
	return buf;
}

int
cmd_call(cli *c, int argc, char **argv)
{
	const cruddur_method *method;
	ProtobufCMessage     *req = NULL, *resp = NULL;
	const cli_args        spec = { .what = "call", .max_positional = -1, .rest_after_dashdash = true };
	char                  err[512], what[300], *stdin_json = NULL;
	const char           *json;
	size_t                len;
	int                   rv;

	/* Global options may follow the method and the request too. */
	if ((rv = cli_args_parse(c, &spec, argc, argv, &argc)) != 0)
		return rv;
	cruddur_call_opts opts = cli_call_opts(c);
	if (argc < 1 || argc > 2)
		return cli_usage_error("call takes METHOD and at most one JSON request (or -)");
	if ((method = cruddur_method_find(argv[0])) == NULL)
		return cli_usage_error("unknown method \"%s\" (cruddur methods lists the server's)", argv[0]);
	snprintf(what, sizeof(what), "call %s", method->full_name);
	if (argc == 2 && strcmp(argv[1], "-") != 0) {
		json = argv[1];
		len = strlen(json);
	} else {
		if (isatty(STDIN_FILENO))
			fprintf(stderr, "cruddur: call: reading the request from the terminal (end it with ^D)\n");
		if ((stdin_json = read_stdin(&len)) == NULL)
			return EXIT_CALL_FAILED;
		json = stdin_json;
	}
	cruddur_status st = cruddur_json_parse(method->input, json, len, &req, err, sizeof(err));
	free(stdin_json);
	if (st != CRUDDUR_OK) {
		fprintf(stderr, "cruddur: %s: %s: request: %s\n", what, cruddur_status_name(st), err);
		return st == CRUDDUR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_CALL_FAILED;
	}
	if ((rv = cli_connect(c)) != 0) {
		cruddur_message_free(req);
		return rv;
	}
	st = cruddur_client_call(c->client, method, req, &resp, &opts);
	cruddur_message_free(req);
	if (st != CRUDDUR_OK)
		return cli_call_failed(what, st, &opts);
	print_json_pretty(stdout, resp);
	cruddur_message_free(resp);
	return 0;
}
