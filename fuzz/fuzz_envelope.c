/*
 * fuzz_envelope.c - the decoders that read untrusted bytes outside the
 * dispatcher: both envelopes, the page cursor, UTF-8 checking.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "svc/cursor.h"
#include "fuzz_support.h"
#include "base/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Cruddur__V1__RequestEnvelope *req = cruddur__v1__request_envelope__unpack(NULL, size, data);
	cruddur__v1__request_envelope__free_unpacked(req, NULL);
	Cruddur__V1__ResponseEnvelope *resp = cruddur__v1__response_envelope__unpack(NULL, size, data);
	cruddur__v1__response_envelope__free_unpacked(resp, NULL);

	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)text_utf8_length(text);
	(void)text_is_uuid(text);

	rpc_context ctx = { .env = &fuzz_server()->env };
	page_key    key;
	bool        first;
	if ((ctx.arena = arena_new()) != NULL) {
		if (cursor_decode(&ctx, text, &key, &first) == CRUDDUR_OK && !first) {
			/* What decodes encodes back to a cursor that decodes the same. */
			page_key again;
			char    *c = cursor_encode(&ctx, &key);
			if (cursor_decode(&ctx, c, &again, &first) != CRUDDUR_OK ||
			    again.created_at_us != key.created_at_us || strcmp(again.uuid, key.uuid) != 0)
				abort();
		}
		arena_free(ctx.arena);
	}
	free(text);
	return 0;
}
