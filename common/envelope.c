/*
 * envelope.c - protobuf messages in and out of nng messages.
 */
#include <stdlib.h>

#include "envelope.h"

int
cruddur_i_envelope_to_msg(const ProtobufCMessage *m, nng_msg **out)
{
	size_t   len = protobuf_c_message_get_packed_size(m);
	nng_msg *msg;
	int      rv;

	if ((rv = nng_msg_alloc(&msg, len)) != 0)
		return rv;
	protobuf_c_message_pack(m, nng_msg_body(msg));
	*out = msg;
	return 0;
}

uint8_t *
cruddur_i_envelope_pack_alloc(const ProtobufCMessage *m, size_t *len)
{
	size_t   n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n > 0 ? n : 1);

	if (buf == NULL)
		return NULL;
	protobuf_c_message_pack(m, buf);
	*len = n;
	return buf;
}
