/*
 * db_target_test.c - db_target_parse without a database.
 *
 * Each case parses a URL or conninfo and checks the keyword/value arrays,
 * the maintenance arrays, the database name and the masked log form. Every
 * valid case also checks two properties: the masked form never holds the
 * password, and parsing the masked form gives back the same options (with
 * the password as "****"), so the log form is a faithful picture.
 *
 * Exit 0 when every CHECK holds, 1 otherwise (each failure is printed).
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_target.h"

static int failures;

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",    \
			    __FILE__, __LINE__, #cond);                 \
			failures++;                                     \
		}                                                       \
	} while (0)

#define CHECK_STR(got, want)                                            \
	do {                                                            \
		const char *g_ = (got), *w_ = (want);                   \
		if (g_ == NULL || w_ == NULL ? g_ != w_                 \
		                              : strcmp(g_, w_) != 0) { \
			fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", \
			    __FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
			    w_ ? w_ : "(null)");                        \
			failures++;                                     \
		}                                                       \
	} while (0)

static const char *
get(char **kw, char **val, const char *key)
{
	for (size_t i = 0; kw[i] != NULL; i++)
		if (strcmp(kw[i], key) == 0)
			return val[i];
	return NULL;
}

static size_t
count(char **kw)
{
	size_t n = 0;

	while (kw[n] != NULL)
		n++;
	return n;
}

static bool
is_secret(const char *kw)
{
	return strcmp(kw, "password") == 0 || strcmp(kw, "sslpassword") == 0;
}

/* Whether secret is part of a non-secret value (then masked shows it there,
 * as that value, and cannot be checked for it). */
static bool
in_other_value(const db_target *t, const char *secret)
{
	for (size_t i = 0; t->keywords[i] != NULL; i++)
		if (!is_secret(t->keywords[i]) &&
		    strstr(t->values[i], secret) != NULL)
			return true;
	return false;
}

/* masked holds no secret, and reparsing it gives the same options. */
static void
check_masked(const db_target *t)
{
	db_target m;
	char err[256];

	for (size_t i = 0; t->keywords[i] != NULL; i++)
		if (is_secret(t->keywords[i]) &&
		    !in_other_value(t, t->values[i]))
			CHECK(strstr(t->masked, t->values[i]) == NULL);

	/* No application_name: the masked form does not show the added one. */
	if (db_target_parse(&m, t->masked, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "masked form \"%s\" does not parse: %s\n",
		    t->masked, err);
		failures++;
		return;
	}
	for (size_t i = 0; t->keywords[i] != NULL; i++) {
		const char *k = t->keywords[i], *v = get(m.keywords, m.values, k);

		if (is_secret(k))
			CHECK_STR(v, "****");
		else if (strcmp(k, "application_name") != 0 || v != NULL)
			CHECK_STR(v, t->values[i]);
	}
	CHECK_STR(m.dbname, t->dbname);
	db_target_fini(&m);
}

static void
parse_ok(db_target *t, const char *s, const char *app)
{
	char err[256] = "";

	if (db_target_parse(t, s, app, err, sizeof(err)) != 0) {
		fprintf(stderr, "parse of \"%s\" failed: %s\n", s, err);
		failures++;
		exit(1);
	}
	check_masked(t);
}

