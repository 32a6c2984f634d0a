/*
 * wire_check_test.c - wire_check on its own: what real encoders write
 * passes; each limit holds at its edge (the limit passes, one more is
 * refused with a message naming the field and the limit); malformed bytes
 * are refused with their offset; and what it accepts, protobuf-c decodes
 * to the same counts. Packed repeated fields, which no cruddur request
 * has, are checked on a message type built here by hand.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "rpc_handlers.h"
#include "test_support.h"
#include "rpc/wire_check.h"
#include "wire_frame.h"

static char why[256];

/* Whether f is a desc within lim; prints why not. */
static bool
ok_with(const ProtobufCMessageDescriptor *desc, const wire_frame *f, const wire_limits *lim)
{
	bool ok = wire_check(desc, f->data, f->len, lim, why, sizeof(why));
	if (!ok)
		printf("  %s: %s\n", desc->name, why);
	return ok;
}

static bool
ok(const ProtobufCMessageDescriptor *desc, const wire_frame *f)
{
	return ok_with(desc, f, &wire_default_limits);
}

/* A refusal whose message holds want. */
#define CHECK_REFUSED(desc, f, lim, want)                                         \
	do {                                                                        \
		CHECK(!ok_with((desc), (f), (lim)));                                 \
		if (strstr(why, (want)) == NULL)                                     \
			ts_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", why, (want)); \
	} while (0)

static wire_frame
packed_frame(const ProtobufCMessage *m)
{
	wire_frame f = { 0 };
	f.data = cruddur_i_envelope_pack_alloc(m, &f.len);
	f.cap = f.len;
	CHECK(f.data != NULL || f.len == 0);
	return f;
}

static const wire_limits envelope_limits = { WIRE_MAX_DEPTH, WIRE_MAX_UNKNOWN, 32,
	WIRE_MAX_REPEATS };

/* What libcruddur and protoc-c write passes, with metadata at the limit. */
static void
test_real_messages(void)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry   entry = CRUDDUR__V1__METADATA_ENTRY__INIT;
	Cruddur__V1__MetadataEntry  *entries[33];
	Cruddur__V1__UpdateProfileRequest up = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
	Cruddur__V1__UserRef              ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__StringValue          name = CRUDDUR__V1__STRING_VALUE__INIT;

	ref.handle = "andrewbrown";
	name.value = "Andrew Brown";
	up.user = &ref;
	up.display_name = &name;
	up.bio = &name;
	wire_frame body = packed_frame(&up.base);
	CHECK(ok(&cruddur__v1__update_profile_request__descriptor, &body));

	entry.key = "authorization";
	entry.value = "secret";
	for (int i = 0; i < 33; i++)
		entries[i] = &entry;
	env.method = "cruddur.v1.Users/UpdateProfile";
	env.request_id = UINT64_MAX;
	env.deadline_ms = 2000;
	env.metadata = entries;
	env.n_metadata = 32;
	env.body.data = body.data;
	env.body.len = body.len;
	wire_frame f = packed_frame(&env.base);
	CHECK(ok_with(&cruddur__v1__request_envelope__descriptor, &f, &envelope_limits));
	wire_frame_free(&f);
	env.n_metadata = 33;
	f = packed_frame(&env.base);
	CHECK_REFUSED(&cruddur__v1__request_envelope__descriptor, &f, &envelope_limits,
	    "cruddur.v1.RequestEnvelope.metadata has more than 32 entries");
	wire_frame_free(&f);
	wire_frame_free(&body);

	/* An empty body is every request type's default; data may be NULL. */
	for (size_t i = 0; i < rpc_method_count; i++)
		CHECK(wire_check(rpc_method_table[i].method->input, NULL, 0, &wire_default_limits, why,
		    sizeof(why)));

	/* A response with nested repeated messages: GetStats, 3 levels. */
	Cruddur__V1__GetStatsResponse resp = CRUDDUR__V1__GET_STATS_RESPONSE__INIT;
	Cruddur__V1__MethodStats      ms = CRUDDUR__V1__METHOD_STATS__INIT;
	Cruddur__V1__StatusCount      sc = CRUDDUR__V1__STATUS_COUNT__INIT;
	Cruddur__V1__StatusCount     *scs[3] = { &sc, &sc, &sc };
	Cruddur__V1__MethodStats     *mss[20];
	sc.status = CRUDDUR__V1__STATUS_CODE__UNAVAILABLE;
	sc.count = 12345678901;
	ms.method = "cruddur.v1.Activities/HomeFeed";
	ms.statuses = scs;
	ms.n_statuses = 3;
	for (int i = 0; i < 20; i++)
		mss[i] = &ms;
	resp.methods = mss;
	resp.n_methods = 20;
	f = packed_frame(&resp.base);
	CHECK(ok(&cruddur__v1__get_stats_response__descriptor, &f));
	wire_frame_free(&f);
}

