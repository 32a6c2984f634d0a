/*
 * hist.c - the log-linear latency histogram (see hist.h).
 *
 * Bucket index of v: v itself below 2^HIST_SUB_BITS; above, with m the
 * position of v's highest bit and s = m - (HIST_SUB_BITS - 1), the index
 * is s * HIST_HALF + (v >> s), where v >> s lies in [HIST_HALF, 2 HIST_HALF).
 * Bucket i >= 2 HIST_HALF therefore covers [(v>>s) << s, ((v>>s)+1) << s).
 */
#include "hist.h"

static unsigned
bucket_of(uint64_t v)
{
	if (v < 2 * HIST_HALF)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned s = msb - (HIST_SUB_BITS - 1);
	unsigned i = s * HIST_HALF + (unsigned)(v >> s);
	return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* The first value of bucket i, and its width. */
static void
bucket_range(unsigned i, uint64_t *from, uint64_t *width)
{
	if (i < 2 * HIST_HALF) {
		*from = i;
		*width = 1;
		return;
	}
	unsigned s = i / HIST_HALF - 1;
	uint64_t m = HIST_HALF + i % HIST_HALF;
	*from = m << s;
	*width = (uint64_t)1 << s;
}

void
hist_record(hist *h, uint64_t us)
{
	h->buckets[bucket_of(us)]++;
	h->count++;
	h->sum_us += us;
	if (us > h->max_us)
		h->max_us = us;
}

void
hist_merge(hist *into, const hist *from)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
	into->count += from->count;
	into->sum_us += from->sum_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

uint64_t
hist_quantile(const hist *h, double q)
{
	if (h->count == 0)
		return 0;
	/* The rank of the value at q, 1-based, as HdrHistogram counts it. */
	uint64_t rank = (uint64_t)(q * (double)h->count + 0.5);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t from, width;
			bucket_range(i, &from, &width);
			uint64_t top = from + width - 1;
			return top < h->max_us ? top : h->max_us;
		}
	}
	return h->max_us;
}

void
hist_write_json(const hist *h, FILE *f)
{
	const char *sep = "";

	fputc('[', f);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (h->buckets[i] == 0)
			continue;
		uint64_t from, width;
		bucket_range(i, &from, &width);
		fprintf(f, "%s{\"from_us\":%llu,\"to_us\":%llu,\"count\":%llu}", sep,
		    (unsigned long long)from, (unsigned long long)(from + width - 1),
		    (unsigned long long)h->buckets[i]);
		sep = ",";
	}
	fputc(']', f);
}
