/*
 * reply_arena.h - responses unpacked into a few blocks of memory and freed
 * in one go.
 *
 * Why: protobuf-c's default allocator makes one malloc per field, and a
 * HomeFeed page is some 250 of them, and as many frees: about 11 % of a
 * caller's CPU per call (bench/RESULTS.md). Unpacked here, a response
 * takes one malloc, rarely two.
 *
 * cruddur_message_free (client.c) frees what cruddur_i_reply_unpack or cruddur_i_reply_new
 * returned with cruddur_i_reply_free; a message from anywhere else must not be given
 * to it.
 */
#ifndef CRUDDUR_REPLY_ARENA_H
#define CRUDDUR_REPLY_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The message of type desc in data[0..len), or NULL when it does not
 * decode (or memory ran out). */
ProtobufCMessage *cruddur_i_reply_unpack(const ProtobufCMessageDescriptor *desc, size_t len,
    const uint8_t *data);

/* A new message of type desc with its defaults (protobuf_c_message_init),
 * first in an arena of its own with room for about extra more bytes, for
 * code that builds a message to hand out (cruddur_json_parse); NULL when
 * memory ran out. Freed with cruddur_i_reply_free, as from cruddur_i_reply_unpack. */
ProtobufCMessage *cruddur_i_reply_new(const ProtobufCMessageDescriptor *desc, size_t extra);

/* n bytes in the arena of message (from cruddur_i_reply_unpack or cruddur_i_reply_new),
 * aligned for any type, freed with the message; NULL when memory ran out. */
void *cruddur_i_reply_alloc(ProtobufCMessage *message, size_t n);

/* Frees a message from cruddur_i_reply_unpack or cruddur_i_reply_new and everything in it. */
void cruddur_i_reply_free(ProtobufCMessage *message);

#endif /* CRUDDUR_REPLY_ARENA_H */
