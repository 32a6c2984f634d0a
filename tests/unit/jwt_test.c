/*
 * jwt_test.c - rpc/jwt.h, rpc/jwks.h and rpc/b64url.h on their own, with RSA keys made
 * here by OpenSSL (a test may sign; the server only verifies): every token a client
 * could forge or break is refused with its reason, the good ones give their sub. The
 * JWKS file's bounds and refusals, reloads (one while a reader holds the old set, one
 * that fails and keeps it, 200 across verifications on two threads) are in
 * jwt_test_keys.c. Exit 0 when every CHECK holds.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "test_support.h"
#include "jwt_test.h"
#include "rpc/b64url.h"

EVP_PKEY          *key1, *key2;
jwks_store        *store;
jwt_config         cfg;
char               jwks_path[64];
static const char *const client_ids[] = { "client-a", "client-b" };

/* ---- making tokens ------------------------------------------------------------- */

/* header.claims.signature: signed with key (RS256), or with sig_b64 as given when
 * key is NULL. malloc'd. */
char *
token_with(const char *header, const char *claims, EVP_PKEY *key, const char *sig_b64)
{
	char  *h = b64url(header, strlen(header)), *c = b64url(claims, strlen(claims));
	size_t n = strlen(h) + strlen(c) + 2048;
	char  *t = malloc(n), *s = NULL;

	snprintf(t, n, "%s.%s", h, c);
	if (key != NULL) {
		size_t         siglen;
		unsigned char *sig = rs256(key, t, strlen(t), &siglen);
		s = b64url(sig, siglen);
		free(sig);
	}
	snprintf(t + strlen(t), n - strlen(t), ".%s", key != NULL ? s : sig_b64);
	free(s);
	free(h);
	free(c);
	return t;
}

/* Claims with these fields changed: each of iss, exp, extra is used as given. */
char *
claims_json(const char *iss, long long exp, const char *extra)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
	    "{\"iss\":\"%s\",\"exp\":%lld,\"token_use\":\"access\",\"sub\":\"user-1\"%s%s}", iss,
	    exp, extra[0] ? "," : "", extra);
	return buf;
}


/* Verifies t; want_reason NULL means it must pass (with sub "user-1" unless want_sub). */
void
expect_at(const char *t, int64_t now, const char *want_reason, int line)
{
	char sub[JWT_SUB_MAX + 1] = "", why[128] = "";
	int  rv = jwt_verify(&cfg, t, strlen(t), now, sub, why, sizeof(why));

	if (want_reason == NULL) {
		if (rv != 0)
			ts_fail(__FILE__, line, "refused (%s), want accepted", why);
		else if (strcmp(sub, "user-1") != 0)
			ts_fail(__FILE__, line, "sub \"%s\", want user-1", sub);
		return;
	}
	if (rv == 0)
		ts_fail(__FILE__, line, "accepted, want \"%s\"", want_reason);
	else if (strstr(why, want_reason) == NULL)
		ts_fail(__FILE__, line, "reason \"%s\", want \"%s\"", why, want_reason);
	/* A reason never quotes the token. */
	if (strlen(t) >= 12) {
		char head[13];
		memcpy(head, t, 12);
		head[12] = '\0';
		if (strstr(why, head) != NULL)
			ts_fail(__FILE__, line, "the reason quotes the token: %s", why);
	}
}

static void
expect_claims(const char *claims, const char *reason, int line)
{
	char *t = token_with(HDR1, claims, key1, NULL);
	expect_at(t, NOW, reason, line);
	free(t);
}
#define EXPECT_CLAIMS(claims, reason) expect_claims(claims, reason, __LINE__)


/* ---- tokens ---------------------------------------------------------------------- */

