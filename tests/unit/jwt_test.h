/*
 * jwt_test.h - what the two files of jwt_test share: the keys, the store and the
 * configuration under test (jwt_test.c's), and the helpers that make keys, JWKS files
 * and tokens. No locks: everything but test_reload_race's verifiers runs on the main
 * thread, and those only read.
 */
#ifndef CRUDDUR_JWT_TEST_H
#define CRUDDUR_JWT_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "jwt_sign.h"
#include "rpc/jwks.h"
#include "rpc/jwt.h"

#define ISS "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test"
#define NOW 1900000000LL
#define HDR1 "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}"
#define GOOD_EXTRA "\"client_id\":\"client-a\""

extern EVP_PKEY   *key1, *key2;
extern jwks_store *store;
extern jwt_config  cfg;
extern char        jwks_path[64];

/* header.claims.signature, signed with key, or with sig_b64 as given when key is NULL. */
char *token_with(const char *header, const char *claims, EVP_PKEY *key, const char *sig_b64);
/* Good claims with iss, exp and extra (more members, "" for none); a static buffer. */
char *claims_json(const char *iss, long long exp, const char *extra);
/* Verifies t at now: want_reason NULL means accepted with sub "user-1". */
void expect_at(const char *t, int64_t now, const char *want_reason, int line);
#define EXPECT(t, reason) expect_at(t, NOW, reason, __LINE__)

void write_file(const char *path, const char *text);
/* jwks_path: kid_a's key (and kid_b's when b), an EC and an RS512 key to be skipped. */
void write_jwks(const char *kid_a, EVP_PKEY *a, const char *kid_b, EVP_PKEY *b);

/* jwt_test_keys.c */
void test_jwks_files(void);
void test_reload(void);
void test_reload_race(void);

#endif /* CRUDDUR_JWT_TEST_H */
