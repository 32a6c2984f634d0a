/*
 * migrations.c - reading sql/migrations, and the SQL text of a migration:
 * finding its statements (to quote the one that failed, to refuse one that
 * controls the transaction). Running a step against the database is
 * migration_step.c's.
 *
 *   The directory is read afresh for every request (it is a handful of
 *   files), so an operator who adds a migration does not restart the
 *   server, and a bad file name is an error of that request, not of the
 *   server's start.
 *
 *   A small lexer (quotes, comments, dollar quotes) splits a file's text
 *   into statements only to quote the failing one and to refuse files that
 *   control the transaction themselves (BEGIN, COMMIT, ...), which would
 *   commit a migration without its schema_migrations row; the server
 *   parses the file itself.
 *
 * No state, no locks.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc/db_admin/migrations.h"

/* --- the directory ------------------------------------------------------ */

/* Parses NNNN_name.up.sql / NNNN_name.down.sql; false for anything else. */
static bool
parse_file_name(const char *f, int32_t *version, char *name, bool *up)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)f[i]))
			return false;
	if (f[4] != '_')
		return false;
	while (f[5 + n] == '_' || isdigit((unsigned char)f[5 + n]) ||
	    (f[5 + n] >= 'a' && f[5 + n] <= 'z'))
		n++;
	if (n == 0 || n > MIGRATION_NAME_MAX)
		return false;
	const char *rest = f + 5 + n;
	if (strcmp(rest, ".up.sql") == 0)
		*up = true;
	else if (strcmp(rest, ".down.sql") == 0)
		*up = false;
	else
		return false;
	*version = (int32_t)strtol(f, NULL, 10);
	memcpy(name, f + 5, n);
	name[n] = '\0';
	return true;
}

typedef struct file_entry {
	int32_t version;
	bool    up;
	char    name[MIGRATION_NAME_MAX + 1];
} file_entry;

static int
file_entry_cmp(const void *a, const void *b)
{
	const file_entry *x = a, *y = b;
	int               c;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return (int)y->up - (int)x->up; /* up first */
}

/* Reads the names in dir that must be migration files into *out. */
static int
read_entries(const char *dir, file_entry **out, size_t *n_out, char *err, size_t errlen)
{
	DIR           *d = opendir(dir);
	struct dirent *de;
	file_entry    *v = NULL;
	size_t         n = 0, cap = 0;

	if (d == NULL) {
		snprintf(err, errlen, "cannot read migrations directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		const char *f = de->d_name;
		size_t      fl = strlen(f);
		file_entry  e;

		if (f[0] == '.')
			continue;
		if (!isdigit((unsigned char)f[0]) && (fl < 4 || strcmp(f + fl - 4, ".sql") != 0))
			continue; /* a README and the like */
		if (!parse_file_name(f, &e.version, e.name, &e.up)) {
			snprintf(err, errlen,
			    "bad migration file name \"%s\" in %s: expected NNNN_name.up.sql or "
			    "NNNN_name.down.sql (4 digits, name of a-z, 0-9, _)",
			    f, dir);
			goto fail;
		}
		if (n == cap) {
			size_t      ncap = cap ? cap * 2 : 16;
			file_entry *nv = realloc(v, ncap * sizeof(*v));
			if (nv == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = e;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), file_entry_cmp);
	*out = v;
	*n_out = n;
	return 0;
fail:
	closedir(d);
	free(v);
	return -1;
}

/* Pairs up and down files, then checks that versions run 1..n. */
static int
build_set(migration_set *set, const file_entry *e, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && e[j].version == e[i].version)
			j++;
		/* e[i..j) share a version: exactly one up and one down of one name. */
		for (size_t k = i + 1; k < j; k++)
			if (strcmp(e[k].name, e[i].name) != 0) {
				snprintf(err, errlen, "duplicate migration version %04d: %04d_%s and %04d_%s",
				    e[i].version, e[i].version, e[i].name, e[k].version, e[k].name);
				return -1;
			}
		if (j - i != 2) {
			snprintf(err, errlen, "migration %04d_%s has no %s file (%04d_%s.%s.sql)",
			    e[i].version, e[i].name, e[i].up ? "down" : "up", e[i].version, e[i].name,
			    e[i].up ? "down" : "up");
			return -1;
		}
		int32_t want = (int32_t)set->n + 1;
		if (e[i].version != want) {
			snprintf(err, errlen,
			    "migration versions must run 1, 2, 3, ... without gaps: found %04d_%s where "
			    "%04d was expected",
			    e[i].version, e[i].name, want);
			return -1;
		}
		migration *m = &set->items[set->n++];
		m->version = e[i].version;
		snprintf(m->name, sizeof(m->name), "%s", e[i].name);
		snprintf(m->up_file, sizeof(m->up_file), "%04d_%s.up.sql", m->version, m->name);
		snprintf(m->down_file, sizeof(m->down_file), "%04d_%s.down.sql", m->version, m->name);
		i = j;
	}
	return 0;
}

int
migration_set_load(migration_set *set, const char *dir, char *err, size_t errlen)
{
	file_entry *e = NULL;
	size_t      n = 0;

	memset(set, 0, sizeof(*set));
	if (snprintf(set->dir, sizeof(set->dir), "%s", dir) >= (int)sizeof(set->dir)) {
		snprintf(err, errlen, "migrations directory name too long");
		return -1;
	}
	if (read_entries(dir, &e, &n, err, errlen) != 0)
		return -1;
	if (n > 0 && (set->items = calloc(n, sizeof(*set->items))) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(e);
		return -1;
	}
	int rc = build_set(set, e, n, err, errlen);
	free(e);
	if (rc != 0)
		migration_set_fini(set);
	return rc;
}

