/*
 * clock.h - monotonic and wall-clock time in microseconds, and the
 * timespec that pthread's timed waits take for such a time.
 */
#ifndef CRUDDUR_CLOCK_H
#define CRUDDUR_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CLOCK_REALTIME, for the waits that only take that clock
 * (pthread_timedjoin_np, a condition variable left at its default). */
static inline int64_t
clock_real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* us (on either clock) as an absolute timespec for a timed wait. */
static inline struct timespec
clock_timespec(int64_t us)
{
	return (struct timespec){ (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
}

#endif /* CRUDDUR_CLOCK_H */
