/*
 * jwt_sign.c - RS256 tokens and JWKs made with OpenSSL (jwt_sign.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "jwt_sign.h"

char *
b64url(const void *data, size_t len)
{
	char *out = malloc(len / 3 * 4 + 8);
	int   n;

	if (out == NULL)
		abort();
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

unsigned char *
rs256(EVP_PKEY *key, const void *data, size_t len, size_t *siglen)
{
	EVP_MD_CTX    *md = EVP_MD_CTX_new();
	unsigned char *sig = malloc(1024);

	*siglen = 1024;
	if (md == NULL || sig == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, siglen, data, len) != 1)
		abort();
	EVP_MD_CTX_free(md);
	return sig;
}

char *
jwt_sign(EVP_PKEY *key, const void *header, size_t hlen, const void *claims, size_t clen)
{
	char          *h = b64url(header, hlen), *c = b64url(claims, clen), *s, *t;
	size_t         n = strlen(h) + strlen(c) + 2048, siglen;
	unsigned char *sig;

	if ((t = malloc(n)) == NULL)
		abort();
	snprintf(t, n, "%s.%s", h, c);
	sig = rs256(key, t, strlen(t), &siglen);
	s = b64url(sig, siglen);
	snprintf(t + strlen(t), n - strlen(t), ".%s", s);
	free(sig);
	free(s);
	free(h);
	free(c);
	return t;
}

char *
jwk(EVP_PKEY *key, const char *kid, const char *extra)
{
	BIGNUM       *n = NULL, *e = NULL;
	unsigned char nb[1024], eb[16];
	char         *out = malloc(2048), *ns, *es;

	if (out == NULL || !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) || BN_num_bytes(n) > (int)sizeof(nb))
		abort();
	ns = b64url(nb, (size_t)BN_bn2bin(n, nb));
	es = b64url(eb, (size_t)BN_bn2bin(e, eb));
	snprintf(out, 2048, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s}", kid, ns, es,
	    extra);
	free(ns);
	free(es);
	BN_free(n);
	BN_free(e);
	return out;
}
