/*
 * cmd_db.c - `cruddur db ...`: the DbAdmin service; `db connect` (psql on the
 * URL) is in cmd_db_connect.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_db.h"
#include "cmd_db_connect.h"
#include "cmd_db_migrations.h"
#include "cmd_db_seed_bulk.h"
#include "print.h"

/* Runs one DbAdmin call and prints its response; `show` prints it for
 * humans when --json is not given. */
#define DB_CALL(c, what, stub, req_t, req_init, resp_t, show)           \
	do {                                                            \
		req_t req_ = req_init;                                  \
		CLI_CALL(c, what, stub, req_, resp_t, show);            \
	} while (0)

static void
show_create(const Cruddur__V1__CreateResponse *r)
{
	printf("created database %s\n", r->database);
}

static void
show_drop(const Cruddur__V1__DropResponse *r)
{
	if (r->dropped)
		printf("dropped database %s (%d other sessions ended)\n", r->database,
		    r->sessions_terminated);
	else
		printf("database %s did not exist\n", r->database);
}

static void
show_schema_load(const Cruddur__V1__SchemaLoadResponse *r)
{
	printf("loaded %s into %s\n", r->file, r->database);
}

static void
show_seed(const Cruddur__V1__SeedResponse *r)
{
	printf("loaded %s into %s\n", r->file, r->database);
}

static void
show_setup(const Cruddur__V1__SetupResponse *r)
{
	for (size_t i = 0; i < r->n_steps; i++)
		printf("%-12s %-4s %9.1f ms  %s\n", r->steps[i]->name,
		    r->steps[i]->status == CRUDDUR__V1__STATUS_CODE__OK ? "ok" : "FAIL",
		    (double)r->steps[i]->duration_us / 1000.0, r->steps[i]->detail);
}

static void
show_sessions(const Cruddur__V1__SessionsResponse *r)
{
	printf("%-8s %-12s %-12s %-16s %-20s %s\n", "PID", "USER", "DATABASE", "CLIENT",
	    "APPLICATION", "STATE");
	for (size_t i = 0; i < r->n_sessions; i++) {
		const Cruddur__V1__Session *s = r->sessions[i];
		printf("%-8d %-12s %-12s %-16s %-20s %s\n", s->pid, s->user, s->database,
		    s->client_address[0] ? s->client_address : "local", s->application_name,
		    s->state);
	}
}

static int
db_drop(cli *c, int argc, char **argv)
{
	Cruddur__V1__DropRequest init = CRUDDUR__V1__DROP_REQUEST__INIT;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--if-exists") == 0)
			init.if_exists = true;
		else if (strcmp(argv[i], "--confirm") == 0 && i + 1 < argc)
			init.confirm = argv[++i];
		else
			return cli_usage_error("db drop: unknown argument %s", argv[i]);
	}
	DB_CALL(c, "db drop", cruddur_db_admin_drop, Cruddur__V1__DropRequest, init,
	    Cruddur__V1__DropResponse, show_drop);
}

static int
db_setup(cli *c, int argc, char **argv)
{
	Cruddur__V1__SetupRequest init = CRUDDUR__V1__SETUP_REQUEST__INIT;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--confirm") == 0 && i + 1 < argc)
			init.confirm = argv[++i];
		else
			return cli_usage_error("db setup: unknown argument %s", argv[i]);
	}
	DB_CALL(c, "db setup", cruddur_db_admin_setup, Cruddur__V1__SetupRequest, init,
	    Cruddur__V1__SetupResponse, show_setup);
}

int
cmd_db(cli *c, int argc, char **argv)
{
	if (argc < 1)
		return cli_usage_error("db needs a subcommand");
	const char *sub = argv[0];
	static const struct {
		const char *name;
		int (*fn)(cli *c, int argc, char **argv);
	} with_args[] = {
		{ "drop", db_drop },
		{ "setup", db_setup },
		{ "migrate", cmd_db_migrate },
		{ "rollback", cmd_db_rollback },
		{ "status", cmd_db_status },
		{ "kill-sessions", cmd_db_kill_sessions },
		{ "connect", cmd_db_connect },
	};
	for (size_t i = 0; i < sizeof(with_args) / sizeof(with_args[0]); i++)
		if (strcmp(sub, with_args[i].name) == 0)
			return with_args[i].fn(c, argc - 1, argv + 1);
	/* Plain `db seed` loads sql/seed.sql; with --users/--activities it
	 * generates data in bulk. */
	bool only_confirm = argc == 3 && strcmp(argv[1], "--confirm") == 0;
	if (strcmp(sub, "seed") == 0 && argc > 1 && !only_confirm)
		return cmd_db_seed_bulk(c, argc - 1, argv + 1);
	if (strcmp(sub, "schema-load") == 0 && (argc == 1 || only_confirm)) {
		Cruddur__V1__SchemaLoadRequest req = CRUDDUR__V1__SCHEMA_LOAD_REQUEST__INIT;
		req.confirm = only_confirm ? argv[2] : (char *)"";
		CLI_CALL(c, "db schema-load", cruddur_db_admin_schema_load, req,
		    Cruddur__V1__SchemaLoadResponse, show_schema_load);
	}
	if (strcmp(sub, "seed") == 0) {
		Cruddur__V1__SeedRequest req = CRUDDUR__V1__SEED_REQUEST__INIT;
		req.confirm = only_confirm ? argv[2] : (char *)"";
		CLI_CALL(c, "db seed", cruddur_db_admin_seed, req, Cruddur__V1__SeedResponse, show_seed);
	}
	if (argc > 1)
		return cli_usage_error("db %s takes no arguments", sub);
	if (strcmp(sub, "create") == 0)
		DB_CALL(c, "db create", cruddur_db_admin_create, Cruddur__V1__CreateRequest,
		    CRUDDUR__V1__CREATE_REQUEST__INIT, Cruddur__V1__CreateResponse, show_create);
	if (strcmp(sub, "sessions") == 0)
		DB_CALL(c, "db sessions", cruddur_db_admin_sessions, Cruddur__V1__SessionsRequest,
		    CRUDDUR__V1__SESSIONS_REQUEST__INIT, Cruddur__V1__SessionsResponse,
		    show_sessions);
	return cli_usage_error("unknown db subcommand \"%s\"", sub);
}
