/*
 * auth_token.c - the admin token behind a reader-writer lock, and the
 * constant-time comparison every token check uses; see auth_token.h.
 */
#include <stdlib.h>
#include <string.h>

#include "rpc/auth_token.h"

bool
auth_equal(const char *a, size_t alen, const char *secret, size_t secret_len)
{
	/* Every byte of the secret is looked at once, whatever a is. */
	unsigned char diff = (unsigned char)(alen != secret_len);
	for (size_t i = 0; i < secret_len; i++)
		diff |= (unsigned char)((i < alen ? (unsigned char)a[i] : 0) ^ (unsigned char)secret[i]);
	return diff == 0;
}

int
auth_token_init(auth_token *t, char *value)
{
	t->value = value;
	if (pthread_rwlock_init(&t->lock, NULL) != 0) {
		free(value);
		t->value = NULL;
		return -1;
	}
	return 0;
}

void
auth_token_fini(auth_token *t)
{
	pthread_rwlock_destroy(&t->lock);
	free(t->value);
	t->value = NULL;
}

void
auth_token_replace(auth_token *t, char *value)
{
	pthread_rwlock_wrlock(&t->lock);
	char *old = t->value;
	t->value = value;
	pthread_rwlock_unlock(&t->lock);
	/* Wipe it: the old token stops opening anything, and need not linger
	 * in freed memory either. */
	memset(old, 0, strlen(old));
	free(old);
}

bool
auth_token_matches(auth_token *t, const char *sent, size_t sent_len)
{
	pthread_rwlock_rdlock(&t->lock);
	bool ok = auth_equal(sent, sent_len, t->value, strlen(t->value));
	pthread_rwlock_unlock(&t->lock);
	return ok;
}
