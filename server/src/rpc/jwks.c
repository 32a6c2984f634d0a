/*
 * jwks.c - a JWKS file as RSA public keys by key id; see jwks.h for the
 * format, the bounds and the locking (a reference count per set, the set in
 * use swapped under the store's mutex).
 *
 * JSON by jansson (duplicate names refused); each key built from its n and
 * e by OpenSSL 3 (OSSL_PARAM_BLD, EVP_PKEY_fromdata): no key arithmetic
 * here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "obs/log.h"
#include "rpc/b64url.h"
#include "rpc/jwks.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192
/* The digits of an 8192-bit modulus, and of any sane exponent. */
#define N_MAX_DIGITS ((RSA_MAX_BITS / 8 * 4 + 2) / 3)
#define E_MAX_DIGITS 12

typedef struct jwks_key {
	char     *kid;
	EVP_PKEY *pkey;
} jwks_key;

struct jwks {
	atomic_int refs;
	size_t     n;
	jwks_key   keys[JWKS_MAX_KEYS];
};

struct jwks_store {
	pthread_mutex_t mtx; /* over current */
	jwks           *current;
	char           *path;
};

void
jwks_release(jwks *k)
{
	if (k == NULL || atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->keys[i].kid);
		EVP_PKEY_free(k->keys[i].pkey);
	}
	free(k);
}

EVP_PKEY *
jwks_find(const jwks *k, const char *kid)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->keys[i].kid, kid) == 0)
			return k->keys[i].pkey;
	return NULL;
}

size_t
jwks_count(const jwks *k)
{
	return k->n;
}

/* A big-endian unsigned integer in base64url as a BIGNUM; NULL if bad. */
static BIGNUM *
b64url_bn(const char *s, size_t max_digits)
{
	size_t         len;
	unsigned char *bytes = b64url_decode(s, strlen(s), max_digits, &len);
	BIGNUM        *bn = NULL;

	if (bytes != NULL && len > 0)
		bn = BN_bin2bn(bytes, (int)len, NULL);
	free(bytes);
	return bn;
}

