/*
 * auth_token.h - the admin token, replaceable while serving.
 *
 * SIGHUP rereads --admin-token-file (main.c); every call's check compares
 * the token it was sent with the current one. lock is a reader-writer lock
 * over value: a check holds it shared for the length of one comparison, a
 * replacement holds it exclusive for the pointer swap, and frees the old
 * token after it lets go, when no check can still be reading it.
 */
#ifndef CRUDDUR_AUTH_TOKEN_H
#define CRUDDUR_AUTH_TOKEN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct auth_token {
	pthread_rwlock_t lock;
	char            *value; /* guarded by lock; owned; never NULL after init */
} auth_token;

/* Whether a (of alen bytes) equals secret, in time that depends only on
 * secret's length. */
bool auth_equal(const char *a, size_t alen, const char *secret, size_t secret_len);

/* Takes value (malloc'd, NUL-terminated; freed by the token from then on,
 * even when init fails). Returns 0, or -1 when the lock cannot be made. */
int  auth_token_init(auth_token *t, char *value);
void auth_token_fini(auth_token *t);
/* Makes value (taken, as in init) the token; the old one is freed. */
void auth_token_replace(auth_token *t, char *value);
/* Whether sent (of sent_len bytes) is the token, in time that depends only
 * on the token's length (auth_equal). */
bool auth_token_matches(auth_token *t, const char *sent, size_t sent_len);

#endif /* CRUDDUR_AUTH_TOKEN_H */
