/*
 * text_test.c - text_quote, text_utf8_trim and envelope_nul_field on their
 * own: what a caller's text becomes when a message quotes it, and which
 * envelopes carry a NUL in a string.
 *
 * Every output of text_quote, for a table of cases and for every cut of a
 * mixed string into buffers of 1 to 64 bytes, must be valid UTF-8, fit its
 * buffer and, when cut, end in "...". Exit 0 when every CHECK holds.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "envelope_nul.h"
#include "test_support.h"
#include "text.h"

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

/* An envelope with a method, a token and a body holding NULs, packed;
 * then a NUL put at marker (NULL: none). */
static uint8_t *
pack(const char *method, const char *token, const char *marker, size_t *len)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry   auth = CRUDDUR__V1__METADATA_ENTRY__INIT;
	Cruddur__V1__MetadataEntry  *md[1] = { &auth };

	env.method = (char *)method;
	env.request_id = 5;
	env.deadline_ms = 1000;
	if (token != NULL) {
		auth.key = "authorization";
		auth.value = (char *)token;
		env.metadata = md;
		env.n_metadata = 1;
	}
	env.body.data = (uint8_t *)"\0\0\0"; /* never looked into */
	env.body.len = 3;
	uint8_t *buf = envelope_pack_alloc(&env.base, len);
	if (marker != NULL)
		ts_nul_at(buf, *len, marker);
	return buf;
}

static void
test_envelope_nul(void)
{
	const char *method = "cruddur.v1.Health/Check";
	size_t      len;
	uint8_t    *buf;

	buf = pack(method, "0123456789abcdef", NULL, &len);
	CHECK(envelope_nul_field(buf, len) == NULL);
	free(buf);

	/* protobuf-c takes this, and sees only the text before the NUL. */
	buf = pack("cruddur.v1.Health/CheckXjunk", NULL, "Xjunk", &len);
	Cruddur__V1__RequestEnvelope *env = cruddur__v1__request_envelope__unpack(NULL, len, buf);
	CHECK(env != NULL && strcmp(env->method, method) == 0);
	cruddur__v1__request_envelope__free_unpacked(env, NULL);
	CHECK_STREQ(envelope_nul_field(buf, len), "method");
	/* Truncated: no NUL claimed, nothing read past the end (ASan). */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *part = malloc(cut + 1);
		memcpy(part, buf, cut);
		const char *f = envelope_nul_field(part, cut);
		CHECK(f == NULL || cut > 2 + strlen(method)); /* past the NUL: it is there */
		free(part);
	}
	free(buf);

	buf = pack(method, "0123456789abcdefXjunk", "Xjunk", &len);
	CHECK_STREQ(envelope_nul_field(buf, len), "metadata value");
	free(buf);
	buf = pack(method, "X", "X", &len);
	CHECK_STREQ(envelope_nul_field(buf, len), "metadata value");
	free(buf);
	buf = pack(method, "tokenXYZ", "authorization", &len);
	CHECK_STREQ(envelope_nul_field(buf, len), "metadata key");
	free(buf);

	CHECK(envelope_nul_field((const uint8_t *)"\xff\xff\xff", 3) == NULL);
	CHECK(envelope_nul_field((const uint8_t *)"\x0b\x00", 2) == NULL); /* a group: stop */
	CHECK(envelope_nul_field(NULL, 0) == NULL);
}

int
main(void)
{
	test_quote_table();
	test_quote_every_cut();
	test_trim();
	test_envelope_nul();
	return ts_finish("text_test");
}