/* Unknown fields: 16 pass, 17 do not; in a nested message too. */
static void
test_unknown_fields(void)
{
	const ProtobufCMessageDescriptor *d = &cruddur__v1__get_user_request__descriptor;
	wire_frame                        f = { 0 }, ref = { 0 };

	wire_frame_bytes(&f, 1, "mary", 4);
	wire_frame_zeros(&f, 15, 0, WIRE_MAX_UNKNOWN - 1);
	wire_frame_bytes(&f, 99999, "new", 3);
	CHECK(ok(d, &f));
	Cruddur__V1__GetUserRequest *m = cruddur__v1__get_user_request__unpack(NULL, f.len, f.data);
	CHECK(m != NULL && m->base.n_unknown_fields == WIRE_MAX_UNKNOWN);
	cruddur__v1__get_user_request__free_unpacked(m, NULL);
	wire_frame_zeros(&f, 14, 2, 1);
	CHECK_REFUSED(d, &f, &wire_default_limits,
	    "cruddur.v1.GetUserRequest has more than 16 unknown fields");
	wire_frame_free(&f);

	wire_frame_zeros(&ref, 7, 0, WIRE_MAX_UNKNOWN + 1);
	wire_frame_bytes(&f, 2, ref.data, ref.len);
	CHECK_REFUSED(d, &f, &wire_default_limits,
	    "cruddur.v1.UserRef has more than 16 unknown fields");
	wire_frame_free(&f);
	wire_frame_free(&ref);
}

/* A singular field given again and again; an embedded message too (each
 * occurrence protobuf-c decodes and merges). */
static void
test_repeats(void)
{
	const ProtobufCMessageDescriptor *d = &cruddur__v1__update_profile_request__descriptor;
	wire_frame                        f = { 0 }, sv = { 0 };

	wire_frame_bytes(&sv, 1, "x", 1);
	for (int i = 0; i < WIRE_MAX_REPEATS; i++)
		wire_frame_bytes(&f, 2, sv.data, sv.len);
	CHECK(ok(d, &f));
	wire_frame_bytes(&f, 2, sv.data, sv.len);
	CHECK_REFUSED(d, &f, &wire_default_limits,
	    "cruddur.v1.UpdateProfileRequest.display_name occurs more than 8 times");
	wire_frame_free(&f);

	wire_frame_zeros(&f, 2, 0, WIRE_MAX_REPEATS + 1); /* request_id */
	CHECK_REFUSED(&cruddur__v1__request_envelope__descriptor, &f, &envelope_limits,
	    "cruddur.v1.RequestEnvelope.request_id occurs more than 8 times");
	wire_frame_free(&f);
	wire_frame_free(&sv);
}

