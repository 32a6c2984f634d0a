/*
 * text.h - checking text that came from the network before it goes near
 * the database: valid UTF-8, a length in characters, no NUL-free surprises.
 */
#ifndef CRUDDUR_TEXT_H
#define CRUDDUR_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc_context.h"

/* The number of characters (code points) in s, or -1 when s is not valid
 * UTF-8 (overlong forms, surrogates and values past U+10FFFF included). */
long text_utf8_length(const char *s);

/* INVALID_ARGUMENT with a message naming `field` unless s is valid UTF-8
 * of min..max characters. */
cruddur_status text_check(rpc_context *ctx, const char *field, const char *s, long min, long max);

/* Whether s is a canonical UUID (8-4-4-4-12 hex digits). */
bool text_is_uuid(const char *s);

#endif /* CRUDDUR_TEXT_H */
