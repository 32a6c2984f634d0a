/*
 * envelope_nul.c - finding a NUL byte in a RequestEnvelope's strings; see
 * envelope_nul.h. It reads the protobuf wire format only as far as it
 * must: a tag, then a varint, 8 or 4 bytes, or a length and that many
 * bytes. Anything else ends the walk with no NUL found: protobuf-c has
 * already accepted these bytes, so that cannot happen in a well-formed
 * envelope, and a malformed one is not this check's to refuse.
 */
#include <stdbool.h>
#include <string.h>

#include "envelope_nul.h"

enum {
	WIRE_VARINT = 0,
	WIRE_FIXED64 = 1,
	WIRE_LEN = 2,
	WIRE_FIXED32 = 5,
	ENVELOPE_METHOD = 1,
	ENVELOPE_METADATA = 4,
	METADATA_KEY = 1,
	METADATA_VALUE = 2,
};

/* Reads a varint at *p (before end) into *v and moves *p past it. */
static bool
read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		x |= (uint64_t)(b & 0x7F) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return true;
		}
	}
	return false;
}

/* Walks the fields of one message in [p, end). In the envelope (entry
 * false) the method is checked and each metadata entry walked in turn;
 * in a metadata entry (entry true), its key and value are checked. */
static const char *
walk(const uint8_t *p, const uint8_t *end, bool entry)
{
	while (p < end) {
		uint64_t tag, len;
		if (!read_varint(&p, end, &tag))
			return NULL;
		uint64_t field = tag >> 3;
		switch (tag & 7) {
		case WIRE_VARINT:
			if (!read_varint(&p, end, &len))
				return NULL;
			break;
		case WIRE_FIXED64:
		case WIRE_FIXED32: {
			size_t n = (tag & 7) == WIRE_FIXED64 ? 8 : 4;
			if ((size_t)(end - p) < n)
				return NULL;
			p += n;
			break;
		}
		case WIRE_LEN: {
			if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p))
				return NULL;
			const char *found = NULL;
			if (!entry && field == ENVELOPE_METHOD && memchr(p, 0, len) != NULL)
				found = "method";
			else if (!entry && field == ENVELOPE_METADATA)
				found = walk(p, p + len, true);
			else if (entry && field == METADATA_KEY && memchr(p, 0, len) != NULL)
				found = "metadata key";
			else if (entry && field == METADATA_VALUE && memchr(p, 0, len) != NULL)
				found = "metadata value";
			if (found != NULL)
				return found;
			p += len;
			break;
		}
		default:
			return NULL;
		}
	}
	return NULL;
}

const char *
envelope_nul_field(const uint8_t *buf, size_t len)
{
	return buf != NULL ? walk(buf, buf + len, false) : NULL;
}
