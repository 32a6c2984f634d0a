/*
 * feed_cache_test.c - reads/feed_cache.h without a server: hits and
 * misses, the bytes bound and LRU order, admission of cursor pages,
 * reference counts across drops (ASan sees a use after free), generations
 * (a page from before a drop is refused), usable and the freshness bound,
 * expiry, stats; and hits on many threads while drops come (no crash, no
 * leak, no stale generation kept).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "reads/feed_cache.h"
#include "test_support.h"

#define BOUND_US 50000

static feed_cache *
ready_cache(size_t limit)
{
	feed_cache *c = NULL;

	CHECK(feed_cache_new(&c, limit, BOUND_US) == 0 && c != NULL);
	feed_cache_set_usable(c, true);
	feed_cache_set_fresh(c, clock_mono_us());
	return c;
}

static bool
put(feed_cache *c, const char *key, const char *bytes)
{
	return feed_cache_put(c, key, true, feed_cache_generation(c), (const uint8_t *)bytes,
	    strlen(bytes), INT64_MAX);
}

/* The page's bytes as a string (released), or NULL: a miss or bypass. */
static const char *
get(feed_cache *c, const char *key, char *out, size_t len, feed_lookup *why)
{
	feed_lookup w;
	feed_page  *p = feed_cache_get(c, key, clock_mono_us(), clock_real_us(), why ? why : &w);
	size_t      n;

	if (p == NULL)
		return NULL;
	const uint8_t *d = feed_page_data(p, &n);
	snprintf(out, len, "%.*s", (int)n, (const char *)d);
	feed_page_release(p);
	return out;
}

static void
test_hit_miss_and_stats(void)
{
	feed_cache      *c = ready_cache(1 << 20);
	feed_cache_stats s;
	char             buf[64];
	feed_lookup      why;

	CHECK(get(c, "20 ", buf, sizeof(buf), &why) == NULL && why == FEED_MISS);
	CHECK(put(c, "20 ", "page-a"));
	CHECK(get(c, "20 ", buf, sizeof(buf), &why) != NULL && why == FEED_HIT);
	CHECK_STREQ(buf, "page-a");
	/* Replacing a key keeps one entry. */
	CHECK(put(c, "20 ", "page-b"));
	CHECK_STREQ(get(c, "20 ", buf, sizeof(buf), NULL), "page-b");
	feed_cache_count_bypass(c);
	feed_cache_get_stats(c, &s);
	CHECK(s.hits == 2 && s.misses == 1 && s.bypassed == 1 && s.entries == 1);
	CHECK(s.bytes_held > strlen("page-b") && s.bytes_limit == 1 << 20);
	feed_cache_notice(c, "activities");
	feed_cache_get_stats(c, &s);
	CHECK(s.notices == 1 && s.drops_by_notice == 1 && s.entries == 0 && s.bytes_held == 0);
	feed_cache_get_stats(NULL, &s);
	CHECK_STREQ(s.listener_state, "off");
	feed_cache_free(c);
}

/* Room for three entries of this size: the fourth evicts the least
 * recently used, which a hit renews. */
static void
test_bytes_bound_lru(void)
{
	char        page[1000], buf[1200];
	feed_cache *probe = ready_cache(1 << 20);
	feed_cache_stats s;

	memset(page, 'x', sizeof(page) - 1);
	page[sizeof(page) - 1] = '\0';
	CHECK(put(probe, "k1", page));
	feed_cache_get_stats(probe, &s);
	size_t one = s.bytes_held;
	feed_cache_free(probe);

	feed_cache *c = ready_cache(3 * one + one / 2);
	CHECK(put(c, "k1", page) && put(c, "k2", page) && put(c, "k3", page));
	CHECK(get(c, "k1", buf, sizeof(buf), NULL) != NULL); /* k2 is now the oldest */
	CHECK(put(c, "k4", page));
	CHECK(get(c, "k2", buf, sizeof(buf), NULL) == NULL);
	CHECK(get(c, "k1", buf, sizeof(buf), NULL) != NULL);
	CHECK(get(c, "k3", buf, sizeof(buf), NULL) != NULL);
	CHECK(get(c, "k4", buf, sizeof(buf), NULL) != NULL);
	feed_cache_get_stats(c, &s);
	CHECK(s.entries == 3 && s.bytes_held <= s.bytes_limit);
	/* A page bigger than the whole cache is not kept, and evicts nothing. */
	static char big[8192];
	memset(big, 'y', sizeof(big) - 1);
	CHECK(!put(c, "big", big));
	feed_cache_get_stats(c, &s);
	CHECK(s.entries == 3);
	feed_cache_free(c);
}

static void
test_cursor_admission(void)
{
	feed_cache *c = ready_cache(1 << 20);
	char        buf[64];
	uint64_t    g = feed_cache_generation(c);

	CHECK(!feed_cache_put(c, "20 CURSOR", false, g, (const uint8_t *)"p", 1, INT64_MAX));
	CHECK(get(c, "20 CURSOR", buf, sizeof(buf), NULL) == NULL);
	CHECK(feed_cache_put(c, "20 CURSOR", false, g, (const uint8_t *)"p", 1, INT64_MAX));
	CHECK_STREQ(get(c, "20 CURSOR", buf, sizeof(buf), NULL), "p");
	feed_cache_free(c);
}

