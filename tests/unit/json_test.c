/*
 * json_test.c - cruddur/json.h on the hard cases: every field type of
 * json_test.proto printed with its defaults and at its extremes, read back
 * to the same bytes; what the mapping accepts besides the canonical form
 * (numbers as strings and back, lowerCamelCase names, URL-safe base64,
 * enum numbers, null); and each error message, with its field path.
 *
 * Against a decoder nobody here wrote: tests/e2e/cli_json_test.sh, with
 * python3-protobuf's json_format.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/cruddur.h"
#include "json_test.pb-c.h"
#include "json_test_legacy.pb-c.h"
#include "test_support.h"

#define ALL (&cruddur__test__all__descriptor)

/* Parses json as type d; NULL (and the message in err) on failure. */
static ProtobufCMessage *
parse(const ProtobufCMessageDescriptor *d, const char *json, char *err, size_t errlen)
{
	ProtobufCMessage *m = (ProtobufCMessage *)1;
	cruddur_status    st = cruddur_json_parse(d, json, strlen(json), &m, err, errlen);

	CHECK(st == CRUDDUR_OK ? m != NULL : m == NULL);
	return m;
}

/* json must fail as an All with an error that contains want. */
static void
check_error_at(int line, const char *json, const char *want)
{
	char              err[512];
	ProtobufCMessage *m = parse(ALL, json, err, sizeof(err));

	if (m != NULL) {
		ts_fail(__FILE__, line, "%s was accepted, want \"%s\"", json, want);
		cruddur_message_free(m);
	} else if (strstr(err, want) == NULL) {
		ts_fail(__FILE__, line, "%s: error \"%s\", want \"%s\"", json, err, want);
	}
}
#define CHECK_ERROR(json, want) check_error_at(__LINE__, json, want)

/* m printed compactly must be want. */
static void
check_print_at(int line, const ProtobufCMessage *m, const char *want)
{
	char *s = cruddur_json_print(m, 0);

	if (s == NULL || strcmp(s, want) != 0)
		ts_fail(__FILE__, line, "printed\n  %s\nwant\n  %s", s ? s : "(NULL)", want);
	free(s);
}
#define CHECK_PRINT(m, want) check_print_at(__LINE__, m, want)

/* m printed, then read back, packs to the same bytes. */
static void
check_round_trip_at(int line, const ProtobufCMessage *m)
{
	char             *s = cruddur_json_print(m, 0), err[512];
	ProtobufCMessage *back = s ? parse(m->descriptor, s, err, sizeof(err)) : NULL;

	if (back == NULL) {
		ts_fail(__FILE__, line, "%s did not read back: %s", s ? s : "(NULL)", s ? err : "");
	} else {
		size_t   n1 = protobuf_c_message_get_packed_size(m);
		size_t   n2 = protobuf_c_message_get_packed_size(back);
		uint8_t *b1 = malloc(n1 + 1), *b2 = malloc(n2 + 1);
		protobuf_c_message_pack(m, b1);
		protobuf_c_message_pack(back, b2);
		if (n1 != n2 || memcmp(b1, b2, n1) != 0)
			ts_fail(__FILE__, line, "%s read back to other bytes", s);
		free(b1);
		free(b2);
		cruddur_message_free(back);
	}
	free(s);
}
#define CHECK_ROUND_TRIP(m) check_round_trip_at(__LINE__, m)

static void
test_defaults(void)
{
	Cruddur__Test__All all = CRUDDUR__TEST__ALL__INIT;

	/* Every field with its zero value; the unset oneof left out. */
	CHECK_PRINT(&all.base,
	    "{\"i32\":0,\"i64\":\"0\",\"u32\":0,\"u64\":\"0\",\"s32\":0,\"s64\":\"0\",\"f32\":0,"
	    "\"f64\":\"0\",\"sf32\":0,\"sf64\":\"0\",\"fl\":0.0,\"db\":0.0,\"flag\":false,\"text\":\"\","
	    "\"data\":\"\",\"color\":\"COLOR_UNSPECIFIED\",\"inner\":null,\"many_i64\":[],\"names\":[],"
	    "\"items\":[],\"colors\":[],\"blobs\":[],\"reals\":[]}");
	CHECK_ROUND_TRIP(&all.base);

	char *pretty = cruddur_json_print(&all.base, CRUDDUR_JSON_PRETTY);
	CHECK(pretty != NULL && strncmp(pretty, "{\n  \"i32\": 0,\n  \"i64\": \"0\",\n", 28) == 0);
	free(pretty);

	/* {} and all-null read as the defaults. */
	char              err[512];
	ProtobufCMessage *m = parse(ALL, "{}", err, sizeof(err));
	CHECK(m != NULL);
	if (m != NULL)
		CHECK_ROUND_TRIP(m);
	cruddur_message_free(m);
	m = parse(ALL, "{\"i64\":null,\"text\":null,\"inner\":null,\"names\":null,\"color\":null,"
	               "\"pick_text\":null}", err, sizeof(err));
	CHECK(m != NULL);
	if (m != NULL) {
		Cruddur__Test__All *a = (Cruddur__Test__All *)m;
		CHECK(a->i64 == 0 && strcmp(a->text, "") == 0 && a->inner == NULL && a->n_names == 0 &&
		      a->choice_case == CRUDDUR__TEST__ALL__CHOICE__NOT_SET);
	}
	cruddur_message_free(m);
}

