/*
 * stalled_uploads_test.c - connections and partial requests cost bounded
 * memory, and a stalled upload is dropped while an idle connection is not
 * (issue 16, seen 2).
 *
 * cruddurd runs with its defaults (--max-request-bytes 65536, so nng takes
 * messages up to 65536 + 4096 bytes) but --recv-timeout-ms 1000, to keep
 * the test short. A libcruddur client measures Health/Check (the slowest of
 * 20 calls) at each step:
 *   (a) 5,000 raw TCP peers connect, do the SP handshake and send nothing:
 *       RSS and Health are printed (the issue measured 28 MiB and 11 ms on
 *       main); after 2.5 receive timeouts every one of them is still open;
 *   (b) one peer announces a 2 MB request (as in the issue): it is closed at
 *       once;
 *   (c) 400 peers each announce the largest request nng takes and send all
 *       but its last 1,000 bytes: RSS <= 64 MiB (normal build; the ASan
 *       build checks the growth over idle instead) and Health within 100 ms
 *       (times fs_slowdown); each is closed by the server within the
 *       receive timeout + 2 s; RSS then back within 8 MiB of idle (under
 *       ASan, whose allocator keeps freed memory in caches of its own,
 *       within 64 MiB);
 *   (d) a second server with --max-connections 4: the client and 3 raw
 *       peers are served, a 5th connection is closed at once and counted
 *       (Stats refused_connections), the others stay open.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "faults.h"

#define DB "cruddur_fault_stalled_uploads"
#define IDLE_PEERS 5000
#define STALLED_PEERS 400
#define RECV_TIMEOUT_MS 1000
#define LARGEST_MESSAGE (65536 + 4096)
#define HELD_BACK 1000
#define RSS_LIMIT_KB (64 * 1024)
#define RSS_BACK_KB (8 * 1024)
/* The target is 100 ms; the check allows for a loaded 2-core machine
 * (other tests, other builds) and, times fs_slowdown, for ASan. */
#define HEALTH_LIMIT_S 0.100
#define HEALTH_LIMIT_S_CHECKED 0.250

/* The slowest of 20 Health/Check calls, in seconds; a failed check if any
 * is not OK. */
static double
health_slowest(cruddur_client *c)
{
	cruddur_call_opts o;
	double            worst = 0;
	bool              serving;

	for (int i = 0; i < 20; i++) {
		double t0 = ts_now();
		CHECK_STATUS(fs_health(c, "", 2000, &serving, &o), CRUDDUR_OK, &o);
		double took = ts_now() - t0;
		worst = took > worst ? took : worst;
	}
	return worst;
}

/* Whether the server still holds fd's connection open: it has sent its
 * handshake (read here) and nothing else, no end of file, no reset. */