static void
test_good_and_times(void)
{
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, GOOD_EXTRA), NULL);
	EXPECT_CLAIMS(claims_json(ISS, NOW - 100, GOOD_EXTRA), "token expired");
	EXPECT_CLAIMS(claims_json(ISS, NOW - JWT_LEEWAY_S + 1, GOOD_EXTRA), NULL); /* within leeway */
	EXPECT_CLAIMS(claims_json(ISS, NOW - JWT_LEEWAY_S - 1, GOOD_EXTRA), "token expired");
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, GOOD_EXTRA ",\"nbf\":1900000100"), "not yet valid");
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, GOOD_EXTRA ",\"nbf\":1900000010"), NULL);
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, GOOD_EXTRA ",\"nbf\":\"soon\""), "nbf is not a number");
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"token_use\":\"access\",\"sub\":\"user-1\","
	              "\"client_id\":\"client-a\"}", "no expiry");
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":\"later\",\"token_use\":\"access\",\"sub\":\"u\","
	              "\"client_id\":\"client-a\"}", "exp is not a number");
	/* A real exp (JSON allows 1.9e9) is a time too. */
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1.9000036e9,\"token_use\":\"access\",\"sub\":\"user-1\","
	              "\"client_id\":\"client-a\"}", NULL);
}

static void
test_claims(void)
{
	EXPECT_CLAIMS(claims_json("https://evil.example", NOW + 3600, GOOD_EXTRA), "wrong issuer");
	EXPECT_CLAIMS(claims_json(ISS "/", NOW + 3600, GOOD_EXTRA), "wrong issuer");
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"client_id\":\"client-c\""), "wrong client");
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"client_id\":7"), "wrong client");
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"client_id\":\"client-b\""), NULL);
	/* aud instead of client_id: a string or an array. */
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"aud\":\"client-b\""), NULL);
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"aud\":[\"x\",\"client-a\"]"), NULL);
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"aud\":[\"x\",3]"), "wrong audience");
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"aud\":\"x\""), "wrong audience");
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"aud\":{}"), "neither a string");
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, ""), "no client_id or aud");
	/* client_id decides when both are there. */
	EXPECT_CLAIMS(claims_json(ISS, NOW + 3600, "\"client_id\":\"x\",\"aud\":\"client-a\""), "wrong client");
	/* An id token is not an access token. */
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1900003600,\"token_use\":\"id\",\"sub\":\"user-1\","
	              "\"aud\":\"client-a\"}", "not an access token");
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1900003600,\"sub\":\"user-1\","
	              "\"client_id\":\"client-a\"}", "not an access token");
	/* sub: present, a short string without control characters, no NUL. */
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1900003600,\"token_use\":\"access\","
	              "\"client_id\":\"client-a\"}", "no subject");
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1900003600,\"token_use\":\"access\",\"sub\":5,"
	              "\"client_id\":\"client-a\"}", "no subject");
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1900003600,\"token_use\":\"access\",\"sub\":\"\","
	              "\"client_id\":\"client-a\"}", "bad subject");
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1900003600,\"token_use\":\"access\",\"sub\":\"a\\u0001b\","
	              "\"client_id\":\"client-a\"}", "bad subject");
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1900003600,\"token_use\":\"access\",\"sub\":\"a\\u0000b\","
	              "\"client_id\":\"client-a\"}", "malformed claims");
	char long_sub[600];
	snprintf(long_sub, sizeof(long_sub), "{\"iss\":\"" ISS "\",\"exp\":1900003600,\"token_use\":"
	    "\"access\",\"client_id\":\"client-a\",\"sub\":\"%0*d\"}", JWT_SUB_MAX + 1, 0);
	EXPECT_CLAIMS(long_sub, "bad subject");
	/* Duplicate claims, JSON that is not an object, not JSON. */
	EXPECT_CLAIMS("{\"iss\":\"" ISS "\",\"exp\":1900003600,\"token_use\":\"access\",\"sub\":\"user-1\","
	              "\"sub\":\"admin\",\"client_id\":\"client-a\"}", "malformed claims");
	EXPECT_CLAIMS("[\"iss\"]", "malformed claims");
	EXPECT_CLAIMS("\"user-1\"", "malformed claims");
	EXPECT_CLAIMS("{\"iss\":", "malformed claims");
}

