/*
 * jwt.c - RS256 access tokens verified with OpenSSL against the JWKS; see
 * jwt.h for the order of the checks and why it is this library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rpc/b64url.h"
#include "rpc/jwt.h"

static int
refuse(char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "%s", reason);
	return -1;
}

bool
jwt_looks_like(const char *s, size_t len)
{
	const char *d1 = memchr(s, '.', len), *d2;

	if (d1 == NULL || (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s))) == NULL)
		return false;
	size_t rest = len - (size_t)(d2 + 1 - s);
	return b64url_alphabet(s, (size_t)(d1 - s)) && b64url_alphabet(d1 + 1, (size_t)(d2 - d1 - 1)) &&
	    b64url_alphabet(d2 + 1, rest);
}

/* A part of the token as a JSON object (duplicate names refused); NULL if
 * it is not one. */
static json_t *
part_object(const char *s, size_t len)
{
	size_t         n;
	unsigned char *text = b64url_decode(s, len, JWT_MAX_BYTES, &n);
	json_t        *o = NULL;

	if (text != NULL)
		o = json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* The signature over header.payload (signed bytes) with the key. */
static bool
signature_verifies(EVP_PKEY *key, const char *signed_part, size_t signed_len,
    const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool        ok;

	/* RS256 is RSASSA-PKCS1-v1_5 with SHA-256: OpenSSL's default
	 * padding for an RSA key. */
	ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)signed_part, signed_len) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

static bool
is_client(const jwt_config *c, const char *id)
{
	for (size_t i = 0; id != NULL && i < c->n_client_ids; i++)
		if (strcmp(id, c->client_ids[i]) == 0)
			return true;
	return false;
}

/* client_id, or failing that aud (a string or an array of strings). */
static const char *
check_client(const jwt_config *c, const json_t *claims)
{
	const json_t *client_id = json_object_get(claims, "client_id");
	const json_t *aud = json_object_get(claims, "aud");
	size_t        i;
	const json_t *v;

	if (client_id != NULL)
		return is_client(c, json_string_value(client_id)) ? NULL : "wrong client";
	if (aud == NULL)
		return "no client_id or aud";
	if (json_is_string(aud))
		return is_client(c, json_string_value(aud)) ? NULL : "wrong audience";
	if (!json_is_array(aud))
		return "aud is neither a string nor an array";
	json_array_foreach(aud, i, v)
		if (is_client(c, json_string_value(v)))
			return NULL;
	return "wrong audience";
}

/* A time claim as seconds; false when absent or not a number. */
static bool
time_claim(const json_t *claims, const char *name, double *out)
{
	const json_t *v = json_object_get(claims, name);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

static const char *
check_claims(const jwt_config *c, const json_t *claims, int64_t now_s, char *sub)
{
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	const char *use = json_string_value(json_object_get(claims, "token_use"));
	const json_t *s = json_object_get(claims, "sub");
	const char *why;
	double      exp, nbf, now = (double)now_s, leeway = (double)c->leeway_s;

	if (iss == NULL || strcmp(iss, c->issuer) != 0)
		return "wrong issuer";
	if (json_object_get(claims, "exp") == NULL)
		return "no expiry (exp)";
	if (!time_claim(claims, "exp", &exp))
		return "exp is not a number";
	if (now > exp + leeway)
		return "token expired";
	if (json_object_get(claims, "nbf") != NULL) {
		if (!time_claim(claims, "nbf", &nbf))
			return "nbf is not a number";
		if (now + leeway < nbf)
			return "token not yet valid";
	}
	if (use == NULL || strcmp(use, "access") != 0)
		return "not an access token (token_use)";
	if ((why = check_client(c, claims)) != NULL)
		return why;
	if (!json_is_string(s))
		return "no subject (sub)";
	size_t n = json_string_length(s);
	const char *v = json_string_value(s);
	if (n == 0 || n > JWT_SUB_MAX || strlen(v) != n)
		return "bad subject (sub)";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return "bad subject (sub)";
	memcpy(sub, v, n + 1);
	return NULL;
}

int
jwt_verify(const jwt_config *c, const char *token, size_t len, int64_t now_s,
    char sub[JWT_SUB_MAX + 1], char *why, size_t whylen)
{
	json_t        *header = NULL, *claims = NULL;
	jwks          *keys = NULL;
	unsigned char *sig = NULL;
	size_t         sig_len;
	const char    *reason = NULL, *alg, *kid;
	EVP_PKEY      *key;

	if (len > JWT_MAX_BYTES)
		return refuse(why, whylen, "token too long");
	if (!jwt_looks_like(token, len))
		return refuse(why, whylen, "not a JWT (three base64url parts separated by dots)");
	const char *d1 = memchr(token, '.', len), *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	if ((header = part_object(token, (size_t)(d1 - token))) == NULL) {
		reason = "malformed header";
		goto done;
	}
	/* The algorithm before any key: only RS256, so that a token can never
	 * choose how its signature is checked (none, or HS256 keyed with the
	 * public key). */
	alg = json_string_value(json_object_get(header, "alg"));
	if (alg == NULL || strcmp(alg, "RS256") != 0) {
		reason = "algorithm not accepted (only RS256)";
		goto done;
	}
	if (json_object_get(header, "crit") != NULL) {
		reason = "unsupported critical header (crit)";
		goto done;
	}
	if ((kid = json_string_value(json_object_get(header, "kid"))) == NULL) {
		reason = "no key id (kid)";
		goto done;
	}
	keys = jwks_store_acquire(c->keys);
	if ((key = jwks_find(keys, kid)) == NULL) {
		reason = "unknown key id";
		goto done;
	}
	sig = b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), JWT_MAX_BYTES, &sig_len);
	if (sig == NULL) {
		reason = "malformed signature";
		goto done;
	}
	if (sig_len != (size_t)EVP_PKEY_get_size(key)) {
		reason = "signature has the wrong length";
		goto done;
	}
	if (!signature_verifies(key, token, (size_t)(d2 - token), sig, sig_len)) {
		reason = "signature does not verify";
		goto done;
	}
	if ((claims = part_object(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL) {
		reason = "malformed claims";
		goto done;
	}
	reason = check_claims(c, claims, now_s, sub);
done:
	json_decref(claims);
	json_decref(header);
	jwks_release(keys);
	free(sig);
	return reason == NULL ? 0 : refuse(why, whylen, reason);
}