static void
test_url_password_holds_dbname(void)
{
	db_target t;

	parse_ok(&t, "postgresql://cruddur:cruddurpass@db.local:5432/cruddur",
	    "cruddur-server");
	CHECK_STR(get(t.keywords, t.values, "user"), "cruddur");
	CHECK_STR(get(t.keywords, t.values, "password"), "cruddurpass");
	CHECK_STR(get(t.keywords, t.values, "host"), "db.local");
	CHECK_STR(get(t.keywords, t.values, "port"), "5432");
	CHECK_STR(get(t.keywords, t.values, "dbname"), "cruddur");
	CHECK_STR(get(t.keywords, t.values, "application_name"),
	    "cruddur-server");
	/* ... and a connect_timeout, so that no connect waits for TCP's. */
	CHECK_STR(get(t.keywords, t.values, "connect_timeout"), "5");
	CHECK(count(t.keywords) == 7 && count(t.values) == 7);
	CHECK_STR(t.dbname, "cruddur");

	CHECK_STR(get(t.maint_keywords, t.maint_values, "dbname"), "postgres");
	CHECK_STR(get(t.maint_keywords, t.maint_values, "user"), "cruddur");
	CHECK_STR(get(t.maint_keywords, t.maint_values, "password"),
	    "cruddurpass");
	CHECK_STR(get(t.maint_keywords, t.maint_values, "application_name"),
	    "cruddur-server");
	CHECK_STR(get(t.maint_keywords, t.maint_values, "connect_timeout"), "5");
	CHECK(count(t.maint_keywords) == 7);

	CHECK_STR(t.masked, "postgresql://cruddur:****@db.local:5432/cruddur");
	CHECK(strstr(t.masked, "cruddurpass") == NULL);
	db_target_fini(&t);
	db_target_fini(&t);   /* twice is harmless */

	/* The password is the database name, and the user name too. */
	parse_ok(&t, "postgres://cruddur:cruddur@h/cruddur", NULL);
	CHECK_STR(get(t.keywords, t.values, "password"), "cruddur");
	CHECK_STR(t.dbname, "cruddur");
	CHECK_STR(t.masked, "postgresql://cruddur:****@h/cruddur");
	CHECK(get(t.keywords, t.values, "application_name") == NULL);
	db_target_fini(&t);
}

static void
test_url_socket_host(void)
{
	db_target t;

	parse_ok(&t, "postgresql://postgres@/cruddur?host=/tmp/x", "app");
	CHECK_STR(get(t.keywords, t.values, "host"), "/tmp/x");
	CHECK_STR(get(t.keywords, t.values, "user"), "postgres");
	CHECK_STR(get(t.keywords, t.values, "dbname"), "cruddur");
	CHECK(get(t.keywords, t.values, "password") == NULL);
	CHECK_STR(t.dbname, "cruddur");
	CHECK_STR(t.masked, "postgresql://postgres@/cruddur?host=/tmp/x");
	CHECK_STR(get(t.maint_keywords, t.maint_values, "host"), "/tmp/x");
	CHECK_STR(get(t.maint_keywords, t.maint_values, "dbname"), "postgres");
	db_target_fini(&t);

	/* A percent-encoded socket directory in the authority. */
	parse_ok(&t, "postgresql://%2Fvar%2Frun%2Fpostgresql:5433/feed", NULL);
	CHECK_STR(get(t.keywords, t.values, "host"), "/var/run/postgresql");
	CHECK_STR(get(t.keywords, t.values, "port"), "5433");
	CHECK_STR(t.masked,
	    "postgresql:///feed?host=/var/run/postgresql&port=5433");
	db_target_fini(&t);
}

static void
test_conninfo(void)
{
	db_target t;

	parse_ok(&t, "host=db.example port=5433 user=alice "
	    "password='s3 cr\\'et' dbname=feed", "app");
	CHECK_STR(get(t.keywords, t.values, "password"), "s3 cr'et");
	CHECK_STR(get(t.keywords, t.values, "dbname"), "feed");
	CHECK_STR(get(t.keywords, t.values, "application_name"), "app");
	CHECK_STR(t.dbname, "feed");
	CHECK(strstr(t.masked, "s3") == NULL);
	CHECK(strstr(t.masked, "password=****") != NULL);
	CHECK(strncmp(t.masked, "postgresql:", 11) != 0);
	CHECK_STR(get(t.maint_keywords, t.maint_values, "dbname"), "postgres");
	db_target_fini(&t);

	/* A dbname that looks like a URL stays a name (expand_dbname 0). */
	parse_ok(&t, "dbname='postgresql://evil@elsewhere/x' user=bob", NULL);
	CHECK_STR(get(t.keywords, t.values, "dbname"),
	    "postgresql://evil@elsewhere/x");
	CHECK(get(t.keywords, t.values, "host") == NULL);
	CHECK_STR(t.dbname, "postgresql://evil@elsewhere/x");
	db_target_fini(&t);

	/* sslpassword is a secret too; the name keeps its spaces quoted. */
	parse_ok(&t, "user=u sslpassword=keypass dbname='my db'", NULL);
	CHECK(strstr(t.masked, "keypass") == NULL);
	CHECK(strstr(t.masked, "sslpassword=****") != NULL);
	CHECK(strstr(t.masked, "dbname='my db'") != NULL);
	db_target_fini(&t);
}