/* An RSA public key from the JWK's n and e (both checked present). */
static EVP_PKEY *
rsa_from_ne(const char *n_text, const char *e_text, char *err, size_t errlen)
{
	BIGNUM         *n = b64url_bn(n_text, N_MAX_DIGITS), *e = b64url_bn(e_text, E_MAX_DIGITS);
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM     *params = NULL;
	EVP_PKEY_CTX   *pctx = NULL;
	EVP_PKEY       *pkey = NULL;

	if (n == NULL || e == NULL) {
		snprintf(err, errlen, "n and e must be base64url numbers (n of at most %d bits)",
		    RSA_MAX_BITS);
		goto done;
	}
	if (BN_num_bits(n) < RSA_MIN_BITS || BN_num_bits(n) > RSA_MAX_BITS || !BN_is_odd(e) ||
	    BN_num_bits(e) < 2) {
		snprintf(err, errlen, "the modulus must have %d to %d bits and e be odd and above 1",
		    RSA_MIN_BITS, RSA_MAX_BITS);
		goto done;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		snprintf(err, errlen, "OpenSSL refused the key");
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
done:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static const char *
member_string(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* Adds key i of the file to k, or skips it (*skipped) when it is for
 * something else; -1 with why when it is malformed. */
static int
add_key(jwks *k, const json_t *key, size_t i, size_t *skipped, char *err, size_t errlen)
{
	const char *kty = member_string(key, "kty"), *kid = member_string(key, "kid");
	const char *alg = member_string(key, "alg"), *use = member_string(key, "use");
	const char *n = member_string(key, "n"), *e = member_string(key, "e");
	char        why[160];

	if (!json_is_object(key) || kty == NULL) {
		snprintf(err, errlen, "key %zu: not an object with a \"kty\" string", i);
		return -1;
	}
	if ((json_object_get(key, "alg") != NULL && alg == NULL) ||
	    (json_object_get(key, "use") != NULL && use == NULL)) {
		snprintf(err, errlen, "key %zu: \"alg\" and \"use\" must be strings", i);
		return -1;
	}
	if (strcmp(kty, "RSA") != 0 || (alg != NULL && strcmp(alg, "RS256") != 0) ||
	    (use != NULL && strcmp(use, "sig") != 0)) {
		(*skipped)++;
		return 0;
	}
	if (kid == NULL || kid[0] == '\0' || strlen(kid) > JWKS_MAX_KID_BYTES) {
		snprintf(err, errlen, "key %zu: \"kid\" must be a string of 1 to %d bytes", i,
		    JWKS_MAX_KID_BYTES);
		return -1;
	}
	if (jwks_find(k, kid) != NULL) {
		snprintf(err, errlen, "key %zu: its \"kid\" is another key's too", i);
		return -1;
	}
	if (k->n == JWKS_MAX_KEYS) {
		snprintf(err, errlen, "more than %d RS256 keys", JWKS_MAX_KEYS);
		return -1;
	}
	if (n == NULL || e == NULL) {
		snprintf(err, errlen, "key %zu: an RSA key needs \"n\" and \"e\" strings", i);
		return -1;
	}
	EVP_PKEY *pkey = rsa_from_ne(n, e, why, sizeof(why));
	if (pkey == NULL) {
		snprintf(err, errlen, "key %zu: %s", i, why);
		return -1;
	}
	if ((k->keys[k->n].kid = strdup(kid)) == NULL) {
		EVP_PKEY_free(pkey);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	k->keys[k->n++].pkey = pkey;
	return 0;
}

int
jwks_parse(const char *text, size_t len, jwks **out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t      *doc = NULL, *keys;
	jwks        *k = NULL;
	size_t       skipped = 0, i;

	if (len > JWKS_MAX_FILE_BYTES) {
		snprintf(err, errlen, "larger than %d bytes", JWKS_MAX_FILE_BYTES);
		return -1;
	}
	if ((doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(err, errlen, "not JSON: %s at line %d", jerr.text, jerr.line);
		return -1;
	}
	keys = json_object_get(doc, "keys");
	if (!json_is_object(doc) || !json_is_array(keys)) {
		snprintf(err, errlen, "not a JWKS: want an object with a \"keys\" array");
		goto fail;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	atomic_init(&k->refs, 1);
	for (i = 0; i < json_array_size(keys); i++)
		if (add_key(k, json_array_get(keys, i), i, &skipped, err, errlen) != 0)
			goto fail;
	if (k->n == 0) {
		snprintf(err, errlen, "no RSA signing key for RS256 (%zu other keys)", skipped);
		goto fail;
	}
	json_decref(doc);
	*out = k;
	return 0;
fail:
	jwks_release(k);
	json_decref(doc);
	return -1;
}

/* The file, bounded, parsed. */
static int
load_file(const char *path, jwks **out, char *err, size_t errlen)
{
	FILE       *f = fopen(path, "rb");
	struct stat st;
	char       *buf = NULL;
	char        why[256];
	int         rv = -1;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > JWKS_MAX_FILE_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
		    JWKS_MAX_FILE_BYTES);
		goto done;
	}
	/* Read one byte past the bound: a file that grew since fstat is caught. */
	if ((buf = malloc(JWKS_MAX_FILE_BYTES + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	size_t n = fread(buf, 1, JWKS_MAX_FILE_BYTES + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto done;
	}
	if ((rv = jwks_parse(buf, n, out, why, sizeof(why))) != 0)
		snprintf(err, errlen, "%s: %s", path, why);
done:
	free(buf);
	fclose(f);
	return rv;
}

int
jwks_store_new(jwks_store **out, const char *path, char *err, size_t errlen)
{
	jwks_store *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_file(path, &s->current, err, errlen) != 0) {
		free(s->path);
		free(s);
		return -1;
	}
	pthread_mutex_init(&s->mtx, NULL);
	log_info("msg=\"jwks loaded\" path=%s keys=%zu", path, s->current->n);
	*out = s;
	return 0;
}

int
jwks_store_reload(jwks_store *s, char *err, size_t errlen)
{
	jwks *fresh = NULL, *old;

	if (load_file(s->path, &fresh, err, errlen) != 0) {
		jwks *cur = jwks_store_acquire(s);
		char  q[512];
		log_warn("msg=\"jwks reload failed: keeping the old keys\" keys=%zu error=\"%s\"",
		    cur->n, log_quotable(q, sizeof(q), err));
		jwks_release(cur);
		return -1;
	}
	pthread_mutex_lock(&s->mtx);
	old = s->current;
	s->current = fresh;
	pthread_mutex_unlock(&s->mtx);
	log_info("msg=\"jwks reloaded\" path=%s keys=%zu", s->path, fresh->n);
	jwks_release(old);
	return 0;
}

jwks *
jwks_store_acquire(jwks_store *s)
{
	pthread_mutex_lock(&s->mtx);
	jwks *k = s->current;
	atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&s->mtx);
	return k;
}

void
jwks_store_free(jwks_store *s)
{
	if (s == NULL)
		return;
	jwks_release(s->current);
	pthread_mutex_destroy(&s->mtx);
	free(s->path);
	free(s);
}
