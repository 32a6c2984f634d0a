/*
 * strict_replies.h - every reply a test receives, decoded once more at its
 * end by a strict proto3 decoder: python3-protobuf, through
 * tests/support/strict_decode.py, with both of its implementations (C++ and
 * pure Python). protobuf-c takes a string field that is not valid UTF-8;
 * Python's, Go's and Java's decoders refuse the whole message, so a reply
 * that only protobuf-c could read fails the test.
 *
 * The replies go to a scratch file under /tmp, removed by ts_strict_check.
 * The environment comes from tests/CMakeLists.txt: CRUDDUR_PYTHON3 (a
 * python3 that has python3-protobuf), CRUDDUR_PROTO_DESC (the build's
 * FileDescriptorSet of proto/). Not thread-safe: one thread records.
 */
#ifndef CRUDDUR_STRICT_REPLIES_H
#define CRUDDUR_STRICT_REPLIES_H

#include <stddef.h>

#include <nng/nng.h>

#include "cruddur/cruddur.h"

/* Keeps a packed ResponseEnvelope for ts_strict_check. body_type is the
 * full name of its body's message ("cruddur.v1.HealthCheckResponse"), to
 * decode the body too when the status is OK; NULL: the envelope only. */
void ts_strict_record(const char *body_type, const void *reply, size_t len);

/* Calls m on a raw REQ socket s, the way a client in any language would:
 * req packed in a RequestEnvelope (with token as "authorization" metadata
 * unless NULL), the reply recorded (ts_strict_record) and decoded with
 * protobuf-c. Its message goes into msg (msglen bytes; may be NULL), its
 * body into *resp when the status is OK and resp is not NULL (free it with
 * protobuf_c_message_free_unpacked(*resp, NULL)). Returns the status, or
 * -1 when no reply came (a failed check). */
int ts_raw_call(nng_socket s, const cruddur_method *m, const char *token,
    const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg, size_t msglen);

/* Sends raw bytes as a request on s; records the reply like ts_raw_call.
 * Returns the reply's status, -2 when protobuf-c cannot decode it, -1
 * when none came. */
int ts_raw_send(nng_socket s, const void *data, size_t len, char *msg, size_t msglen);

/* Runs strict_decode.py on what was recorded, once per implementation;
 * a failed check unless each decodes every reply. Prints the counts. */
void ts_strict_check(void);

#endif /* CRUDDUR_STRICT_REPLIES_H */