static bool
still_open(int fd)
{
	char    buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static void
idle_peers(ts_server *s, cruddur_client *c, long rss_idle)
{
	static int fds[IDLE_PEERS];
	int        n = 0;
	double     t0 = ts_now();

	while (n < IDLE_PEERS && (fds[n] = fs_raw_connect(s->url, 0)) >= 0)
		n++;
	CHECK(n == IDLE_PEERS);
	fs_sleep_ms(500); /* nng takes them in */
	long   rss = fs_rss_kb(s->pid);
	double slowest = health_slowest(c);
	printf("%d idle connections (made in %.2f s): VmRSS %ld kB (%ld kB idle, %.1f kB each), Health "
	       "slowest of 20 %.1f ms\n", n, ts_now() - t0, rss, rss_idle,
	    (double)(rss - rss_idle) / (n > 0 ? n : 1), slowest * 1000);
	CHECK(slowest < HEALTH_LIMIT_S_CHECKED * fs_slowdown());
	Cruddur__V1__ConnectionStats cs;
	if (fs_connection_stats(c, &cs) == 0) {
		fs_connection_stats_print("with the idle peers", &cs);
		CHECK(cs.open >= n + 1); /* and the client's own */
	}
	fs_sleep_ms(RECV_TIMEOUT_MS * 5 / 2);
	int open = 0;
	for (int i = 0; i < n; i++)
		open += still_open(fds[i]) && still_open(fds[i]);
	printf("after %.1f s (2.5 receive timeouts): %d of %d idle connections still open\n",
	    RECV_TIMEOUT_MS * 2.5 / 1000, open, n);
	CHECK(open == n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	/* The table forgets every one of them (nng reports the closes on its
	 * reaper thread, a little later). */
	double until = ts_now() + 5.0 * fs_slowdown();
	do {
		fs_sleep_ms(100);
	} while (fs_connection_stats(c, &cs) == 0 && cs.open != 1 && ts_now() < until);
	printf("after they close: %d connection open (the client's)\n", cs.open);
	CHECK(cs.open == 1);
}

/* Announces a request of len bytes (its request id included) and sends
 * sent of them; 0 or -1. */
static int
announce(int fd, uint64_t len, size_t sent)
{
	uint8_t *buf = calloc(1, 8 + sent);
	int      rv = -1;

	if (buf != NULL) {
		for (int i = 0; i < 8; i++)
			buf[i] = (uint8_t)(len >> (56 - 8 * i));
		buf[8] = 0x80; /* the request id's top bit */
		rv = fs_raw_write(fd, buf, 8 + sent);
	}
	free(buf);
	return rv;
}

static void
too_large(ts_server *s)
{
	int fd = fs_raw_connect(s->url, 0);
	CHECK(fd >= 0 && announce(fd, 2u << 20, 4096) == 0);
	bool closed = fd >= 0 && fs_raw_closed(fd, 1000 * fs_slowdown());
	printf("a peer announcing a 2 MB request: closed at once: %s\n", closed ? "yes" : "NO");
	CHECK(closed);
	if (fd >= 0)
		close(fd);
}

static void
stalled_peers(ts_server *s, cruddur_client *c, long rss_idle)
{
	static int fds[STALLED_PEERS];
	int        n = 0;

	for (; n < STALLED_PEERS; n++) {
		if ((fds[n] = fs_raw_connect(s->url, 0)) < 0 ||
		    announce(fds[n], LARGEST_MESSAGE, LARGEST_MESSAGE - HELD_BACK) != 0)
			break;
	}
	double stalled_at = ts_now();
	CHECK(n == STALLED_PEERS);
	fs_sleep_ms(300);
	long   rss = fs_rss_kb(s->pid);
	double slowest = health_slowest(c);
	printf("%d peers stalled %d bytes short of a %d-byte request: VmRSS %ld kB (%ld kB idle; limit "
	       "%d kB), Health slowest of 20 %.1f ms\n", n, HELD_BACK, LARGEST_MESSAGE, rss, rss_idle,
	    RSS_LIMIT_KB, slowest * 1000);
#if defined(__SANITIZE_ADDRESS__)
	CHECK(rss - rss_idle <= RSS_LIMIT_KB);
#else
	CHECK(rss <= RSS_LIMIT_KB);
#endif
	CHECK(slowest < HEALTH_LIMIT_S_CHECKED * fs_slowdown());

	int    closed = 0;
	double last = 0;
	for (int i = 0; i < n; i++) {
		int left = (int)((stalled_at + (RECV_TIMEOUT_MS + 2000.0 * fs_slowdown()) / 1000 - ts_now()) * 1000);
		if (fs_raw_closed(fds[i], left > 0 ? left : 0)) {
			closed++;
			last = ts_now();
		}
		close(fds[i]);
	}
	printf("closed by the server: %d of %d, the last %.2f s after they stalled (receive timeout "
	       "%.1f s)\n", closed, n, last - stalled_at, RECV_TIMEOUT_MS / 1000.0);
	CHECK(closed == n);
	Cruddur__V1__ConnectionStats cs;
	if (fs_connection_stats(c, &cs) == 0) {
		fs_connection_stats_print("after the stalled peers", &cs);
		CHECK(cs.recv_timeouts == n);
	}
	fs_sleep_ms(1500); /* the watcher hands the memory back once a second */
	long rss_after = fs_rss_kb(s->pid);
	printf("VmRSS after they are gone: %ld kB (idle %ld kB, %+ld kB)\n", rss_after, rss_idle,
	    rss_after - rss_idle);
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's allocator keeps some of it in its own caches (no mallopt,
	 * no malloc_trim there): bounded, not back to idle. */
	CHECK(rss_after - rss_idle <= RSS_LIMIT_KB);
#else
	CHECK(rss_after - rss_idle <= RSS_BACK_KB);
#endif
	CHECK(health_slowest(c) < HEALTH_LIMIT_S_CHECKED * fs_slowdown());
}

static void
too_many(void)
{
	ts_server   s;
	const char *args[] = { "--max-connections", "4", NULL };
	int         fds[3], extra;

	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, fs_server_env()) != 0) {
		CHECK(!"the second server started");
		return;
	}
	cruddur_client *c = ts_client(&s);
	for (int i = 0; i < 3; i++)
		CHECK((fds[i] = fs_raw_connect(s.url, 0)) >= 0);
	fs_sleep_ms(200);
	CHECK((extra = fs_raw_connect(s.url, 0)) >= 0);
	bool closed = extra >= 0 && fs_raw_closed(extra, 1000 * fs_slowdown());
	int  open = 0;
	for (int i = 0; i < 3; i++)
		open += fds[i] >= 0 && still_open(fds[i]);
	Cruddur__V1__ConnectionStats cs;
	if (fs_connection_stats(c, &cs) == 0) {
		fs_connection_stats_print("--max-connections 4", &cs);
		CHECK(cs.refused_connections == 1 && cs.open == 4);
	}
	printf("--max-connections 4: the 5th connection closed at once: %s; the 3 raw peers open: %d\n",
	    closed ? "yes" : "NO", open);
	CHECK(closed && open == 3);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (extra >= 0)
		close(extra);
	cruddur_client_close(c);
	fs_server_finish(&s);
}

int
main(void)
{
	ts_server         s;
	cruddur_call_opts o;
	const char       *args[] = { "--recv-timeout-ms", "1000", NULL };

	alarm(120);
	ts_require_pg();
	if (fs_raise_nofile(IDLE_PEERS + 256) < IDLE_PEERS + 64) {
		printf("skipped: cannot open %d descriptors\n", IDLE_PEERS + 64);
		return 77;
	}
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, fs_server_env()) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	health_slowest(c);
	long rss_idle = fs_rss_kb(s.pid);

	idle_peers(&s, c, rss_idle);
	too_large(&s);
	fs_sleep_ms(1500); /* the idle ones' memory goes back too */
	rss_idle = fs_rss_kb(s.pid);
	stalled_peers(&s, c, rss_idle);

	cruddur_client_close(c);
	fs_server_finish(&s);
	too_many();
	return ts_finish("stalled_uploads_test");
}
