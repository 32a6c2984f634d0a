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

#include <openssl/evp.h>

#include "jwt_sign.h"
#include "rpc/jwks.h"
#include "rpc/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY  *key;
static jwks_store *store;
static jwt_config  cfg;
static const char *const client_ids[] = { "client-a" };

/* One RSA key as the JWKS "k1", in a file of its own, once. */
static void
setup(void)
{
	char  path[] = "/tmp/cruddur-fuzz-jwks-XXXXXX", err[256], doc[2048];
	int   fd = mkstemp(path);
	char *k;
	int   len;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (fd < 0 || key == NULL)
		abort();
	k = jwk(key, "k1", "");
	len = snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", k);
	if (write(fd, doc, (size_t)len) != len || close(fd) != 0 ||
	    jwks_store_new(&store, path, err, sizeof(err)) != 0)
		abort();
	unlink(path);
	free(k);
	cfg = (jwt_config){ .keys = store, .issuer = "https://issuer.example", .client_ids = client_ids,
		.n_client_ids = 1, .leeway_s = JWT_LEEWAY_S };
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
		char          *t = jwt_sign(key, data + 1, hlen, nl != NULL ? nl + 1 : data + size,
		             nl != NULL ? size - 2 - hlen : 0);
		verify(t, strlen(t));
		free(t);
	}
	return 0;
}
