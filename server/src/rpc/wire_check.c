/*
 * wire_check.c - protobuf wire bytes checked against a descriptor before
 * they are decoded; see wire_check.h.
 *
 * One pass per message: read a tag, find the end of its value, look the
 * field up, count it, recurse into it if it is a message. The framing rules
 * are protobuf-c 1.4.1's, or stricter, so that every field boundary seen
 * here is one protobuf-c sees: tags and length prefixes of at most 5 bytes
 * (it reads no more), varints of at most 10, lengths within what is left.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rpc/wire_check.h"

#define WIRE_VARINT 0
#define WIRE_64BIT 1
#define WIRE_LEN 2
#define WIRE_32BIT 5

#define MAX_VARINT_BYTES 10
#define MAX_TAG_BYTES 5      /* protobuf-c reads a tag of at most 5 bytes */
#define MAX_LENGTH_BYTES 5   /* and a length prefix of at most 5 */
#define MAX_FIELD_NUMBER 536870911u

const wire_limits wire_default_limits = { WIRE_MAX_DEPTH, WIRE_MAX_UNKNOWN, WIRE_MAX_ENTRIES,
	WIRE_MAX_REPEATS };

typedef struct scan {
	const wire_limits *lim;
	const uint8_t     *start; /* of the outermost message: offsets count from it */
	char              *why;
	size_t             why_len;
} scan;