static void
test_header_and_signature(void)
{
	const char *claims = claims_json(ISS, NOW + 3600, GOOD_EXTRA);
	char       *t, *good = token_with(HDR1, claims, key1, NULL), *sig = strrchr(good, '.') + 1;
	char        buf[2048];

	EXPECT(good, NULL);
	/* Keys: unknown, absent, signed by another. */
	t = token_with("{\"alg\":\"RS256\",\"kid\":\"k9\"}", claims, key1, NULL);
	EXPECT(t, "unknown key id");
	free(t);
	t = token_with("{\"alg\":\"RS256\"}", claims, key1, NULL);
	EXPECT(t, "no key id");
	free(t);
	t = token_with("{\"alg\":\"RS256\",\"kid\":7}", claims, key1, NULL);
	EXPECT(t, "no key id");
	free(t);
	t = token_with(HDR1, claims, key2, NULL);
	EXPECT(t, "signature does not verify");
	free(t);
	/* alg: none, without and with a signature; lower case; absent; HS256 keyed with the
	 * public key's PEM and DER (the classic confusion). */
	t = token_with("{\"alg\":\"none\",\"kid\":\"k1\"}", claims, NULL, "");
	EXPECT(t, "algorithm not accepted");
	free(t);
	t = token_with("{\"alg\":\"none\",\"kid\":\"k1\"}", claims, NULL, sig);
	EXPECT(t, "algorithm not accepted");
	free(t);
	t = token_with("{\"alg\":\"rs256\",\"kid\":\"k1\"}", claims, key1, NULL);
	EXPECT(t, "algorithm not accepted");
	free(t);
	t = token_with("{\"kid\":\"k1\"}", claims, key1, NULL);
	EXPECT(t, "algorithm not accepted");
	free(t);
	for (int der = 0; der <= 1; der++) {
		unsigned char *pub = NULL, mac[32];
		unsigned int   maclen = 0;
		size_t         publen;
		if (der) {
			int n = i2d_PUBKEY(key1, &pub);
			publen = n > 0 ? (size_t)n : 0;
		} else {
			BIO *bio = BIO_new(BIO_s_mem());
			char *p;
			PEM_write_bio_PUBKEY(bio, key1);
			publen = (size_t)BIO_get_mem_data(bio, &p);
			pub = OPENSSL_memdup(p, publen);
			BIO_free(bio);
		}
		char *h = b64url("{\"alg\":\"HS256\",\"kid\":\"k1\"}", 26), *c = b64url(claims, strlen(claims));
		snprintf(buf, sizeof(buf), "%s.%s", h, c);
		HMAC(EVP_sha256(), pub, (int)publen, (unsigned char *)buf, strlen(buf), mac, &maclen);
		char *m = b64url(mac, maclen);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%s", m);
		EXPECT(buf, "algorithm not accepted");
		free(h);
		free(c);
		free(m);
		OPENSSL_free(pub);
	}
	t = token_with("{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"exp\"]}", claims, key1, NULL);
	EXPECT(t, "critical header");
	free(t);
	/* The signature truncated, padded, with '=', one bit off, non-canonical. */
	size_t prefix = (size_t)(sig - good);
	for (int delta = -1; delta <= 1; delta += 2) {
		size_t         siglen;
		unsigned char *raw;
		snprintf(buf, sizeof(buf), "%.*s", (int)prefix - 1, good);
		raw = rs256(key1, buf, strlen(buf), &siglen);
		raw = realloc(raw, siglen + 1);
		raw[siglen] = 0;
		char *enc = b64url(raw, siglen + (size_t)delta);
		snprintf(buf + prefix - 1, sizeof(buf) - prefix + 1, ".%s", enc);
		EXPECT(buf, "wrong length");
		free(enc);
		free(raw);
	}
	snprintf(buf, sizeof(buf), "%s==", good);
	EXPECT(buf, "not a JWT");
	snprintf(buf, sizeof(buf), "%s", good);
	buf[prefix + 10] = buf[prefix + 10] == 'A' ? 'B' : 'A';
	EXPECT(buf, "signature does not verify");
	/* 256 bytes are 342 digits and 4 stray bits in the last: 'A'..'P' only differ in them. */
	snprintf(buf, sizeof(buf), "%s", good);
	char *last = buf + strlen(buf) - 1;
	*last = (char)(*last + 1); /* A, Q, g or w: the next has a stray bit */
	EXPECT(buf, "malformed signature");
	/* The claims changed after signing. */
	char *other = token_with(HDR1, claims_json(ISS, NOW + 3600, "\"client_id\":\"client-b\""), key1, NULL);
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(strrchr(other, '.') - other + 1), other, sig);
	EXPECT(buf, "signature does not verify");
	free(other);
	/* Duplicate header names, a header that is not an object. */
	t = token_with("{\"alg\":\"RS256\",\"kid\":\"k9\",\"kid\":\"k1\"}", claims, key1, NULL);
	EXPECT(t, "malformed header");
	free(t);
	t = token_with("[\"RS256\"]", claims, key1, NULL);
	EXPECT(t, "malformed header");
	free(t);
	free(good);
}

