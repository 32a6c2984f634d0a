/*
 * b64url.h - base64url without padding (RFC 4648 section 5, as JWS and JWK
 * use it, RFC 7515 section 2), decoded strictly.
 *
 * The decoding itself is OpenSSL's (EVP_DecodeBlock, after the URL
 * alphabet is mapped to the standard one); what is ours is the strictness
 * that EVP_DecodeBlock lacks: only [A-Za-z0-9_-], no '=' and no whitespace,
 * and only the canonical encoding of the bytes (no stray bits in the last
 * digit), so that one value has exactly one text. libcruddur's base64 (in
 * its JSON parser) takes both alphabets and padding, as proto3's JSON
 * must, so it is not the one for tokens.
 *
 * No state; no locks.
 */
#ifndef CRUDDUR_B64URL_H
#define CRUDDUR_B64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..len) holds only base64url digits. */
bool b64url_alphabet(const char *s, size_t len);

/* Decodes s[0..len) into a malloc'd buffer (the caller frees it; one byte
 * more than *out_len, a NUL, so that text can be read as a C string) and
 * sets *out_len. NULL when s is not canonical unpadded base64url, longer
 * than max_len digits, or memory ran out. */
unsigned char *b64url_decode(const char *s, size_t len, size_t max_len, size_t *out_len);

#endif /* CRUDDUR_B64URL_H */
