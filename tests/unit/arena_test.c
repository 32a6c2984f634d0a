/*
 * arena_test.c - the per-request arena: alignment, zeroing, growth past a
 * block, large single allocations, reset.
 */
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "test_support.h"

static void
test_alignment_and_zeroing(void)
{
	arena *a = arena_new();
	CHECK(a != NULL);
	for (size_t n = 1; n < 100; n++) {
		unsigned char *p = arena_alloc(a, n);
		CHECK(p != NULL && ((uintptr_t)p % 16) == 0);
		for (size_t i = 0; p != NULL && i < n; i++)
			CHECK(p[i] == 0);
		if (p != NULL)
			memset(p, 0xAB, n); /* ASan flags any overlap with the next one */
	}
	arena_free(a);
}

static void
test_growth(void)
{
	arena *a = arena_new();
	char  *strings[5000];
	char   buf[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "string-%d", i);
		strings[i] = arena_strdup(a, buf);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "string-%d", i);
		CHECK_STREQ(strings[i], buf);
	}
	void *big = arena_alloc(a, 10 << 20);
	CHECK(big != NULL);
	CHECK(arena_alloc(a, SIZE_MAX - 8) == NULL); /* overflow is refused, not wrapped */
	arena_reset(a);
	CHECK_STREQ(arena_strndup(a, "abcdef", 3), "abc");
	arena_free(a);
	arena_free(NULL);
}

int
main(void)
{
	test_alignment_and_zeroing();
	test_growth();
	return ts_finish("arena_test");
}
