/*
 * help.c - one entry per command: its synopsis, what it does, an example.
 * The overview lists the synopses; `--help` on a command shows the whole
 * entry, so the two can never disagree.
 */
#include <string.h>

#include "cli.h"
#include "help.h"

typedef struct help_entry {
	const char *command, *sub; /* sub NULL: the command has none */
	const char *synopsis;
	const char *detail;
	const char *example;
} help_entry;

static const help_entry entries[] = {
	{ "db", "create", "db create", "Create the server's database (the one its URL names).",
	    "cruddur db create" },
	{ "db", "drop", "db drop [--if-exists] [--confirm NAME]",
	    "Drop the database, ending every other session on it first. --if-exists: succeed\n"
	    "when it does not exist. A production server wants --confirm with the database name.",
	    "cruddur --prod --token-file ~/.cruddur-token db drop --confirm cruddur" },
	{ "db", "schema-load", "db schema-load [--confirm NAME]", "Load sql/schema.sql (re-creates the tables: data is lost).",
	    "cruddur db schema-load" },
	{ "db", "seed", "db seed [--users N --activities M [--seed S] [--batch B]] [--confirm NAME]",
	    "Without options: load sql/seed.sql. With --users/--activities: generate that many\n"
	    "users and activities in bulk (0..1,000,000 each), in batches of B (10,000), with a\n"
	    "progress bar on a terminal and one summary line. The same --seed gives the same data.",
	    "cruddur db seed --users 1000 --activities 100000" },
	{ "db", "setup", "db setup [--confirm NAME]",
	    "Drop, create, schema-load, seed and migrate, in order, printing each step.",
	    "cruddur db setup" },
	{ "db", "migrate", "db migrate [--to V]",
	    "Apply pending migrations from sql/migrations, each in its own transaction, up to\n"
	    "the latest or to version V.", "cruddur db migrate --to 3" },
	{ "db", "rollback", "db rollback [--steps N] [--confirm NAME]",
	    "Undo the latest applied migration, or the latest N, newest first.",
	    "cruddur db rollback --steps 2" },
	{ "db", "status", "db status", "Each migration, applied or pending, and the current version.",
	    "cruddur db status" },
	{ "db", "kill-sessions", "db kill-sessions [--confirm NAME]",
	    "End every other session on the database.", "cruddur db kill-sessions" },
	{ "db", "sessions", "db sessions", "The sessions on the database (pg_stat_activity).",
	    "cruddur db sessions" },
	{ "db", "connect", "db connect [-- PSQL_ARGS...]",
	    "Run psql on $CONNECTION_URL ($PROD_CONNECTION_URL with --prod), not through the server;\n"
	    "the URL's password goes to psql in PGPASSWORD, never on its command line.",
	    "CONNECTION_URL=postgresql://postgres@127.0.0.1:5433/cruddur cruddur db connect" },
	{ "feed", "home", "feed home [--limit N] [--cursor C] [--strong] [--consistency-token T]",
	    "The home feed: activities that have not expired and are not replies, newest first;\n"
	    "N is 1..100 (20). A page ends with \"next cursor: C\" when more follow. --strong:\n"
	    "from a query that started after the request, never the server's page cache. T, a\n"
	    "write's consistency_token (--json), makes a replica that has not replayed that write\n"
	    "pass (and skips the page cache).",
	    "cruddur feed home --limit 5" },
	{ "activities", "create",
	    "activities create (--handle H | --cognito-id C) --message M [--ttl 7d] [--idempotency-key K]",
	    "Post an activity of 1..280 characters that lives for 30d, 7d, 3d, 1d, 12h, 3h or 1h.\n"
	    "A retried call with the same --idempotency-key returns the first activity.",
	    "cruddur activities create --handle hotwheels --message 'hello' --ttl 1d" },
	{ "activities", "reply",
	    "activities reply PARENT_UUID (--handle H | --cognito-id C) --message M [--idempotency-key K]",
	    "Reply (1..1024 characters) to an activity; it expires with its parent.",
	    "cruddur activities reply 6f1c... --handle hotwheels --message 'me too'" },
	{ "activities", "show", "activities show UUID [--consistency-token T]", "An activity and its replies, oldest first.",
	    "cruddur activities show 6f1c..." },
	{ "users", "create", "users create --handle H --display-name N --email E --cognito-id C",
	    "Sign a user up. The same cognito id again returns the existing user.",
	    "cruddur users create --handle andrew --display-name 'Andrew' --email a@example.com --cognito-id abc" },
	{ "users", "show", "users show HANDLE [--consistency-token T]", "One user.", "cruddur users show hotwheels" },
	{ "users", "short", "users short HANDLE [--consistency-token T]", "A user's uuid, handle and display name.",
	    "cruddur users short hotwheels" },
	{ "users", "update", "users update HANDLE [--display-name N] [--bio B]",
	    "Change a user's display name (1..100 characters) or bio (0..500).",
	    "cruddur users update hotwheels --bio 'Toy cars.'" },
	{ "users", "activities", "users activities HANDLE [--limit N] [--cursor C] [--consistency-token T]",
	    "A user's profile, activity count and newest activities, paged like the feed.",
	    "cruddur users activities hotwheels --limit 10" },
	{ "health", NULL, "health [SERVICE]",
	    "SERVING or NOT_SERVING for the server (or one service); exits 1 when not serving.",
	    "cruddur health cruddur.v1.Activities" },
	{ "methods", NULL, "methods", "Every service and method the server implements.", "cruddur methods" },
	{ "describe", NULL, "describe [SERVICE | METHOD | MESSAGE]",
	    "What the server serves, from its own descriptors (Reflection), as .proto text like\n"
	    "grpcurl describe: every service; a service's methods; a method (Service/Method or\n"
	    "Service.Method) with its request and response; a message's fields; an enum.",
	    "cruddur describe cruddur.v1.Activities/HomeFeed" },
	{ "stats", NULL, "stats", "Requests by method and status, latency percentiles, pool, queue, uptime.",
	    "cruddur --json stats" },
	{ "call", NULL, "call METHOD [JSON | -]",
	    "Call any method by its full name (as `cruddur methods` lists them) with a request in\n"
	    "canonical proto3 JSON, from the argument, or from stdin with - or none; prints the\n"
	    "reply as canonical JSON. Every global option applies; exit 1 with STATUS: message on\n"
	    "stderr when the call fails, 2 when the request is not JSON for the method.",
	    "cruddur call cruddur.v1.Users/GetUser '{\"handle\":\"hotwheels\"}'" },
};
#define N_ENTRIES (sizeof(entries) / sizeof(entries[0]))