static bool refuse(scan *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
refuse(scan *sc, const char *fmt, ...)
{
	va_list ap;

	if (sc->why_len > 0) {
		va_start(ap, fmt);
		vsnprintf(sc->why, sc->why_len, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool
malformed(scan *sc, const ProtobufCMessageDescriptor *desc, const uint8_t *at, const char *what)
{
	return refuse(sc, "%s is malformed at byte %zu: %s", desc->name, (size_t)(at - sc->start),
	    what);
}

/* Reads a varint of at most max bytes from *p (before end) into *v and
 * moves *p past it; false when it does not end within max bytes or end.
 * Bits past 64 are dropped, as protobuf-c drops them. */
static bool
read_varint(const uint8_t **p, const uint8_t *end, unsigned max, uint64_t *v)
{
	uint64_t val = 0;

	for (unsigned i = 0; i < max && *p + i < end; i++) {
		uint8_t b = (*p)[i];
		val |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*p += i + 1;
			*v = val;
			return true;
		}
	}
	return false;
}

/* The wire type a non-packed value of type t travels in. */
static unsigned
wire_type_of(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return WIRE_32BIT;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return WIRE_64BIT;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return WIRE_LEN;
	default:
		return WIRE_VARINT; /* the integers, enums, bool */
	}
}

/* The number of elements in the packed value p..end of a repeated field
 * of type t into *n; false when the bytes cannot be such elements. */
static bool
count_packed(ProtobufCType t, const uint8_t *p, const uint8_t *end, size_t *n)
{
	size_t len = (size_t)(end - p), count = 0, run = 0;

	switch (wire_type_of(t)) {
	case WIRE_32BIT:
		*n = len / 4;
		return len % 4 == 0;
	case WIRE_64BIT:
		*n = len / 8;
		return len % 8 == 0;
	default:
		break;
	}
	if (t == PROTOBUF_C_TYPE_BOOL) {
		*n = len; /* one byte each, as protobuf-c reads them */
		return true;
	}
	for (; p < end; p++) {
		if (++run > MAX_VARINT_BYTES)
			return false;
		if ((*p & 0x80) == 0) {
			count++;
			run = 0;
		}
	}
	*n = count;
	return run == 0;
}

static bool scan_message(scan *sc, const ProtobufCMessageDescriptor *desc, const uint8_t *p,
    const uint8_t *end, unsigned depth);

/* One occurrence of known field f of desc, of wire type wt, its value at
 * value..end; *seen counts the field's occurrences (or entries) so far. */
static bool
scan_field(scan *sc, const ProtobufCMessageDescriptor *desc, const ProtobufCFieldDescriptor *f,
    unsigned wt, const uint8_t *value, const uint8_t *end, size_t *seen, unsigned depth)
{
	bool   repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
	bool   packed = repeated && wt == WIRE_LEN && wire_type_of(f->type) != WIRE_LEN;
	size_t n = 1;

	if (!packed && wt != wire_type_of(f->type))
		return refuse(sc, "%s.%s has wire type %u, not %u", desc->name, f->name, wt,
		    wire_type_of(f->type));
	if (packed && !count_packed(f->type, value, end, &n))
		return malformed(sc, desc, value, "a packed repeated field that does not divide into values");
	*seen += n;
	if (repeated && *seen > sc->lim->max_entries)
		return refuse(sc, "%s.%s has more than %u entries", desc->name, f->name,
		    sc->lim->max_entries);
	if (!repeated && *seen > sc->lim->max_repeats)
		return refuse(sc, "%s.%s occurs more than %u times", desc->name, f->name,
		    sc->lim->max_repeats);
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return scan_message(sc, f->descriptor, value, end, depth + 1);
	/* protobuf-c gives a string as a C string: what follows a NUL would be
	 * invisible to the code that reads it ("<token>\0junk" read as the token,
	 * "Health/Check\0junk" as Health/Check, a message stored cut short). */
	if (f->type == PROTOBUF_C_TYPE_STRING && memchr(value, 0, (size_t)(end - value)) != NULL)
		return refuse(sc, "%s.%s holds a NUL byte", desc->name, f->name);
	return true;
}

/* The message of type desc in p..end, depth deep. */
static bool
scan_message(scan *sc, const ProtobufCMessageDescriptor *desc, const uint8_t *p,
    const uint8_t *end, unsigned depth)
{
	size_t   seen[WIRE_MAX_FIELDS]; /* occurrences by field index */
	unsigned unknown = 0;

	if (depth > sc->lim->max_depth)
		return refuse(sc, "%s is nested more than %u messages deep", desc->name,
		    sc->lim->max_depth);
	if (desc->n_fields > WIRE_MAX_FIELDS)
		return refuse(sc, "%s has %u fields, more than the %d that can be checked", desc->name,
		    desc->n_fields, WIRE_MAX_FIELDS);
	memset(seen, 0, desc->n_fields * sizeof(seen[0]));
	while (p < end) {
		const uint8_t *at = p, *value;
		uint64_t       key, n;

		if (!read_varint(&p, end, MAX_TAG_BYTES, &key))
			return malformed(sc, desc, at, "a tag that is not a varint of at most 5 bytes");
		if (key >> 3 == 0 || key >> 3 > MAX_FIELD_NUMBER)
			return malformed(sc, desc, at, "a field number outside 1..536870911");
		value = p;
		switch ((unsigned)(key & 7)) {
		case WIRE_VARINT:
			if (!read_varint(&p, end, MAX_VARINT_BYTES, &n))
				return malformed(sc, desc, value, "an unterminated varint");
			break;
		case WIRE_64BIT:
		case WIRE_32BIT: {
			size_t size = (key & 7) == WIRE_64BIT ? 8 : 4;
			if ((size_t)(end - p) < size)
				return malformed(sc, desc, value, "a fixed-size value past the end");
			p += size;
			break;
		}
		case WIRE_LEN:
			if (!read_varint(&p, end, MAX_LENGTH_BYTES, &n) || n > (uint64_t)(end - p))
				return malformed(sc, desc, value, "a length prefix past the end or longer than 5 bytes");
			value = p;
			p += n;
			break;
		default:
			return malformed(sc, desc, at, "a wire type other than 0, 1, 2 or 5");
		}

		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3));
		if (f == NULL) {
			if (++unknown > sc->lim->max_unknown)
				return refuse(sc, "%s has more than %u unknown fields", desc->name,
				    sc->lim->max_unknown);
		} else if (!scan_field(sc, desc, f, (unsigned)(key & 7), value, p,
		               &seen[f - desc->fields], depth)) {
			return false;
		}
	}
	return true;
}

bool
wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
    const wire_limits *lim, char *why, size_t why_len)
{
	scan sc = { lim, data, why, why_len };

	if (why_len > 0)
		why[0] = '\0';
	if (len == 0)
		return true; /* every field absent; data may be NULL */
	return scan_message(&sc, desc, data, data + len, 1);
}
