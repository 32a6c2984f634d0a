/*
 * reply_arena_test.c - responses unpacked into reply arenas (client/src/
 * reply_arena.c) read back exactly what was packed, including messages
 * that outgrow the first block many times over, and garbage is refused.
 * Run under ASan too, which checks every access against the blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/v1/activities.pb-c.h"
#include "reply_arena.h"
#include "test_support.h"

/* A page of n activities; with empty ones it packs to 2 bytes each but
 * unpacks to a whole struct each: the first block (sized from the packed
 * length) overflows into more. */
static uint8_t *
pack_page(size_t n, bool empty, size_t *len)
{
	Cruddur__V1__HomeFeedResponse resp = CRUDDUR__V1__HOME_FEED_RESPONSE__INIT;
	Cruddur__V1__Activity        *acts = calloc(n, sizeof(*acts));
	Cruddur__V1__Activity       **ptrs = calloc(n, sizeof(*ptrs));
	char                          text[64];

	for (size_t i = 0; i < n; i++) {
		cruddur__v1__activity__init(&acts[i]);
		if (!empty) {
			snprintf(text, sizeof(text), "message %zu", i);
			acts[i].message = strdup(text);
			acts[i].created_at_us = (int64_t)i * 1000;
		}
		ptrs[i] = &acts[i];
	}
	resp.activities = ptrs;
	resp.n_activities = n;
	resp.next_cursor = "next";
	*len = cruddur__v1__home_feed_response__get_packed_size(&resp);
	uint8_t *buf = malloc(*len ? *len : 1);
	cruddur__v1__home_feed_response__pack(&resp, buf);
	for (size_t i = 0; i < n && !empty; i++)
		free(acts[i].message);
	free(acts);
	free(ptrs);
	return buf;
}

static void
check_page(size_t n, bool empty)
{
	size_t   len;
	uint8_t *buf = pack_page(n, empty, &len);
	ProtobufCMessage *m =
	    cruddur_i_reply_unpack(&cruddur__v1__home_feed_response__descriptor, len, buf);
	char     want[64];

	CHECK(m != NULL);
	if (m != NULL) {
		Cruddur__V1__HomeFeedResponse *r = (Cruddur__V1__HomeFeedResponse *)m;
		CHECK(r->n_activities == n);
		CHECK_STREQ(r->next_cursor, "next");
		for (size_t i = 0; i < r->n_activities; i++) {
			snprintf(want, sizeof(want), "message %zu", i);
			CHECK_STREQ(r->activities[i]->message, empty ? "" : want);
			CHECK(r->activities[i]->created_at_us == (empty ? 0 : (int64_t)i * 1000));
		}
		cruddur_i_reply_free(m);
	}
	free(buf);
}

int
main(void)
{
	static const uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01 };

	check_page(0, false);
	check_page(20, false);    /* a usual page: one block */
	check_page(1000, false);
	check_page(5000, true);   /* 10 kB packed, 100s of kB unpacked: many blocks */
	CHECK(cruddur_i_reply_unpack(&cruddur__v1__home_feed_response__descriptor, sizeof(garbage),
	          garbage) == NULL);
	return ts_finish("reply_arena_test");
}
