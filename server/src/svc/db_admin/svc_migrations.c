/*
 * svc_migrations.c - DbAdmin Migrate, Rollback and MigrationStatus.
 *
 * Each call reads sql/migrations afresh (migrations.c checks the names and
 * numbering; a bad directory is FAILED_PRECONDITION) and works on one pooled
 * connection to the target database, one migration per transaction:
 *
 *   Migrate   step by step from the current version up to to_version (or
 *             the latest). Each step re-reads the current version under the
 *             advisory lock, so two migrators that race apply every
 *             migration once: the second finds the work done and stops.
 *   Rollback  the latest applied migration first, `steps` times. Whether
 *             there are that many is checked under the lock of the first
 *             step, so a request for too many does nothing at all.
 *
 * A step that fails is rolled back alone: the database stays at the last
 * version that committed, and the message says which file and statement
 * failed and at which version the database is. After any change the pool
 * is reset, so that statements are prepared again against the new schema.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "svc/db_admin/migrations.h"
#include "svc/svc_env.h"
#include "svc/registry.h"

typedef char msg_buf[512];

static cruddur_status
load_set(rpc_context *ctx, migration_set *set)
{
	char    dir[PATH_MAX + 16];
	msg_buf err;

	snprintf(dir, sizeof(dir), "%s/migrations", ctx->env->sql_dir);
	if (migration_set_load(set, dir, err, sizeof(err)) != 0)
		return rpc_fail(ctx, CRUDDUR_FAILED_PRECONDITION, "%s", err);
	return CRUDDUR_OK;
}

static cruddur_status
acquire(rpc_context *ctx, pool_conn **conn)
{
	cruddur_status st = pool_acquire(ctx->env->pool, ctx->deadline_us, conn, ctx->message,
	    sizeof(ctx->message));

	/* Every statement of the call, the migration files' too, is cancelled
	 * at its deadline (migrations.h). */
	if (st == CRUDDUR_OK)
		pool_conn_set_deadline(*conn, ctx->deadline_us);
	return st;
}

/* An applied version whose files say something else was renamed or
 * replaced after it ran: its down file may not undo what its up file did. */
static cruddur_status
check_applied(rpc_context *ctx, const migration_set *set, const migration_head *head)
{
	for (size_t i = 0; i < head->n; i++) {
		const migration         *m = migration_set_find(set, head->rows[i].version);
		const migration_applied *a = &head->rows[i];
		if (m != NULL && strcmp(m->name, a->name) != 0)
			return rpc_fail(ctx, CRUDDUR_FAILED_PRECONDITION,
			    "version %d was applied as \"%s\" but is %s in %s", a->version, a->name,
			    m->up_file, set->dir);
	}
	return CRUDDUR_OK;
}

static Cruddur__V1__MigrationStep *
step_new(rpc_context *ctx, const migration *m, const char *direction, int64_t started_us)
{
	Cruddur__V1__MigrationStep *s = rpc_alloc(ctx, sizeof(*s));

	if (s != NULL) {
		cruddur__v1__migration_step__init(s);
		s->version = m->version;
		s->name = rpc_strdup(ctx, m->name);
		s->direction = (char *)direction;
		s->duration_us = clock_mono_us() - started_us;
	}
	return s;
}

/* Ends the open step with st and makes ctx->message say why, adding where
 * the database is now. */
static cruddur_status
step_fail(rpc_context *ctx, pool_conn *conn, cruddur_status st, int32_t version, const char *why)
{
	msg_buf copy;

	snprintf(copy, sizeof(copy), "%s", why);
	migration_step_end(conn, st, NULL, 0);
	return rpc_fail(ctx, st, "%s; the database is at version %d", copy, version);
}

/* Runs migration m up or down in the step's transaction (begun by the
 * caller at version cur) and commits it; *out is the step to report (NULL
 * when out of memory: the step is done all the same). */
static cruddur_status
step_apply(rpc_context *ctx, pool_conn *conn, const migration_set *set, const migration *m, bool up,
    int32_t cur, int64_t start, Cruddur__V1__MigrationStep **out)
{
	msg_buf        msg;
	cruddur_status st;

	*out = NULL;
	if ((st = migration_step_run(conn, set, m, up, msg, sizeof(msg))) != CRUDDUR_OK)
		return step_fail(ctx, conn, st, cur, msg);
	if ((st = migration_step_end(conn, st, msg, sizeof(msg))) != CRUDDUR_OK)
		return rpc_fail(ctx, st, "%s: COMMIT failed: %s; the database is at version %d",
		    up ? m->up_file : m->down_file, msg, cur);
	*out = step_new(ctx, m, up ? "up" : "down", start);
	return CRUDDUR_OK;
}

