/*
 * cmd_db.c - `cruddur db ...`: the DbAdmin service; `db connect` (psql on the
 * URL) is in cmd_db_connect.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
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

/* A subcommand whose only option is --confirm NAME (the database's name,
 * which a production server wants before it destroys anything); `bad`, when
 * set, is its one usage error. *confirm stays "" without it. */
static int
parse_confirm(cli *c, const char *what, const char *bad, bool *if_exists, int argc, char **argv,
    char **confirm)
{
	const char    *name = NULL;
	/* Without if_exists the list ends after --confirm. */
	const cli_opt  own[] = { CLI_VALUE("confirm", &name),
		CLI_SWITCH(if_exists != NULL ? "if-exists" : NULL, if_exists), CLI_END };
	const cli_args spec = { .what = what, .opts = own, .bad = bad };
	int            n_pos, rv = cli_args_parse(c, &spec, argc, argv, &n_pos);

	if (rv == 0 && name != NULL)
		*confirm = (char *)name;
	return rv;
}

static int
db_drop(cli *c, int argc, char **argv)
{
	Cruddur__V1__DropRequest init = CRUDDUR__V1__DROP_REQUEST__INIT;
	bool                     if_exists = false;
	int                      rv = parse_confirm(c, "db drop", NULL, &if_exists, argc, argv, &init.confirm);

	if (rv != 0)
		return rv;
	init.if_exists = if_exists;
	DB_CALL(c, "db drop", cruddur_db_admin_drop, Cruddur__V1__DropRequest, init,
	    Cruddur__V1__DropResponse, show_drop);
}

static int
db_setup(cli *c, int argc, char **argv)
{
	Cruddur__V1__SetupRequest init = CRUDDUR__V1__SETUP_REQUEST__INIT;
	int                       rv = parse_confirm(c, "db setup", NULL, NULL, argc, argv, &init.confirm);

	if (rv != 0)
		return rv;
	DB_CALL(c, "db setup", cruddur_db_admin_setup, Cruddur__V1__SetupRequest, init,
	    Cruddur__V1__SetupResponse, show_setup);
}

static int
db_schema_load(cli *c, int argc, char **argv)
{
	Cruddur__V1__SchemaLoadRequest req = CRUDDUR__V1__SCHEMA_LOAD_REQUEST__INIT;
	int rv = parse_confirm(c, "db schema-load", "db schema-load takes no arguments", NULL, argc,
	    argv, &req.confirm);

	if (rv != 0)
		return rv;
	CLI_CALL(c, "db schema-load", cruddur_db_admin_schema_load, req,
	    Cruddur__V1__SchemaLoadResponse, show_schema_load);
}

/* Plain `db seed [--confirm NAME]` loads sql/seed.sql; with --users or
 * --activities (or --seed, --batch) it generates data in bulk. */
static int
db_seed(cli *c, int argc, char **argv)
{
	Cruddur__V1__SeedRequest req = CRUDDUR__V1__SEED_REQUEST__INIT;
	db_seed_flags            f = { 0 };
	const char              *confirm = NULL;
	const cli_opt            own[] = { CLI_VALUE("users", &f.users),
		CLI_VALUE("activities", &f.activities), CLI_VALUE("seed", &f.seed),
		CLI_VALUE("batch", &f.batch), CLI_VALUE("confirm", &confirm), CLI_END };
	const cli_args           spec = { .what = "db seed", .opts = own };
	int                      n_pos, rv = cli_args_parse(c, &spec, argc, argv, &n_pos);

	if (rv != 0)
		return rv;
	f.confirm = (char *)(confirm != NULL ? confirm : "");
	if (f.users != NULL || f.activities != NULL || f.seed != NULL || f.batch != NULL)
		return cmd_db_seed_bulk(c, &f);
	req.confirm = f.confirm;
	CLI_CALL(c, "db seed", cruddur_db_admin_seed, req, Cruddur__V1__SeedResponse, show_seed);
}

/* db create, db sessions: no arguments. */
static int
parse_none(cli *c, const char *bad, int argc, char **argv)
{
	const cli_args spec = { .what = "db", .bad = bad };
	int            n_pos;

	return cli_args_parse(c, &spec, argc, argv, &n_pos);
}

static int
db_create(cli *c, int argc, char **argv)
{
	int rv = parse_none(c, "db create takes no arguments", argc, argv);

	if (rv != 0)
		return rv;
	DB_CALL(c, "db create", cruddur_db_admin_create, Cruddur__V1__CreateRequest,
	    CRUDDUR__V1__CREATE_REQUEST__INIT, Cruddur__V1__CreateResponse, show_create);
}

static int
db_sessions(cli *c, int argc, char **argv)
{
	int rv = parse_none(c, "db sessions takes no arguments", argc, argv);

	if (rv != 0)
		return rv;
	DB_CALL(c, "db sessions", cruddur_db_admin_sessions, Cruddur__V1__SessionsRequest,
	    CRUDDUR__V1__SESSIONS_REQUEST__INIT, Cruddur__V1__SessionsResponse, show_sessions);
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
	} subs[] = {
		{ "create", db_create },
		{ "drop", db_drop },
		{ "schema-load", db_schema_load },
		{ "seed", db_seed },
		{ "sessions", db_sessions },
		{ "setup", db_setup },
		{ "migrate", cmd_db_migrate },
		{ "rollback", cmd_db_rollback },
		{ "status", cmd_db_status },
		{ "kill-sessions", cmd_db_kill_sessions },
		{ "connect", cmd_db_connect },
	};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(sub, subs[i].name) == 0)
			return subs[i].fn(c, argc - 1, argv + 1);
	if (argc > 1)
		return cli_usage_error("db %s takes no arguments", sub);
	return cli_usage_error("unknown db subcommand \"%s\"", sub);
}