void
help_overview(FILE *f)
{
	fprintf(f, "usage: cruddur [OPTIONS] COMMAND [ARGS]   (cruddur COMMAND --help for more)\n\ncommands:\n");
	for (size_t i = 0; i < N_ENTRIES; i++)
		fprintf(f, "  %s\n", entries[i].synopsis);
	fprintf(f,
	    "\noptions:\n"
	    "  --server URL     server to call (repeatable); default $CRUDDUR_SERVER, then\n"
	    "                   " CLI_DEFAULT_SERVER "\n"
	    "  --prod           call $CRUDDUR_PROD_SERVER (and psql $PROD_CONNECTION_URL)\n"
	    "  --json           print responses as JSON with their proto field names\n"
	    "  --timeout MS     deadline of each call (default %d)\n"
	    "  --token-file F   the admin token, first line of F, sent with every call; default\n"
	    "                   the file $CRUDDUR_TOKEN_FILE, then the token $CRUDDUR_TOKEN itself;\n"
	    "                   DbAdmin calls need it when the server has one\n"
	    "  --tls-ca FILE    CA that signed a tls+tcp:// server's certificate ($CRUDDUR_TLS_CA_FILE)\n"
	    "  --tls-cert FILE  this client's certificate and key, one PEM file ($CRUDDUR_TLS_CERT_FILE)\n"
	    "  --tls-server-name NAME  name to verify in the server's certificate\n"
	    "  --version        print cruddur's version and exit\n"
	    "The options may also follow the command (cruddur feed home --json);\n"
	    "--limit=5 is --limit 5; -- ends the options.\n"
	    "\nexit status: 0 success, 1 the call failed (STATUS: message on stderr), 2 usage\n"
	    "\nexamples:\n"
	    "  cruddur db setup && cruddur feed home --limit 5\n"
	    "  cruddur --json users show hotwheels | jq .user.display_name\n"
	    "  cruddur --server ipc:///tmp/cruddur.sock health\n",
	    CLI_DEFAULT_TIMEOUT_MS);
}

static void
show(FILE *f, const help_entry *e)
{
	fprintf(f, "usage: cruddur [OPTIONS] %s\n\n%s\n\nexample:\n  %s\n", e->synopsis, e->detail, e->example);
}

int
help_command(FILE *f, const char *command, const char *sub)
{
	size_t shown = 0;

	for (size_t i = 0; i < N_ENTRIES; i++) {
		const help_entry *e = &entries[i];
		if (strcmp(e->command, command) != 0)
			continue;
		if (sub != NULL && e->sub != NULL && strcmp(e->sub, sub) == 0) {
			show(f, e);
			return 0;
		}
		if (e->sub == NULL) {
			show(f, e);
			return 0;
		}
	}
	/* A command with subcommands and none named: list them. */
	for (size_t i = 0; i < N_ENTRIES; i++)
		if (strcmp(entries[i].command, command) == 0) {
			if (shown++ == 0)
				fprintf(f, "usage:\n");
			fprintf(f, "  cruddur [OPTIONS] %s\n", entries[i].synopsis);
		}
	if (shown == 0)
		help_overview(f);
	return 0;
}
