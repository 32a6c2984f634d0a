/*
 * feed_cache.c - HomeFeed's page cache: a hash table of entries on one LRU
 * list, under one mutex; see feed_cache.h for what it keeps, for how long,
 * and the locking.
 *
 * Ownership: a linked entry holds one reference of its own (the cache's);
 * every hit adds one. Unlinking (eviction, expiry, a drop) gives up the
 * cache's; whoever drops the last frees the entry, so an entry a call is
 * still sending is never freed under it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "base/clock.h"
#include "reads/feed_cache.h"

/* Keys of cursor pages put once, by hash: a second put admits the page. */
#define SEEN_SLOTS 1024

struct feed_page {
	atomic_uint refs;
	feed_page  *hnext;      /* the bucket's chain */
	feed_page  *prev, *next; /* the LRU list: head most recent */
	uint64_t    hash;
	int64_t     valid_until_real_us;
	size_t      len;        /* of data */
	size_t      charge;     /* what it counts against the limit */
	char       *key;        /* after data, in the same allocation */
	uint8_t     data[];
};

struct feed_cache {
	pthread_mutex_t mtx;
	feed_page     **buckets; /* n_buckets, a power of 2 */
	size_t          n_buckets;
	feed_page      *head, *tail;
	size_t          bytes_held, entries; /* written under mtx, read atomically */
	size_t          limit;
	uint64_t        seen[SEEN_SLOTS];
	int64_t         bound_us;
	_Atomic uint64_t gen;
	atomic_bool      usable;
	_Atomic int64_t  fresh_mono_us;
	_Atomic int64_t  looked_mono_us; /* the last lookup */
	atomic_int       state;
	_Atomic uint64_t hits, misses, drops_by_notice, bypassed, notices;
	_Atomic size_t   stat_bytes, stat_entries;
};

/* FNV-1a: keys are short and ours ("20 " + a cursor). */
static uint64_t
key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

int
feed_cache_new(feed_cache **out, size_t limit_bytes, int64_t bound_us)
{
	feed_cache *c = calloc(1, sizeof(*c));
	size_t      n = 64;

	*out = NULL;
	if (c == NULL)
		return ENOMEM;
	/* About one bucket per KiB held: a 20-row page is several KiB. */
	while (n < limit_bytes / 1024 && n < 65536)
		n *= 2;
	if ((c->buckets = calloc(n, sizeof(*c->buckets))) == NULL) {
		free(c);
		return ENOMEM;
	}
	pthread_mutex_init(&c->mtx, NULL);
	c->n_buckets = n;
	c->limit = limit_bytes;
	c->bound_us = bound_us;
	atomic_init(&c->gen, 1);
	atomic_init(&c->usable, false);
	atomic_init(&c->fresh_mono_us, 0);
	atomic_init(&c->looked_mono_us, 0);
	atomic_init(&c->state, FEED_LISTENER_CONNECTING);
	*out = c;
	return 0;
}

static void
page_unref(feed_page *p)
{
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
		free(p);
}

static void
publish_sizes(feed_cache *c)
{
	atomic_store_explicit(&c->stat_bytes, c->bytes_held, memory_order_relaxed);
	atomic_store_explicit(&c->stat_entries, c->entries, memory_order_relaxed);
}

/* Takes p off the table and the list and gives up the cache's reference.
 * Under mtx. */
static void
unlink_page(feed_cache *c, feed_page *p)
{
	feed_page **pp = &c->buckets[p->hash & (c->n_buckets - 1)];

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		c->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		c->tail = p->prev;
	c->bytes_held -= p->charge;
	c->entries--;
	page_unref(p);
}

/* Moves p to the head of the LRU list. Under mtx. */
static void
touch(feed_cache *c, feed_page *p)
{
	if (c->head == p)
		return;
	p->prev->next = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		c->tail = p->prev;
	p->prev = NULL;
	p->next = c->head;
	c->head->prev = p;
	c->head = p;
}

