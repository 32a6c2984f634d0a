/*
 * db_target.c - parse a database URL or conninfo with libpq, never by hand.
 *
 * Design
 *   PQconninfoParse accepts both forms ("postgresql://u:p@h:5432/db?x=y" and
 *   "host=h dbname=db"), percent-decodes and unquotes, and returns one entry
 *   per libpq option. We copy every option that has a non-empty value into
 *   NULL-terminated keyword/value arrays, add application_name when the
 *   string had none, and make a second pair of arrays that differs only in
 *   dbname=postgres. Connecting later uses PQconnectdbParams(kw, val, 0):
 *   with expand_dbname 0 a dbname is a name, never another conninfo.
 *
 *   Because the string is parsed by libpq, a user or password that contains
 *   the database name ("postgresql://cruddur:cruddurpass@h/cruddur"), a socket
 *   directory as host ("postgresql://u@/db?host=/tmp/x") or a percent-encoded
 *   character all come out right; no substring of the input is trusted.
 *
 *   The log form ("masked") is rebuilt from the parsed options, not edited
 *   from the input, so a secret cannot survive in it: secret options (libpq
 *   marks them with dispchar "*") are written as "****".
 *
 *   libpq's parse errors sometimes quote the offending piece of the input,
 *   which may be a password ("invalid percent-encoded token: "p%zz""). We drop
 *   that quoted piece, except in the two messages whose quote is an option
 *   name.
 *
 * Ownership: every string in a db_target is malloc'd here and freed by
 * db_target_fini. Nothing is locked: a target is immutable once parsed.
 */
/* strdup under plain -std=c11. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "db/db_target.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/text.h"

#define DB_URL_MAINT_DBNAME "postgres"
#define DB_URL_MAX_DBNAME 63 /* NAMEDATALEN - 1 */
#define DB_URL_CONNECT_TIMEOUT_S "5"
#define DB_URL_MASK "****"

/* A growable string for building the masked form; oom sticks once set. */
typedef struct strbuf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
} strbuf;

static void
sb_putn(strbuf *sb, const char *s, size_t n)
{
	if (sb->oom)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;
		char *d;

		while (sb->len + n + 1 > cap)
			cap *= 2;
		if ((d = realloc(sb->data, cap)) == NULL) {
			sb->oom = true;
			return;
		}
		sb->data = d;
		sb->cap = cap;
	}
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

static void
sb_puts(strbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

static bool
is_secret_keyword(const char *kw)
{
	return strcmp(kw, "password") == 0 || strcmp(kw, "sslpassword") == 0;
}

static bool
is_secret(const PQconninfoOption *o)
{
	return (o->dispchar != NULL && o->dispchar[0] == '*') ||
	    is_secret_keyword(o->keyword);
}

static bool
has_value(const PQconninfoOption *o)
{
	return o->val != NULL && o->val[0] != '\0';
}

static const char *
find_opt(const PQconninfoOption *opts, const char *kw)
{
	for (; opts->keyword != NULL; opts++)
		if (has_value(opts) && strcmp(opts->keyword, kw) == 0)
			return opts->val;
	return NULL;
}

static bool
is_url(const char *s)
{
	/* The same two prefixes libpq recognises (fe-connect.c uri_prefix_length). */
	return strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
}

/* ---- masked form ----------------------------------------------------- */

/* Percent-encodes s, leaving unreserved characters and those in extra. */
static void
sb_put_encoded(strbuf *sb, const char *s, const char *extra)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL ||
		    (c != '\0' && strchr(extra, c) != NULL)) {
			sb_putn(sb, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		sb_putn(sb, e, 3);
	}
}

/* A host that can stand in the URL authority as it is: one plain name or
 * IPv4 address, not a socket directory, a list or an IPv6 literal. */
static bool
is_plain_host(const char *h)
{
	for (; *h != '\0'; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		    (*h >= '0' && *h <= '9') || *h == '.' || *h == '-' ||
		    *h == '_'))
			return false;
	return true;
}