/* One step of Migrate: *done when there is nothing left to do. */
static cruddur_status
migrate_step(rpc_context *ctx, pool_conn *conn, const migration_set *set, int32_t target, bool first,
    Cruddur__V1__MigrateResponse *resp, bool *done)
{
	migration_head head;
	msg_buf        msg;
	cruddur_status st;
	int64_t        start = clock_mono_us();

	if ((st = migration_step_begin(conn, &head, msg, sizeof(msg))) != CRUDDUR_OK)
		return rpc_fail(ctx, st, "%s", msg);
	int32_t cur = head.version;
	resp->version = cur;
	*done = true;
	if (first && (st = check_applied(ctx, set, &head)) != CRUDDUR_OK) {
		snprintf(msg, sizeof(msg), "%s", ctx->message);
		st = step_fail(ctx, conn, st, cur, msg);
	} else if (cur > (int32_t)set->n) {
		snprintf(msg, sizeof(msg), "the latest migration in %.200s is %zu, older than the database",
		    set->dir, set->n);
		st = step_fail(ctx, conn, CRUDDUR_FAILED_PRECONDITION, cur, msg);
	} else if (first && target < cur) {
		snprintf(msg, sizeof(msg), "to_version %d is below the current version: going down is "
		    "Rollback's (cruddur db rollback --steps %d)", target, cur - target);
		st = step_fail(ctx, conn, CRUDDUR_FAILED_PRECONDITION, cur, msg);
	} else if (cur >= target) {
		/* Commits the table if this call created it. */
		if ((st = migration_step_end(conn, CRUDDUR_OK, msg, sizeof(msg))) != CRUDDUR_OK)
			rpc_fail(ctx, st, "%s", msg);
	} else {
		const migration *m = migration_set_find(set, cur + 1);
		if ((st = step_apply(ctx, conn, set, m, true, cur, start,
		         &resp->applied[resp->n_applied])) == CRUDDUR_OK) {
			resp->n_applied += resp->applied[resp->n_applied] != NULL;
			resp->version = m->version;
			*done = false;
		}
	}
	migration_head_fini(&head);
	return st;
}

cruddur_status
svc_migrations_migrate(rpc_context *ctx, const Cruddur__V1__MigrateRequest *req,
    Cruddur__V1__MigrateResponse *resp)
{
	migration_set  set;
	pool_conn     *conn;
	cruddur_status st;
	bool           done = false;

	if (req->to_version < 0)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "to_version must be 0 (the latest) or a migration version, got %d", req->to_version);
	if ((st = load_set(ctx, &set)) != CRUDDUR_OK)
		return st;
	if (req->to_version > (int32_t)set.n) {
		st = rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "unknown migration version %d: the latest in %s is %zu", req->to_version, set.dir,
		    set.n);
		goto out;
	}
	int32_t target = req->to_version > 0 ? req->to_version : (int32_t)set.n;
	resp->applied = rpc_alloc(ctx, (set.n + 1) * sizeof(*resp->applied));
	if (resp->applied == NULL) {
		st = rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if ((st = acquire(ctx, &conn)) != CRUDDUR_OK)
		goto out;
	for (bool first = true; st == CRUDDUR_OK && !done; first = false) {
		/* Each step goes one version up, so a step past the array (one
		 * slot per migration, and one spare) means another client keeps
		 * rolling back under us. */
		if (resp->n_applied == set.n + 1) {
			st = rpc_fail(ctx, CRUDDUR_ABORTED,
			    "the version moved down while migrating (another Rollback?); now at %d",
			    resp->version);
			break;
		}
		st = migrate_step(ctx, conn, &set, target, first, resp, &done);
	}
	pool_release(ctx->env->pool, conn);
	if (resp->n_applied > 0)
		pool_reset(ctx->env->pool);
	svc_feed_changed(ctx->env); /* whatever changed, the feed's pages are dropped */
out:
	migration_set_fini(&set);
	return st;
}

/* One step of Rollback: undoes the latest applied migration. */
static cruddur_status
rollback_step(rpc_context *ctx, pool_conn *conn, const migration_set *set, int32_t steps, bool first,
    Cruddur__V1__RollbackResponse *resp, bool *done)
{
	migration_head head;
	msg_buf        msg;
	cruddur_status st;
	int64_t        start = clock_mono_us();

	if ((st = migration_step_begin(conn, &head, msg, sizeof(msg))) != CRUDDUR_OK)
		return rpc_fail(ctx, st, "%s", msg);
	int32_t cur = head.version;
	resp->version = cur;
	*done = true;
	if (first && (size_t)steps > head.n) {
		snprintf(msg, sizeof(msg), "cannot roll back %d migrations: %zu %s applied", steps,
		    head.n, head.n == 1 ? "is" : "are");
		st = step_fail(ctx, conn, CRUDDUR_INVALID_ARGUMENT, cur, msg);
	} else if (first && (st = check_applied(ctx, set, &head)) != CRUDDUR_OK) {
		snprintf(msg, sizeof(msg), "%s", ctx->message);
		st = step_fail(ctx, conn, st, cur, msg);
	} else if (head.n == 0) {
		/* Another migrator rolled back the rest meanwhile. */
		migration_step_end(conn, CRUDDUR_ABORTED, NULL, 0);
	} else {
		const migration_applied *latest = &head.rows[head.n - 1];
		const migration         *m = migration_set_find(set, latest->version);
		int32_t                  below = head.n > 1 ? head.rows[head.n - 2].version : 0;
		if (m == NULL) {
			snprintf(msg, sizeof(msg), "version %d (%s) is applied but its files are not in %.200s",
			    latest->version, latest->name, set->dir);
			st = step_fail(ctx, conn, CRUDDUR_FAILED_PRECONDITION, cur, msg);
		} else if ((st = step_apply(ctx, conn, set, m, false, cur, start,
		                &resp->rolled_back[resp->n_rolled_back])) == CRUDDUR_OK) {
			resp->n_rolled_back += resp->rolled_back[resp->n_rolled_back] != NULL;
			resp->version = below;
			*done = false;
		}
	}
	migration_head_fini(&head);
	return st;
}