static void
test_shapes(void)
{
	char *big = malloc(64 * 1024 + 1);

	/* 64 kB of a token-shaped text: refused by its length alone. */
	memset(big, 'A', 64 * 1024);
	big[100] = '.';
	big[200] = '.';
	big[64 * 1024] = '\0';
	EXPECT(big, "token too long");
	big[JWT_MAX_BYTES + 1] = '\0';
	EXPECT(big, "token too long");
	free(big);
	EXPECT("", "not a JWT");
	EXPECT("garbage", "not a JWT");
	EXPECT("eyJhbGciOiJSUzI1NiJ9", "not a JWT");
	EXPECT("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0", "not a JWT");
	EXPECT("a.b.c.d", "not a JWT");
	EXPECT("a b.c.d", "not a JWT");
	EXPECT("e+J.abc.abc", "not a JWT");
	EXPECT("a.b.c", "malformed header"); /* one digit alone is no byte */
	EXPECT("..", "malformed header");
	CHECK(jwt_looks_like("a.b.c", 5));
	CHECK(jwt_looks_like("..", 2));
	CHECK(!jwt_looks_like("a.b", 3));
	CHECK(!jwt_looks_like("0123456789abcdef", 16)); /* an admin token */
	CHECK(!jwt_looks_like("a.b.c.d", 7));
}

static void
test_b64url(void)
{
	size_t         n;
	unsigned char *p;

	CHECK((p = b64url_decode("QQ", 2, 16, &n)) != NULL && n == 1 && p[0] == 'A');
	free(p);
	CHECK((p = b64url_decode("", 0, 16, &n)) != NULL && n == 0);
	free(p);
	CHECK((p = b64url_decode("_-8", 3, 16, &n)) != NULL && n == 2 && p[0] == 0xff && p[1] == 0xef);
	free(p);
	CHECK(b64url_decode("QR", 2, 16, &n) == NULL);   /* stray bits */
	CHECK(b64url_decode("QQ==", 4, 16, &n) == NULL); /* padding */
	CHECK(b64url_decode("Q", 1, 16, &n) == NULL);
	CHECK(b64url_decode("Q/8", 3, 16, &n) == NULL);  /* the standard alphabet */
	CHECK(b64url_decode("QUFB", 4, 3, &n) == NULL);  /* longer than allowed */
}

/* A reader holding the old set across a reload still has its keys; a failed
 * reload keeps the set in use. */

int
main(void)
{
	char err[256];
	int  fd;

	snprintf(jwks_path, sizeof(jwks_path), "/tmp/cruddur-jwt-test-XXXXXX");
	if ((fd = mkstemp(jwks_path)) < 0)
		return 1;
	close(fd);
	key1 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	key2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (key1 == NULL || key2 == NULL)
		return 1;
	write_jwks("k1", key1, "k3", key2);
	if (jwks_store_new(&store, jwks_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "jwks_store_new: %s\n", err);
		return 1;
	}
	{
		jwks *k = jwks_store_acquire(store);
		CHECK(jwks_count(k) == 2); /* the EC and RS512 keys skipped */
		jwks_release(k);
	}
	cfg = (jwt_config){ .keys = store, .issuer = ISS, .client_ids = client_ids,
		.n_client_ids = 2, .leeway_s = JWT_LEEWAY_S };
	test_b64url();
	test_shapes();
	test_good_and_times();
	test_claims();
	test_header_and_signature();
	test_jwks_files();
	test_reload();
	test_reload_race();
	jwks_store_free(store);
	EVP_PKEY_free(key1);
	EVP_PKEY_free(key2);
	unlink(jwks_path);
	return ts_finish("jwt_test");
}