static void
test_percent_encoding(void)
{
	db_target t;

	parse_ok(&t, "postgresql://us%40er:p%40ss%2Fw%3Ard@h/my%20db"
	    "?application_name=my%20app&sslmode=disable", "ignored");
	CHECK_STR(get(t.keywords, t.values, "user"), "us@er");
	CHECK_STR(get(t.keywords, t.values, "password"), "p@ss/w:rd");
	CHECK_STR(get(t.keywords, t.values, "dbname"), "my db");
	CHECK_STR(get(t.keywords, t.values, "application_name"), "my app");
	CHECK_STR(get(t.keywords, t.values, "sslmode"), "disable");
	CHECK_STR(t.dbname, "my db");
	CHECK(strstr(t.masked, "p@ss") == NULL);
	CHECK(strstr(t.masked, "p%40ss") == NULL);
	/* Query options come in libpq's option order. */
	CHECK_STR(t.masked, "postgresql://us%40er:****@h/my%20db"
	    "?application_name=my%20app&sslmode=disable");
	db_target_fini(&t);

	/* Password in the query string; several hosts. */
	parse_ok(&t, "postgresql://h1:5432,h2:5433/db?user=u&password=q%26p",
	    NULL);
	CHECK_STR(get(t.keywords, t.values, "password"), "q&p");
	CHECK_STR(get(t.keywords, t.values, "host"), "h1,h2");
	CHECK_STR(get(t.keywords, t.values, "port"), "5432,5433");
	CHECK(strstr(t.masked, "q&p") == NULL && strstr(t.masked, "q%26p") == NULL);
	db_target_fini(&t);

	/* IPv6 literal. */
	parse_ok(&t, "postgresql://u:pw@[::1]:6000/d", NULL);
	CHECK_STR(get(t.keywords, t.values, "host"), "::1");
	CHECK_STR(get(t.keywords, t.values, "port"), "6000");
	db_target_fini(&t);
}

