/*
 * call_async.h - what the client's setup needs of the async call
 * (call_async.c): the size of an async slot and its aio callback, for
 * cruddur_i_call_slots_init. cruddur_client_call_async itself is public
 * (cruddur/client.h).
 *
 * Threads: cruddur_i_call_async_cb runs on nng's threads, one step of a
 * given call at a time, and never blocks (call_async.c says how).
 */
#ifndef CRUDDUR_CALL_ASYNC_H
#define CRUDDUR_CALL_ASYNC_H

#include <stddef.h>

size_t cruddur_i_call_async_slot_size(void);
/* slot: an async slot, as call_slots passes it. */
void   cruddur_i_call_async_cb(void *slot);

#endif /* CRUDDUR_CALL_ASYNC_H */
