/*
 * migrations.h - the versioned migrations of sql/migrations and the runner
 * that applies or reverts them one at a time.
 *
 * A migration is a pair of files NNNN_name.up.sql / NNNN_name.down.sql
 * (four digits, name of [a-z0-9_]); versions are 1..n without gaps or
 * duplicates. migration_set_load reads and checks a directory at request
 * time, so a bad directory is reported to the caller (FAILED_PRECONDITION)
 * instead of stopping the server.
 *
 * The database records applied migrations in public.schema_migrations; its
 * current version is the highest row. One step (one migration, up or down)
 * is one transaction on one connection:
 *
 *   migration_step_begin   BEGIN, advisory lock, create the table if
 *                          missing, read the applied rows (under the lock:
 *                          what another migrator did before is seen)
 *   migration_step_run     the file and the schema_migrations row
 *   migration_step_end     COMMIT, or ROLLBACK on any error
 *
 * The lock is pg_advisory_xact_lock, so it is released by the COMMIT or
 * ROLLBACK that ends the step, and a server that dies mid-step releases it
 * with its connection. A failed step leaves the database exactly at the
 * version it had before the step.
 *
 * Every statement of a step runs on a pooled connection through the pool's
 * bounded machine (pool_conn_query): cancelled at the connection's deadline
 * (pool_conn_set_deadline) or at a stop past the drain timeout, given up
 * 50 ms later; a connection given up is closed on release, which ends the
 * transaction and its lock. migrations.c reads the directory and the SQL
 * text; migration_step.c runs the steps.
 *
 * Threads: nothing here has state of its own; a pool_conn is used by the
 * one thread that holds it. Ownership: a migration_set owns its strings
 * (migration_set_fini); migration_applied arrays belong to the caller
 * (free()).
 */
#ifndef CRUDDUR_MIGRATIONS_H
#define CRUDDUR_MIGRATIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cruddur/status.h"
#include "cruddur/v1/db_admin.pb-c.h"
#include "db/pool.h"
#include "rpc/rpc_context.h"

#define MIGRATION_NAME_MAX 100

typedef struct migration {
	int32_t version;
	char    name[MIGRATION_NAME_MAX + 1];          /* "users_bio" */
	char    up_file[MIGRATION_NAME_MAX + 32];      /* "0001_users_bio.up.sql" */
	char    down_file[MIGRATION_NAME_MAX + 32];
} migration;

typedef struct migration_set {
	char       dir[PATH_MAX];
	migration *items;  /* items[i].version == i + 1 */
	size_t     n;
} migration_set;

/* A row of schema_migrations. */
typedef struct migration_applied {
	int32_t version;
	char    name[MIGRATION_NAME_MAX + 1];
	int64_t applied_at_us;
} migration_applied;

/* The applied rows, oldest first, read under the lock. */
typedef struct migration_head {
	migration_applied *rows;  /* malloc'd; migration_head_fini */
	size_t             n;
	int32_t            version; /* rows[n-1].version, or 0 */
} migration_head;

/*
 * Reads dir and checks every file in it whose name ends in ".sql" or starts
 * with a digit (others, like a README, are ignored): names must be
 * NNNN_name.up.sql or NNNN_name.down.sql, every version needs both files,
 * and versions must be 1..n with no gap or duplicate. Returns 0 with *set
 * filled (migration_set_fini it), or -1 with a message for the operator in
 * err and *set empty.
 */
int  migration_set_load(migration_set *set, const char *dir, char *err, size_t errlen);
void migration_set_fini(migration_set *set);
/* The migration with this version, or NULL. */
const migration *migration_set_find(const migration_set *set, int32_t version);

void migration_head_fini(migration_head *head);

/* Reads schema_migrations without creating it (none: *head is empty). */
cruddur_status migration_head_read(pool_conn *conn, migration_head *head, char *msg, size_t len);

/* Opens a step's transaction (see above) and fills *head. On failure the
 * transaction is already rolled back. */
cruddur_status migration_step_begin(pool_conn *conn, migration_head *head, char *msg, size_t len);

/*
 * Runs m's up (or down) file inside the open step and inserts (or deletes)
 * its schema_migrations row. On a failing statement the message names the
 * file, the line and the statement:
 *   0006_broken.up.sql line 4, statement 2: 42P01: relation "nope" does not
 *   exist: ALTER TABLE nope ADD COLUMN x int
 * The transaction is left open either way, for migration_step_end.
 */
cruddur_status migration_step_run(pool_conn *conn, const migration_set *set, const migration *m,
    bool up, char *msg, size_t len);

/* Commits when st is CRUDDUR_OK (returning the COMMIT's status), else rolls
 * back and returns st; msg keeps the first error. */
cruddur_status migration_step_end(pool_conn *conn, cruddur_status st, char *msg, size_t len);

/*
 * For SQL text and the 1-based character position that PostgreSQL reports
 * (PG_DIAG_STATEMENT_POSITION): the line of that position and the bounds
 * [*start, *end) of the statement around it. For position 0 the statement
 * is the index'th (0-based) non-empty one. Returns false when there is no
 * such statement.
 */
bool migration_sql_locate(const char *text, long position, int index, int *line, size_t *start,
    size_t *end);

/* The statement [start, end) of s as one line of at most max bytes. */
void migration_sql_excerpt(const char *s, size_t start, size_t end, char *out, size_t max);

/* Refuses (FAILED_PRECONDITION, msg naming file and line) a file whose
 * statements would end the step's transaction (BEGIN, COMMIT, ...). */
cruddur_status migration_sql_check(const char *file, const char *text, char *msg, size_t len);

/* Migrate, as Setup's last step runs it too (svc_migrations.c). */
cruddur_status svc_migrations_migrate(rpc_context *ctx, const Cruddur__V1__MigrateRequest *req,
    Cruddur__V1__MigrateResponse *resp);

#endif /* CRUDDUR_MIGRATIONS_H */
