/*
 * fuzz_request.c - every method's request decoder and validation: the
 * first byte picks a method of the generated table, the rest is the body,
 * sent in a well-formed envelope (so the fuzzer spends its time in the
 * request messages, not in the envelope).
 */
#include <stdlib.h>

#include "envelope.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	size_t                       len;
	uint8_t                     *buf;

	if (size < 1)
		return 0;
	env.method = (char *)rpc_method_table[data[0] % rpc_method_count].method->full_name;
	env.request_id = 1;
	env.deadline_ms = 1000;
	env.body.data = (uint8_t *)data + 1;
	env.body.len = size - 1;
	if ((buf = cruddur_i_envelope_pack_alloc(&env.base, &len)) == NULL)
		return 0;
	fuzz_dispatch_bytes(buf, len);
	free(buf);
	return 0;
}
