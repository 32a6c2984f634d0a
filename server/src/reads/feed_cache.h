/*
 * feed_cache.h - HomeFeed pages kept in memory as their packed reply bytes.
 *
 * Why: nearly every HomeFeed asks for the same first page; a page held
 * here is answered on the thread that received the request, with no
 * worker, no reactor and no query (svc_activities.c). The bytes are the
 * packed HomeFeedResponse, shared by reference count between the calls
 * they answer: a hit takes a reference (feed_cache_get), hands the bytes
 * to rpc_complete_packed (which writes them into the reply message) and
 * drops it (feed_page_release); an entry dropped meanwhile is freed by its
 * last reader.
 *
 * What is kept: first pages (by limit) always; a cursor page once it was
 * computed twice (a small table of keys seen once decides), so that a
 * walk through old pages does not push the first pages out. Bounded by
 * bytes (--cache-bytes: entry, key and bytes counted), least recently used
 * out first. An entry is valid until the earliest expires_at of its rows
 * (wall clock): a page whose activity expired is never served.
 *
 * Freshness (docs/PROTOCOL.md, "Consistency"): the cache is usable only
 * while the notify listener (db/notify_listener.h) listens. Every drop
 * (a notice, a write through this server, the listener lost or back)
 * empties it and increments the generation; a miss reads the generation
 * before its query is submitted, and its page is kept only if no drop came
 * in between (feed_cache_put), so no page is kept from a query that began
 * before the last drop. The listener also publishes a freshness point F
 * (feed_cache_set_fresh): every write committed before F has been dropped
 * here. A hit is served only when F is at most bound_us old, so a
 * BOUNDED reply never misses a write committed more than the bound before
 * the request, even when the listener's connection hangs without failing.
 *
 * Locking: one mutex over the table, the LRU list, bytes_held, the
 * generation's increments and the seen-once table; every operation under
 * it is O(1) (a drop frees at most every entry, no I/O, no callback). The
 * counts, the generation's reads, usable, F and the listener's state are
 * atomics, read without the lock. A page's reference count is atomic, so a
 * release takes no lock.
 */
#ifndef CRUDDUR_FEED_CACHE_H
#define CRUDDUR_FEED_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct feed_cache feed_cache;
typedef struct feed_page  feed_page;

/* The listener's state, for Stats ("off": no cache, or no listener). */
typedef enum feed_listener_state {
	FEED_LISTENER_OFF,
	FEED_LISTENER_CONNECTING,
	FEED_LISTENER_LISTENING,
	FEED_LISTENER_DOWN,
} feed_listener_state;

/* A page is never bigger than this, so one page cannot take the whole
 * cache (and len fits the counters). */
#define FEED_CACHE_MAX_PAGE (1u << 20)

/* A cache of at most limit_bytes (> 0), whose hits need a freshness point
 * at most bound_us old. Starts unusable (bypassed) until
 * feed_cache_set_usable(true). Returns 0 or ENOMEM. */
int  feed_cache_new(feed_cache **out, size_t limit_bytes, int64_t bound_us);
/* Frees c and every entry; pages still referenced must have been released
 * (no call in flight). NULL is ignored. */
void feed_cache_free(feed_cache *c);

/* Why feed_cache_get found nothing. */
typedef enum feed_lookup {
	FEED_HIT,
	FEED_MISS,     /* usable, but not held (or expired) */
	FEED_BYPASSED, /* not usable now: no listener, or F too old */
} feed_lookup;

/*
 * The page for key (the reactor's share key: "limit cursor"), with a
 * reference the caller drops with feed_page_release, or NULL and *why.
 * now_mono_us and now_real_us: the request's arrival (CLOCK_MONOTONIC)
 * and the wall clock now (for expires_at). Counts a hit, miss or bypass.
 * Any thread; never blocks but on the mutex.
 */
feed_page *feed_cache_get(feed_cache *c, const char *key, int64_t now_mono_us,
    int64_t now_real_us, feed_lookup *why);
/* The page's bytes, valid until its release. */
const uint8_t *feed_page_data(const feed_page *p, size_t *len);
void           feed_page_release(feed_page *p);

/* Counts a call that did not look (STRONG) as bypassed. */
void feed_cache_count_bypass(feed_cache *c);

/* The generation to give feed_cache_put for a query submitted now. */
uint64_t feed_cache_generation(feed_cache *c);

/*
 * Keeps a copy of len bytes at data as key's page, valid until
 * valid_until_real_us (wall clock; INT64_MAX: no row expires), when the
 * cache is usable, no drop came since gen was read, the page fits, and
 * (a cursor page: first_page false) the key was put once before. Evicts
 * least recently used entries to make room. Returns whether it was kept.
 */
bool feed_cache_put(feed_cache *c, const char *key, bool first_page, uint64_t gen,
    const uint8_t *data, size_t len, int64_t valid_until_real_us);

/* Empties the cache (entries in use are freed by their last reader) and
 * increments the generation. by_notice: counted as drops by notice. */
void feed_cache_drop_all(feed_cache *c, bool by_notice);
/* A notification was received (counted), and what it makes stale dropped. */
void feed_cache_notice(feed_cache *c, const char *payload);

/* Usable or not (the listener listens, or not): either way the cache is
 * emptied first, so it starts empty when usable again. */
void feed_cache_set_usable(feed_cache *c, bool usable);
/* The freshness point F (CLOCK_MONOTONIC): every write committed before it
 * has been dropped. Only ever moves forward. */
void feed_cache_set_fresh(feed_cache *c, int64_t mono_us);
void feed_cache_set_listener_state(feed_cache *c, feed_listener_state st);
/* Whether a BOUNDED lookup came within the last second: the listener's
 * heartbeats are wanted. */
bool feed_cache_wanted(feed_cache *c);

typedef struct feed_cache_stats {
	uint64_t    hits, misses, drops_by_notice, bypassed, notices;
	size_t      bytes_held, bytes_limit, entries;
	const char *listener_state; /* static: "listening", "connecting", "down", "off" */
} feed_cache_stats;

/* A snapshot; c may be NULL (the cache is off): zeroes, state "off". */
void feed_cache_get_stats(feed_cache *c, feed_cache_stats *out);

#endif /* CRUDDUR_FEED_CACHE_H */
