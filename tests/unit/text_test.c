/*
 * text_test.c - text_quote, text_utf8_trim and text_utf8_or_quote on their own: what a
 * caller's text becomes when a message quotes it.
 *
 * Every output of text_quote, for a table of cases and for every cut of a
 * mixed string into buffers of 1 to 64 bytes, must be valid UTF-8, fit its
 * buffer and, when cut, end in "...". Exit 0 when every CHECK holds.
 */
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "base/text.h"

static void
check_quote(const char *in, size_t outlen, const char *want, int line)
{
	char out[256];

	memset(out, 'Z', sizeof(out));
	text_quote(out, outlen, in);
	if (strcmp(out, want) != 0)
		ts_fail(__FILE__, line, "text_quote(\"%s\", %zu) is \"%s\", want \"%s\"", in, outlen, out,
		    want);
	if (out[outlen] != 'Z')
		ts_fail(__FILE__, line, "text_quote wrote past its %zu bytes", outlen);
}
#define QUOTE(in, outlen, want) check_quote(in, outlen, want, __LINE__)

static void
test_quote_table(void)
{
	QUOTE("", 16, "");
	QUOTE(NULL, 16, "");
	QUOTE("7d", 16, "7d");
	QUOTE("caf\xc3\xa9", 16, "caf\xc3\xa9");                 /* é is kept */
	QUOTE("caf\xc3\x28 \xff\xfe", 32, "caf\\xC3( \\xFF\\xFE"); /* the bytes */
	QUOTE("a\"b\\c", 16, "a\\\"b\\\\c");
	QUOTE("tab\there\nnl\x7f", 32, "tab\\x09here\\x0Anl\\x7F");
	QUOTE("\xc2\x9b" "31m", 16, "\\u009B31m");                /* C1 CSI */
	QUOTE("\xed\xa0\x80", 16, "\\xED\\xA0\\x80");             /* a surrogate */
	QUOTE("\xc0\xaf", 16, "\\xC0\\xAF");                      /* overlong '/' */
	QUOTE("\xf4\x90\x80\x80", 20, "\\xF4\\x90\\x80\\x80");    /* past U+10FFFF */
	QUOTE("\xf0\x9f\x98\x80", 8, "\xf0\x9f\x98\x80");         /* 😀 */
	QUOTE("\xe2\x82", 16, "\\xE2\\x82");                      /* cut short */
	/* Cuts: between characters, with room for "..."; never inside one. */
	QUOTE("abcdefgh", 9, "abcdefgh");
	QUOTE("abcdefghi", 9, "abcde...");
	QUOTE("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 9, "\xc3\xa9\xc3\xa9...");
	QUOTE("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 9, "\xe2\x82\xac...");
	QUOTE("ab\xff\xff\xff", 9, "ab...");                       /* \xFF is 4 bytes */
	QUOTE("abc", 1, "");
	QUOTE("abc", 3, "ab");                                     /* no room for "..." */
	QUOTE("abcd", 4, "...");
}

/* Every prefix length of a string mixing all kinds of pieces, quoted into
 * every buffer size: always valid UTF-8 within its buffer. */
static void
test_quote_every_cut(void)
{
	const char *mixed = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\"\x01\xc2\x85z\xe2\x82";
	size_t      n = strlen(mixed);
	int         bad = 0;

	for (size_t len = 0; len <= n; len++) {
		char in[64], out[80];
		memcpy(in, mixed, len);
		in[len] = '\0';
		for (size_t outlen = 1; outlen <= 64; outlen++) {
			text_quote(out, outlen, in);
			size_t got = strlen(out);
			if (got >= outlen || text_utf8_length(out) < 0)
				bad++;
			char full[256];
			text_quote(full, sizeof(full), in);
			/* Either all of it, or a prefix of all of it and "...". */
			if (strcmp(out, full) != 0 && outlen > 3 &&
			    (got < 3 || strcmp(out + got - 3, "...") != 0 || strncmp(out, full, got - 3) != 0))
				bad++;
		}
	}
	printf("text_quote: %zu prefixes x 64 buffer sizes, %d bad\n", n + 1, bad);
	CHECK(bad == 0);
}

static void
test_trim(void)
{
	char s[32];

	strcpy(s, "caf\xc3\xa9");
	text_utf8_trim(s);
	CHECK_STREQ(s, "caf\xc3\xa9");
	strcpy(s, "caf\xc3");
	text_utf8_trim(s);
	CHECK_STREQ(s, "caf");
	strcpy(s, "x\xf0\x9f\x98");
	text_utf8_trim(s);
	CHECK_STREQ(s, "x");
	strcpy(s, "x\xe2\x82\xac");
	text_utf8_trim(s);
	CHECK_STREQ(s, "x\xe2\x82\xac");
	strcpy(s, "");
	text_utf8_trim(s);
	CHECK_STREQ(s, "");
}

/* Valid text is passed on as it is (the same pointer), quotes and all;
 * text that is not is quoted into the buffer. */
static void
test_utf8_or_quote(void)
{
	char        out[64];
	const char *ok = "role \"caf\xc3\xa9\" does not exist";

	CHECK(text_utf8_or_quote(out, sizeof(out), ok) == ok);
	CHECK_STREQ(text_utf8_or_quote(out, sizeof(out), NULL), "");
	CHECK(text_utf8_or_quote(out, sizeof(out), "role \"caf\xc3\" x") == out);
	CHECK_STREQ(out, "role \\\"caf\\xC3\\\" x");
	CHECK(text_utf8_length(out) >= 0);
}

int
main(void)
{
	test_quote_table();
	test_quote_every_cut();
	test_trim();
	test_utf8_or_quote();
	return ts_finish("text_test");
}
