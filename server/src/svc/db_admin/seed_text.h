/*
 * seed_text.h - random but plausible users and messages for SeedBulk.
 *
 * Everything here is a pure function of a seed: the same seed gives the
 * same handles, names and messages on every machine, so that a seeded
 * database can be reproduced (and a test can compare two of them). The
 * generator is splitmix64: tiny, fast, statistically good enough for fake
 * data, and its output function is a bijection on 64 bits, which is what
 * makes handles collision-free (seed_handle).
 *
 * No allocation, no locking, no PostgreSQL: callers own every buffer, and
 * one seed_rng must be used by one thread at a time.
 */
#ifndef CRUDDUR_SEED_TEXT_H
#define CRUDDUR_SEED_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct seed_rng {
	uint64_t state;
} seed_rng;

/* Message lengths in characters (code points): what the activities CHECK
 * allows is 1..280; seeded messages are 20..280. */
#define SEED_MESSAGE_MIN_CHARS 20
#define SEED_MESSAGE_MAX_CHARS 280
/* Buffer sizes (bytes, with the NUL) that always suffice. */
#define SEED_MESSAGE_CAP (SEED_MESSAGE_MAX_CHARS * 4 + 1)
#define SEED_HANDLE_CAP 32
#define SEED_UUID_CAP 37
#define SEED_NAME_CAP 128
#define SEED_BIO_CAP 512

/* The splitmix64 finalizer: a bijection on uint64_t. */
uint64_t seed_mix64(uint64_t z);

/* A generator for one purpose ("stream") of one seed: different streams of
 * the same seed are independent, so that, for example, the handles do not
 * change when more activities are asked for. */
void     seed_rng_init(seed_rng *r, uint64_t seed, uint64_t stream);
uint64_t seed_rng_next(seed_rng *r);
/* Uniform in [0, n); n > 0. (Modulo bias is below 2^-40 for the n used
 * here.) */
uint64_t seed_rng_below(seed_rng *r, uint64_t n);

/* Code points in a UTF-8 string (continuation bytes are not counted). */
size_t seed_utf8_chars(const char *s);

/*
 * "user_" and 16 lowercase hex digits: seed_mix64(key + i). Because
 * seed_mix64 is a bijection, the i of one call (one key) never collide, and
 * two calls with keys picked at random collide only if their ranges
 * [key, key + n) overlap: about n1 + n2 in 2^64. The result matches
 * ^[A-Za-z0-9_]{1,32}$ and has no upper case, so it is unique ignoring case
 * too. Writes 21 characters and a NUL into buf (SEED_HANDLE_CAP).
 */
void seed_handle(uint64_t key, uint64_t i, char *buf);

/* A version 4 uuid's text (36 characters and a NUL) from 122 random bits. */
void seed_uuid(seed_rng *r, char *buf);

/* "First Last", 3..40 characters, a few with non-ASCII letters. */
void seed_display_name(seed_rng *r, char *buf, size_t cap);

/* A profile bio of 0..200 characters; about a quarter are empty, some span
 * two lines (a newline), and some hold a backslash ("\o/"), so that the
 * COPY escaping is exercised by real data. */
void seed_bio(seed_rng *r, char *buf, size_t cap);

/*
 * A message of SEED_MESSAGE_MIN_CHARS..SEED_MESSAGE_MAX_CHARS characters:
 * words (mostly ASCII, about one in twenty-five multibyte: accented words,
 * CJK, emoji) ending with punctuation. Lengths lean short, as real posts
 * do; about one in a hundred is exactly 280 characters. cap must be at
 * least SEED_MESSAGE_CAP. Returns the length in bytes.
 */
size_t seed_message(seed_rng *r, char *buf, size_t cap);

#endif /* CRUDDUR_SEED_TEXT_H */
