/*
 * jwt.h - a user's access token (a compact JWS, RFC 7515/7519, as Cognito
 * issues them) verified: who the caller is.
 *
 * Library choice. The signature is OpenSSL's libcrypto (EVP_DigestVerify
 * with SHA-256 on the JWKS's RSA keys, jwks.h), the JSON jansson's (already
 * libcruddur's); what is ours is splitting the token, the strict base64url
 * (b64url.h) and the claim checks. Not Debian 12's libjwt: it is 1.10, whose
 * jwt_decode takes one key and the algorithm from the token's own header
 * (the door to algorithm confusion that an RSA public key used as an HS256
 * secret walks through), and which has no JWKS (key sets by kid came in
 * later versions), so it would need libcrypto beside it for the keys anyway.
 *
 * Checks, in this order; the first that fails is the reason (short, never
 * the token or a part of it):
 *   1. at most JWT_MAX_BYTES, else refused before anything is decoded;
 *   2. three base64url parts separated by dots;
 *   3. the header a JSON object, "alg" exactly "RS256": none, HS256 and
 *      everything else are refused before any key is looked at; a "crit"
 *      header (extensions we do not know) is refused;
 *   4. "kid" names a key of the set in use;
 *   5. the signature, of the key's size, verifies (OpenSSL);
 *   6. only then the claims, a JSON object (duplicate names refused):
 *      "iss" equals the configured issuer; "exp" present and not passed,
 *      "nbf" (when present) reached, each with JWT_LEEWAY_S seconds of
 *      leeway for clocks that differ; "token_use" is "access"; "client_id"
 *      one of the configured ids or, when there is no client_id, "aud" (a
 *      string or an array of strings) holds one of them; "sub" a string of
 *      1 to JWT_SUB_MAX bytes without control characters (jansson has
 *      checked it is UTF-8): the user (their cognito_user_id).
 *
 * Thread-safe: the configuration is read-only, the key set is taken with a
 * reference for the duration of one verification.
 */
#ifndef CRUDDUR_JWT_H
#define CRUDDUR_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc/jwks.h"

#define JWT_MAX_BYTES 8192
#define JWT_LEEWAY_S 30
#define JWT_SUB_MAX 128
#define JWT_MAX_CLIENT_IDS 16

/* What tokens are checked against; read-only once serving. */
typedef struct jwt_config {
	jwks_store        *keys;
	const char        *issuer;
	const char *const *client_ids;
	size_t             n_client_ids;
	int                leeway_s;
} jwt_config;

/* Whether s (len bytes) has the shape of a compact JWS: base64url digits in
 * three parts, separated by two dots (parts may be empty, so that an
 * unsigned "alg: none" token counts as one and is refused). */
bool jwt_looks_like(const char *s, size_t len);

/* Verifies token (len bytes) at now_s (seconds since the epoch). Returns 0
 * with the sub claim in sub (NUL-terminated, at most JWT_SUB_MAX bytes; sub
 * has room for JWT_SUB_MAX + 1), or -1 with the reason in why. */
int jwt_verify(const jwt_config *c, const char *token, size_t len, int64_t now_s,
    char sub[JWT_SUB_MAX + 1], char *why, size_t whylen);

#endif /* CRUDDUR_JWT_H */
