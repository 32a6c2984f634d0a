/*
 * seed_text.c - the word lists and generators behind SeedBulk's fake data.
 *
 * The lists are small on purpose: the point is text that looks like a feed
 * (so a demo or a screenshot is not "lorem ipsum") and that exercises what
 * real text does to the database: multibyte characters counted by
 * char_length, a backslash and a newline that COPY must escape, lengths right
 * at the 280-character limit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "svc/db_admin/seed_text.h"

static const char *const words[] = {
	"the", "a", "an", "and", "or", "but", "so", "if", "then", "just", "really", "maybe",
	"today", "tonight", "tomorrow", "yesterday", "again", "finally", "still", "never",
	"always", "sometimes", "I", "we", "you", "they", "my", "our", "your", "this", "that",
	"is", "was", "will", "can", "should", "might", "have", "had", "love", "hate", "need",
	"want", "shipped", "deployed", "broke", "fixed", "tested", "wrote", "read", "built",
	"learned", "tried", "watched", "cooked", "ran", "walked", "coffee", "tea", "lunch",
	"dinner", "weekend", "Monday", "Friday", "meeting", "standup", "deadline", "release",
	"bug", "feature", "database", "query", "index", "server", "cluster", "container",
	"lambda", "bucket", "pipeline", "terraform", "kubernetes", "postgres", "cache",
	"latency", "outage", "pager", "on-call", "rollback", "migration", "schema", "cloud",
	"bootcamp", "homework", "week", "project", "team", "friend", "dog", "cat", "garden",
	"rain", "sunshine", "snow", "train", "bike", "book", "movie", "song", "podcast",
	"great", "terrible", "weird", "fast", "slow", "new", "old", "tiny", "huge", "quiet",
	"busy", "happy", "tired", "excited", "confused", "proud", "in", "on", "at", "with",
	"without", "for", "from", "to", "about", "after", "before", "during", "#aws",
	"#100DaysOfCode", "#cloud", "#devops", "#postgres", "lol", "tbh", "imo", "wow",
	"yes", "no", "thanks", "everyone", "nobody", "somehow", "again?", "ok", "\\o/",
};

/* Multibyte words, picked about one time in twenty-five. */
static const char *const words_mb[] = {
	"café", "naïve", "jalapeño", "über", "smörgåsbord", "crème", "brûlée", "façade",
	"piñata", "résumé", "東京", "ラーメン", "☕", "🚀", "🎉", "😅", "déjà vu", "São Paulo",
	"Zürich", "—",
};

static const char *const first_names[] = {
	"Andrew", "Ana", "Björn", "Chloé", "Daniel", "Emma", "Fatima", "George", "Hana",
	"Ivan", "José", "Kofi", "Lena", "Mateo", "Noor", "Olivia", "Priya", "Quinn",
	"Ravi", "Søren", "Tariq", "Uma", "Victor", "Wei", "Xavier", "Yuki", "Zoë",
};

static const char *const last_names[] = {
	"Brown", "Chen", "Dubois", "Evans", "Fernández", "García", "Hansen", "Ito", "Jones",
	"Kim", "López", "Müller", "Nakamura", "Okafor", "Patel", "Rossi", "Smith", "Tanaka",
	"Usman", "Varga", "Weasel", "Nguyễn", "Young", "Zhang",
};

