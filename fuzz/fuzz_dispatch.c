/*
 * fuzz_dispatch.c - raw bytes as a request message: the envelope decoder,
 * routing, body decoding and every handler's validation.
 */
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_dispatch_bytes(data, size);
	return 0;
}
