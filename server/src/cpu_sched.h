/*
 * cpu_sched.h - the Linux scheduling policy of the server's threads.
 *
 * Why: a request passes between several threads (nng's poller and task
 * threads, the read reactor, PostgreSQL's backends). Under SCHED_OTHER a
 * thread that wakes another is often preempted by it at once, on the same
 * core, and the two ping-pong: on two cores most of the server's CPU went
 * to those switches (bench/RESULTS.md). Under SCHED_BATCH a woken thread
 * waits for the waker to block or for the next tick instead, so each
 * thread does a run of work per turn: +40 % HomeFeed throughput and a
 * lower p99 on the benchmark machine. It needs no privilege, and threads
 * inherit it, so it is set on the main thread before any other starts.
 */
#ifndef CRUDDUR_CPU_SCHED_H
#define CRUDDUR_CPU_SCHED_H

#include <stdbool.h>
#include <stddef.h>

/* Puts the calling thread (and the threads it creates from now on) under
 * SCHED_BATCH when batch is true, SCHED_OTHER otherwise, unless it is
 * under that policy already. Returns 0, or -1 with why in err (a sandbox
 * may forbid sched_setscheduler: systemd's @resources filter does, which
 * is why deploy/systemd sets CPUSchedulingPolicy=batch itself). */
int cpu_sched_apply(bool batch, char *err, size_t errlen);

#endif /* CRUDDUR_CPU_SCHED_H */
