/*
 * wire_frame.c - protobuf wire bytes written by hand; see wire_frame.h.
 */
#include <stdlib.h>
#include <string.h>

#include "wire_frame.h"

static void
reserve(wire_frame *f, size_t more)
{
	if (f->cap - f->len >= more)
		return;
	size_t cap = f->cap ? f->cap : 1024;
	while (cap - f->len < more)
		cap *= 2;
	if ((f->data = realloc(f->data, cap)) == NULL)
		abort();
	f->cap = cap;
}

void
wire_frame_byte(wire_frame *f, uint8_t b)
{
	reserve(f, 1);
	f->data[f->len++] = b;
}

void
wire_frame_varint(wire_frame *f, uint64_t v)
{
	while (v >= 0x80) {
		wire_frame_byte(f, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	wire_frame_byte(f, (uint8_t)v);
}

void
wire_frame_tag(wire_frame *f, uint32_t field, unsigned wt)
{
	wire_frame_varint(f, (uint64_t)field << 3 | (wt & 7));
}

void
wire_frame_bytes(wire_frame *f, uint32_t field, const void *p, size_t n)
{
	wire_frame_tag(f, field, 2);
	wire_frame_varint(f, n);
	reserve(f, n);
	if (n > 0)
		memcpy(f->data + f->len, p, n);
	f->len += n;
}

void
wire_frame_uint(wire_frame *f, uint32_t field, uint64_t v)
{
	wire_frame_tag(f, field, 0);
	wire_frame_varint(f, v);
}

void
wire_frame_zeros(wire_frame *f, uint32_t field, unsigned wt, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		wire_frame_tag(f, field, wt);
		wire_frame_byte(f, 0);
	}
}

void
wire_frame_free(wire_frame *f)
{
	free(f->data);
	*f = (wire_frame){ 0 };
}
