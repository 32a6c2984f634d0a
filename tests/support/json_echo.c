/*
 * json_echo.c - cruddur_json_parse as a filter, for tests/support/json_roundtrip.py:
 *
 *   json_echo TYPE < JSON > BINARY
 *
 * reads canonical JSON of the message type TYPE ("cruddur.v1.HomeFeedResponse",
 * any message a method of cruddur/stubs.h takes or returns, or one inside
 * those) and writes it packed, so that a decoder nobody here wrote can
 * compare it with the message it printed the JSON from. Exit 1 with
 * cruddur_json_parse's message on stderr when it refuses the JSON, 2 on bad
 * usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/cruddur.h"

/* The descriptor named name in d or the messages d holds; NULL if none. */
static const ProtobufCMessageDescriptor *
find_in(const ProtobufCMessageDescriptor *d, const char *name, int depth)
{
	if (strcmp(d->name, name) == 0)
		return d;
	for (unsigned i = 0; depth < 16 && i < d->n_fields; i++) {
		const ProtobufCMessageDescriptor *found;
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE &&
		    (found = find_in(d->fields[i].descriptor, name, depth + 1)) != NULL)
			return found;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const ProtobufCMessageDescriptor *d = NULL;
	static char                       buf[16 << 20];
	char                              err[512];
	ProtobufCMessage                 *m;

	if (argc != 2) {
		fprintf(stderr, "usage: json_echo TYPE < JSON > BINARY\n");
		return 2;
	}
	for (size_t i = 0; d == NULL && i < cruddur_method_count; i++)
		if ((d = find_in(cruddur_methods[i]->input, argv[1], 0)) == NULL)
			d = find_in(cruddur_methods[i]->output, argv[1], 0);
	if (d == NULL) {
		fprintf(stderr, "json_echo: no message type %s\n", argv[1]);
		return 2;
	}
	size_t len = fread(buf, 1, sizeof(buf), stdin);
	if (cruddur_json_parse(d, buf, len, &m, err, sizeof(err)) != CRUDDUR_OK) {
		fprintf(stderr, "json_echo: %s\n", err);
		return 1;
	}
	size_t   n = protobuf_c_message_get_packed_size(m);
	uint8_t *out = malloc(n + 1);
	if (out == NULL)
		return 1;
	protobuf_c_message_pack(m, out);
	fwrite(out, 1, n, stdout);
	free(out);
	cruddur_message_free(m);
	return 0;
}
