/*
 * text.c - UTF-8 validation and length, quoting a caller's text, UUID form,
 * setting a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <uuid/uuid.h>

#include "base/text.h"

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

/* The code point of the valid sequence at p into *cp and its length in
 * bytes, or 0 when p does not start valid UTF-8 (overlong forms,
 * surrogates and values past U+10FFFF included). Reads no further than a
 * NUL: a continuation byte is never 0. */
static int
utf8_decode(const unsigned char *p, uint32_t *cp)
{
	int len = utf8_sequence_length(*p);

	if (len == 0)
		return 0;
	uint32_t c = len == 1 ? *p : (uint32_t)(*p & (0x7F >> len));
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

long
text_utf8_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long                 n = 0;
	uint32_t             cp;

	while (*p != '\0') {
		int len = utf8_decode(p, &cp);
		if (len == 0)
			return -1;
		p += len;
		n++;
	}
	return n;
}

void
text_utf8_trim(char *s)
{
	size_t n = strlen(s);

	/* The last lead byte, if it is among the last three bytes, starts
	 * the only sequence that can be incomplete. */
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned char b = (unsigned char)s[n - back];
		if ((b & 0xC0) != 0x80) {
			if ((size_t)utf8_sequence_length(b) > back)
				s[n - back] = '\0';
			return;
		}
	}
}

/* How text_quote writes the character or byte at p (its len bytes) into
 * piece: as it is, or escaped. Returns the bytes written (at most 6). */
static size_t
quote_piece(const unsigned char *p, int len, uint32_t cp, char piece[8])
{
	if (len == 0) /* not UTF-8: the byte, in hex */
		return (size_t)snprintf(piece, 8, "\\x%02X", *p);
	if (cp == '"' || cp == '\\') {
		piece[0] = '\\';
		piece[1] = (char)cp;
		return 2;
	}
	if (cp < 0x20 || cp == 0x7F)
		return (size_t)snprintf(piece, 8, "\\x%02X", (unsigned)cp);
	if (cp >= 0x80 && cp <= 0x9F) /* C1 controls: a terminal obeys them */
		return (size_t)snprintf(piece, 8, "\\u%04X", (unsigned)cp);
	memcpy(piece, p, (size_t)len);
	return (size_t)len;
}

const char *
text_quote(char *out, size_t outlen, const char *s)
{
	static const char    more[] = "...";
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t               n = 0, safe = 0;

	if (outlen == 0)
		return out;
	/* safe is the last piece boundary after which "..." still fits: where
	 * the text is cut when the rest does not. */
	while (*p != '\0') {
		char     piece[8];
		uint32_t cp = 0;
		int      len = utf8_decode(p, &cp);
		size_t   plen = quote_piece(p, len, cp, piece);
		if (n + plen > outlen - 1) {
			if (outlen - 1 >= sizeof(more) - 1) { /* else: as much as fits */
				n = safe;
				memcpy(out + n, more, sizeof(more) - 1);
				n += sizeof(more) - 1;
			}
			break;
		}
		memcpy(out + n, piece, plen);
		n += plen;
		if (n + sizeof(more) - 1 <= outlen - 1)
			safe = n;
		p += len > 0 ? len : 1;
	}
	out[n] = '\0';
	return out;
}

const char *
text_utf8_or_quote(char *out, size_t outlen, const char *s)
{
	if (s == NULL)
		return "";
	return text_utf8_length(s) >= 0 ? s : text_quote(out, outlen, s);
}

bool
text_is_uuid(const char *s)
{
	uuid_t u;
	return strlen(s) == 36 && uuid_parse(s, u) == 0;
}

void
text_set(char *msg, size_t msglen, const char *text)
{
	if (msg != NULL && msglen > 0)
		snprintf(msg, msglen, "%s", text);
}
