/*
 * text.h - checking text that came from the network before it goes near
 * the database (valid UTF-8, a length in characters), and quoting it in
 * the messages sent back: proto3 strings must be valid UTF-8, and strict
 * decoders (Python's, Go's, Java's) refuse a whole reply that is not.
 * And text_set, the one way a message is put into a caller's buffer.
 */
#ifndef CRUDDUR_TEXT_H
#define CRUDDUR_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The number of characters (code points) in s, or -1 when s is not valid
 * UTF-8 (overlong forms, surrogates and values past U+10FFFF included). */
long text_utf8_length(const char *s);

/* Cuts an incomplete UTF-8 sequence off the end of s, as snprintf leaves
 * when it truncates text in the middle of a character. */
void text_utf8_trim(char *s);

/* A caller's text s (NULL: "") made fit to quote in a message, into out
 * (outlen bytes, always NUL-terminated), which it returns. Valid UTF-8 is
 * kept; bytes that are not are escaped as \xNN, control characters as
 * \xNN (C0, DEL) or \uNNNN (C1), and '"' and '\' with a backslash. Text
 * that does not fit is cut between two characters and ends in "...".
 * The result is always valid UTF-8. For rpc_fail's arguments:
 *   char q[64];
 *   rpc_fail(ctx, st, "ttl \"%s\" is not ...", text_quote(q, sizeof(q), ttl)); */
const char *text_quote(char *out, size_t outlen, const char *s);

/* s itself when it is valid UTF-8 (NULL: ""), else s quoted into out as
 * text_quote does: for text that is sent on as it is but may not be UTF-8
 * (a database's words, which PostgreSQL may have cut inside a character). */
const char *text_utf8_or_quote(char *out, size_t outlen, const char *s);

/* Whether s is a canonical UUID (8-4-4-4-12 hex digits). */
bool text_is_uuid(const char *s);

/* Copies text into msg (msglen bytes, always terminated; cut when it does
 * not fit), for the (char *msg, size_t msglen) out-parameters that say
 * why a call failed. A NULL msg or a msglen of 0 is left alone. */
void text_set(char *msg, size_t msglen, const char *text);

#endif /* CRUDDUR_TEXT_H */
