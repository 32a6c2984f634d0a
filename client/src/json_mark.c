/*
 * json_mark.c - the marked copies of a JSON text that let json_parse.c name
 * the field of the errors jansson reports only by position (json_internal.h).
 * No state.
 */
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

/* A copy of json[0..len) with each byte that starts no well-formed UTF-8
 * character replaced by PJSON_SENTINEL; NULL when memory ran out. */
char *
cruddur_i_json_utf8_marked(const char *json, size_t len, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)json;
	char                *copy = malloc(4 * len + 1);
	size_t               o = 0, n;

	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += n) {
		if ((n = cruddur_i_json_utf8_char(p + i, len - i)) == 0) {
			memcpy(copy + o, PJSON_SENTINEL, 4);
			o += 4;
			n = 1;
		} else {
			memcpy(copy + o, p + i, n);
			o += n;
		}
	}
	*out_len = o;
	return copy;
}

/* A copy of json[0..len) with PJSON_SENTINEL at the start of the key that ends
 * at byte end (just past its closing quote: where jansson says a duplicate
 * key is); NULL when no key ends there or memory ran out. */
char *
cruddur_i_json_dup_marked(const char *json, size_t len, size_t end, size_t *out_len)
{
	size_t i;

	if (end < 2 || end > len || json[end - 1] != '"')
		return NULL;
	/* Back to the opening quote: the first one before not escaped by an
	 * odd number of backslashes. */
	for (i = end - 1; i-- > 0;) {
		size_t bs = 0;
		while (bs < i && json[i - 1 - bs] == '\\')
			bs++;
		if (json[i] == '"' && bs % 2 == 0)
			break;
	}
	if (i == (size_t)-1)
		return NULL;
	char *copy = malloc(len + 4);
	if (copy == NULL)
		return NULL;
	memcpy(copy, json, i + 1);
	memcpy(copy + i + 1, PJSON_SENTINEL, 4);
	memcpy(copy + i + 5, json + i + 1, len - i - 1);
	*out_len = len + 4;
	return copy;
}