static bool
is_plain_port(const char *p)
{
	for (; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static void
mask_url(strbuf *sb, const PQconninfoOption *opts)
{
	const char *user = find_opt(opts, "user");
	const char *pass = find_opt(opts, "password");
	const char *host = find_opt(opts, "host");
	const char *port = find_opt(opts, "port");
	const char *db = find_opt(opts, "dbname");
	bool host_in_auth = host != NULL && is_plain_host(host);
	bool port_in_auth = host_in_auth && port != NULL && is_plain_port(port);
	char sep = '?';

	sb_puts(sb, "postgresql://");
	if (user != NULL)
		sb_put_encoded(sb, user, "");
	if (pass != NULL)
		sb_puts(sb, ":" DB_URL_MASK);
	if (user != NULL || pass != NULL)
		sb_puts(sb, "@");
	if (host_in_auth)
		sb_puts(sb, host);
	if (port_in_auth) {
		sb_puts(sb, ":");
		sb_puts(sb, port);
	}
	sb_puts(sb, "/");
	if (db != NULL)
		sb_put_encoded(sb, db, "");

	for (; opts->keyword != NULL; opts++) {
		const char *kw = opts->keyword;

		if (!has_value(opts) || strcmp(kw, "user") == 0 ||
		    strcmp(kw, "password") == 0 || strcmp(kw, "dbname") == 0 ||
		    (host_in_auth && strcmp(kw, "host") == 0) ||
		    (port_in_auth && strcmp(kw, "port") == 0))
			continue;
		sb_putn(sb, &sep, 1);
		sep = '&';
		sb_puts(sb, kw);
		sb_puts(sb, "=");
		if (is_secret(opts))
			sb_puts(sb, DB_URL_MASK);
		else
			sb_put_encoded(sb, opts->val, "/:@,");
	}
}

/* Writes a conninfo value, quoted when it would not survive bare. */
static void
sb_put_conninfo_value(strbuf *sb, const char *v)
{
	bool quote = v[0] == '\0' || strpbrk(v, " \t\n\r\f\v'\\=") != NULL;

	if (!quote) {
		sb_puts(sb, v);
		return;
	}
	sb_puts(sb, "'");
	for (; *v != '\0'; v++) {
		if (*v == '\'' || *v == '\\')
			sb_puts(sb, "\\");
		sb_putn(sb, v, 1);
	}
	sb_puts(sb, "'");
}

static void
mask_conninfo(strbuf *sb, const PQconninfoOption *opts)
{
	bool first = true;

	for (; opts->keyword != NULL; opts++) {
		if (!has_value(opts))
			continue;
		if (!first)
			sb_puts(sb, " ");
		first = false;
		sb_puts(sb, opts->keyword);
		sb_puts(sb, "=");
		if (is_secret(opts))
			sb_puts(sb, DB_URL_MASK);
		else
			sb_put_conninfo_value(sb, opts->val);
	}
}

/* ---- parse errors ---------------------------------------------------- */

/*
 * Copies libpq's parse error into err as one line, without the last quoted
 * fragment of the input unless the message quotes only an option name.
 */
static void
copy_parse_error(char *err, size_t errlen, const char *pqmsg)
{
	char buf[512];
	char *open = NULL, *close, *nl;

	if (pqmsg == NULL) {
		text_set(err, errlen, "cannot parse database URL: out of memory");
		return;
	}
	snprintf(buf, sizeof(buf), "%s", pqmsg);
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if (strncmp(buf, "invalid connection option", 25) != 0 &&
	    strncmp(buf, "invalid URI query parameter", 27) != 0 &&
	    (close = strrchr(buf, '"')) != NULL) {
		*close = '\0';
		if ((open = strrchr(buf, '"')) != NULL)
			*open = '\0';
		*close = '"';
	}
	if (err == NULL || errlen == 0)
		return;
	if (open != NULL)
		snprintf(err, errlen, "cannot parse database URL: %s\"...%s", buf,
		    close);
	else
		snprintf(err, errlen, "cannot parse database URL: %s", buf);
}

/* ---- keyword/value arrays -------------------------------------------- */

static void
free_strv(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/*
 * Builds kw/val arrays (NULL-terminated, each string owned) from every valued
 * option, with dbname forced to dbname_override if not NULL and
 * application_name added if missing and not NULL. Returns 0 or -1 (ENOMEM).
 */
static int
build_arrays(const PQconninfoOption *opts, const char *dbname_override,
    const char *application_name, char ***kwp, char ***valp)
{
	size_t n = 0, i = 0;
	bool have_db = false, have_app = false, have_timeout = false;
	char **kw = NULL, **val = NULL;

	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
		n++;
	/* +3: a dbname, application_name or connect_timeout we may add,
	 * +1: terminator. */
	if ((kw = calloc(n + 4, sizeof(*kw))) == NULL ||
	    (val = calloc(n + 4, sizeof(*val))) == NULL)
		goto fail;

	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		const char *v = o->val;

		if (strcmp(o->keyword, "dbname") == 0 && dbname_override) {
			v = dbname_override;
			have_db = true;
		} else if (!has_value(o)) {
			continue;
		}
		if (strcmp(o->keyword, "application_name") == 0)
			have_app = true;
		if (strcmp(o->keyword, "connect_timeout") == 0)
			have_timeout = true;
		kw[i] = strdup(o->keyword);
		val[i] = strdup(v);
		if (kw[i] == NULL || val[i] == NULL)
			goto fail_entry;
		i++;
	}
	if (dbname_override != NULL && !have_db) {
		kw[i] = strdup("dbname");
		val[i] = strdup(dbname_override);
		if (kw[i] == NULL || val[i] == NULL)
			goto fail_entry;
		i++;
	}
	if (application_name != NULL && !have_app) {
		kw[i] = strdup("application_name");
		val[i] = strdup(application_name);
		if (kw[i] == NULL || val[i] == NULL)
			goto fail_entry;
		i++;
	}
	/* Without one, libpq waits for the kernel's TCP timeout (minutes) on
	 * an unreachable host, holding a worker all that time. */
	if (!have_timeout) {
		kw[i] = strdup("connect_timeout");
		val[i] = strdup(DB_URL_CONNECT_TIMEOUT_S);
		if (kw[i] == NULL || val[i] == NULL)
			goto fail_entry;
		i++;
	}
	*kwp = kw;
	*valp = val;
	return 0;

fail_entry:
	/* Entry i may be half made; the arrays are NULL-terminated after it. */
	free(kw[i]);
	free(val[i]);
	kw[i] = val[i] = NULL;
fail:
	free_strv(kw);
	free_strv(val);
	return -1;
}

/* The database libpq would connect to (fe-connect.c connectOptions2), minus
 * service files. */
static char *
default_dbname(const PQconninfoOption *opts)
{
	const char *db = find_opt(opts, "dbname");
	const char *user = find_opt(opts, "user");
	PQconninfoOption *defs = NULL;
	char *out;

	if (db == NULL && (defs = PQconndefaults()) != NULL) {
		db = find_opt(defs, "dbname");
		if (db == NULL && user == NULL)
			user = find_opt(defs, "user");
	}
	if (db == NULL)
		db = user != NULL ? user : DB_URL_MAINT_DBNAME;
	out = strdup(db);
	PQconninfoFree(defs);
	return out;
}

/* ---- public ---------------------------------------------------------- */

int
db_target_parse(db_target *out, const char *url_or_conninfo,
    const char *application_name, char *err, size_t errlen)
{
	PQconninfoOption *opts = NULL;
	char *pqerr = NULL;
	strbuf sb = { 0 };
	db_target t = { 0 };

	memset(out, 0, sizeof(*out));
	if (url_or_conninfo == NULL) {
		text_set(err, errlen, "no database URL given");
		return -1;
	}
	if ((opts = PQconninfoParse(url_or_conninfo, &pqerr)) == NULL) {
		copy_parse_error(err, errlen, pqerr);
		PQfreemem(pqerr);
		return -1;
	}
	if (build_arrays(opts, NULL, application_name, &t.keywords,
	        &t.values) != 0 ||
	    build_arrays(opts, DB_URL_MAINT_DBNAME, application_name,
	        &t.maint_keywords, &t.maint_values) != 0 ||
	    (t.dbname = default_dbname(opts)) == NULL)
		goto oom;

	if (strlen(t.dbname) > DB_URL_MAX_DBNAME) {
		/* PostgreSQL would cut it to 63 bytes: a different database. */
		snprintf(err, errlen, "database name is longer than %d bytes", DB_URL_MAX_DBNAME);
		PQconninfoFree(opts);
		db_target_fini(&t);
		return -1;
	}
	if (is_url(url_or_conninfo))
		mask_url(&sb, opts);
	else
		mask_conninfo(&sb, opts);
	if (sb.oom)
		goto oom;
	/* An empty conninfo gives an empty log form; keep it a real string. */
	t.masked = sb.data != NULL ? sb.data : strdup("");
	if (t.masked == NULL)
		goto oom;

	PQconninfoFree(opts);
	*out = t;
	return 0;

oom:
	text_set(err, errlen, "cannot parse database URL: out of memory");
	free(sb.data);
	PQconninfoFree(opts);
	db_target_fini(&t);
	return -1;
}

void
db_target_fini(db_target *t)
{
	if (t == NULL)
		return;
	free_strv(t->keywords);
	free_strv(t->values);
	free_strv(t->maint_keywords);
	free_strv(t->maint_values);
	free(t->dbname);
	free(t->masked);
	memset(t, 0, sizeof(*t));
}

/* Replaces every occurrence of secret (non-empty) in buf by DB_URL_MASK. */
static void
redact_one(char *buf, size_t buflen, const char *secret)
{
	size_t slen = strlen(secret);
	strbuf sb = { 0 };
	const char *p = buf, *hit;

	if (slen == 0 || strstr(buf, secret) == NULL)
		return;
	while ((hit = strstr(p, secret)) != NULL) {
		sb_putn(&sb, p, (size_t)(hit - p));
		sb_puts(&sb, DB_URL_MASK);
		p = hit + slen;
	}
	sb_puts(&sb, p);
	if (sb.oom) {
		/* Cannot rebuild it; saying nothing is safer than leaking. */
		snprintf(buf, buflen, "%s", "(message withheld: it held a secret)");
	} else {
		snprintf(buf, buflen, "%s", sb.data);
	}
	free(sb.data);
}

void
db_target_redact(const db_target *t, char *buf, size_t buflen)
{
	if (t == NULL || t->keywords == NULL || buf == NULL || buflen == 0)
		return;
	for (size_t i = 0; t->keywords[i] != NULL; i++)
		if (is_secret_keyword(t->keywords[i]))
			redact_one(buf, buflen, t->values[i]);
}
