/*
 * reply_arena.c - see reply_arena.h.
 *
 * Layout: a block starts with a reply_block header; the first block's
 * header is followed directly by the message, because the first thing
 * protobuf_c_message_unpack allocates is the message itself (cruddur_i_reply_unpack
 * checks that it is). So cruddur_i_reply_free finds the first block from the
 * message pointer; later blocks, made when the first is full, hang off it.
 * The first block is sized from the encoded length, so that one block
 * nearly always holds the whole message. Freeing inside the arena does
 * nothing: protobuf-c frees only scratch memory during unpack, and the
 * whole arena goes with the message.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "reply_arena.h"

#define REPLY_MAGIC UINT64_C(0x637275646475724d) /* "cruddurM" */

typedef struct reply_block {
	alignas(max_align_t) uint64_t magic;
	struct reply_block *more; /* the first block: the later ones */
	size_t              size, used;
} reply_block;

/* The header's size rounded up to the strictest alignment, so that the
 * message right after it is aligned like any malloc'd memory. */
#define HEADER_SIZE ((sizeof(reply_block) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

static reply_block *
block_new(size_t size)
{
	reply_block *b = malloc(HEADER_SIZE + size);

	if (b != NULL) {
		b->magic = REPLY_MAGIC;
		b->more = NULL;
		b->size = size;
		b->used = 0;
	}
	return b;
}

static void *
block_take(reply_block *b, size_t n)
{
	size_t at = (b->used + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);

	if (at > b->size || n > b->size - at)
		return NULL;
	b->used = at + n;
	return (char *)b + HEADER_SIZE + at;
}

/* ProtobufCAllocator.alloc: from the newest block with room, else from a
 * new one at least twice the size of the last. */
static void *
arena_alloc(void *data, size_t n)
{
	reply_block *first = data, *last = first->more != NULL ? first->more : first;
	void        *p;

	if (n == 0)
		n = 1;
	if ((p = block_take(last, n)) != NULL)
		return p;
	size_t       size = last->size * 2 > n ? last->size * 2 : n;
	reply_block *b = block_new(size);
	if (b == NULL)
		return NULL;
	/* The newest block goes first in the chain, where arena_alloc looks. */
	b->more = first->more;
	first->more = b;
	return block_take(b, n);
}

static void
arena_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

static void
blocks_free(reply_block *first)
{
	reply_block *b = first->more;

	while (b != NULL) {
		reply_block *next = b->more;
		free(b);
		b = next;
	}
	first->magic = 0;
	free(first);
}

ProtobufCMessage *
cruddur_i_reply_unpack(const ProtobufCMessageDescriptor *desc, size_t len, const uint8_t *data)
{
	/* Unpacked, a message takes about twice its encoded size, plus its
	 * struct and protobuf-c's scratch space. */
	reply_block *first = block_new(desc->sizeof_message + 2 * len + 1024);
	if (first == NULL)
		return NULL;
	ProtobufCAllocator a = { arena_alloc, arena_free, first };
	ProtobufCMessage  *m = protobuf_c_message_unpack(desc, &a, len, data);
	if (m == NULL || (char *)m != (char *)first + HEADER_SIZE) {
		blocks_free(first); /* the second: cruddur_i_reply_free could not find it */
		return NULL;
	}
	return m;
}

/* The first block of message's arena. */
static reply_block *
first_block(ProtobufCMessage *message)
{
	reply_block *first = (reply_block *)(void *)((char *)message - HEADER_SIZE);

	if (first->magic != REPLY_MAGIC)
		abort(); /* not from this arena: using it would corrupt the heap */
	return first;
}

ProtobufCMessage *
cruddur_i_reply_new(const ProtobufCMessageDescriptor *desc, size_t extra)
{
	reply_block *first = block_new(desc->sizeof_message + extra + 256);
	if (first == NULL)
		return NULL;
	ProtobufCMessage *m = block_take(first, desc->sizeof_message);
	protobuf_c_message_init(desc, m);
	return m;
}

void *
cruddur_i_reply_alloc(ProtobufCMessage *message, size_t n)
{
	return arena_alloc(first_block(message), n);
}

void
cruddur_i_reply_free(ProtobufCMessage *message)
{
	blocks_free(first_block(message));
}
