/*
 * jwks.h - the RSA keys that user tokens are signed with, from a JWKS file
 * (RFC 7517), looked up by key id; reloaded on SIGHUP (main.c).
 *
 * The file is what Cognito serves at .well-known/jwks.json:
 *   {"keys": [{"kty": "RSA", "kid": "...", "n": "...", "e": "...",
 *              "alg": "RS256", "use": "sig"}, ...]}
 * "alg" may be absent or RS256, "use" absent or sig; keys of another kind
 * (EC, oct), algorithm or use are skipped, as a JWKS may hold keys for other
 * purposes. Bounded: the file at most JWKS_MAX_FILE_BYTES, at most
 * JWKS_MAX_KEYS usable keys, moduli of 2048 to 8192 bits, key ids of at most
 * JWKS_MAX_KID_BYTES; a malformed key, a key id given twice or no usable key
 * refuses the whole file (never half a set).
 *
 * Ownership and locking: a loaded set (jwks) is immutable and reference
 * counted (an atomic count). The store holds the set in use; a reader takes
 * a reference under the store's mutex (jwks_store_acquire: a pointer copy
 * and an increment, nothing slow under it) and releases it when done, so a
 * reload that swaps the set in (under the same mutex) frees the old one only
 * after its last reader let go: no reader ever sees a freed set. A key
 * (EVP_PKEY) is borrowed from its set for as long as the reference is held;
 * OpenSSL allows concurrent verifications with one EVP_PKEY.
 */
#ifndef CRUDDUR_JWKS_H
#define CRUDDUR_JWKS_H

#include <stddef.h>

#include <openssl/evp.h>

#define JWKS_MAX_FILE_BYTES (256 * 1024)
#define JWKS_MAX_KEYS 32
#define JWKS_MAX_KID_BYTES 256

typedef struct jwks       jwks;
typedef struct jwks_store jwks_store;

/* Parses a JWKS document of len bytes. Returns 0 and a set with one
 * reference (jwks_release frees it), or -1 with why in err. */
int jwks_parse(const char *text, size_t len, jwks **out, char *err, size_t errlen);

/* The key with this id (NUL-terminated), borrowed from k; NULL: none. */
EVP_PKEY *jwks_find(const jwks *k, const char *kid);

/* How many keys k holds. */
size_t jwks_count(const jwks *k);

/* Drops one reference to k (NULL: nothing); the last frees it. */
void jwks_release(jwks *k);

/* Loads path into a new store. Returns 0, or -1 with why in err (the file
 * unreadable, too large, or refused by jwks_parse). Logs how many keys. */
int jwks_store_new(jwks_store **out, const char *path, char *err, size_t errlen);

/* Reads the store's file again and swaps the new set in. On failure (-1,
 * why in err) the old set stays in use. Logs the outcome either way. */
int jwks_store_reload(jwks_store *s, char *err, size_t errlen);

/* The set in use, with a reference for the caller (jwks_release). */
jwks *jwks_store_acquire(jwks_store *s);

/* Frees the store (NULL: nothing); no reader may use it any more. */
void jwks_store_free(jwks_store *s);

#endif /* CRUDDUR_JWKS_H */
