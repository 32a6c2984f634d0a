/*
 * text.c - UTF-8 validation and length, UUID form.
 */
#include <stdint.h>
#include <string.h>

#include <uuid/uuid.h>

#include "text.h"

/* Bytes in the sequence that starts with b, or 0 when b cannot start one. */
static int
utf8_sequence_length(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF)
		return 2;
	if (b >= 0xE0 && b <= 0xEF)
		return 3;
	if (b >= 0xF0 && b <= 0xF4)
		return 4;
	return 0;
}

long
text_utf8_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long                 n = 0;

	while (*p != '\0') {
		int len = utf8_sequence_length(*p);
		if (len == 0)
			return -1;
		uint32_t cp = len == 1 ? *p : (uint32_t)(*p & (0x7F >> len));
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		/* Overlong 3- and 4-byte forms, surrogates, past U+10FFFF. */
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return -1;
		p += len;
		n++;
	}
	return n;
}

cruddur_status
text_check(rpc_context *ctx, const char *field, const char *s, long min, long max)
{
	long n = text_utf8_length(s);

	if (n < 0)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "%s is not valid UTF-8", field);
	if (n < min && min == 1)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "%s is required", field);
	if (n < min || n > max)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "%s must be %ld to %ld characters, not %ld", field, min, max, n);
	return CRUDDUR_OK;
}

bool
text_is_uuid(const char *s)
{
	uuid_t u;
	return strlen(s) == 36 && uuid_parse(s, u) == 0;
}
