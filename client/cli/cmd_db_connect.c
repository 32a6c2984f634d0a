/*
 * cmd_db_connect.c - `cruddur db connect [-- PSQL_ARGS...]`: psql on the URL
 * that the server would use ($CONNECTION_URL, $PROD_CONNECTION_URL with
 * --prod). It talks to the database directly, not through cruddurd.
 *
 * The password never reaches psql's argv: /proc/PID/cmdline is readable by
 * every local user. libpq parses the URL (or key=value conninfo); psql gets
 * every setting but the password as a key='value' conninfo after -d, and the
 * password in PGPASSWORD, in its environment (/proc/PID/environ is readable
 * by its owner and root only). An sslpassword (the client key's passphrase)
 * has no such variable: a URL with one is refused, and libpq asks for the
 * passphrase on the terminal instead. The process execs psql, so nothing is
 * left to clean up afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "args.h"
#include "cli.h"
#include "cmd_db_connect.h"

/* Appends value to out (which has room) quoted for a conninfo string:
 * inside single quotes, ' and \ escaped with a backslash. */
static char *
append_quoted(char *out, const char *value)
{
	*out++ = '\'';
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\'' || *p == '\\')
			*out++ = '\\';
		*out++ = *p;
	}
	*out++ = '\'';
	return out;
}

/*
 * The conninfo of opts without the password, as a malloc'd string the
 * caller frees; *password points into opts (NULL when there is none).
 * NULL when out of memory.
 */
static char *
conninfo_without_password(const PQconninfoOption *opts, const char **password)
{
	size_t len = 1;
	char  *conninfo, *out;

	*password = NULL;
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && o->val[0] != '\0')
			len += strlen(o->keyword) + 2 * strlen(o->val) + 4; /* key='v' and a space */
	if ((conninfo = malloc(len)) == NULL)
		return NULL;
	out = conninfo;
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			*password = o->val;
			continue;
		}
		if (out != conninfo)
			*out++ = ' ';
		size_t klen = strlen(o->keyword);
		memcpy(out, o->keyword, klen);
		out += klen;
		*out++ = '=';
		out = append_quoted(out, o->val);
	}
	*out = '\0';
	return conninfo;
}

/* libpq's message may quote the whole URL, password included: that part is
 * shown as "$CONNECTION_URL" instead. */
static void
report_parse_error(const char *env, const char *url, const char *msg)
{
	const char *at = msg != NULL ? strstr(msg, url) : NULL;

	if (msg == NULL)
		msg = "out of memory\n";
	fprintf(stderr, "cruddur: db connect: $%s is not a database URL: ", env);
	if (at != NULL)
		fprintf(stderr, "%.*s$%s%s", (int)(at - msg), msg, env, at + strlen(url));
	else
		fputs(msg, stderr);
}

int
cmd_db_connect(cli *c, int argc, char **argv)
{
	const char        *env = c->prod ? "PROD_CONNECTION_URL" : "CONNECTION_URL";
	const char        *url = getenv(env);
	const char        *password;
	char              *parse_err = NULL, *conninfo;
	PQconninfoOption *opts;
	const cli_args    spec = { .what = "db connect",
		   .unknown_prefix = "db connect: psql's arguments go after --, not ",
		   .rest_after_dashdash = true };
	int               extra, rv;

	/* The global options may come before "--"; psql's come after it. */
	if ((rv = cli_args_parse(c, &spec, argc, argv, &extra)) != 0)
		return rv;
	env = c->prod ? "PROD_CONNECTION_URL" : "CONNECTION_URL";
	url = getenv(env);
	if (url == NULL || url[0] == '\0') {
		fprintf(stderr, "cruddur: db connect: set %s to the database URL\n", env);
		return EXIT_USAGE;
	}
	if ((opts = PQconninfoParse(url, &parse_err)) == NULL) {
		report_parse_error(env, url, parse_err);
		PQfreemem(parse_err);
		return EXIT_USAGE;
	}
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "sslpassword") == 0 && o->val != NULL && o->val[0] != '\0') {
			PQconninfoFree(opts);
			return cli_usage_error("db connect: $%s has an sslpassword, which psql could only "
			    "get on its command line (readable by every local user): leave it out, psql "
			    "asks for the key's passphrase", env);
		}
	if ((conninfo = conninfo_without_password(opts, &password)) == NULL ||
	    (password != NULL && setenv("PGPASSWORD", password, 1) != 0)) {
		perror("cruddur: db connect");
		free(conninfo);
		PQconninfoFree(opts);
		return EXIT_CALL_FAILED;
	}

	/* psql -d CONNINFO, then what came after --. */
	char **args = calloc((size_t)extra + 4, sizeof(*args));
	if (args == NULL) {
		perror("cruddur: db connect");
		free(conninfo);
		PQconninfoFree(opts);
		return EXIT_CALL_FAILED;
	}
	args[0] = "psql";
	args[1] = "-d";
	args[2] = conninfo;
	for (int i = 0; i < extra; i++)
		args[3 + i] = argv[i];
	fflush(stdout);
	execvp("psql", args);
	perror("cruddur: db connect: cannot run psql");
	free(args);
	free(conninfo);
	PQconninfoFree(opts);
	return EXIT_CALL_FAILED;
}
