/*
 * sql_file.c - reading a file of SQL into memory, whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "svc/db_admin/sql_file.h"

int
sql_file_read(const char *path, char **out, char *err, size_t errlen)
{
	FILE       *f = fopen(path, "rb");
	struct stat st;
	char       *buf = NULL;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || (size_t)st.st_size > SQL_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path, SQL_FILE_MAX);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "out of memory reading %s", path);
		goto fail;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		snprintf(err, errlen, "cannot read %s", path);
		goto fail;
	}
	buf[st.st_size] = '\0';
	fclose(f);
	*out = buf;
	return 0;
fail:
	free(buf);
	fclose(f);
	return -1;
}
