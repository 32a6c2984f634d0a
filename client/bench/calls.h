/*
 * calls.h - one call of each benchmarked method and the check of its
 * reply (calls.c).
 *
 * Threads: each function works on one caller, which has one call in flight
 * at a time; bench_check may run on nng's threads (an async call's done).
 */
#ifndef CRUDDUR_BENCH_CALLS_H
#define CRUDDUR_BENCH_CALLS_H

#include "bench.h"

/* Calls HomeFeed once to learn the expected row count and the targets of
 * ShowActivity/UserActivities. Returns 0, or -1 after printing why. */
int           bench_targets_learn(bench *b);
/* Picks a method by weight. */
bench_method  bench_pick(bench_caller *c);
/* Calls m once through the blocking stub and checks the reply. Returns the
 * outcome slot: a status code, or BENCH_BAD_REPLY. */
int           bench_call(bench_caller *c, bench_method m);
/* Starts one call of m through the *_async stub; done gets c as its arg.
 * Returns CRUDDUR_OK when done will be called, else the outcome of a call
 * that never started (done is not called). */
int           bench_call_async(bench_caller *c, bench_method m, cruddur_call_done done);
/* The outcome of c's call that ended with st and resp (from done); frees
 * resp. */
int           bench_check(bench_caller *c, cruddur_status st, ProtobufCMessage *resp);

#endif /* CRUDDUR_BENCH_CALLS_H */