void
migration_set_fini(migration_set *set)
{
	free(set->items);
	set->items = NULL;
	set->n = 0;
}

const migration *
migration_set_find(const migration_set *set, int32_t version)
{
	if (version < 1 || (size_t)version > set->n)
		return NULL;
	return &set->items[version - 1];
}

/* --- locating a statement in SQL text ------------------------------------ */

static bool
is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* Past whitespace and comments from i. */
static size_t
skip_space(const char *s, size_t i)
{
	for (;;) {
		if (isspace((unsigned char)s[i])) {
			i++;
		} else if (s[i] == '-' && s[i + 1] == '-') {
			while (s[i] != '\0' && s[i] != '\n')
				i++;
		} else if (s[i] == '/' && s[i + 1] == '*') {
			int depth = 1;
			for (i += 2; s[i] != '\0' && depth > 0; i++) {
				if (s[i] == '/' && s[i + 1] == '*')
					depth++, i++;
				else if (s[i] == '*' && s[i + 1] == '/')
					depth--, i++;
			}
		} else {
			return i;
		}
	}
}

/* From a statement's first character, the index of its ';' (or the end). */
static size_t
scan_statement(const char *s, size_t i)
{
	while (s[i] != '\0' && s[i] != ';') {
		char c = s[i];
		if ((c == '-' && s[i + 1] == '-') || (c == '/' && s[i + 1] == '*')) {
			i = skip_space(s, i);
		} else if (c == '\'' || c == '"') {
			/* E'...' strings escape with a backslash; '' and "" are
			 * two quoted strings in a row, which comes out the same. */
			bool esc = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
			    (i < 2 || !is_ident(s[i - 2]));
			for (i++; s[i] != '\0' && s[i] != c; i++)
				if (esc && s[i] == '\\' && s[i + 1] != '\0')
					i++;
			if (s[i] != '\0')
				i++;
		} else if (c == '$' && (i == 0 || !is_ident(s[i - 1])) && !isdigit((unsigned char)s[i + 1])) {
			size_t t = i + 1;
			while (is_ident(s[t]) && s[t] != '$')
				t++;
			if (s[t] != '$') {
				i++;
				continue;
			}
			size_t      tag_len = t - i + 1;
			const char *end = NULL;
			for (size_t k = t + 1; s[k] != '\0'; k++)
				if (strncmp(s + k, s + i, tag_len) == 0) {
					end = s + k;
					break;
				}
			i = end != NULL ? (size_t)(end - s) + tag_len : strlen(s);
		} else {
			i++;
		}
	}
	return i;
}

/* The next non-empty statement at or after *pos: [*start, *end). */
static bool
next_statement(const char *s, size_t *pos, size_t *start, size_t *end)
{
	for (;;) {
		size_t i = skip_space(s, *pos);
		if (s[i] == '\0')
			return false;
		if (s[i] == ';') {
			*pos = i + 1;
			continue;
		}
		*start = i;
		*end = scan_statement(s, i);
		*pos = s[*end] == ';' ? *end + 1 : *end;
		return true;
	}
}

static int
line_of(const char *s, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off && s[i] != '\0'; i++)
		line += s[i] == '\n';
	return line;
}

bool
migration_sql_locate(const char *text, long position, int index, int *line, size_t *start,
    size_t *end)
{
	size_t pos = 0, st, en, off = 0;
	int    k = 0;

	if (position > 0) {
		/* Characters to bytes: count UTF-8 lead bytes. */
		long chars = 0;
		for (off = 0; text[off] != '\0'; off++)
			if (((unsigned char)text[off] & 0xC0) != 0x80 && ++chars == position)
				break;
	}
	while (next_statement(text, &pos, &st, &en)) {
		bool hit = position > 0 ? off <= en : k == index;
		if (hit) {
			*start = st;
			*end = en;
			*line = line_of(text, position > 0 ? off : st);
			return true;
		}
		k++;
	}
	return false;
}

/* A statement as one line of at most `max` bytes. */
void
migration_sql_excerpt(const char *s, size_t start, size_t end, char *out, size_t max)
{
	size_t o = 0;
	bool   space = false;

	for (size_t i = start; i < end && o + 4 < max; i++) {
		if (isspace((unsigned char)s[i])) {
			space = true;
			continue;
		}
		if (space && o > 0)
			out[o++] = ' ';
		space = false;
		out[o++] = s[i];
	}
	if (o + 4 >= max)
		memcpy(out + o, "...", 3), o += 3;
	out[o] = '\0';
}

/* A statement that would end the step's transaction. */
static bool
controls_transaction(const char *s, size_t start, size_t end)
{
	static const char *const words[] = { "begin", "commit", "rollback", "end", "start", "abort" };
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t n = strlen(words[w]);
		if (end - start >= n && strncasecmp(s + start, words[w], n) == 0 &&
		    (end - start == n || !is_ident(s[start + n])))
			return true;
	}
	return false;
}

/* Refuses a file whose statements would end the step's transaction. */
cruddur_status
migration_sql_check(const char *file, const char *text, char *msg, size_t len)
{
	size_t pos = 0, start, end;
	char   quote[80];

	while (next_statement(text, &pos, &start, &end))
		if (controls_transaction(text, start, end)) {
			migration_sql_excerpt(text, start, end, quote, sizeof(quote));
			snprintf(msg, len,
			    "%s line %d: \"%s\": a migration file must not control the transaction "
			    "(each migration already runs in one)",
			    file, line_of(text, start), quote);
			return CRUDDUR_FAILED_PRECONDITION;
		}
	return CRUDDUR_OK;
}
