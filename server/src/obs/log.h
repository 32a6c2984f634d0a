/*
 * log.h - one line per event on stderr, as key=value pairs.
 *
 *   ts=2026-11-25T13:04:05.123Z level=info msg=request method=... status=OK us=812
 *
 * ts is RFC 3339 UTC with milliseconds. When stderr is the journal (systemd
 * sets $JOURNAL_STREAM to its "device:inode", and stderr is still that
 * stream), each line starts with the syslog priority, "<6>ts=...", which
 * journald takes as the line's priority (debug 7, info 6, warn 4, error 3)
 * and strips, so `journalctl -p warning` shows warnings and errors only.
 *
 * Lines are written with one write(2) each, so lines from different threads
 * never interleave. Values with spaces are quoted by the caller's format.
 */
#ifndef CRUDDUR_LOG_H
#define CRUDDUR_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO  = 1,
	LOG_WARN  = 2,
	LOG_ERROR = 3,
} log_level;

/* Looks at $JOURNAL_STREAM and stderr once; call before threads start. */
void log_init(void);
/* Whether journal_stream ("device:inode", decimal) names fd's file. */
bool log_stderr_is_journal(const char *journal_stream, int fd);
/* Parses "debug", "info", "warn" or "error"; -1 otherwise. */
int  log_level_parse(const char *name);
void log_set_level(log_level level);
int  log_enabled(log_level level);
/* Copies s into buf fit to stand between double quotes in a log line:
 * '"' becomes '\'', control characters become spaces. Returns buf. */
const char *log_quotable(char *buf, size_t len, const char *s);

void log_write(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_write(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  do { if (log_enabled(LOG_INFO))  log_write(LOG_INFO, __VA_ARGS__); } while (0)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif /* CRUDDUR_LOG_H */
