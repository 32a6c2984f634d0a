/*
 * json_print.c - cruddur_json_print: a protobuf-c message as canonical
 * proto3 JSON (cruddur/json.h has the mapping).
 *
 * The message is walked by its descriptor into a jansson tree, which
 * jansson then writes out; jansson does the escaping and the number
 * formats (integers exactly, doubles with 17 significant digits, enough to
 * read the same double back). Fields come in the descriptor's order, the
 * order of their numbers, as the CLI's --json always printed them.
 *
 * No state and no locks: the tree is built and freed within the call. The
 * returned string is the caller's (free()).
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cruddur/json.h"
#include "json_internal.h"

static json_t *message_to_json(const ProtobufCMessage *m);

/* A JSON string of s[0..len), with U+FFFD for each byte that does not
 * start a well-formed UTF-8 character (jansson refuses those). */
static json_t *
string_to_json(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t               i = 0, n;

	while (i < len && (n = cruddur_i_json_utf8_char(p + i, len - i)) > 0)
		i += n;
	if (i == len)
		return json_stringn(s, len);

	char *fixed = malloc(3 * len + 1); /* one byte becomes at most three */
	if (fixed == NULL)
		return NULL;
	size_t o = 0;
	for (i = 0; i < len; i += n) {
		if ((n = cruddur_i_json_utf8_char(p + i, len - i)) == 0) {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		} else {
			memcpy(fixed + o, p + i, n);
			o += n;
		}
	}
	json_t *j = json_stringn(fixed, o);
	free(fixed);
	return j;
}

/* Standard base64 with padding (RFC 4648 section 4). */
static json_t *
bytes_to_json(const ProtobufCBinaryData *b)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char             *out = malloc(4 * ((b->len + 2) / 3) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < b->len; i += 3) {
		uint32_t v = (uint32_t)b->data[i] << 16;
		if (i + 1 < b->len)
			v |= (uint32_t)b->data[i + 1] << 8;
		if (i + 2 < b->len)
			v |= b->data[i + 2];
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < b->len ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < b->len ? tbl[v & 63] : '=';
	}
	json_t *j = json_stringn(out, (size_t)(o - out));
	free(out);
	return j;
}

/* NaN and the infinities have no JSON number: the mapping's strings. */
static json_t *
double_to_json(double d)
{
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

static json_t *
enum_to_json(const ProtobufCEnumDescriptor *d, int value)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);

	/* A number this build does not know (a newer peer's): as a number. */
	return v != NULL ? json_string(v->name) : json_integer(value);
}

static json_t *
u64_to_json(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *
i64_to_json(int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

/* One value of field fd at p (one element, for a repeated field). */
static json_t *
value_to_json(const ProtobufCFieldDescriptor *fd, const void *p)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
		return i64_to_json(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		return u64_to_json(*(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		/* The float's exact double: read back as a float, it is the same. */
		return double_to_json((double)*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return double_to_json(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		return enum_to_json(fd->descriptor, *(const int *)p);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return s != NULL ? string_to_json(s, strlen(s)) : json_string("");
	}
	case PROTOBUF_C_TYPE_BYTES:
		return bytes_to_json(p);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		return sub != NULL ? message_to_json(sub) : json_null();
	}
	}
	return NULL;
}

/* Whether singular field fd of the message at base is printed: always,
 * except an unset oneof member and an unset field with presence (proto3
 * `optional`, proto2 optional), which the mapping leaves out. */
static bool
field_printed(const ProtobufCFieldDescriptor *fd, const char *base)
{
	if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + fd->quantifier_offset) == fd->id;
	if (fd->label != PROTOBUF_C_LABEL_OPTIONAL)
		return true;
	if (fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING)
		return *(void *const *)(base + fd->offset) != NULL;
	return *(const protobuf_c_boolean *)(base + fd->quantifier_offset);
}

static json_t *
repeated_to_json(const ProtobufCFieldDescriptor *fd, const char *base)
{
	size_t      n = *(const size_t *)(base + fd->quantifier_offset);
	const char *arr = *(const char *const *)(base + fd->offset);
	size_t      size = cruddur_i_json_elem_size(fd);
	json_t     *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, value_to_json(fd, arr + i * size)) != 0) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

static json_t *
message_to_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char                       *base = (const char *)m;
	json_t                           *o = json_object();

	for (unsigned i = 0; o != NULL && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		json_t                         *v;

		if (fd->label == PROTOBUF_C_LABEL_REPEATED)
			v = repeated_to_json(fd, base);
		else if (field_printed(fd, base))
			v = value_to_json(fd, base + fd->offset);
		else
			continue;
		/* set_new takes v, and frees it when it fails (v NULL included). */
		if (json_object_set_new_nocheck(o, fd->name, v) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

char *
cruddur_json_print(const ProtobufCMessage *m, unsigned flags)
{
	json_t *j = message_to_json(m);
	char   *s;

	if (j == NULL)
		return NULL;
	s = json_dumps(j, (flags & CRUDDUR_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT);
	json_decref(j);
	return s;
}
