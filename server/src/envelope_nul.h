/*
 * envelope_nul.h - the rule that a RequestEnvelope's strings (method,
 * metadata keys and values) hold no NUL byte.
 *
 * protobuf-c stores a string field NUL-terminated and gives no length, so
 * "cruddur.v1.Health/Check\0junk" reads as the method Health/Check and a
 * token followed by NUL and junk as the token: whatever follows the NUL is
 * invisible after unpacking. Only the wire bytes tell, so this looks at
 * them: the envelope's fields 1 (method) and 4 (metadata), and inside each
 * metadata entry its fields 1 (key) and 2 (value). Other fields are
 * skipped by their length; the body is never looked into.
 *
 * The dispatcher applies it after the envelope has been unpacked (so the
 * bytes are known to be a well-formed envelope) and before the call runs.
 * No state, no locks.
 */
#ifndef CRUDDUR_ENVELOPE_NUL_H
#define CRUDDUR_ENVELOPE_NUL_H

#include <stddef.h>
#include <stdint.h>

/* The envelope field in buf (len bytes) that holds a NUL byte: "method",
 * "metadata key" or "metadata value"; NULL when none does. Costs one
 * pass over the envelope's fields, the body skipped. */
const char *envelope_nul_field(const uint8_t *buf, size_t len);

#endif /* CRUDDUR_ENVELOPE_NUL_H */
