/*
 * fuzz_wire_check.c - wire_check against protobuf-c on the same bytes.
 *
 * The first byte picks a message type (its low 7 bits: 0 the request
 * envelope, then every method's input type, then every output type, in
 * the order of the generated method table) and, with its high bit, tight
 * limits instead of the defaults; the rest is the message. When
 * wire_check accepts the bytes, protobuf-c must decode them (cruddur's
 * protos have no field whose value protobuf-c can refuse once its framing
 * and wire type are right), every decoded message must have no more unknown
 * fields than the limit, and decoding must allocate at most
 * ALLOC_PER_BYTE times the input plus ALLOC_FIXED: what it accepts is cheap
 * to decode. Any of these failing aborts.
 */
#include <stdlib.h>

#include "rpc_handlers.h"
#include "rpc/wire_check.h"

#define ALLOC_PER_BYTE 64
#define ALLOC_FIXED (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const wire_limits tight_limits = { 3, 2, 4, 2 };

/* protobuf-c's allocations, counted. */
static void *
counting_alloc(void *total, size_t n)
{
	*(size_t *)total += n;
	return malloc(n);
}

static void
counting_free(void *total, void *p)
{
	(void)total;
	free(p);
}

/* Aborts unless m and every message in it have at most max unknown fields. */
static void
check_unknown(const ProtobufCMessage *m, unsigned max)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields > max)
		abort();
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const char *at = (const char *)m + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t                   n = *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *list = *(ProtobufCMessage *const *const *)at;
			for (size_t j = 0; j < n; j++)
				check_unknown(list[j], max);
		} else if (*(ProtobufCMessage *const *)at != NULL) {
			check_unknown(*(ProtobufCMessage *const *)at, max);
		}
	}
}

static const ProtobufCMessageDescriptor *
pick(uint8_t sel)
{
	size_t i = (size_t)(sel & 0x7f) % (1 + 2 * rpc_method_count);

	if (i == 0)
		return &cruddur__v1__request_envelope__descriptor;
	if (i <= rpc_method_count)
		return rpc_method_table[i - 1].method->input;
	return rpc_method_table[i - 1 - rpc_method_count].method->output;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];

	if (size < 1)
		return 0;
	const ProtobufCMessageDescriptor *desc = pick(data[0]);
	const wire_limits *lim = (data[0] & 0x80) ? &tight_limits : &wire_default_limits;
	if (!wire_check(desc, data + 1, size - 1, lim, why, sizeof(why)))
		return 0;

	size_t             total = 0;
	ProtobufCAllocator a = { counting_alloc, counting_free, &total };
	ProtobufCMessage  *m = protobuf_c_message_unpack(desc, &a, size - 1, data + 1);
	if (m == NULL)
		abort(); /* accepted, yet protobuf-c frames it otherwise */
	check_unknown(m, lim->max_unknown);
	if (total > ALLOC_PER_BYTE * size + ALLOC_FIXED)
		abort();
	protobuf_c_message_free_unpacked(m, &a);
	return 0;
}
