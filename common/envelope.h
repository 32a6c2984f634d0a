/*
 * envelope.h - protobuf messages in and out of nng messages.
 *
 * Shared by libcruddur and cruddurd (which includes this private header):
 * both sides pack an envelope straight into an nng message body and unpack
 * it from one, so the framing lives in one place.
 */
#ifndef CRUDDUR_ENVELOPE_H
#define CRUDDUR_ENVELOPE_H

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

/* Packs m into a new nng message; the caller owns *out (nng_msg_free, or
 * hand it to a send). Returns 0 or an NNG_E* code. */
int cruddur_i_envelope_to_msg(const ProtobufCMessage *m, nng_msg **out);

/* Packs m into a new malloc'd buffer of *len bytes (free() it); NULL when
 * out of memory. A message of zero bytes gives a non-NULL buffer. */
uint8_t *cruddur_i_envelope_pack_alloc(const ProtobufCMessage *m, size_t *len);

#endif /* CRUDDUR_ENVELOPE_H */
