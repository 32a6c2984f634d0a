/*
 * wire_frame.h - protobuf wire bytes written by hand, for tests that send
 * what no encoder would: hundreds of thousands of unknown fields, a field
 * given twice, a varint that does not end, a length past the end.
 *
 * A frame grows on the heap as it is written; the writer aborts when out
 * of memory (a test has no better answer). Free it with wire_frame_free.
 */
#ifndef CRUDDUR_WIRE_FRAME_H
#define CRUDDUR_WIRE_FRAME_H

#include <stddef.h>
#include <stdint.h>

typedef struct wire_frame {
	uint8_t *data;
	size_t   len, cap;
} wire_frame;

void wire_frame_byte(wire_frame *f, uint8_t b);
void wire_frame_varint(wire_frame *f, uint64_t v);

/* The tag of field with wire type wt (0 varint, 1 64-bit, 2 length-delimited,
 * 5 32-bit; anything else too, to write what is malformed). */
void wire_frame_tag(wire_frame *f, uint32_t field, unsigned wt);

/* Field `field`, length-delimited, holding the n bytes at p (p may be NULL
 * when n is 0). */
void wire_frame_bytes(wire_frame *f, uint32_t field, const void *p, size_t n);

/* Field `field`, wire type 0, value v. */
void wire_frame_uint(wire_frame *f, uint32_t field, uint64_t v);

/* n fields `field` of wire type wt (0 or 2), each with the one byte 0
 * after its tag: a varint 0, or an empty length-delimited value. Two bytes
 * each for fields 1 to 15. */
void wire_frame_zeros(wire_frame *f, uint32_t field, unsigned wt, size_t n);

void wire_frame_free(wire_frame *f);

#endif /* CRUDDUR_WIRE_FRAME_H */
