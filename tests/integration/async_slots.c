/*
 * async_slots.c - async_call_test's part on the client's call slots:
 * contexts opened while the client's socket closes (as retries and calls
 * racing cruddur_client_close open them) never hang the close.
 */
#include <pthread.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "call_slots.h"

#include "async_batch.h"

/* Threads that open and close contexts through the slots until the
 * socket is closed under them. */
typedef struct slot_churner {
	call_slots *slots;
	nng_socket  sock;
	pthread_t   thr;
	long        opened;
} slot_churner;

static void *
slot_churn(void *arg)
{
	slot_churner *t = arg;
	call_slot    *slot;

	/* Each take opens a new context: the last one was failed. */
	while (cruddur_i_call_slot_take(t->slots, &t->slots->sync, t->sock, &slot) == 0) {
		t->opened++;
		cruddur_i_call_slot_fail(t->slots, slot);
		cruddur_i_call_slot_give(t->slots, &t->slots->sync, slot);
	}
	return NULL;
}

/* Contexts opened (and closed) while the socket closes: in nng 1.5.2 a
 * context opened while nng_close is under way hangs it forever; the slots
 * must keep the two apart, as retries and calls racing
 * cruddur_client_close do. No server is needed: the dialer only makes the
 * socket's close take a while. */
void
test_slots_open_vs_close(void)
{
	long opened = 0;

	for (int round = 0; round < 100; round++) {
		call_slots   slots;
		slot_churner t[3];
		nng_socket   sock;
		nng_dialer   d;

		cruddur_i_call_slots_init(&slots, sizeof(call_slot), NULL);
		if (nng_req0_open(&sock) != 0) {
			CHECK(!"a REQ socket opened");
			return;
		}
		if (nng_dialer_create(&d, sock, "tcp://127.0.0.1:1") == 0)
			nng_dialer_start(d, NNG_FLAG_NONBLOCK);
		for (int i = 0; i < 3; i++) {
			t[i] = (slot_churner){ .slots = &slots, .sock = sock };
			CHECK(pthread_create(&t[i].thr, NULL, slot_churn, &t[i]) == 0);
		}
		usleep((useconds_t)(50 + round * 10));
		alarm(30); /* a hung nng_close fails the test instead of stalling it */
		CHECK(cruddur_i_call_slots_close_socket(&slots, sock, 30000));
		alarm(0);
		for (int i = 0; i < 3; i++) {
			pthread_join(t[i].thr, NULL);
			opened += t[i].opened;
		}
		cruddur_i_call_slots_fini(&slots);
	}
	printf("slots: 100 socket closes with contexts opening under them, %ld contexts\n", opened);
	CHECK(opened > 0);
}
