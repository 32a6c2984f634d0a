/*
 * db_connect.c - a libpq connect bounded by a deadline; see db_connect.h.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "db/db_connect.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"

/* How often a connect looks at *stop_us while it waits. */
#define STOP_LOOK_US 50000

/* Copies prefix and a libpq message as one line: inner newlines become
 * "; ", trailing ones go, and so do the LOCATION lines that
 * PQERRORS_VERBOSE adds (source file names are of no use to a caller). */
static void
put_pq_msg(char *msg, size_t msglen, const char *prefix, const char *pqmsg)
{
	size_t n;

	if (msg == NULL || msglen == 0)
		return;
	snprintf(msg, msglen, "%s", prefix);
	n = strlen(msg);
	for (const char *s = pqmsg ? pqmsg : ""; *s != '\0';) {
		size_t line = strcspn(s, "\n");
		const char *start = s;

		s += line;
		if (*s == '\n')
			s++;
		while (line > 0 && isspace((unsigned char)start[0]))
			start++, line--;
		if (line == 0 || strncmp(start, "LOCATION:", 9) == 0)
			continue;
		if (n > strlen(prefix) && n + 2 < msglen) {
			memcpy(msg + n, "; ", 2);
			n += 2;
		}
		if (n + line >= msglen)
			line = msglen - n - 1;
		memcpy(msg + n, start, line);
		n += line;
	}
	msg[n] = '\0';
}

/* The SQLSTATE in a PQERRORS_VERBOSE message: "SEVERITY:  XXXXX: text".
 * The severity word may be translated; the layout is not. */
static void
find_sqlstate(const char *m, char *out)
{
	out[0] = '\0';
	for (const char *s = m ? strstr(m, ":  ") : NULL; s != NULL; s = strstr(s + 1, ":  ")) {
		const char *c = s + 3;
		int         k = 0;

		while (k < 5 && (isdigit((unsigned char)c[k]) || isupper((unsigned char)c[k])))
			k++;
		if (k == 5 && c[5] == ':') {
			memcpy(out, c, 5);
			out[5] = '\0';
			return;
		}
	}
}

static cruddur_status
failed(PGconn *pg, cruddur_status st, const char *why, const db_target *redact, char *sqlstate,
    char *msg, size_t msglen)
{
	char code[6];

	find_sqlstate(why, code);
	if (st == CRUDDUR_UNAVAILABLE && strcmp(code, "53300") == 0)
		st = CRUDDUR_RESOURCE_EXHAUSTED;
	if (sqlstate != NULL)
		memcpy(sqlstate, code, sizeof(code));
	put_pq_msg(msg, msglen, "cannot connect to database: ", why);
	if (msg != NULL && redact != NULL)
		db_target_redact(redact, msg, msglen);
	PQfinish(pg);
	return st;
}

cruddur_status
db_connect(PGconn **out, const char *const *kw, const char *const *val, int64_t until_us,
    const _Atomic int64_t *stop_us, const db_target *redact, char *sqlstate, char *msg,
    size_t msglen)
{
	int64_t                   start = clock_mono_us();
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING; /* what libpq says to assume */
	PGconn                   *pg;
	char                      why[96];

	*out = NULL;
	if (sqlstate != NULL)
		sqlstate[0] = '\0';
	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if ((pg = PQconnectStartParams(kw, val, 0)) == NULL) {
		if (msg != NULL && msglen > 0)
			snprintf(msg, msglen, "cannot connect to database: out of memory");
		return CRUDDUR_RESOURCE_EXHAUSTED;
	}
	if (PQstatus(pg) == CONNECTION_BAD) /* bad options, or no socket */
		return failed(pg, CRUDDUR_UNAVAILABLE, PQerrorMessage(pg), redact, sqlstate, msg, msglen);
	PQsetErrorVerbosity(pg, PQERRORS_VERBOSE);
	while (ps != PGRES_POLLING_OK) {
		if (ps == PGRES_POLLING_FAILED)
			return failed(pg, CRUDDUR_UNAVAILABLE, PQerrorMessage(pg), redact, sqlstate, msg,
			    msglen);
		int64_t now = clock_mono_us();
		if (now >= until_us) {
			snprintf(why, sizeof(why), "the database did not answer within %lld ms",
			    (long long)((now - start) / 1000));
			return failed(pg, CRUDDUR_DEADLINE_EXCEEDED, why, redact, sqlstate, msg, msglen);
		}
		if (stop_us != NULL && atomic_load(stop_us) != 0)
			return failed(pg, CRUDDUR_UNAVAILABLE, "the server is shutting down", redact,
			    sqlstate, msg, msglen);
		int64_t       wait = until_us - now < STOP_LOOK_US ? until_us - now : STOP_LOOK_US;
		struct pollfd pfd = { .fd = PQsocket(pg),
			.events = ps == PGRES_POLLING_READING ? POLLIN : POLLOUT };
		int           r = poll(&pfd, 1, (int)((wait + 999) / 1000));
		if (r < 0 && errno != EINTR) {
			snprintf(why, sizeof(why), "poll: %s", strerror(errno));
			return failed(pg, CRUDDUR_UNAVAILABLE, why, redact, sqlstate, msg, msglen);
		}
		if (r > 0)
			ps = PQconnectPoll(pg);
	}
	PQsetErrorVerbosity(pg, PQERRORS_DEFAULT);
	*out = pg;
	return CRUDDUR_OK;
}
