/*
 * bench.c - cruddur-bench: closed-loop load on HomeFeed through libcruddur's
 * generated stubs.
 *
 *   cruddur-bench [--server URL]... [--concurrency C] [--duration S] [--limit N]
 *
 * C threads each call HomeFeed back to back for S seconds, check every reply
 * (status OK, at most N rows), and record each latency. It prints one line,
 *   homefeed req_per_s p50_us p99_us
 * and the errors by status on stderr. It measures; it never fails on speed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cruddur/cruddur.h"

#define MAX_SERVERS 16
#define MAX_SAMPLES_PER_THREAD (1 << 20)

typedef struct bench {
	cruddur_client *client;
	int             concurrency;
	double          duration_s;
	int             limit;
	atomic_bool     stop;
	atomic_ulong    errors[CRUDDUR_UNAUTHENTICATED + 1];
	atomic_ulong    bad_replies;
} bench;

typedef struct worker {
	bench    *b;
	pthread_t thread;
	uint32_t *lat_us;
	size_t    n;
} worker;

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
worker_main(void *arg)
{
	worker                      *w = arg;
	bench                       *b = w->b;
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;

	req.limit = b->limit;
	while (!atomic_load(&b->stop) && w->n < MAX_SAMPLES_PER_THREAD) {
		Cruddur__V1__HomeFeedResponse *resp = NULL;
		cruddur_call_opts              opts = { .deadline_ms = 5000 };
		double                         t0 = now_s();
		cruddur_status st = cruddur_activities_home_feed(b->client, &req, &resp, &opts);
		double                         t1 = now_s();
		if (st != CRUDDUR_OK) {
			atomic_fetch_add(&b->errors[st <= CRUDDUR_UNAUTHENTICATED ? st : CRUDDUR_UNKNOWN], 1);
			continue;
		}
		if (b->limit > 0 && resp->n_activities > (size_t)b->limit)
			atomic_fetch_add(&b->bad_replies, 1);
		cruddur_message_free(resp);
		w->lat_us[w->n++] = (uint32_t)((t1 - t0) * 1e6);
	}
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int
usage(void)
{
	fprintf(stderr, "usage: cruddur-bench [--server URL]... [--concurrency C] [--duration S] [--limit N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *servers[MAX_SERVERS];
	size_t      n_servers = 0;
	static bench b = { .concurrency = 16, .duration_s = 5, .limit = 20 };
	char        err[512];

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--server") == 0 && n_servers < MAX_SERVERS)
			servers[n_servers++] = argv[++i];
		else if (strcmp(argv[i], "--concurrency") == 0)
			b.concurrency = atoi(argv[++i]);
		else if (strcmp(argv[i], "--duration") == 0)
			b.duration_s = atof(argv[++i]);
		else if (strcmp(argv[i], "--limit") == 0)
			b.limit = atoi(argv[++i]);
		else
			return usage();
	}
	if (n_servers == 0)
		servers[n_servers++] = "tcp://127.0.0.1:7432";
	if (b.concurrency < 1 || b.concurrency > 4096 || b.duration_s <= 0)
		return usage();
	if (cruddur_client_open(&b.client, servers, n_servers, err, sizeof(err)) != CRUDDUR_OK) {
		fprintf(stderr, "cruddur-bench: %s\n", err);
		return 1;
	}
	worker *ws = calloc((size_t)b.concurrency, sizeof(*ws));
	for (int i = 0; i < b.concurrency; i++) {
		ws[i].b = &b;
		ws[i].lat_us = malloc(MAX_SAMPLES_PER_THREAD * sizeof(uint32_t));
		pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
	}
	double start = now_s();
	struct timespec nap = { (time_t)b.duration_s, (long)((b.duration_s - (double)(time_t)b.duration_s) * 1e9) };
	nanosleep(&nap, NULL);
	atomic_store(&b.stop, true);
	size_t total = 0;
	for (int i = 0; i < b.concurrency; i++) {
		pthread_join(ws[i].thread, NULL);
		total += ws[i].n;
	}
	double    elapsed = now_s() - start;
	uint32_t *all = malloc((total ? total : 1) * sizeof(uint32_t));
	for (int i = 0, k = 0; i < b.concurrency; i++) {
		memcpy(all + k, ws[i].lat_us, ws[i].n * sizeof(uint32_t));
		k += (int)ws[i].n;
		free(ws[i].lat_us);
	}
	qsort(all, total, sizeof(uint32_t), cmp_u32);
	printf("homefeed %.0f %u %u\n", (double)total / elapsed, total ? all[total / 2] : 0,
	    total ? all[(size_t)((double)total * 0.99)] : 0);
	for (int s = 1; s <= CRUDDUR_UNAUTHENTICATED; s++)
		if (atomic_load(&b.errors[s]) > 0)
			fprintf(stderr, "errors %s %lu\n", cruddur_status_name((cruddur_status)s),
			    atomic_load(&b.errors[s]));
	if (atomic_load(&b.bad_replies) > 0)
		fprintf(stderr, "bad_replies %lu\n", atomic_load(&b.bad_replies));
	free(all);
	free(ws);
	cruddur_client_close(b.client);
	return 0;
}