static void
test_default_dbname(void)
{
	db_target t;

	unsetenv("PGDATABASE");
	setenv("PGUSER", "carol", 1);

	parse_ok(&t, "host=h user=bob", NULL);
	CHECK_STR(t.dbname, "bob");
	CHECK(get(t.keywords, t.values, "dbname") == NULL);
	CHECK_STR(get(t.maint_keywords, t.maint_values, "dbname"), "postgres");
	db_target_fini(&t);

	parse_ok(&t, "postgresql://h", NULL);
	CHECK_STR(t.dbname, "carol");
	CHECK_STR(t.masked, "postgresql://h/");
	db_target_fini(&t);

	setenv("PGDATABASE", "envdb", 1);
	parse_ok(&t, "user=bob", NULL);
	CHECK_STR(t.dbname, "envdb");
	db_target_fini(&t);
	unsetenv("PGDATABASE");
	unsetenv("PGUSER");

	/* Empty: every option from libpq's defaults at connect time. */
	parse_ok(&t, "", "app");
	CHECK_STR(t.masked, "");
	CHECK(count(t.keywords) == 2); /* application_name, connect_timeout */
	CHECK(t.dbname != NULL && t.dbname[0] != '\0');
	db_target_fini(&t);

	/* A name PostgreSQL would truncate to 63 bytes is refused. */
	char err[256];
	CHECK(db_target_parse(&t, "postgresql://u@h/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	          NULL, err, sizeof(err)) == -1);
	CHECK(strstr(err, "63 bytes") != NULL);
	parse_ok(&t, "postgresql://u@h/db?connect_timeout=30", NULL);
	CHECK_STR(get(t.keywords, t.values, "connect_timeout"), "30");
	db_target_fini(&t);
}

static void
parse_bad(const char *s, const char *must_say, const char *must_not_say)
{
	db_target t;
	char err[256] = "";

	memset(&t, 0x5a, sizeof(t));
	if (db_target_parse(&t, s, "app", err, sizeof(err)) == 0) {
		fprintf(stderr, "parse of \"%s\" should fail\n", s ? s : "(null)");
		failures++;
		db_target_fini(&t);
		return;
	}
	CHECK(t.keywords == NULL && t.values == NULL && t.masked == NULL &&
	    t.dbname == NULL && t.maint_keywords == NULL);
	CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
	if (must_say != NULL && strstr(err, must_say) == NULL) {
		fprintf(stderr, "error for \"%s\" is \"%s\", should say \"%s\"\n",
		    s, err, must_say);
		failures++;
	}
	if (must_not_say != NULL && strstr(err, must_not_say) != NULL) {
		fprintf(stderr, "error for \"%s\" leaks \"%s\": %s\n", s,
		    must_not_say, err);
		failures++;
	}
	db_target_fini(&t);   /* zeroed: harmless */
}

static void
test_invalid(void)
{
	char tiny[8];
	db_target t;

	parse_bad(NULL, "no database URL", NULL);
	parse_bad("postgresql://u:p%zzsecret@h/db", "percent-encoded",
	    "secret");
	parse_bad("postgresql://u:secret%00x@h/db", "%00", "secret");
	parse_bad("postgresql://h/db?password=a=secret", "separator", "secret");
	parse_bad("postgresql://h/db?secretonly", "separator", "secret");
	parse_bad("postgresql://h/db?bogus=1", "\"bogus\"", NULL);
	parse_bad("host=h nosuchoption=1", "\"nosuchoption\"", NULL);
	parse_bad("host=h password='secret", "unterminated", "secret");
	parse_bad("host=h secret", "missing", "secret");
	parse_bad("postgresql://u:secret@[::1/db", "IPv6", "secret");
	parse_bad("postgresql://u:secret@[::1]x/db", "unexpected character",
	    "secret");
	parse_bad("postgresql:/u:secret@h", "missing", "secret");

	/* A tiny error buffer truncates, NUL terminated. */
	memset(tiny, 'x', sizeof(tiny));
	CHECK(db_target_parse(&t, "bogus", NULL, tiny, sizeof(tiny)) == -1);
	CHECK(strlen(tiny) == sizeof(tiny) - 1);
	CHECK(db_target_parse(&t, "bogus", NULL, NULL, 0) == -1);
}

static void
test_redact(void)
{
	db_target t;
	char buf[64];

	parse_ok(&t, "postgresql://u:hunter2@h/d?sslpassword=kp", NULL);
	snprintf(buf, sizeof(buf), "a hunter2 b hunter2 kp");
	db_target_redact(&t, buf, sizeof(buf));
	CHECK_STR(buf, "a **** b **** ****");
	snprintf(buf, 8, "hunter2");
	db_target_redact(&t, buf, 8);
	CHECK_STR(buf, "****");
	db_target_fini(&t);
}

int
main(void)
{
	test_url_password_holds_dbname();
	test_url_socket_host();
	test_conninfo();
	test_percent_encoding();
	test_default_dbname();
	test_invalid();
	test_redact();
	if (failures != 0) {
		fprintf(stderr, "db_target_test: %d check(s) failed\n", failures);
		return 1;
	}
	printf("db_target_test: ok\n");
	return 0;
}