static const char *const bio_phrases[] = {
	"Cloud engineer", "Coffee first ☕", "Opinions are my own", "Building things on AWS",
	"Dog person", "Cat person", "Learning Go and C", "Runner and reader",
	"Postgres enthusiast \\o/", "Bootcamp class of 2023", "Ex-barista, now SRE",
	"Breaking prod since 2009", "she/her", "he/him", "they/them", "Based in Zürich",
	"Lisbon → Berlin", "Here for the memes", "Writing a novel, slowly",
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

uint64_t
seed_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void
seed_rng_init(seed_rng *r, uint64_t seed, uint64_t stream)
{
	r->state = seed_mix64(seed ^ seed_mix64(stream + UINT64_C(0x632be59bd9b4e019)));
}

uint64_t
seed_rng_next(seed_rng *r)
{
	r->state += UINT64_C(0x9e3779b97f4a7c15);
	return seed_mix64(r->state);
}

uint64_t
seed_rng_below(seed_rng *r, uint64_t n)
{
	return seed_rng_next(r) % n;
}

size_t
seed_utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

void
seed_handle(uint64_t key, uint64_t i, char *buf)
{
	snprintf(buf, SEED_HANDLE_CAP, "user_%016" PRIx64, seed_mix64(key + i));
}

void
seed_uuid(seed_rng *r, char *buf)
{
	uint64_t hi = seed_rng_next(r), lo = seed_rng_next(r);

	hi = (hi & ~UINT64_C(0xF000)) | UINT64_C(0x4000);                /* version 4 */
	lo = (lo & ~(UINT64_C(3) << 62)) | (UINT64_C(2) << 62);          /* variant 10 */
	snprintf(buf, SEED_UUID_CAP, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
	    hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF, lo >> 48, lo & UINT64_C(0xFFFFFFFFFFFF));
}

#define PICK(r, list) ((list)[seed_rng_below((r), NELEMS(list))])

void
seed_display_name(seed_rng *r, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %s", PICK(r, first_names), PICK(r, last_names));
}

void
seed_bio(seed_rng *r, char *buf, size_t cap)
{
	size_t len = 0;
	int    n = (int)seed_rng_below(r, 4); /* 0..3 phrases; 0 is the empty bio */

	buf[0] = '\0';
	for (int i = 0; i < n && len < cap; i++) {
		/* A second line now and then: bios are typed into a textarea. */
		const char *sep = i == 0 ? "" : seed_rng_below(r, 5) == 0 ? "\n" : " · ";
		int w = snprintf(buf + len, cap - len, "%s%s", sep, PICK(r, bio_phrases));
		if (w < 0 || (size_t)w >= cap - len)
			break;
		len += (size_t)w;
	}
}

/* Appends s (chars characters) at buf+*len, after a space unless first. */
static void
append_word(char *buf, size_t *len, size_t *chars, const char *s, size_t n_chars)
{
	size_t n = strlen(s);

	if (*chars > 0) {
		buf[(*len)++] = ' ';
		(*chars)++;
	}
	memcpy(buf + *len, s, n);
	/* Sentences start with a capital. */
	if (*chars == 0 && s[0] >= 'a' && s[0] <= 'z')
		buf[*len] = (char)(s[0] - 'a' + 'A');
	*len += n;
	*chars += n_chars;
}

size_t
seed_message(seed_rng *r, char *buf, size_t cap)
{
	static const char punct[] = ".!?";
	int    full = seed_rng_below(r, 100) == 0;
	/* The shorter of two uniform draws: most posts are short. */
	uint64_t a = seed_rng_below(r, SEED_MESSAGE_MAX_CHARS - SEED_MESSAGE_MIN_CHARS + 1);
	uint64_t b = seed_rng_below(r, SEED_MESSAGE_MAX_CHARS - SEED_MESSAGE_MIN_CHARS + 1);
	size_t target = full ? SEED_MESSAGE_MAX_CHARS : SEED_MESSAGE_MIN_CHARS + (size_t)(a < b ? a : b);
	size_t len = 0, chars = 0;
	int    misses = 0;

	(void)cap; /* >= SEED_MESSAGE_CAP: every character below is at most 4 bytes */
	while (misses < 4) {
		const char *w = seed_rng_below(r, 25) == 0 ? PICK(r, words_mb) : PICK(r, words);
		size_t      wc = seed_utf8_chars(w);
		/* Keep one character for the final punctuation. */
		if (chars + (chars > 0) + wc + 1 > target) {
			misses++;
			continue;
		}
		append_word(buf, &len, &chars, w, wc);
	}
	buf[len++] = punct[seed_rng_below(r, 3)];
	chars++;
	/* Short of the minimum (or of 280 for a full one): emphasis. */
	while (chars < SEED_MESSAGE_MIN_CHARS || (full && chars < target)) {
		buf[len++] = '!';
		chars++;
	}
	buf[len] = '\0';
	return len;
}
