/*
 * sql_file.h - reading a file of SQL from sql/ into memory.
 */
#ifndef CRUDDUR_SQL_FILE_H
#define CRUDDUR_SQL_FILE_H

#include <stddef.h>

/* Largest file read: sql/ files are schema and seed, not bulk data. */
#define SQL_FILE_MAX (16u << 20)

/* Reads path into a new NUL-terminated buffer (*out, free() it).
 * Returns 0, or -1 with a message. */
int sql_file_read(const char *path, char **out, char *err, size_t errlen);

#endif /* CRUDDUR_SQL_FILE_H */
