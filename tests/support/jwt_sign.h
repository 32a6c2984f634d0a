/*
 * jwt_sign.h - making RS256 tokens and JWKs with OpenSSL, for jwt_test and fuzz_jwt
 * (a test may sign; the server only verifies). Each result is malloc'd, the caller's;
 * a failure of OpenSSL aborts (these run in tests and fuzzers only). No state.
 */
#ifndef CRUDDUR_JWT_SIGN_H
#define CRUDDUR_JWT_SIGN_H

#include <stddef.h>

#include <openssl/evp.h>

/* Unpadded base64url of len bytes. */
char *b64url(const void *data, size_t len);

/* The RS256 signature of data[0..len) with key, *siglen bytes. */
unsigned char *rs256(EVP_PKEY *key, const void *data, size_t len, size_t *siglen);

/* base64url(header).base64url(claims).base64url(RS256 of the first two with key). */
char *jwt_sign(EVP_PKEY *key, const void *header, size_t hlen, const void *claims, size_t clen);

/* key's public half as a JWK with this kid, extra members appended (",..." or ""). */
char *jwk(EVP_PKEY *key, const char *kid, const char *extra);

#endif /* CRUDDUR_JWT_SIGN_H */
