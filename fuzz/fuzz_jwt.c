/*
 * fuzz_jwt.c - the user-token verifier (rpc/jwt.h) and the JWKS parser
 * (rpc/jwks.h) on any bytes. The first byte picks what the rest is:
 *   even  a token as a client sends it (what a forger reaches: everything up
 *         to the signature check);
 *   odd   a header and claims (JSON, split at the first newline) that the
 *         harness signs with the loaded key, so that the claim checks after
 *         the signature are reached too;
 * and every input is also parsed as a JWKS document. Whatever the input, no
 * crash, no leak, no sanitizer report, and an accepted token has a sub of
 * 1 to JWT_SUB_MAX bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "rpc/jwks.h"
#include "rpc/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY  *key;
static jwks_store *store;
static jwt_config  cfg;
static const char *const client_ids[] = { "client-a" };

static char *
b64url(const void *data, size_t len)
{
	char *out = malloc(len / 3 * 4 + 8);
	int   n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

/* One RSA key as the JWKS "k1", in a file of its own, once. */
static void
setup(void)
{
	char          path[] = "/tmp/cruddur-fuzz-jwks-XXXXXX", err[256], doc[2048];
	unsigned char nb[512], eb[8];
	BIGNUM       *n = NULL, *e = NULL;
	int           fd = mkstemp(path);

	key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (fd < 0 || key == NULL || !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e))
		abort();
	char *ns = b64url(nb, (size_t)BN_bn2bin(n, nb)), *es = b64url(eb, (size_t)BN_bn2bin(e, eb));
	int   len = snprintf(doc, sizeof(doc), "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"%s\",\"e\":\"%s\"}]}", ns, es);
	if (write(fd, doc, (size_t)len) != len || close(fd) != 0 ||
	    jwks_store_new(&store, path, err, sizeof(err)) != 0)
		abort();
	unlink(path);
	free(ns);
	free(es);
	BN_free(n);
	BN_free(e);
	cfg = (jwt_config){ .keys = store, .issuer = "https://issuer.example", .client_ids = client_ids,
		.n_client_ids = 1, .leeway_s = JWT_LEEWAY_S };
}

/* header and claims (raw JSON texts) signed with the key: a token. */
static char *
signed_token(const uint8_t *header, size_t hlen, const uint8_t *claims, size_t clen)
{
	char          *h = b64url(header, hlen), *c = b64url(claims, clen);
	size_t         n = strlen(h) + strlen(c) + 2, siglen = 512;
	unsigned char  sig[512];
	char          *t = malloc(n + 400);
	EVP_MD_CTX    *md = EVP_MD_CTX_new();

	snprintf(t, n, "%s.%s", h, c);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)t, strlen(t)) != 1)
		abort();
	char *s = b64url(sig, siglen);
	snprintf(t + strlen(t), 400, ".%s", s);
	EVP_MD_CTX_free(md);
	free(s);
	free(h);
	free(c);
	return t;
}

static void
verify(const char *t, size_t len)
{
	char sub[JWT_SUB_MAX + 1], why[128];

	if (jwt_verify(&cfg, t, len, 1900000000, sub, why, sizeof(why)) == 0 &&
	    (sub[0] == '\0' || strlen(sub) > JWT_SUB_MAX))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jwks *k = NULL;
	char  err[256];

	if (store == NULL)
		setup();
	if (jwks_parse((const char *)data, size, &k, err, sizeof(err)) == 0)
		jwks_release(k);
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0) {
		char *t = malloc(size); /* NUL-terminated, as the metadata's value is */
		memcpy(t, data + 1, size - 1);
		t[size - 1] = '\0';
		verify(t, strlen(t));
		free(t);
	} else {
		const uint8_t *nl = memchr(data + 1, '\n', size - 1);
		size_t         hlen = nl != NULL ? (size_t)(nl - data - 1) : size - 1;
		char          *t = signed_token(data + 1, hlen, nl != NULL ? nl + 1 : data + size,
		             nl != NULL ? size - 2 - hlen : 0);
		verify(t, strlen(t));
		free(t);
	}
	return 0;
}
