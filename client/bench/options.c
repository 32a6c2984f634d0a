/*
 * options.c - cruddur-bench's command line.
 *
 * Flags are an interface (issue 5): --server (repeatable), --concurrency,
 * --duration, --warmup, --rate, --method, --limit, --handle, --name,
 * --json, --deadline, --sync, --help; and, as the CLI takes them (issue 12,
 * client/tool/tool_env.h), $CRUDDUR_SERVER, --token-file ($CRUDDUR_TOKEN_FILE,
 * $CRUDDUR_TOKEN), --tls-ca, --tls-cert, --tls-server-name. getopt_long reads
 * them (`--flag value` or `--flag=value`, whole names only: tool_getopt.h).
 * Numbers are checked strictly: a typo is a usage error (exit 2), never a
 * silently different benchmark.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cruddur/version.h"
#include "options.h"
#include "tool_getopt.h"

static const char *const method_names[BENCH_N_METHODS] = {
	[BENCH_HOME_FEED] = "HomeFeed",
	[BENCH_CREATE_ACTIVITY] = "CreateActivity",
	[BENCH_SHOW_ACTIVITY] = "ShowActivity",
	[BENCH_USER_ACTIVITIES] = "UserActivities",
	[BENCH_LIST_METHODS] = "ListMethods",
	[BENCH_ANY] = "(a method by name)",
};

/* BENCH_ANY's name: the full name --method gave (one run per process). */
static const char *any_name;

const char *
bench_method_name(bench_method m)
{
	if (m == BENCH_ANY && any_name != NULL)
		return any_name;
	return m < BENCH_N_METHODS ? method_names[m] : "?";
}

static void
help(FILE *f)
{
	fprintf(f,
	    "usage: cruddur-bench [--server URL]... [--concurrency C] [--duration S]\n"
	    "                     [--warmup S] [--rate R] [--method SPEC] [--limit N]\n"
	    "                     [--handle H] [--request JSON] [--name NAME] [--deadline MS]\n"
	    "                     [--json]\n"
	    "                     [--sync] [--token-file F] [--tls-ca FILE] [--tls-cert FILE]\n"
	    "                     [--tls-server-name NAME] [--version]\n"
	    "\n"
	    "Load on a cruddurd through libcruddur's generated stubs. Every reply is\n"
	    "checked (status OK and the expected number of rows); errors are counted by\n"
	    "status. The calls are async (the *_async stubs): each call's callback starts\n"
	    "the next, and no thread waits on a call; --sync uses C threads blocked in\n"
	    "the blocking stubs instead, to compare. Prints one line on stdout:\n"
	    "    NAME req_per_s p50_us p99_us\n"
	    "and the errors by status on stderr. Exit 0 when every call succeeded, 1 when\n"
	    "some failed or came back wrong (the line is printed either way), 2 on a\n"
	    "usage error. It measures; it never judges speed.\n"
	    "\n"
	    "  --server URL       server to call (repeatable); default $CRUDDUR_SERVER, then\n"
	    "                     " TOOL_DEFAULT_SERVER "\n"
	    "  --concurrency C    calls in flight: C chains of calls, each started by the\n"
	    "                     previous one's callback (with --sync: C threads)\n"
	    "                     (default 16)\n"
	    "  --duration S       seconds measured (default 10; fractions allowed)\n"
	    "  --warmup S         seconds of load before measuring (default 1)\n"
	    "  --rate R           open loop: R calls/s in total on a fixed schedule, each\n"
	    "                     latency taken from its intended send time, so a stall\n"
	    "                     shows in the percentiles (coordinated omission is not\n"
	    "                     hidden); one thread sends each call when it is due, at\n"
	    "                     most C in flight, a due call waiting while C are\n"
	    "                     (default: closed loop)\n"
	    "  --method SPEC      HomeFeed (default), CreateActivity, ShowActivity,\n"
	    "                     UserActivities, ListMethods (Health: answered without\n"
	    "                     the database, the floor of the client, nng and the\n"
	    "                     server), any method by its full name\n"
	    "                     (cruddur.v1.Users/GetUser, with --request), or a\n"
	    "                     weighted mix METHOD:W,METHOD:W,...\n"
	    "  --request JSON     the request of a method named in full, in canonical\n"
	    "                     JSON (default {}); each reply must be OK\n"
	    "  --limit N          page size of HomeFeed and UserActivities (default 20)\n"
	    "  --handle H         author of CreateActivity (default hotwheels)\n"
	    "  --name NAME        first word of the summary line (default the method, or mix)\n"
	    "  --deadline MS      deadline of each call (default 5000)\n"
	    "  --json             a full report on stdout instead of the line: p50, p90,\n"
	    "                     p99, p99.9, max, the latency histogram, errors by status\n"
	    "  --sync             blocking calls from C caller threads (the old load, for\n"
	    "                     comparison); same line, same report\n"
	    "  --token-file F     the token, first line of F, sent with every call (a server\n"
	    "                     that wants it on every call refuses calls without it);\n"
	    "                     default the file $CRUDDUR_TOKEN_FILE, then the token\n"
	    "                     $CRUDDUR_TOKEN itself\n"
	    "  --tls-ca FILE      CA that signed a tls+tcp:// server's certificate\n"
	    "                     ($CRUDDUR_TLS_CA_FILE)\n"
	    "  --tls-cert FILE    this client's certificate and key, one PEM file\n"
	    "                     ($CRUDDUR_TLS_CERT_FILE)\n"
	    "  --tls-server-name NAME  name to verify in the server's certificate\n"
	    "  --version          print cruddur-bench's version and exit\n"
	    "  --help, -h         this text\n"
	    "\n"
	    "examples:\n"
	    "  cruddur-bench --server tcp://127.0.0.1:7432 --concurrency 16 --duration 10\n"
	    "  cruddur-bench --rate 5000 --concurrency 64 --duration 30 --json > report.json\n"
	    "  cruddur-bench --method HomeFeed:8,CreateActivity:1,ShowActivity:1 --limit 50\n"
	    "  cruddur-bench --server ipc:///tmp/a.sock --server ipc:///tmp/b.sock --name two\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cruddur-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(cruddur-bench --help shows the options)\n");
	return 2;
}

