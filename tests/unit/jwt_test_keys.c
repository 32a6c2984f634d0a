/*
 * jwt_test_keys.c - jwt_test's part on the JWKS (rpc/jwks.h): the file's bounds and
 * refusals, and reloads: one that swaps keys in while a reader holds the old set, one
 * that fails and keeps the set in use, and 200 while two threads verify.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "test_support.h"
#include "jwt_test.h"

/* ---- keys and the JWKS file ---------------------------------------------------- */

void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL && fputs(text, f) >= 0);
	if (f != NULL)
		fclose(f);
}

void
write_jwks(const char *kid_a, EVP_PKEY *a, const char *kid_b, EVP_PKEY *b)
{
	char  doc[8192];
	char *ja = jwk(a, kid_a, ",\"alg\":\"RS256\",\"use\":\"sig\"");
	char *jb = b != NULL ? jwk(b, kid_b, "") : NULL;

	/* An EC key and an RS512 one are for something else: skipped. */
	snprintf(doc, sizeof(doc),
	    "{\"keys\":[%s%s%s,{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"rs512\",\"alg\":\"RS512\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
	    ja, jb ? "," : "", jb ? jb : "");
	write_file(jwks_path, doc);
	free(ja);
	free(jb);
}

static void
expect_jwks_refused(const char *doc, const char *reason, int line)
{
	jwks *k = NULL;
	char  err[256] = "";

	if (jwks_parse(doc, strlen(doc), &k, err, sizeof(err)) == 0) {
		ts_fail(__FILE__, line, "JWKS accepted, want \"%s\"", reason);
		jwks_release(k);
	} else if (strstr(err, reason) == NULL) {
		ts_fail(__FILE__, line, "JWKS refused with \"%s\", want \"%s\"", err, reason);
	}
}
#define JWKS_REFUSED(doc, reason) expect_jwks_refused(doc, reason, __LINE__)

void
test_jwks_files(void)
{
	char  doc[40000], *j = jwk(key1, "k1", ""), *jdup = jwk(key1, "k1", "");
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	char *js = jwk(small, "small", "");

	JWKS_REFUSED("", "not JSON");
	JWKS_REFUSED("[1]", "not a JWKS");
	JWKS_REFUSED("{\"keys\":{}}", "not a JWKS");
	JWKS_REFUSED("{\"keys\":[],\"keys\":[]}", "not JSON"); /* duplicate member */
	JWKS_REFUSED("{\"keys\":[]}", "no RSA signing key");
	JWKS_REFUSED("{\"keys\":[{\"kty\":\"EC\"}]}", "no RSA signing key for RS256 (1 other");
	JWKS_REFUSED("{\"keys\":[7]}", "key 0: not an object");
	JWKS_REFUSED("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\"}]}", "needs \"n\" and \"e\"");
	JWKS_REFUSED("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", "\"kid\" must be");
	JWKS_REFUSED("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"A=\",\"e\":\"AQAB\"}]}",
	    "base64url numbers");
	JWKS_REFUSED("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"alg\":5,\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
	    "must be strings");
	snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", js);
	JWKS_REFUSED(doc, "2048 to 8192 bits");
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", j, jdup);
	JWKS_REFUSED(doc, "another key's too");
	/* JWKS_MAX_KEYS + 1 keys, each with its own kid. */
	size_t used = (size_t)snprintf(doc, sizeof(doc), "{\"keys\":[");
	for (int i = 0; i <= JWKS_MAX_KEYS; i++) {
		char kid[16];
		snprintf(kid, sizeof(kid), "kx%d", i);
		char *ji = jwk(key2, kid, "");
		used += (size_t)snprintf(doc + used, sizeof(doc) - used, "%s%s", i ? "," : "", ji);
		free(ji);
	}
	snprintf(doc + used, sizeof(doc) - used, "]}");
	JWKS_REFUSED(doc, "more than 32");
	/* The file itself: missing, too large. */
	jwks_store *s = NULL;
	char        err[256];
	CHECK(jwks_store_new(&s, "/nonexistent/jwks.json", err, sizeof(err)) != 0);
	CHECK(strstr(err, "cannot read") != NULL);
	char big_path[96];
	snprintf(big_path, sizeof(big_path), "%s.big", jwks_path);
	FILE *f = fopen(big_path, "w");
	for (int i = 0; f != NULL && i < JWKS_MAX_FILE_BYTES / 8 + 1; i++)
		fputs("        ", f);
	if (f != NULL)
		fclose(f);
	CHECK(jwks_store_new(&s, big_path, err, sizeof(err)) != 0);
	CHECK(strstr(err, "at most") != NULL);
	unlink(big_path);
	EVP_PKEY_free(small);
	free(js);
	free(j);
	free(jdup);
}


