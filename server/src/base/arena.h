/*
 * arena.h - a per-request bump allocator.
 *
 * A handler builds its response out of many small strings and submessages;
 * they all come from the request's arena and go in one arena_free after the
 * reply is packed, so no handler frees anything piecemeal and none can leak.
 * Not thread-safe: one request, one thread.
 */
#ifndef CRUDDUR_ARENA_H
#define CRUDDUR_ARENA_H

#include <stddef.h>

typedef struct arena arena;

arena *arena_new(void);              /* NULL when out of memory */
void   arena_free(arena *a);         /* frees everything allocated from a */
void   arena_reset(arena *a);        /* frees all but the first block, for reuse */
void  *arena_alloc(arena *a, size_t n);            /* zeroed, 16-aligned; NULL on OOM */
char  *arena_strdup(arena *a, const char *s);      /* NULL on OOM */
char  *arena_strndup(arena *a, const char *s, size_t n);

#endif /* CRUDDUR_ARENA_H */
