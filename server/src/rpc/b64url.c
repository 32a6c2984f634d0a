/*
 * b64url.c - strict unpadded base64url on OpenSSL's decoder; see b64url.h.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rpc/b64url.h"

bool
b64url_alphabet(const char *s, size_t len)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(digits, s[i]) == NULL)
			return false;
	return true;
}

unsigned char *
b64url_decode(const char *s, size_t len, size_t max_len, size_t *out_len)
{
	size_t         pad = (4 - len % 4) % 4, std_len = len + pad;
	char          *std = NULL, *again = NULL;
	unsigned char *out = NULL;
	int            n;

	/* One digit alone in a group of four carries fewer than 8 bits. */
	if (len > max_len || len % 4 == 1 || !b64url_alphabet(s, len))
		return NULL;
	if ((std = malloc(std_len + 1)) == NULL || (out = malloc(std_len / 4 * 3 + 1)) == NULL ||
	    (again = malloc(std_len + 1)) == NULL)
		goto fail;
	for (size_t i = 0; i < len; i++)
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	memset(std + len, '=', pad);
	std[std_len] = '\0';
	if (std_len > 0 && (n = EVP_DecodeBlock(out, (const unsigned char *)std, (int)std_len)) < 0)
		goto fail;
	/* EVP_DecodeBlock counts the bytes that padding stands for too. */
	*out_len = std_len / 4 * 3 - pad;
	out[*out_len] = '\0';
	/* Canonical: encoding the bytes again gives the same text, so stray
	 * low bits in the last digit (another text for the same bytes) fail. */
	if (std_len > 0 && (EVP_EncodeBlock((unsigned char *)again, out, (int)*out_len) != (int)std_len ||
	                       memcmp(again, std, std_len) != 0))
		goto fail;
	free(std);
	free(again);
	return out;
fail:
	free(std);
	free(again);
	free(out);
	return NULL;
}