static void
test_extremes(void)
{
	Cruddur__Test__All all = CRUDDUR__TEST__ALL__INIT;
	int64_t            many[] = { INT64_MIN, -1, 0, INT64_MAX };
	uint8_t            raw[] = { 0xfb, 0xff, 0x00, 'a' };

	all.i32 = INT32_MIN;
	all.i64 = INT64_MIN;
	all.u32 = UINT32_MAX;
	all.u64 = UINT64_MAX;
	all.s32 = INT32_MAX;
	all.s64 = INT64_MAX;
	all.f32 = UINT32_MAX;
	all.f64 = UINT64_MAX;
	all.sf32 = INT32_MIN;
	all.sf64 = INT64_MIN;
	all.fl = 0.1f;
	all.db = -1e308;
	all.flag = 1;
	all.text = "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \"q\" \\ \n\t\x01/";
	all.data = (ProtobufCBinaryData){ sizeof(raw), raw };
	all.color = CRUDDUR__TEST__COLOR__COLOR_BLUE;
	all.n_many_i64 = 4;
	all.many_i64 = many;
	CHECK_PRINT(&all.base,
	    "{\"i32\":-2147483648,\"i64\":\"-9223372036854775808\",\"u32\":4294967295,"
	    "\"u64\":\"18446744073709551615\",\"s32\":2147483647,\"s64\":\"9223372036854775807\","
	    "\"f32\":4294967295,\"f64\":\"18446744073709551615\",\"sf32\":-2147483648,"
	    "\"sf64\":\"-9223372036854775808\",\"fl\":0.10000000149011612,\"db\":-1e308,\"flag\":true,"
	    "\"text\":\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \\\"q\\\" \\\\ \\n\\t\\u0001/\","
	    "\"data\":\"+/8AYQ==\",\"color\":\"COLOR_BLUE\",\"inner\":null,"
	    "\"many_i64\":[\"-9223372036854775808\",\"-1\",\"0\",\"9223372036854775807\"],\"names\":[],"
	    "\"items\":[],\"colors\":[],\"blobs\":[],\"reals\":[]}");
	CHECK_ROUND_TRIP(&all.base);

	/* NaN and the infinities as the mapping's strings, and back. */
	double reals[] = { NAN, INFINITY, -INFINITY, -0.0 };
	Cruddur__Test__All r = CRUDDUR__TEST__ALL__INIT;
	r.n_reals = 4;
	r.reals = reals;
	r.fl = -INFINITY;
	char *s = cruddur_json_print(&r.base, 0);
	CHECK(s != NULL && strstr(s, "\"fl\":\"-Infinity\"") != NULL &&
	      strstr(s, "\"reals\":[\"NaN\",\"Infinity\",\"-Infinity\",-0.0]") != NULL);
	free(s);
	CHECK_ROUND_TRIP(&r.base);

	/* Bytes that are not UTF-8 in a string: printed as U+FFFD, valid JSON. */
	Cruddur__Test__All bad = CRUDDUR__TEST__ALL__INIT;
	bad.text = "a\xff" "b\xc3";
	s = cruddur_json_print(&bad.base, 0);
	CHECK(s != NULL && strstr(s, "\"text\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"") != NULL);
	free(s);
}

static void
test_nested(void)
{
	Cruddur__Test__Inner  in1 = CRUDDUR__TEST__INNER__INIT, in2 = CRUDDUR__TEST__INNER__INIT;
	Cruddur__Test__Inner *items[] = { &in1, &in2 };
	Cruddur__Test__All    all = CRUDDUR__TEST__ALL__INIT;
	char                 *names[] = { "a", "", "z" };
	int                   colors[] = { 1, 2, 9 };
	ProtobufCBinaryData   blobs[] = { { 0, NULL }, { 1, (uint8_t *)"x" } };

	in1.handle = "hotwheels";
	in1.n = -5;
	in2.n = 1;
	all.inner = &in1;
	all.n_items = 2;
	all.items = items;
	all.n_names = 3;
	all.names = names;
	all.n_colors = 3;
	all.colors = (Cruddur__Test__Color *)colors;
	all.n_blobs = 2;
	all.blobs = blobs;
	all.choice_case = CRUDDUR__TEST__ALL__CHOICE_PICK_INNER;
	all.pick_inner = &in2;
	char *s = cruddur_json_print(&all.base, 0);
	CHECK(s != NULL && strstr(s, "\"inner\":{\"handle\":\"hotwheels\",\"n\":\"-5\"}") != NULL);
	CHECK(s != NULL && strstr(s, "\"items\":[{\"handle\":\"hotwheels\",\"n\":\"-5\"},"
	                             "{\"handle\":\"\",\"n\":\"1\"}]") != NULL);
	/* An enum number this build does not know stays a number. */
	CHECK(s != NULL && strstr(s, "\"colors\":[\"COLOR_RED\",\"COLOR_BLUE\",9]") != NULL);
	CHECK(s != NULL && strstr(s, "\"blobs\":[\"\",\"eA==\"]") != NULL);
	CHECK(s != NULL && strstr(s, "\"pick_inner\":{\"handle\":\"\",\"n\":\"1\"}}") != NULL);
	CHECK(s != NULL && strstr(s, "pick_text") == NULL && strstr(s, "pick_num") == NULL);
	free(s);
	CHECK_ROUND_TRIP(&all.base);
}

/* What input may be besides the canonical form. */
static void
test_lenient_input(void)
{
	char              err[512];
	ProtobufCMessage *m = parse(ALL,
	    "{\"i32\":\"-12\",\"i64\":-9223372036854775808,\"u32\":1e3,\"u64\":\"18446744073709551615\","
	    "\"s32\":7.0,\"s64\":9223372036854775807,\"sf64\":\"-9223372036854775808\",\"fl\":\"1.5\","
	    "\"db\":\"NaN\",\"color\":2,\"manyI64\":[1,\"2\",-3.0],\"text\":\"\\u00e9\\u4e2d\\ud83d\\ude00\","
	    "\"data\":\"-_8\",\"blobs\":[\"aGVsbG8\",\"aGVsbG8=\",\"+/8=\"],\"pickNum\":4,"
	    "\"colors\":[\"COLOR_RED\",0,77],\"reals\":[\"Infinity\",\"-Infinity\",\"1e3\",-0]}",
	    err, sizeof(err));
	CHECK(m != NULL);
	if (m == NULL) {
		fprintf(stderr, "  lenient input: %s\n", err);
		return;
	}
	Cruddur__Test__All *a = (Cruddur__Test__All *)m;
	CHECK(a->i32 == -12 && a->i64 == INT64_MIN && a->u32 == 1000 && a->u64 == UINT64_MAX);
	CHECK(a->s32 == 7 && a->s64 == INT64_MAX && a->sf64 == INT64_MIN && a->fl == 1.5f);
	CHECK(isnan(a->db) && a->color == CRUDDUR__TEST__COLOR__COLOR_BLUE);
	CHECK(a->n_many_i64 == 3 && a->many_i64[0] == 1 && a->many_i64[1] == 2 && a->many_i64[2] == -3);
	CHECK_STREQ(a->text, "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
	CHECK(a->data.len == 2 && a->data.data[0] == 0xfb && a->data.data[1] == 0xff);
	CHECK(a->n_blobs == 3 && a->blobs[0].len == 5 && memcmp(a->blobs[0].data, "hello", 5) == 0 &&
	      a->blobs[1].len == 5 && a->blobs[2].len == 2 && a->blobs[2].data[0] == 0xfb);
	CHECK(a->choice_case == CRUDDUR__TEST__ALL__CHOICE_PICK_NUM && a->pick_num == 4);
	CHECK(a->n_colors == 3 && a->colors[0] == 1 && a->colors[1] == 0 && (int)a->colors[2] == 77);
	CHECK(a->n_reals == 4 && isinf(a->reals[0]) && a->reals[0] > 0 && a->reals[1] < 0 &&
	      a->reals[2] == 1000 && a->reals[3] == 0);
	CHECK_ROUND_TRIP(m);
	cruddur_message_free(m);

	/* A oneof member given as null leaves room for another. */
	m = parse(ALL, "{\"pick_text\":null,\"pick_num\":1}", err, sizeof(err));
	CHECK(m != NULL && ((Cruddur__Test__All *)m)->choice_case == CRUDDUR__TEST__ALL__CHOICE_PICK_NUM);
	cruddur_message_free(m);
	/* The text need not end in a NUL: only len bytes are read. */
	ProtobufCMessage *n = NULL;
	CHECK(cruddur_json_parse(ALL, "{\"i32\":5}garbage", 9, &n, NULL, 0) == CRUDDUR_OK);
	CHECK(n != NULL && ((Cruddur__Test__All *)n)->i32 == 5);
	cruddur_message_free(n);
}

static void
test_errors(void)
{
	/* not JSON, not an object */
	CHECK_ERROR("", "not JSON: ");
	CHECK_ERROR("{\"i32\":1", "not JSON: ");
	CHECK_ERROR("{}x", "not JSON: end of file expected");
	CHECK_ERROR("[1]", "expected a JSON object (cruddur.test.All), got array");
	CHECK_ERROR("5", "expected a JSON object (cruddur.test.All), got number");
	CHECK_ERROR("{\"i32\":1,\"i32\":2}", "i32: key given twice");
	CHECK_ERROR("{\"items\":[{},{\"handle\":\"a\",\"n\":1,\"handle\":\"b\"}]}", "items[1].handle: key given twice");
	CHECK_ERROR("{\"text\":\"a\\\"\",\"i32\":1,\"\\u0069\\u0033\\u0032\":2}", "i32: key given twice");
	CHECK_ERROR("{\"\":1,\"\":2}", "unknown field (cruddur.test.All has no field \"\")"); /* the first one */
	/* unknown fields, a field twice under its two names */
	CHECK_ERROR("{\"nope\":1}", "nope: unknown field (cruddur.test.All has no field \"nope\")");
	CHECK_ERROR("{\"ManyI64\":[]}", "ManyI64: unknown field");
	CHECK_ERROR("{\"inner\":{\"handel\":\"x\"}}", "inner.handel: unknown field (cruddur.test.Inner");
	CHECK_ERROR("{\"many_i64\":[],\"manyI64\":[]}",
	    "manyI64: field many_i64 given twice (as \"many_i64\" and \"manyI64\")");
	CHECK_ERROR("{\"pick_text\":\"a\",\"pickNum\":1}", "pickNum: another field of its oneof is set");
	/* wrong types */
	CHECK_ERROR("{\"i32\":true}", "i32: expected an integer (int32), got boolean");
	CHECK_ERROR("{\"i64\":{}}", "i64: expected an integer (int64), got object");
	CHECK_ERROR("{\"flag\":\"true\"}", "flag: expected true or false, got string");
	CHECK_ERROR("{\"flag\":1}", "flag: expected true or false, got number");
	CHECK_ERROR("{\"text\":5}", "text: expected a string, got number");
	CHECK_ERROR("{\"inner\":[]}", "inner: expected an object (cruddur.test.Inner), got array");
	CHECK_ERROR("{\"names\":\"a\"}", "names: expected an array, got string");
	CHECK_ERROR("{\"names\":[\"a\",null]}", "names[1]: null is not allowed in a repeated field");
	CHECK_ERROR("{\"items\":[{},{\"n\":\"x\"}]}",
	    "items[1].n: expected an integer (int64), got the string \"x\"");
	CHECK_ERROR("{\"items\":[{\"handle\":\"a\"},{\"handle\":[1]}]}", "items[1].handle: expected a string, got array");
	CHECK_ERROR("{\"db\":true}", "db: expected a number (double), got boolean");
	CHECK_ERROR("{\"db\":\"inf\"}", "db: expected a number (double), got the string \"inf\"");
	CHECK_ERROR("{\"db\":\"0x10\"}", "db: expected a number (double), got the string \"0x10\"");
	CHECK_ERROR("{\"db\":\"\"}", "db: expected a number (double)");
	CHECK_ERROR("{\"color\":\"COLOR_GREEN\"}", "color: \"COLOR_GREEN\" is not a value of enum cruddur.test.Color");
	CHECK_ERROR("{\"color\":true}", "color: expected an enum cruddur.test.Color (a name or a number), got boolean");
	CHECK_ERROR("{\"colors\":[1,2.5]}", "colors[1]: expected an integer (cruddur.test.Color), got 2.5");
	CHECK_ERROR("{\"data\":5}", "data: expected a base64 string (bytes), got number");
	CHECK_ERROR("{\"data\":\"a\"}", "data: not base64 (bytes): bad length or padding");
	CHECK_ERROR("{\"data\":\"aGVsbG8==\"}", "data: not base64 (bytes): bad length or padding");
	CHECK_ERROR("{\"data\":\"aGV*bG8=\"}", "data: not base64 (bytes): '*' at 3");
	/* integers: fractions, strings that are not decimal, out of range */
	CHECK_ERROR("{\"i32\":1.5}", "i32: expected an integer (int32), got 1.5");
	CHECK_ERROR("{\"i32\":\"1.0\"}", "i32: expected an integer (int32), got the string \"1.0\"");
	CHECK_ERROR("{\"i32\":\" 1\"}", "i32: expected an integer (int32), got the string \" 1\"");
	CHECK_ERROR("{\"i32\":\"\"}", "i32: expected an integer (int32), got the string \"\"");
	CHECK_ERROR("{\"i32\":2147483648}", "i32: 2147483648 is out of range for int32");
	CHECK_ERROR("{\"i32\":\"-2147483649\"}", "i32: -2147483649 is out of range for int32");
	CHECK_ERROR("{\"u32\":-1}", "u32: -1 is out of range for uint32");
	CHECK_ERROR("{\"u32\":4294967296}", "u32: 4294967296 is out of range for uint32");
	CHECK_ERROR("{\"i64\":\"9223372036854775808\"}", "i64: 9223372036854775808 is out of range for int64");
	CHECK_ERROR("{\"i64\":9.3e18}", "i64: 9.3e+18 is out of range for int64");
	CHECK_ERROR("{\"u64\":\"18446744073709551616\"}", "u64: 18446744073709551616 is out of range for uint64");
	CHECK_ERROR("{\"u64\":\"-1\"}", "u64: expected an integer (uint64), got the string \"-1\"");
	CHECK_ERROR("{\"u64\":-1}", "u64: -1 is out of range for uint64");
	CHECK_ERROR("{\"u64\":18446744073709551615}", "not JSON: too big integer");
	CHECK_ERROR("{\"fl\":1e39}", "fl: 1e+39 is out of range for float");
	CHECK_ERROR("{\"manyI64\":[1,{}]}", "manyI64[1]: expected an integer (int64), got object");
	/* strings: U+0000, invalid UTF-8 (named by field), lone surrogates */
	CHECK_ERROR("{\"text\":\"a\\u0000b\"}", "text: string holds U+0000");
	CHECK_ERROR("{\"i3\\u00002\":1}", "not JSON: NUL byte in object key not supported");
	CHECK_ERROR("{\"text\":\"\xff\"}", "text: invalid UTF-8 in a string");
	CHECK_ERROR("{\"text\":\"\xc0\xaf\"}", "text: invalid UTF-8 in a string");        /* overlong '/' */
	CHECK_ERROR("{\"text\":\"\xed\xa0\x80\"}", "text: invalid UTF-8 in a string");    /* U+D800 */
	CHECK_ERROR("{\"text\":\"\xf4\x90\x80\x80\"}", "text: invalid UTF-8 in a string"); /* past U+10FFFF */
	CHECK_ERROR("{\"items\":[{},{},{\"handle\":\"ok\xe2\x82\"}]}", "items[2].handle: invalid UTF-8 in a string");
	CHECK_ERROR("{\"names\":[\"\xc3(\"]}", "names[0]: invalid UTF-8 in a string");
	CHECK_ERROR("{\"te\xffxt\":\"a\"}", "invalid UTF-8 in a key");
	CHECK_ERROR("{\"items\":[{\"a\xff\":1}]}", "items[0]: invalid UTF-8 in a key");
	{ /* never the parser's sentinel (U+10FFFF) in the message, in place of the bad bytes */
		char err[512];
		CHECK(parse(ALL, "{\"te\xffxt\":\"a\"}", err, sizeof(err)) == NULL);
		CHECK(strstr(err, "\xf4\x8f\xbf\xbf") == NULL);
	}
	CHECK_ERROR("{\"text\":\"\\ud800\"}", "not JSON: invalid Unicode '\\uD800'");
	CHECK_ERROR("{\"text\":\"\\udc00\\ud800\"}", "not JSON: invalid Unicode");
	/* A path too long for the message ends in "...". */
	char long_key[400];
	snprintf(long_key, sizeof(long_key), "{\"items\":[{\"%0300d\":1}]}", 0);
	CHECK_ERROR(long_key, "items[0]...: unknown field (cruddur.test.Inner has no field \"000");
	/* Invalid UTF-8 in a text that holds U+10FFFF itself: said by position. */
	CHECK_ERROR("{\"names\":[\"\xf4\x8f\xbf\xbf\",\"\xff\"]}", "not JSON: unable to decode byte 0xff");
}

static void
test_legacy_presence(void)
{
	Cruddur__Test__Legacy l = CRUDDUR__TEST__LEGACY__INIT;
	char                  err[512];

	l.id = 3;
	CHECK_PRINT(&l.base, "{\"id\":3}");
	l.name = "n";
	l.has_count = 1;
	CHECK_PRINT(&l.base, "{\"id\":3,\"name\":\"n\",\"count\":\"0\"}");
	CHECK_ROUND_TRIP(&l.base);
	ProtobufCMessage *m = parse(&cruddur__test__legacy__descriptor, "{\"id\":1,\"count\":\"0\"}",
	    err, sizeof(err));
	CHECK(m != NULL && ((Cruddur__Test__Legacy *)m)->has_count && ((Cruddur__Test__Legacy *)m)->name == NULL);
	cruddur_message_free(m);
	m = parse(&cruddur__test__legacy__descriptor, "{\"name\":\"x\"}", err, sizeof(err));
	CHECK(m == NULL && strcmp(err, "missing required field id") == 0);
}

/* Real messages: a feed page, and an envelope with bytes. */
static void
test_cruddur_messages(void)
{
	char              err[512];
	ProtobufCMessage *m = parse(&cruddur__v1__home_feed_response__descriptor,
	    "{\"activities\":[{\"uuid\":\"u\",\"handle\":\"hotwheels\",\"replies_count\":\"2\","
	    "\"createdAtUs\":1700000000000000}],\"next_cursor\":\"c\"}", err, sizeof(err));
	CHECK(m != NULL);
	if (m != NULL) {
		Cruddur__V1__HomeFeedResponse *r = (Cruddur__V1__HomeFeedResponse *)m;
		CHECK(r->n_activities == 1 && r->activities[0]->replies_count == 2 &&
		      r->activities[0]->created_at_us == 1700000000000000 &&
		      strcmp(r->activities[0]->message, "") == 0);
		char *s = cruddur_json_print(m, 0);
		CHECK(s != NULL && strstr(s, "\"created_at_us\":\"1700000000000000\"") != NULL &&
		      strstr(s, "\"next_cursor\":\"c\"") != NULL);
		free(s);
		CHECK_ROUND_TRIP(m);
	}
	cruddur_message_free(m);
	m = parse(&cruddur__v1__request_envelope__descriptor,
	    "{\"method\":\"cruddur.v1.Health/Check\",\"request_id\":\"18446744073709551615\","
	    "\"body\":\"CgA=\"}", err, sizeof(err));
	CHECK(m != NULL);
	if (m != NULL) {
		Cruddur__V1__RequestEnvelope *e = (Cruddur__V1__RequestEnvelope *)m;
		CHECK(e->request_id == UINT64_MAX && e->body.len == 2 && e->body.data[0] == 0x0a);
		CHECK_ROUND_TRIP(m);
	}
	cruddur_message_free(m);
	/* A short error buffer is cut, never overrun; none at all is fine. */
	char small[8];
	CHECK(parse(ALL, "{\"nope\":1}", small, sizeof(small)) == NULL && strcmp(small, "nope: u") == 0);
	ProtobufCMessage *none;
	CHECK(cruddur_json_parse(ALL, "{\"nope\":1}", 10, &none, NULL, 0) == CRUDDUR_INVALID_ARGUMENT);
}

int
main(void)
{
	test_defaults();
	test_extremes();
	test_nested();
	test_lenient_input();
	test_errors();
	test_legacy_presence();
	test_cruddur_messages();
	return ts_finish("json_test");
}