static int
parse_double(const char *flag, const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || *s == '\0' || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "cruddur-bench: %s must be a number from %g to %g, not \"%s\"\n", flag,
		    min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_int(const char *flag, const char *s, int min, int max, int *out)
{
	double v;
	if (parse_double(flag, s, min, max, &v) != 0)
		return -1;
	if (v != (double)(int)v) {
		fprintf(stderr, "cruddur-bench: %s must be a whole number, not \"%s\"\n", flag, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* "HomeFeed" or "HomeFeed:8,CreateActivity:1". */
static int
parse_methods(bench_options *o, const char *spec)
{
	char  buf[256];
	char *save = NULL;

	if (strlen(spec) >= sizeof(buf))
		return usage_error("--method \"%.40s...\" is too long", spec);
	strcpy(buf, spec);
	memset(o->weights, 0, sizeof(o->weights));
	o->weight_total = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		int   w = 1;
		if (colon != NULL) {
			*colon = '\0';
			if (parse_int("a --method weight", colon + 1, 1, 1000000, &w) != 0)
				return 2;
		}
		int m = 0;
		while (m < BENCH_ANY && strcmp(tok, method_names[m]) != 0)
			m++;
		if (m == BENCH_ANY && strchr(tok, '.') != NULL) {
			/* A full name: "cruddur.v1.Users/GetUser" (or grpcurl's dots). */
			const cruddur_method *any = cruddur_method_find(tok);
			if (any == NULL)
				return usage_error("unknown --method \"%s\" (cruddur methods lists them)", tok);
			if (o->any != NULL && o->any != any)
				return usage_error("--method names at most one method by its full name");
			o->any = any;
			any_name = any->full_name;
		} else if (m == BENCH_ANY) {
			return usage_error("unknown --method \"%s\" (HomeFeed, CreateActivity, "
			                   "ShowActivity, UserActivities, ListMethods, or a full name "
			                   "such as cruddur.v1.Users/GetUser)", tok);
		}
		o->weights[m] += (unsigned)w;
		o->weight_total += (unsigned)w;
	}
	if (o->weight_total == 0)
		return usage_error("--method \"%s\" names no method", spec);
	return 0;
}

static void
defaults(bench_options *o)
{
	memset(o, 0, sizeof(*o));
	o->concurrency = 16;
	o->duration_s = 10;
	o->warmup_s = 1;
	o->limit = 20;
	o->handle = "hotwheels";
	o->deadline_ms = 5000;
	o->weights[BENCH_HOME_FEED] = 1;
	o->weight_total = 1;
	o->progress = isatty(STDERR_FILENO);
}

enum { OPT_SERVER = 256, OPT_CONCURRENCY, OPT_DURATION, OPT_WARMUP, OPT_RATE, OPT_LIMIT,
	OPT_METHOD, OPT_HANDLE, OPT_NAME, OPT_DEADLINE, OPT_JSON, OPT_SYNC, OPT_TOKEN_FILE,
	OPT_TLS_CA, OPT_TLS_CERT, OPT_TLS_SERVER_NAME, OPT_REQUEST, OPT_VERSION, OPT_HELP };

static const struct option long_options[] = {
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "handle", required_argument, NULL, OPT_HANDLE },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "request", required_argument, NULL, OPT_REQUEST },
	{ "sync", no_argument, NULL, OPT_SYNC },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* One option, its value in v; returns 0, or 2 after printing the error. */
static int
parse_flag(bench_options *o, int opt, const char *flag, const char *v)
{
	int deadline;

	switch (opt) {
	case OPT_SERVER:
		if (o->n_servers == BENCH_MAX_SERVERS)
			return usage_error("at most %d --server URLs", BENCH_MAX_SERVERS);
		o->servers[o->n_servers++] = v;
		return 0;
	case OPT_CONCURRENCY: return parse_int(flag, v, 1, 4096, &o->concurrency) ? 2 : 0;
	case OPT_DURATION: return parse_double(flag, v, 0.01, 86400, &o->duration_s) ? 2 : 0;
	case OPT_WARMUP: return parse_double(flag, v, 0, 3600, &o->warmup_s) ? 2 : 0;
	case OPT_RATE: return parse_double(flag, v, 0.001, 1e7, &o->rate) ? 2 : 0;
	case OPT_LIMIT: return parse_int(flag, v, 1, 100, &o->limit) ? 2 : 0;
	case OPT_METHOD: return parse_methods(o, v);
	case OPT_HANDLE: o->handle = v; return 0;
	case OPT_REQUEST: o->request_json = v; return 0;
	case OPT_NAME: o->name = v; return 0;
	case OPT_DEADLINE:
		if (parse_int(flag, v, 1, 3600000, &deadline) != 0)
			return 2;
		o->deadline_ms = (uint32_t)deadline;
		return 0;
	case OPT_JSON: o->json = true; return 0;
	case OPT_SYNC: o->sync = true; return 0;
	case OPT_TOKEN_FILE: o->token_file = v; return 0;
	case OPT_TLS_CA: o->tls_ca_file = v; return 0;
	case OPT_TLS_CERT: o->tls_cert_key_file = v; return 0;
	case OPT_TLS_SERVER_NAME: o->tls_server_name = v; return 0;
	default: return usage_error("unknown option %s", flag);
	}
}

int
bench_options_parse(bench_options *o, int argc, char **argv)
{
	const char *token;
	char        err[4200];
	int         opt, index, rv;

	defaults(o);
	optind = 0;
	while ((opt = tool_getopt(argc, argv, "-:h", long_options, &index, &token)) != -1) {
		if (opt == OPT_HELP || opt == 'h') {
			help(stdout);
			return 1;
		}
		if (opt == OPT_VERSION) {
			printf("cruddur-bench %s\n", CRUDDUR_VERSION_STRING);
			return 1;
		}
		if (opt == 1)
			return usage_error("unexpected argument \"%s\"", optarg);
		if (opt == ':')
			return usage_error("%s needs a value", token);
		if (opt == '?')
			return strncmp(token, "--", 2) == 0 ? usage_error("unknown option %s", token)
			                                    : usage_error("unexpected argument \"%s\"", token);
		/* The flag's name as typed, without "=value", for messages. */
		char   flag[64];
		size_t len = strcspn(token, "=");
		snprintf(flag, sizeof(flag), "%.*s", (int)(len < sizeof(flag) ? len : sizeof(flag) - 1), token);
		if ((rv = parse_flag(o, opt, flag, optarg)) != 0)
			return rv;
	}
	if (optind < argc) /* after "--" */
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (tool_token_load(&o->token, o->token_file, err, sizeof(err)) != 0)
		return usage_error("%s", err);
	if (o->n_servers == 0) {
		const char *env = tool_env_server("CRUDDUR_SERVER");
		o->servers[o->n_servers++] = env != NULL ? env : TOOL_DEFAULT_SERVER;
	}
	if (o->request_json != NULL && o->any == NULL)
		return usage_error("--request goes with a --method named in full");
	if (o->any != NULL) {
		const char *json = o->request_json != NULL ? o->request_json : "{}";
		if (cruddur_json_parse(o->any->input, json, strlen(json), &o->any_request, err,
		        sizeof(err)) != CRUDDUR_OK)
			return usage_error("--request: %s", err);
	}
	if (o->name == NULL) {
		o->name = "mix";
		for (int m = 0; m < BENCH_N_METHODS; m++)
			if (o->weights[m] == o->weight_total)
				o->name = bench_method_name((bench_method)m);
	}
	return 0;
}
