/*
 * arena.c - a per-request bump allocator: a list of blocks, the newest
 * first; an allocation takes the front of the newest block or starts a new
 * one of at least twice the last size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#define FIRST_BLOCK 8192
#define ALIGN 16

typedef struct block {
	struct block *next;
	size_t        size; /* bytes in data[] */
	size_t        used;
	_Alignas(ALIGN) unsigned char data[];
} block;

struct arena {
	block *head;
};

static block *
block_new(size_t size, block *next)
{
	block *b = malloc(sizeof(block) + size);
	if (b == NULL)
		return NULL;
	b->next = next;
	b->size = size;
	b->used = 0;
	return b;
}

arena *
arena_new(void)
{
	arena *a = malloc(sizeof(*a));
	if (a == NULL)
		return NULL;
	if ((a->head = block_new(FIRST_BLOCK, NULL)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
arena_reset(arena *a)
{
	block *b = a->head;
	while (b->next != NULL) {
		block *next = b->next;
		free(b);
		b = next;
	}
	b->used = 0;
	a->head = b;
}

void
arena_free(arena *a)
{
	if (a == NULL)
		return;
	arena_reset(a);
	free(a->head);
	free(a);
}

void *
arena_alloc(arena *a, size_t n)
{
	block *b = a->head;
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);

	if (need < n)
		return NULL;
	if (b->size - b->used < need) {
		size_t size = b->size * 2;
		if (size < need)
			size = need;
		if (size > SIZE_MAX - sizeof(block) || (b = block_new(size, a->head)) == NULL)
			return NULL;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

char *
arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