/* Empties the table. Under mtx. Returns the entries dropped. */
static size_t
drop_locked(feed_cache *c)
{
	size_t n = c->entries;

	while (c->head != NULL)
		unlink_page(c, c->head);
	memset(c->seen, 0, sizeof(c->seen));
	atomic_fetch_add(&c->gen, 1);
	publish_sizes(c);
	return n;
}

void
feed_cache_free(feed_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mtx);
	drop_locked(c);
	pthread_mutex_unlock(&c->mtx);
	pthread_mutex_destroy(&c->mtx);
	free(c->buckets);
	free(c);
}

/* Usable, and F is recent enough for a request that arrived at now. */
static bool
servable(feed_cache *c, int64_t now_mono_us)
{
	if (!atomic_load_explicit(&c->usable, memory_order_acquire))
		return false;
	return now_mono_us - atomic_load_explicit(&c->fresh_mono_us, memory_order_acquire) <=
	    c->bound_us;
}

feed_page *
feed_cache_get(feed_cache *c, const char *key, int64_t now_mono_us, int64_t now_real_us,
    feed_lookup *why)
{
	uint64_t   h = key_hash(key);
	feed_page *p;

	if (atomic_load_explicit(&c->looked_mono_us, memory_order_relaxed) < now_mono_us - 1000)
		atomic_store_explicit(&c->looked_mono_us, now_mono_us, memory_order_relaxed);
	if (!servable(c, now_mono_us)) {
		atomic_fetch_add_explicit(&c->bypassed, 1, memory_order_relaxed);
		*why = FEED_BYPASSED;
		return NULL;
	}
	pthread_mutex_lock(&c->mtx);
	for (p = c->buckets[h & (c->n_buckets - 1)]; p != NULL; p = p->hnext)
		if (p->hash == h && strcmp(p->key, key) == 0)
			break;
	if (p != NULL && now_real_us >= p->valid_until_real_us) {
		unlink_page(c, p); /* one of its activities has expired */
		publish_sizes(c);
		p = NULL;
	}
	if (p != NULL) {
		touch(c, p);
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&c->mtx);
	atomic_fetch_add_explicit(p != NULL ? &c->hits : &c->misses, 1, memory_order_relaxed);
	*why = p != NULL ? FEED_HIT : FEED_MISS;
	return p;
}

const uint8_t *
feed_page_data(const feed_page *p, size_t *len)
{
	*len = p->len;
	return p->data;
}

void
feed_page_release(feed_page *p)
{
	if (p != NULL)
		page_unref(p);
}

void
feed_cache_count_bypass(feed_cache *c)
{
	atomic_fetch_add_explicit(&c->bypassed, 1, memory_order_relaxed);
}

uint64_t
feed_cache_generation(feed_cache *c)
{
	return atomic_load_explicit(&c->gen, memory_order_acquire);
}

/* A cursor page is admitted on its second put. Under mtx. */
static bool
admit(feed_cache *c, uint64_t h, bool first_page)
{
	uint64_t *slot = &c->seen[h % SEEN_SLOTS];

	if (first_page || *slot == h)
		return true;
	*slot = h;
	return false;
}