void
test_reload(void)
{
	const char *claims = claims_json(ISS, NOW + 3600, GOOD_EXTRA);
	char       *t1 = token_with(HDR1, claims, key1, NULL);
	char       *t2 = token_with("{\"alg\":\"RS256\",\"kid\":\"k2\"}", claims, key2, NULL);
	char        err[256];

	EXPECT(t1, NULL);
	EXPECT(t2, "unknown key id");
	jwks *held = jwks_store_acquire(store);
	write_jwks("k2", key2, NULL, NULL);
	CHECK(jwks_store_reload(store, err, sizeof(err)) == 0);
	EXPECT(t1, "unknown key id");
	EXPECT(t2, NULL);
	CHECK(jwks_find(held, "k1") != NULL && jwks_find(held, "k2") == NULL);
	CHECK(jwks_count(held) == 2);
	jwks_release(held);
	write_file(jwks_path, "{\"keys\": [");
	CHECK(jwks_store_reload(store, err, sizeof(err)) != 0);
	CHECK(strstr(err, "not JSON") != NULL);
	EXPECT(t2, NULL);
	unlink(jwks_path);
	CHECK(jwks_store_reload(store, err, sizeof(err)) != 0);
	EXPECT(t2, NULL);
	free(t1);
	free(t2);
}

/* Verifiers on two threads while the main thread reloads, 200 times, between a file with
 * k2 and one without: every verification sees one whole set or the other (accepted, or
 * "unknown key id"), never a freed one (the sanitizer build would say so). */
typedef struct race {
	const char *token;
	atomic_bool stop;
	atomic_int  verified, unknown, other;
} race;

static void *
race_verifier(void *arg)
{
	race *r = arg;
	char  sub[JWT_SUB_MAX + 1], why[128];

	/* At least two verifications each way round, unless one went wrong. */
	while (atomic_load(&r->other) == 0 &&
	    (!atomic_load(&r->stop) || atomic_load(&r->verified) + atomic_load(&r->unknown) < 2)) {
		if (jwt_verify(&cfg, r->token, strlen(r->token), NOW, sub, why, sizeof(why)) == 0)
			atomic_fetch_add(&r->verified, 1);
		else if (strcmp(why, "unknown key id") == 0)
			atomic_fetch_add(&r->unknown, 1);
		else
			atomic_fetch_add(&r->other, 1);
	}
	return NULL;
}

void
test_reload_race(void)
{
	char     *t2 = token_with("{\"alg\":\"RS256\",\"kid\":\"k2\"}",
	        claims_json(ISS, NOW + 3600, GOOD_EXTRA), key2, NULL);
	race      r = { .token = t2 };
	pthread_t th[2];
	char      err[256], with_k2[96], without[96];
	int       reloads_ok = 0;

	atomic_init(&r.stop, false);
	atomic_init(&r.verified, 0);
	atomic_init(&r.unknown, 0);
	atomic_init(&r.other, 0);
	/* Two files renamed over the store's in turn (as an operator would). */
	snprintf(with_k2, sizeof(with_k2), "%s.k2", jwks_path);
	snprintf(without, sizeof(without), "%s.k1", jwks_path);
	write_jwks("k1", key1, "k2", key2);
	rename(jwks_path, with_k2);
	write_jwks("k1", key1, NULL, NULL);
	rename(jwks_path, without);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, race_verifier, &r);
	for (int i = 0; i < 200; i++) {
		/* a copy, so that both files stay for the next turn */
		FILE *in = fopen(i % 2 ? without : with_k2, "r"), *out = fopen(jwks_path, "w");
		char  buf[8192];
		size_t n = in != NULL ? fread(buf, 1, sizeof(buf), in) : 0;
		if (out != NULL) {
			fwrite(buf, 1, n, out);
			fclose(out);
		}
		if (in != NULL)
			fclose(in);
		reloads_ok += jwks_store_reload(store, err, sizeof(err)) == 0;
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(reloads_ok == 200);
	CHECK(atomic_load(&r.other) == 0);
	CHECK(atomic_load(&r.verified) + atomic_load(&r.unknown) >= 2);
	unlink(with_k2);
	unlink(without);
	free(t2);
}

