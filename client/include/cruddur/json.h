/*
 * cruddur/json.h - any cruddur message as protobuf's canonical proto3 JSON,
 * and back, from the protobuf-c descriptors alone.
 *
 * The mapping is protobuf's (protobuf.dev, proto3 language guide, "JSON
 * Mapping"), what Go's protojson, Python's json_format and grpcurl print and
 * parse, so that any of them can read what cruddur_json_print writes and
 * write what cruddur_json_parse reads:
 *
 *   names     printed as in the .proto ("next_cursor"); read as that name
 *             or as its lowerCamelCase JSON name ("nextCursor")
 *   defaults  every field is printed, with its zero value when unset
 *             ("", 0, false, [], the enum's first name, null for a message
 *             that is not there); only an unset oneof member or proto3
 *             `optional` field is left out. Absent or null on input: the
 *             default
 *   int32, uint32, sint32, fixed32, sfixed32   numbers; read from numbers
 *             (1.0 and 1e3 too) or decimal strings
 *   int64, uint64, sint64, fixed64, sfixed64   decimal strings ("-12"),
 *             exact; read from strings or numbers (a uint64 above 2^63-1
 *             only from a string: the JSON library's numbers are 64-bit
 *             signed)
 *   float, double   numbers, or "NaN", "Infinity", "-Infinity"; read from
 *             numbers or strings
 *   bool      true / false         enum   its value's name; read from the
 *             name or the number
 *   string    UTF-8 (bytes that are not are printed as U+FFFD)
 *   bytes     standard base64 with padding; read standard or URL-safe,
 *             padded or not
 *   repeated  arrays               message   objects
 *   map fields are printed as what protobuf-c describes them as: arrays of
 *   {"key", "value"} objects; google.protobuf's well-known types (Timestamp,
 *   Duration, the wrappers, Any, Struct) as the plain messages they are,
 *   without their special JSON forms (no .proto in cruddur uses either).
 *
 * JSON text is read and written by jansson (Debian's libjansson): exact
 * 64-bit integers, strict UTF-8 on input, duplicate keys refused; no JSON
 * is parsed by hand here.
 *
 * Thread-safe: no state outside the arguments.
 */
#ifndef CRUDDUR_JSON_H
#define CRUDDUR_JSON_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "cruddur/api.h"
#include "cruddur/status.h"

CRUDDUR_BEGIN_DECLS

/* cruddur_json_print flags: indented by two spaces, one field a line
 * (default: compact, on one line, no spaces). */
#define CRUDDUR_JSON_PRETTY 1u

/*
 * m as one JSON object, with no newline after it. The string is the
 * caller's, freed with free(); NULL only when memory ran out.
 */
CRUDDUR_API char *cruddur_json_print(const ProtobufCMessage *m, unsigned flags);

/*
 * Reads json[0..len) (one JSON object; need not end in a NUL) as a message
 * of type d. On CRUDDUR_OK *out is a new message of type d, the caller's,
 * freed with cruddur_message_free (as every message libcruddur hands out;
 * not with protobuf_c_message_free_unpacked). Otherwise *out is NULL and
 * err says why: CRUDDUR_INVALID_ARGUMENT, naming the field's path and what
 * was expected ("activities[2].author.handle: expected a string, got
 * number"; unknown field, wrong type, out of range, invalid UTF-8, a field
 * given twice, bad base64, not an object, not JSON), or
 * CRUDDUR_RESOURCE_EXHAUSTED when memory ran out. err may be NULL.
 */
CRUDDUR_API cruddur_status cruddur_json_parse(const ProtobufCMessageDescriptor *d, const char *json,
    size_t len, ProtobufCMessage **out, char *err, size_t errlen);

CRUDDUR_END_DECLS

#endif /* CRUDDUR_JSON_H */
