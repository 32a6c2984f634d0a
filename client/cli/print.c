/*
 * print.c - responses as canonical JSON (libcruddur's cruddur_json_print),
 * and times for humans. One thread; nothing kept between calls.
 */
#include <stdlib.h>
#include <time.h>

#include "cruddur/json.h"
#include "print.h"

static void
print_with(FILE *f, const ProtobufCMessage *m, unsigned flags)
{
	char *s = cruddur_json_print(m, flags);

	if (s == NULL) {
		fputs("cruddur: out of memory printing JSON\n", stderr);
		return;
	}
	fputs(s, f);
	fputc('\n', f);
	free(s);
}

void
print_json(FILE *f, const ProtobufCMessage *m)
{
	print_with(f, m, 0);
}

void
print_json_pretty(FILE *f, const ProtobufCMessage *m)
{
	print_with(f, m, CRUDDUR_JSON_PRETTY);
}

const char *
print_time(int64_t us, char *buf, size_t len)
{
	if (us == 0)
		return "-";
	time_t    t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}
