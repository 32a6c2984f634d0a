/*
 * cmd_db_migrations.c - `cruddur db migrate [--to V]`, `db rollback
 * [--steps N]`, `db status`, `db kill-sessions`.
 *
 * Human output lists each migration that ran ("up   0003 name  1.2 ms")
 * and ends with the version the database is at; `db status` prints one line
 * per migration, applied or pending. --json prints the response. The
 * numbers given to --to and --steps go to the server as they are: it alone
 * decides what is valid (a bad one is exit 1 with its message).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cmd_db_migrations.h"
#include "print.h"

/* Parses a command's options: `--flag N` into *out when flag is given, and
 * `--confirm NAME` into *confirm when confirm is given. */
static int
parse_flags(cli *c, const char *what, const char *flag, int argc, char **argv, int32_t *out,
    char **confirm)
{
	const char *number = NULL, *name = NULL;
	cli_opt     own[3] = { CLI_END, CLI_END, CLI_END }, *o = own;
	long        n;
	int         rv, n_pos;

	if (flag != NULL)
		*o++ = (cli_opt){ flag, &number, NULL, "takes a number" };
	if (confirm != NULL)
		*o++ = (cli_opt){ "confirm", &name, NULL, "takes the database name" };
	const cli_args spec = { .what = what, .opts = own };
	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	if (number != NULL) {
		if (cli_parse_int(number, INT32_MIN, INT32_MAX, &n) != 0)
			return cli_usage_error("%s: --%s takes a number", what, flag);
		*out = (int32_t)n;
	}
	if (name != NULL)
		*confirm = (char *)name;
	return 0;
}

static void
show_steps(Cruddur__V1__MigrationStep *const *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%-4s %04d %-36s %8.1f ms\n", steps[i]->direction, steps[i]->version,
		    steps[i]->name, (double)steps[i]->duration_us / 1000.0);
}

static void
show_migrate(const Cruddur__V1__MigrateResponse *r)
{
	show_steps(r->applied, r->n_applied);
	if (r->n_applied == 0)
		printf("database at version %d: nothing to migrate\n", r->version);
	else
		printf("database at version %d (%zu applied)\n", r->version, r->n_applied);
}

static void
show_rollback(const Cruddur__V1__RollbackResponse *r)
{
	show_steps(r->rolled_back, r->n_rolled_back);
	printf("database at version %d (%zu rolled back)\n", r->version, r->n_rolled_back);
}

static void
show_status(const Cruddur__V1__MigrationStatusResponse *r)
{
	char when[64];

	printf("database at version %d\n", r->version);
	printf("%-7s %-8s %-24s %s\n", "VERSION", "STATUS", "APPLIED AT", "NAME");
	for (size_t i = 0; i < r->n_migrations; i++) {
		const Cruddur__V1__MigrationInfo *m = r->migrations[i];
		printf("%04d    %-8s %-24s %s\n", m->version, m->applied ? "applied" : "pending",
		    print_time(m->applied_at_us, when, sizeof(when)), m->name);
	}
}

static void
show_kill_sessions(const Cruddur__V1__KillSessionsResponse *r)
{
	printf("ended %d other session%s on %s\n", r->sessions_terminated,
	    r->sessions_terminated == 1 ? "" : "s", r->database);
}

int
cmd_db_migrate(cli *c, int argc, char **argv)
{
	Cruddur__V1__MigrateRequest req = CRUDDUR__V1__MIGRATE_REQUEST__INIT;
	int rv = parse_flags(c, "db migrate", "to", argc, argv, &req.to_version, NULL);

	if (rv != 0)
		return rv;
	CLI_CALL(c, "db migrate", cruddur_db_admin_migrate, req, Cruddur__V1__MigrateResponse,
	    show_migrate);
}

int
cmd_db_rollback(cli *c, int argc, char **argv)
{
	Cruddur__V1__RollbackRequest req = CRUDDUR__V1__ROLLBACK_REQUEST__INIT;
	int                          rv = parse_flags(c, "db rollback", "steps", argc, argv, &req.steps,
	    &req.confirm);

	if (rv != 0)
		return rv;
	CLI_CALL(c, "db rollback", cruddur_db_admin_rollback, req, Cruddur__V1__RollbackResponse,
	    show_rollback);
}

int
cmd_db_status(cli *c, int argc, char **argv)
{
	Cruddur__V1__MigrationStatusRequest req = CRUDDUR__V1__MIGRATION_STATUS_REQUEST__INIT;
	const cli_args spec = { .what = "db status", .bad = "db status takes no arguments" };
	int            n_pos, rv = cli_args_parse(c, &spec, argc, argv, &n_pos);

	if (rv != 0)
		return rv;
	CLI_CALL(c, "db status", cruddur_db_admin_migration_status, req,
	    Cruddur__V1__MigrationStatusResponse, show_status);
}

int
cmd_db_kill_sessions(cli *c, int argc, char **argv)
{
	Cruddur__V1__KillSessionsRequest req = CRUDDUR__V1__KILL_SESSIONS_REQUEST__INIT;
	int rv = parse_flags(c, "db kill-sessions", NULL, argc, argv, NULL, &req.confirm);

	if (rv != 0)
		return rv;
	CLI_CALL(c, "db kill-sessions", cruddur_db_admin_kill_sessions, req,
	    Cruddur__V1__KillSessionsResponse, show_kill_sessions);
}