static cruddur_status
rollback(rpc_context *ctx, const Cruddur__V1__RollbackRequest *req,
    Cruddur__V1__RollbackResponse *resp)
{
	int32_t        steps = req->steps == 0 ? 1 : req->steps;
	migration_set  set;
	pool_conn     *conn;
	cruddur_status st;
	bool           done = false;

	if (steps < 0)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "steps must be 1 or more (0 means 1), got %d", req->steps);
	if ((st = load_set(ctx, &set)) != CRUDDUR_OK)
		return st;
	/* At most every known migration is undone: one without files fails. */
	size_t cap = ((size_t)steps < set.n ? (size_t)steps : set.n) + 1;
	resp->rolled_back = rpc_alloc(ctx, cap * sizeof(*resp->rolled_back));
	if (resp->rolled_back == NULL) {
		st = rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if ((st = acquire(ctx, &conn)) != CRUDDUR_OK)
		goto out;
	for (int32_t i = 0; st == CRUDDUR_OK && !done && i < steps; i++) {
		if (resp->n_rolled_back + 1 >= cap) { /* the array's last slot stays free */
			st = rpc_fail(ctx, CRUDDUR_ABORTED,
			    "the version moved up while rolling back (another Migrate?); now at %d",
			    resp->version);
			break;
		}
		st = rollback_step(ctx, conn, &set, steps, i == 0, resp, &done);
	}
	pool_release(ctx->env->pool, conn);
	if (resp->n_rolled_back > 0)
		pool_reset(ctx->env->pool);
	svc_feed_changed(ctx->env); /* whatever changed, the feed's pages are dropped */
out:
	migration_set_fini(&set);
	return st;
}

static Cruddur__V1__MigrationInfo *
info_new(rpc_context *ctx, int32_t version, const char *name, const migration_applied *a)
{
	Cruddur__V1__MigrationInfo *info = rpc_alloc(ctx, sizeof(*info));

	if (info != NULL) {
		cruddur__v1__migration_info__init(info);
		info->version = version;
		info->name = rpc_strdup(ctx, name);
		info->applied = a != NULL;
		info->applied_at_us = a != NULL ? a->applied_at_us : 0;
	}
	return info;
}

static const migration_applied *
head_find(const migration_head *head, int32_t version)
{
	for (size_t i = 0; i < head->n; i++)
		if (head->rows[i].version == version)
			return &head->rows[i];
	return NULL;
}

static cruddur_status
migration_status(rpc_context *ctx, const Cruddur__V1__MigrationStatusRequest *req,
    Cruddur__V1__MigrationStatusResponse *resp)
{
	migration_set  set;
	migration_head head;
	pool_conn     *conn;
	cruddur_status st;

	(void)req;
	if ((st = load_set(ctx, &set)) != CRUDDUR_OK)
		return st;
	if ((st = acquire(ctx, &conn)) != CRUDDUR_OK)
		goto out;
	st = migration_head_read(conn, &head, ctx->message, sizeof(ctx->message));
	pool_release(ctx->env->pool, conn);
	if (st != CRUDDUR_OK)
		goto out;
	resp->version = head.version;
	resp->migrations = rpc_alloc(ctx, (set.n + head.n + 1) * sizeof(*resp->migrations));
	for (size_t i = 0; resp->migrations != NULL && i < set.n; i++) {
		const migration *m = &set.items[i];
		resp->migrations[resp->n_migrations++] =
		    info_new(ctx, m->version, m->name, head_find(&head, m->version));
	}
	/* Applied versions whose files are gone come after, in order. */
	for (size_t i = 0; resp->migrations != NULL && i < head.n; i++)
		if (migration_set_find(&set, head.rows[i].version) == NULL)
			resp->migrations[resp->n_migrations++] =
			    info_new(ctx, head.rows[i].version, head.rows[i].name, &head.rows[i]);
	bool complete = resp->migrations != NULL;
	for (size_t i = 0; complete && i < resp->n_migrations; i++)
		complete = resp->migrations[i] != NULL;
	if (!complete) {
		resp->migrations = NULL;
		resp->n_migrations = 0;
		st = rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	}
	migration_head_fini(&head);
out:
	migration_set_fini(&set);
	return st;
}

void
svc_migrations_register(svc_registration *r)
{
	rpc_handlers *h = &r->handlers;

	h->db_admin_migrate = svc_migrations_migrate;
	h->db_admin_rollback = rollback;
	h->db_admin_migration_status = migration_status;
}