/* Nesting deeper than the limit (1 here: the request itself). */
static void
test_depth(void)
{
	wire_limits lim = wire_default_limits;
	wire_frame  f = { 0 };

	wire_frame_bytes(&f, 2, "", 0); /* an empty StringValue */
	lim.max_depth = 2;
	CHECK(ok_with(&cruddur__v1__update_profile_request__descriptor, &f, &lim));
	lim.max_depth = 1;
	CHECK_REFUSED(&cruddur__v1__update_profile_request__descriptor, &f, &lim,
	    "cruddur.v1.StringValue is nested more than 1 messages deep");
	wire_frame_free(&f);
}

/* Bytes that are not protobuf, each refused with where. */
static void
test_malformed(void)
{
	const ProtobufCMessageDescriptor *d = &cruddur__v1__request_envelope__descriptor;
	static const struct {
		const char *what;
		uint8_t     bytes[16];
		size_t      len;
		const char *want;
	} cases[] = {
		{ "unterminated varint", { 0x10, 0x80, 0x80 }, 3, "at byte 1: an unterminated varint" },
		{ "11-byte varint", { 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 },
		    12, "an unterminated varint" },
		{ "length past the end", { 0x0a, 0x05, 'a', 'b' }, 4, "at byte 1: a length prefix past the end" },
		{ "huge length", { 0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a' }, 7, "a length prefix past the end" },
		{ "6-byte length prefix", { 0x2a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 'a' }, 8,
		    "or longer than 5 bytes" },
		{ "6-byte tag", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00 }, 7,
		    "at byte 0: a tag that is not a varint" },
		{ "field number 0", { 0x00, 0x00 }, 2, "a field number outside" },
		{ "field number 2^29", { 0x80, 0x80, 0x80, 0x80, 0x10, 0x00 }, 6, "a field number outside" },
		{ "start group", { 0x0b }, 1, "a wire type other than" },
		{ "end group", { 0x7c }, 1, "a wire type other than" },
		{ "wire type 6", { 0x7e }, 1, "a wire type other than" },
		{ "truncated fixed64", { 0x79, 1, 2, 3, 4, 5, 6, 7 }, 8, "a fixed-size value past the end" },
		{ "truncated fixed32", { 0x7d, 1, 2, 3 }, 4, "a fixed-size value past the end" },
		{ "method as a varint", { 0x08, 0x01 }, 2,
		    "cruddur.v1.RequestEnvelope.method has wire type 0, not 2" },
		{ "request_id as bytes", { 0x12, 0x00 }, 2, "request_id has wire type 2, not 0" },
		{ "metadata entry broken inside", { 0x22, 0x02, 0x0a, 0x05 }, 4,
		    "cruddur.v1.MetadataEntry is malformed at byte 3: a length prefix past the end" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wire_frame f = { (uint8_t *)cases[i].bytes, cases[i].len, cases[i].len };
		printf("%s\n", cases[i].what);
		CHECK_REFUSED(d, &f, &wire_default_limits, cases[i].want);
	}
	/* Unknown fields of every valid wire type pass. */
	static const uint8_t fine[] = { 0x78, 0x01, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7a, 0x01, 'z',
		0x7d, 1, 2, 3, 4 };
	wire_frame f = { (uint8_t *)fine, sizeof(fine), sizeof(fine) };
	CHECK(ok(d, &f));
}

/*
 * A message type that cruddur's protos lack: repeated int32, fixed32 and
 * bool, all packed, built by hand the way protoc-c builds descriptors.
 */
typedef struct packed_msg {
	ProtobufCMessage    base;
	size_t              n_ints;
	int32_t            *ints;
	size_t              n_fixed;
	uint32_t           *fixed;
	size_t              n_flags;
	protobuf_c_boolean *flags;
} packed_msg;

static const ProtobufCFieldDescriptor packed_fields[] = {
	{ "ints", 1, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_INT32, offsetof(packed_msg, n_ints),
	    offsetof(packed_msg, ints), NULL, NULL, PROTOBUF_C_FIELD_FLAG_PACKED, 0, NULL, NULL },
	{ "fixed", 2, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_FIXED32,
	    offsetof(packed_msg, n_fixed), offsetof(packed_msg, fixed), NULL, NULL,
	    PROTOBUF_C_FIELD_FLAG_PACKED, 0, NULL, NULL },
	{ "flags", 3, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_BOOL, offsetof(packed_msg, n_flags),
	    offsetof(packed_msg, flags), NULL, NULL, PROTOBUF_C_FIELD_FLAG_PACKED, 0, NULL, NULL },
};
static const unsigned         packed_by_name[] = { 1, 2, 0 };
static const ProtobufCIntRange packed_ranges[] = { { 1, 0 }, { 0, 3 } };
static const ProtobufCMessageDescriptor packed_desc = { PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
	"test.Packed", "Packed", "Test__Packed", "test", sizeof(packed_msg), 3, packed_fields,
	packed_by_name, 1, packed_ranges, NULL, NULL, NULL, NULL };

static void
test_packed(void)
{
	int32_t            ints[1000];
	uint32_t           fixed[3] = { 1, 2, 3 };
	protobuf_c_boolean flags[5] = { 1, 0, 1, 1, 0 };
	packed_msg         m = { .base = PROTOBUF_C_MESSAGE_INIT(&packed_desc) };

	for (int i = 0; i < 1000; i++)
		ints[i] = i * 1000 - 300000; /* 1 to 10 bytes each */
	m.ints = ints;
	m.n_ints = 1000;
	m.fixed = fixed;
	m.n_fixed = 3;
	m.flags = flags;
	m.n_flags = 5;
	wire_frame f = packed_frame(&m.base);
	CHECK(ok(&packed_desc, &f));
	packed_msg *back = (packed_msg *)protobuf_c_message_unpack(&packed_desc, NULL, f.len, f.data);
	CHECK(back != NULL && back->n_ints == 1000 && back->n_fixed == 3 && back->n_flags == 5);
	protobuf_c_message_free_unpacked(&back->base, NULL);

	/* Packed and unpacked entries add up, against the limit. */
	wire_frame_uint(&f, 1, 7);
	CHECK_REFUSED(&packed_desc, &f, &wire_default_limits,
	    "test.Packed.ints has more than 1000 entries");
	wire_frame_free(&f);

	static const struct {
		uint8_t     bytes[8];
		size_t      len;
		const char *want;
	} bad[] = {
		{ { 0x0a, 0x02, 0x01, 0x80 }, 4, "at byte 2: a packed repeated field" },
		{ { 0x12, 0x03, 1, 2, 3 }, 5, "a packed repeated field" },
		{ { 0x0a, 0x00, 0x1d, 1, 2, 3, 4 }, 7, "test.Packed.flags has wire type 5, not 0" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wire_frame b = { (uint8_t *)bad[i].bytes, bad[i].len, bad[i].len };
		CHECK_REFUSED(&packed_desc, &b, &wire_default_limits, bad[i].want);
	}
}

/* Whether desc and every message type within it (to the depth limit)
 * have at most WIRE_MAX_FIELDS fields: a larger one would be refused. */
static bool
fields_fit(const ProtobufCMessageDescriptor *desc, unsigned depth)
{
	if (desc->n_fields > WIRE_MAX_FIELDS) {
		printf("  %s has %u fields\n", desc->name, desc->n_fields);
		return false;
	}
	for (unsigned i = 0; depth < WIRE_MAX_DEPTH && i < desc->n_fields; i++)
		if (desc->fields[i].type == PROTOBUF_C_TYPE_MESSAGE &&
		    !fields_fit(desc->fields[i].descriptor, depth + 1))
			return false;
	return true;
}

/* Every type that cruddurd checks can be checked. */
static void
test_descriptor_sizes(void)
{
	CHECK(fields_fit(&cruddur__v1__request_envelope__descriptor, 1));
	for (size_t i = 0; i < rpc_method_count; i++)
		CHECK(fields_fit(rpc_method_table[i].method->input, 1));
}

/* What is checked is linear: 340,000 fields take about as long as 16. */
static void
test_cost(void)
{
	wire_frame f = { 0 };

	wire_frame_zeros(&f, 15, 2, 340000);
	double t0 = ts_now();
	CHECK(!ok(&cruddur__v1__request_envelope__descriptor, &f));
	double refused = ts_now() - t0;
	wire_limits lim = wire_default_limits;
	lim.max_unknown = 1000000;
	t0 = ts_now();
	CHECK(ok_with(&cruddur__v1__request_envelope__descriptor, &f, &lim));
	double walked = ts_now() - t0;
	printf("340,000 unknown fields (680 kB): refused in %.1f us; walked in full in %.0f us "
	       "(%.1f ns a byte)\n",
	    refused * 1e6, walked * 1e6, walked * 1e9 / (double)f.len);
	CHECK(walked < 0.5); /* about 1 ms; a loaded machine under ASan stays well below */
	wire_frame_free(&f);
}

/* protobuf-c hands strings on as C strings: what follows a NUL would be
 * invisible ("<token>\0junk" read as the token). A NUL in any string
 * field, envelope or body, is refused on the wire; in a bytes field it is
 * data. */
static void
test_nul_in_strings(void)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry   auth = CRUDDUR__V1__METADATA_ENTRY__INIT;
	Cruddur__V1__MetadataEntry  *md[1] = { &auth };
	size_t                       len;
	uint8_t                     *buf;

	env.method = "cruddur.v1.Health/CheckXjunk";
	auth.key = "authorization";
	auth.value = "0123456789abcdefXjunk";
	env.metadata = md;
	env.n_metadata = 1;
	env.body.data = (uint8_t *)"\0\0\0"; /* bytes: NULs are data */
	env.body.len = 3;
	buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	CHECK(wire_check(&cruddur__v1__request_envelope__descriptor, buf, len, &wire_default_limits,
	    why, sizeof(why)));
	ts_nul_at(buf, len, "Xjunk"); /* the method's X */
	CHECK(!wire_check(&cruddur__v1__request_envelope__descriptor, buf, len,
	    &wire_default_limits, why, sizeof(why)));
	CHECK_STREQ(why, "cruddur.v1.RequestEnvelope.method holds a NUL byte");
	/* protobuf-c itself takes it, and sees only what comes before. */
	Cruddur__V1__RequestEnvelope *got = cruddur__v1__request_envelope__unpack(NULL, len, buf);
	CHECK(got != NULL && strcmp(got->method, "cruddur.v1.Health/Check") == 0);
	cruddur__v1__request_envelope__free_unpacked(got, NULL);
	free(buf);

	env.method = "cruddur.v1.Health/Check";
	buf = cruddur_i_envelope_pack_alloc(&env.base, &len);
	ts_nul_at(buf, len, "Xjunk"); /* now the token's */
	CHECK(!wire_check(&cruddur__v1__request_envelope__descriptor, buf, len,
	    &wire_default_limits, why, sizeof(why)));
	CHECK_STREQ(why, "cruddur.v1.MetadataEntry.value holds a NUL byte");
	free(buf);

	/* In a body: an activity's message would be stored cut short. */
	Cruddur__V1__CreateActivityRequest req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	req.message = "helloXworld";
	buf = cruddur_i_envelope_pack_alloc(&req.base, &len);
	ts_nul_at(buf, len, "Xworld");
	CHECK(!wire_check(&cruddur__v1__create_activity_request__descriptor, buf, len,
	    &wire_default_limits, why, sizeof(why)));
	CHECK_STREQ(why, "cruddur.v1.CreateActivityRequest.message holds a NUL byte");
	free(buf);
}

int
main(void)
{
	test_real_messages();
	test_unknown_fields();
	test_repeats();
	test_depth();
	test_malformed();
	test_packed();
	test_descriptor_sizes();
	test_cost();
	test_nul_in_strings();
	return ts_finish("wire_check_test");
}
