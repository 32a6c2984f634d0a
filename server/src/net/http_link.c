/*
 * http_link.c - the Link header of a page that has a next one; see http_link.h.
 *
 * No state: thread-safe.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_link.h"

/* Whether every byte of s is in set or alphanumeric: what may go into a
 * header as it is. */
static bool
only(const char *s, const char *set)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		        strchr(set, *s) != NULL))
			return false;
	return true;
}

char *
http_next_link(const char *path, const char *query, const char *next)
{
	static const char uri_chars[] = "-._~!$&'()*+,;=:@/%";
	char  *out = NULL;
	size_t len = 0;
	FILE  *f;

	if (!only(path, uri_chars) || (query != NULL && !only(query, uri_chars)) ||
	    (f = open_memstream(&out, &len)) == NULL)
		return NULL;
	fprintf(f, "<%s?", path);
	for (const char *p = query; p != NULL && *p != '\0';) {
		const char *amp = strchr(p, '&');
		size_t      n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (n > 0 && strncmp(p, "cursor=", 7) != 0 && !(n == 6 && strncmp(p, "cursor", 6) == 0))
			fprintf(f, "%.*s&", (int)n, p);
		p = amp != NULL ? amp + 1 : p + n;
	}
	fputs("cursor=", f);
	for (const unsigned char *p = (const unsigned char *)next; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
	fputs(">; rel=\"next\"", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