/* A page a caller still holds survives the drop that unlinks it. */
static void
test_refcount_across_drop(void)
{
	feed_cache *c = ready_cache(1 << 20);
	feed_lookup why;
	size_t      n;

	CHECK(put(c, "20 ", "held-page"));
	feed_page *p = feed_cache_get(c, "20 ", clock_mono_us(), clock_real_us(), &why);
	CHECK(p != NULL);
	feed_cache_drop_all(c, false);
	CHECK(put(c, "20 ", "new-page"));
	if (p != NULL) {
		const uint8_t *d = feed_page_data(p, &n);
		CHECK(n == 9 && memcmp(d, "held-page", 9) == 0); /* ASan: no use after free */
		feed_page_release(p);
	}
	feed_cache_free(c);
}

static void
test_generation_and_usable(void)
{
	feed_cache *c = ready_cache(1 << 20);
	char        buf[64];
	feed_lookup why;
	uint64_t    before = feed_cache_generation(c);

	feed_cache_drop_all(c, false); /* a write, between the submit and the result */
	CHECK(!feed_cache_put(c, "20 ", true, before, (const uint8_t *)"stale", 5, INT64_MAX));
	CHECK(get(c, "20 ", buf, sizeof(buf), NULL) == NULL);
	CHECK(put(c, "20 ", "fresh"));
	/* Not usable: bypassed, emptied, and nothing kept. */
	feed_cache_set_usable(c, false);
	CHECK(get(c, "20 ", buf, sizeof(buf), &why) == NULL && why == FEED_BYPASSED);
	CHECK(!put(c, "20 ", "while-down"));
	feed_cache_set_usable(c, true);
	CHECK(get(c, "20 ", buf, sizeof(buf), &why) == NULL && why == FEED_MISS);
	/* F older than the bound: bypassed, though the page is there. */
	CHECK(put(c, "20 ", "page"));
	CHECK(feed_cache_get(c, "20 ", clock_mono_us() + 2 * BOUND_US, clock_real_us(), &why) ==
	          NULL &&
	    why == FEED_BYPASSED);
	feed_cache_set_fresh(c, clock_mono_us());
	CHECK_STREQ(get(c, "20 ", buf, sizeof(buf), NULL), "page");
	feed_cache_free(c);
}

static void
test_expiry(void)
{
	feed_cache *c = ready_cache(1 << 20);
	feed_lookup why;
	int64_t     now = clock_real_us();

	CHECK(feed_cache_put(c, "20 ", true, feed_cache_generation(c), (const uint8_t *)"e", 1,
	    now + 1000000));
	feed_page *p = feed_cache_get(c, "20 ", clock_mono_us(), now, &why);
	CHECK(p != NULL);
	feed_page_release(p);
	CHECK(feed_cache_get(c, "20 ", clock_mono_us(), now + 1000000, &why) == NULL &&
	    why == FEED_MISS);
	feed_cache_stats s;
	feed_cache_get_stats(c, &s);
	CHECK(s.entries == 0);
	feed_cache_free(c);
}

/* Readers hit while a writer drops and puts: every page read is whole, and
 * none is of a generation older than the last drop before its put. */
typedef struct race {
	feed_cache *c;
	atomic_bool stop;
	atomic_long hits, bad;
} race;

static void *
reader(void *arg)
{
	race       *r = arg;
	feed_lookup why;
	size_t      n;

	while (!atomic_load(&r->stop)) {
		feed_page *p = feed_cache_get(r->c, "20 ", clock_mono_us(), clock_real_us(), &why);
		if (p == NULL)
			continue;
		const uint8_t *d = feed_page_data(p, &n);
		if (n != 16 || memcmp(d, "gen-", 4) != 0)
			atomic_fetch_add(&r->bad, 1);
		atomic_fetch_add(&r->hits, 1);
		feed_page_release(p);
	}
	return NULL;
}

static void
test_concurrent(void)
{
	race      r = { .c = ready_cache(1 << 16) };
	pthread_t t[4];
	char      page[17];

	atomic_init(&r.stop, false);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, reader, &r);
	double until = ts_now() + 1.0;
	long   refused = 0;
	for (unsigned i = 0; ts_now() < until; i++) {
		uint64_t g = feed_cache_generation(r.c);
		snprintf(page, sizeof(page), "gen-%012llu", (unsigned long long)g);
		feed_cache_set_fresh(r.c, clock_mono_us());
		if ((i & 3) == 0)
			feed_cache_drop_all(r.c, true); /* between the read and the put */
		if (!feed_cache_put(r.c, "20 ", true, g, (const uint8_t *)page, 16, INT64_MAX))
			refused++;
		else
			CHECK((i & 3) != 0);
		if ((i & 7) == 1)
			feed_cache_drop_all(r.c, false);
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK(atomic_load(&r.bad) == 0);
	CHECK(atomic_load(&r.hits) > 0 && refused > 0);
	feed_cache_free(r.c);
}

int
main(void)
{
	test_hit_miss_and_stats();
	test_bytes_bound_lru();
	test_cursor_admission();
	test_refcount_across_drop();
	test_generation_and_usable();
	test_expiry();
	test_concurrent();
	return ts_finish("feed_cache_test");
}
