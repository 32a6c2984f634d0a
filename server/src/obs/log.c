/*
 * log.c - key=value log lines on stderr; see log.h.
 *
 * to_journal is set once by log_init, before any other thread starts, and
 * only read afterwards.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "obs/log.h"

static atomic_int current_level = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };
/* syslog(3) priorities: LOG_DEBUG 7, LOG_INFO 6, LOG_WARNING 4, LOG_ERR 3. */
static const int level_priorities[] = { 7, 6, 4, 3 };
static bool to_journal;

bool
log_stderr_is_journal(const char *journal_stream, int fd)
{
	unsigned long long dev, ino;
	struct stat        st;
	char               tail;

	if (journal_stream == NULL ||
	    sscanf(journal_stream, "%llu:%llu%c", &dev, &ino, &tail) != 2 || fstat(fd, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(void)
{
	/* systemd sets JOURNAL_STREAM for a service whose stderr it connects
	 * to the journal; a stderr redirected since (to a file, say) no longer
	 * matches, and gets no prefix. */
	to_journal = log_stderr_is_journal(getenv("JOURNAL_STREAM"), STDERR_FILENO);
}

int
log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void
log_set_level(log_level level)
{
	atomic_store(&current_level, level);
}

int
log_enabled(log_level level)
{
	return (int)level >= atomic_load(&current_level);
}

const char *
log_quotable(char *buf, size_t len, const char *s)
{
	size_t i = 0;
	for (; s != NULL && s[i] != '\0' && i + 1 < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[i] = ch == '"' ? '\'' : (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
	}
	if (len > 0)
		buf[i] = '\0';
	return buf;
}

void
log_write(log_level level, const char *fmt, ...)
{
	char            line[2048];
	struct timespec ts;
	struct tm       tm;
	size_t          n;
	va_list         ap;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = 0;
	if (to_journal) /* journald takes "<N>" at the start as the line's priority */
		n = (size_t)snprintf(line, sizeof(line), "<%d>", level_priorities[level]);
	n += strftime(line + n, sizeof(line) - n, "ts=%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s ",
	    ts.tv_nsec / 1000000, level_names[level]);
	va_start(ap, fmt);
	int w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = (w < 0) ? n : (n + (size_t)w < sizeof(line) - 1 ? n + (size_t)w : sizeof(line) - 2);
	line[n++] = '\n';
	/* One write per line: whole lines even with many threads. */
	ssize_t rv = write(STDERR_FILENO, line, n);
	(void)rv;
}
