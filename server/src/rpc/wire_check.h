/*
 * wire_check.h - a protobuf message checked on its wire bytes, against its
 * descriptor, before protobuf-c decodes it.
 *
 * protobuf-c 1.4.1 allocates for every field it meets: a scanned-member
 * record for each, a copy of each unknown field, a message for each entry
 * of a repeated message field, a new message (and a merge) each time a
 * singular message field occurs again. A 680 kB request of 340,000 two-byte
 * fields thus costs tens of megabytes and milliseconds to decode, and is
 * refused only afterwards. wire_check walks the same bytes without
 * allocating, recursing into message fields, and refuses, before anything
 * is decoded:
 *   - bytes that are not protobuf (an unterminated varint, a length past
 *     the end, a field number 0, wire types 3, 4, 6, 7), or a known field
 *     sent with a wire type that is not its own;
 *   - more than lim->max_unknown unknown fields in one message;
 *   - more than lim->max_entries entries of one repeated field (packed
 *     elements each count);
 *   - a singular field given more than lim->max_repeats times;
 *   - messages nested more than lim->max_depth deep;
 *   - a string field that holds a NUL byte (protobuf-c would hand it on as
 *     a C string, cut at the NUL: the rest would be invisible).
 * Each byte is read once, by the message it belongs to (a parent skips a
 * child's bytes by their length), so the cost is linear in the bytes; it
 * needs no memory but a small stack frame per level of nesting. What it
 * accepts, protobuf-c frames the same way: the checks hold for what it
 * decodes. It checks no other values (UTF-8, enums, ranges): that is for
 * the handlers.
 *
 * No state, no locks: any thread may call it at any time.
 */
#ifndef CRUDDUR_WIRE_CHECK_H
#define CRUDDUR_WIRE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The limits, from what real requests need. cruddur's deepest request is
 * two messages deep (UpdateProfileRequest > StringValue), its envelope too
 * (RequestEnvelope > MetadataEntry); no request type has a repeated field,
 * and an encoder writes each singular field once. Unknown fields are let
 * through, a few, for clients built from a newer .proto. */
#define WIRE_MAX_DEPTH 8
#define WIRE_MAX_UNKNOWN 16
#define WIRE_MAX_ENTRIES 1000
#define WIRE_MAX_REPEATS 8

/* Message types with more fields than this are refused: wire_check counts
 * each field's occurrences in a fixed array on its stack. */
#define WIRE_MAX_FIELDS 64

typedef struct wire_limits {
	unsigned max_depth;   /* messages within messages; the outermost is 1 */
	unsigned max_unknown; /* unknown fields in one message */
	unsigned max_entries; /* entries of one repeated field in one message */
	unsigned max_repeats; /* occurrences of one singular field in one message */
} wire_limits;

/* The limits above. */
extern const wire_limits wire_default_limits;

/*
 * Whether the len bytes at data are a message of desc within lim. When
 * they are not, false, and why (why_len bytes; ASCII) names the message
 * type, the field and the limit, or the byte offset (from data) of what
 * is malformed: "cruddur.v1.RequestEnvelope.metadata has more than 32
 * entries". data is only read.
 */
bool wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
    const wire_limits *lim, char *why, size_t why_len);

#endif /* CRUDDUR_WIRE_CHECK_H */
