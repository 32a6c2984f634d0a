/*
 * clock.h - monotonic and wall-clock time in microseconds.
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

#endif /* CRUDDUR_CLOCK_H */