bool
feed_cache_put(feed_cache *c, const char *key, bool first_page, uint64_t gen,
    const uint8_t *data, size_t len, int64_t valid_until_real_us)
{
	size_t     klen = strlen(key) + 1;
	size_t     charge = sizeof(feed_page) + len + klen;
	uint64_t   h = key_hash(key);
	feed_page *p, *old;

	if (len > FEED_CACHE_MAX_PAGE || charge > c->limit || klen > 4096)
		return false;
	/* Allocated outside the lock, freed again if it is not kept. */
	if ((p = malloc(charge)) == NULL)
		return false;
	atomic_init(&p->refs, 1);
	p->hash = h;
	p->valid_until_real_us = valid_until_real_us;
	p->len = len;
	p->charge = charge;
	p->key = (char *)p->data + len;
	memcpy(p->data, data, len);
	memcpy(p->key, key, klen);
	pthread_mutex_lock(&c->mtx);
	/* The generation is read again under the lock, where drops change it:
	 * a drop after this check empties the table with p in it. */
	if (!atomic_load(&c->usable) || atomic_load(&c->gen) != gen || !admit(c, h, first_page)) {
		pthread_mutex_unlock(&c->mtx);
		free(p);
		return false;
	}
	for (old = c->buckets[h & (c->n_buckets - 1)]; old != NULL; old = old->hnext)
		if (old->hash == h && strcmp(old->key, key) == 0)
			break;
	if (old != NULL)
		unlink_page(c, old);
	while (c->bytes_held + charge > c->limit && c->tail != NULL)
		unlink_page(c, c->tail);
	p->hnext = c->buckets[h & (c->n_buckets - 1)];
	c->buckets[h & (c->n_buckets - 1)] = p;
	p->prev = NULL;
	p->next = c->head;
	if (c->head != NULL)
		c->head->prev = p;
	else
		c->tail = p;
	c->head = p;
	c->bytes_held += charge;
	c->entries++;
	publish_sizes(c);
	pthread_mutex_unlock(&c->mtx);
	return true;
}

void
feed_cache_drop_all(feed_cache *c, bool by_notice)
{
	size_t n;

	pthread_mutex_lock(&c->mtx);
	n = drop_locked(c);
	pthread_mutex_unlock(&c->mtx);
	if (by_notice)
		atomic_fetch_add_explicit(&c->drops_by_notice, n, memory_order_relaxed);
}

/* Every notice empties the cache: the triggers say which table changed
 * (sql/migrations/0006), and nearly every write (a new activity) changes
 * every first page, which are the pages held most. Dropping less would
 * need the rows' keys in the payload for little gain. */
void
feed_cache_notice(feed_cache *c, const char *payload)
{
	(void)payload;
	atomic_fetch_add_explicit(&c->notices, 1, memory_order_relaxed);
	feed_cache_drop_all(c, true);
}

void
feed_cache_set_usable(feed_cache *c, bool usable)
{
	pthread_mutex_lock(&c->mtx);
	drop_locked(c);
	atomic_store_explicit(&c->usable, usable, memory_order_release);
	pthread_mutex_unlock(&c->mtx);
}

void
feed_cache_set_fresh(feed_cache *c, int64_t mono_us)
{
	int64_t cur = atomic_load(&c->fresh_mono_us);

	while (mono_us > cur && !atomic_compare_exchange_weak(&c->fresh_mono_us, &cur, mono_us))
		;
}

void
feed_cache_set_listener_state(feed_cache *c, feed_listener_state st)
{
	atomic_store_explicit(&c->state, (int)st, memory_order_relaxed);
}

bool
feed_cache_wanted(feed_cache *c)
{
	return clock_mono_us() - atomic_load_explicit(&c->looked_mono_us, memory_order_relaxed) <
	    1000000;
}

static const char *
state_name(int st)
{
	switch (st) {
	case FEED_LISTENER_CONNECTING: return "connecting";
	case FEED_LISTENER_LISTENING: return "listening";
	case FEED_LISTENER_DOWN: return "down";
	default: return "off";
	}
}

void
feed_cache_get_stats(feed_cache *c, feed_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->listener_state = "off";
	if (c == NULL)
		return;
	out->hits = atomic_load_explicit(&c->hits, memory_order_relaxed);
	out->misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
	out->drops_by_notice = atomic_load_explicit(&c->drops_by_notice, memory_order_relaxed);
	out->bypassed = atomic_load_explicit(&c->bypassed, memory_order_relaxed);
	out->notices = atomic_load_explicit(&c->notices, memory_order_relaxed);
	out->bytes_held = atomic_load_explicit(&c->stat_bytes, memory_order_relaxed);
	out->entries = atomic_load_explicit(&c->stat_entries, memory_order_relaxed);
	out->bytes_limit = c->limit;
	out->listener_state = state_name(atomic_load_explicit(&c->state, memory_order_relaxed));
}
