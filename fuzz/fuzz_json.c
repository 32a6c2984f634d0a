/*
 * fuzz_json.c - cruddur_json_parse on any text, as the request or reply of
 * any method (the first byte picks which), and whatever it accepts printed
 * with cruddur_json_print and read again: the second reading must pack to
 * the same bytes as the first. Leaks and sanitizer reports fail too.
 */
#include <stdlib.h>
#include <string.h>

#include "cruddur/cruddur.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *
packed(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(*len + 1);
	if (buf == NULL)
		abort();
	protobuf_c_message_pack(m, buf);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ProtobufCMessage *m = NULL, *again = NULL;
	char              err[256];

	if (size < 1)
		return 0;
	const cruddur_method             *method = cruddur_methods[(data[0] >> 1) % cruddur_method_count];
	const ProtobufCMessageDescriptor *d = (data[0] & 1) ? method->output : method->input;
	if (cruddur_json_parse(d, (const char *)data + 1, size - 1, &m, err, sizeof(err)) != CRUDDUR_OK)
		return 0;
	char *text = cruddur_json_print(m, data[0] & 2 ? CRUDDUR_JSON_PRETTY : 0);
	if (text == NULL)
		abort();
	if (cruddur_json_parse(d, text, strlen(text), &again, err, sizeof(err)) != CRUDDUR_OK)
		abort(); /* what we print, we must read */
	size_t   n1, n2;
	uint8_t *b1 = packed(m, &n1), *b2 = packed(again, &n2);
	if (n1 != n2 || memcmp(b1, b2, n1) != 0)
		abort(); /* and read back to the same message */
	free(b1);
	free(b2);
	free(text);
	cruddur_message_free(again);
	cruddur_message_free(m);
	return 0;
}
