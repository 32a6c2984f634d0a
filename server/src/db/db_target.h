/*
 * db_target.h - the database target: a URL or conninfo string parsed by libpq.
 *
 * The server is told where its database lives by one string, either a
 * postgresql:// URL or a key=value conninfo. We never take that string apart
 * ourselves: PQconninfoParse does it, percent-decoding and quoting included,
 * and we keep the parsed options as keyword/value arrays ready for
 * PQconnectdbParams(keywords, values, 0). expand_dbname is always 0, so a
 * dbname value is used as it is and never parsed a second time.
 *
 * Alongside the options we keep the same options aimed at the maintenance
 * database "postgres" (for CREATE/DROP DATABASE and session listing, which
 * cannot run inside the database they act on), the name of the database the
 * options select, and a form of the string fit for logs, where every secret
 * (password, sslpassword) reads "****".
 *
 * Ownership: a db_target owns every string and array it points to; they live
 * until db_target_fini. Nothing here is shared or locked: a parsed target is
 * read-only and may be read by any number of threads at once.
 */
#ifndef CRUDDUR_DB_URL_H
#define CRUDDUR_DB_URL_H

#include <stddef.h>

/* A parsed database target. Owns all its strings; free with db_target_fini. */
typedef struct db_target {
	/* NULL-terminated, for PQconnectdbParams(keywords, values, 0). */
	char **keywords;
	char **values;
	/* Same options but dbname=postgres: the maintenance database used by
	 * Create/Drop/Sessions. */
	char **maint_keywords;
	char **maint_values;
	/* The database the options select: the dbname option; else libpq's
	 * default (PGDATABASE, else the user name: the user option, PGUSER or the
	 * OS user); if none of these, "postgres". Service files are not read. */
	char *dbname;
	/* The URL or conninfo for logs, rebuilt from the parsed options in the
	 * form it was given, secrets shown as "****". Never holds a secret. Does
	 * not show the application_name that db_target_parse added. */
	char *masked;
} db_target;

/*
 * Parses url_or_conninfo into *out. application_name, if not NULL, is set
 * unless the string names one itself. Empty values are dropped (libpq treats
 * them as unset anyway).
 *
 * Returns 0, or -1 with *out zeroed and a one-line message in err (NUL
 * terminated, truncated to errlen). The message quotes no part of the input
 * that might be a secret. On success the caller owns *out and frees it with
 * db_target_fini.
 */
int db_target_parse(db_target *out, const char *url_or_conninfo,
    const char *application_name, char *err, size_t errlen);

/* Frees everything *t owns and zeroes it. Safe on a zeroed target and safe to
 * call twice. */
void db_target_fini(db_target *t);

/*
 * Replaces, in place, every occurrence of the target's secrets (password,
 * sslpassword) in the NUL-terminated buf of size buflen by "****", truncating
 * if needed. A last line of defence for messages that are about to be logged
 * or sent to a client; libpq does not put passwords in its messages.
 */
void db_target_redact(const db_target *t, char *buf, size_t buflen);

#endif /* CRUDDUR_DB_URL_H */
