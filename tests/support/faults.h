/*
 * faults.h - what the tests that inject faults share on top of
 * test_support.h (the fault tests in tests/faults, and read_reactor_test):
 * a private PostgreSQL cluster they may stop and start (pg_cluster.c),
 * bounded stops and kills of cruddurd, its memory and its log, a table lock
 * that makes queries wait (server_ctl.c), a load of client threads that
 * tallies every outcome and the calls they make (call_load.c), raw peers
 * and child processes (raw_peer.c).
 *
 * Everything here is bounded in time: a wait that runs out reports failure
 * instead of hanging, so a broken server makes a test fail, not stall.
 */
#ifndef CRUDDUR_FAULTS_H
#define CRUDDUR_FAULTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "cruddur/v1/rpc.pb-c.h"
#include "cruddur/v1/stats.pb-c.h"

#include "test_support.h"

/* ---- a private cluster --------------------------------------------------- */

/* A cluster made by tests/pg/start in a short /tmp directory of its own,
 * never the shared fixture cluster that other tests use at the same time. */
typedef struct fs_cluster {
	char dir[64];
} fs_cluster;

/* Makes and starts the cluster; 0 or -1. */
int fs_cluster_start(fs_cluster *c);

/* tests/faults/pgctl DIR ACTION: "start", "stop-fast", "stop-immediate".
 * Returns when pg_ctl returns; 0 or -1. */
int fs_cluster_ctl(const fs_cluster *c, const char *action);

/* Stops the cluster and removes its directory (tests/pg/stop). */
void fs_cluster_remove(fs_cluster *c);

/* Freezes (SIGSTOP) or thaws (SIGCONT) every process of the cluster: the
 * postmaster of DIR/data/postmaster.pid and its children. Frozen, it is a
 * database host that stopped answering: connects still succeed (the
 * kernel accepts them) and nothing replies. Returns how many processes
 * were signalled, or -1. The thaw signals those the freeze did. */
int fs_cluster_freeze(const fs_cluster *c, bool frozen);

/* alarm(seconds), with a SIGALRM handler that thaws what fs_cluster_freeze
 * froze before the test dies: a hung test leaves no frozen cluster. */
void fs_cluster_thaw_on_alarm(unsigned seconds);

/* postgresql://postgres@/DB?host=DIR */
const char *fs_cluster_url(const fs_cluster *c, const char *db, char *buf, size_t len);

/* Starts cruddurd on tcp://127.0.0.1:0 with --db the cluster's database db
 * and the extra args (NULL-terminated, at most 29; NULL for none). 0, or
 * -1 with s cleaned up. */
int fs_cluster_server_start(ts_server *s, const fs_cluster *c, const char *db,
    const char *const *extra);

/* ---- the server ------------------------------------------------------------ */

/* SIGTERM, then waits at most limit_s seconds (then SIGKILL). Returns the
 * exit status, -1 when it did not exit by itself in time or died of a
 * signal; *took_s (may be NULL) is the time from SIGTERM to its exit.
 * Keeps the log: call fs_server_cleanup after reading it. */
int fs_server_term(ts_server *s, double limit_s, double *took_s);

/* SIGKILL and reap. Keeps the log. */
void fs_server_kill(ts_server *s);

/* Environment for a cruddurd whose memory is measured: under
 * AddressSanitizer, a small quarantine, so that freed memory held back to
 * catch use-after-free does not look like growth, and free pages handed
 * back to the system every 500 ms. NULL-terminated. */
const char *const *fs_server_env(void);

/* Removes the server's scratch directory (log, ready file). */
void fs_server_cleanup(ts_server *s);

/* Whether the process still runs (has not exited or been reaped). */
bool fs_server_alive(ts_server *s);

/* VmRSS of pid in kB, from /proc/PID/status; -1 when unreadable. */
long fs_rss_kb(pid_t pid);

/* Lines of the server's log that contain needle and (unless NULL) also2. */
int fs_log_count(const ts_server *s, const char *needle, const char *also2);

/* cruddur-bench (from $CRUDDUR_BIN_DIR) against url with args
 * (NULL-terminated): a separate process of real libcruddur async callers
 * that calls until it is killed, whatever the server says. Its output
 * goes to /dev/null. Returns its pid, or -1. */
pid_t fs_bench_start(const char *url, const char *const *args);

/* SIGKILL and reap: a load generator needs no clean exit. */
void fs_bench_kill(pid_t pid);

/* The end of a test's server: SIGTERM, a CHECK that it exits 0 within 15 s,
 * its log printed when any check failed, then fs_server_cleanup. */
void fs_server_finish(ts_server *s);

/* ---- the database ------------------------------------------------------------ */

/* A session on url; NULL after printing why. */
PGconn *fs_pg_connect(const char *url);

/* One statement, its first value into out ("" when none). 0 or -1. */
int fs_pg_value(PGconn *pg, const char *sql, char *out, size_t len);

/* BEGIN; LOCK TABLE activities IN ACCESS EXCLUSIVE MODE on pg: every query
 * of cruddurd that touches activities then waits for fs_unlock. */
int fs_lock_activities(PGconn *pg);
void fs_unlock(PGconn *pg);

/* Waits (at most timeout_s) until at least n sessions of cruddurd wait on a
 * lock, seen from watcher (another session on the same cluster). */
bool fs_wait_lock_waiters(PGconn *watcher, int n, double timeout_s);

/* ---- load ------------------------------------------------------------------------ */

#define FS_MAX_THREADS 32
#define FS_STATUSES 17

/* One call: thread index, its sequence number, opts with deadline_ms set. */
typedef cruddur_status (*fs_call_fn)(cruddur_client *c, int thread, int seq,
    cruddur_call_opts *o, void *arg);

typedef struct fs_tally {
	long   calls;
	long   by_status[FS_STATUSES];
	double max_latency_s;             /* of any call */
	double max_overrun_s;             /* latency minus the deadline, worst */
	char   sample[FS_STATUSES][200];  /* one message per status */
} fs_tally;

typedef struct fs_load fs_load;

/* Starts threads that call fn in a loop (pause_ms between calls) through
 * client, each call with deadline_ms, until fs_load_stop or max_calls per
 * thread. Returns NULL on failure to start. */
fs_load *fs_load_start(cruddur_client *client, int threads, fs_call_fn fn, void *arg,
    uint32_t deadline_ms, int pause_ms, long max_calls);

/* Waits (at most timeout_s) until every thread made its max_calls. */
bool fs_load_wait(fs_load *l, double timeout_s);

/* Monotonic time of the last OK any thread saw, 0 if none. */
double fs_load_last_ok(fs_load *l);

/* Tells the threads to stop after their current call; does not wait. */
void fs_load_request_stop(fs_load *l);

/* Stops (each thread finishes its call: bounded by the deadline), joins,
 * sums the tallies into *sum, frees. */
void fs_load_stop(fs_load *l, fs_tally *sum);

void fs_tally_add(fs_tally *sum, const fs_tally *t);
void fs_tally_record(fs_tally *t, cruddur_status st, const char *msg, double latency_s,
    uint32_t deadline_ms);
void fs_tally_print(const char *label, const fs_tally *t);

/* ---- calls ---------------------------------------------------------------------- */

/* The probe: as ts_home_feed of limit 1, the first page, its page freed,
 * but STRONG, so that it always reaches the database (never the page cache). */
cruddur_status fs_home_feed(cruddur_client *c, uint32_t deadline_ms, bool retry,
    cruddur_call_opts *o);

/* Users/GetUser of handle; retry as for fs_home_feed. */
cruddur_status fs_get_user(cruddur_client *c, const char *handle, uint32_t deadline_ms, bool retry,
    cruddur_call_opts *o);

/* Activities/CreateActivity by hotwheels with message, and with key as its
 * idempotency key (NULL: none, so libcruddur sends it once); *o as the
 * caller set it (its deadline) in, the outcome out. */
cruddur_status fs_create_activity(cruddur_client *c, const char *message, const char *key,
    cruddur_call_opts *o);

/* Health/Check of service ("" for the whole server); *serving set on OK. */
cruddur_status fs_health(cruddur_client *c, const char *service, uint32_t deadline_ms,
    bool *serving, cruddur_call_opts *o);

/* Stats/GetStats' connection figures into *out (zeros when absent);
 * 0, or -1 after a failed check. */
int fs_connection_stats(cruddur_client *c, Cruddur__V1__ConnectionStats *out);

/* Prints them on one line after label. */
void fs_connection_stats_print(const char *label, const Cruddur__V1__ConnectionStats *cs);

/* DbAdmin/Setup: drop, create, schema, seed, migrate. */
cruddur_status fs_setup(cruddur_client *c, cruddur_call_opts *o);

/* Sleeps ms milliseconds. */
void fs_sleep_ms(int ms);

/* How much slower than the normal build this one runs: 3 under
 * AddressSanitizer, else 1; timing bounds are multiplied by it. */
int fs_slowdown(void);

/* Raises this process's descriptor limit to at least n (up to the hard
 * limit); returns the soft limit now. */
long fs_raise_nofile(long n);

/* ---- raw SP peers ------------------------------------------------------------ */

/* A raw TCP peer of the server at url (tcp://HOST:PORT), with rcvbuf bytes
 * of receive buffer when rcvbuf > 0 (set before connecting, so that the
 * window stays small): connects and sends the SP handshake of a REQ socket
 * (00 'S' 'P' 00, protocol 0x30, 2 zero bytes). Returns the descriptor, or
 * -1 after printing why. Nothing is read: that is the point. */
int fs_raw_connect(const char *url, int rcvbuf);

/* Frames one request as a REQ socket sends it: the 64-bit big-endian
 * length, the 4-byte request id with its top bit set, then a packed
 * RequestEnvelope for method with body (NULL: empty) and no deadline.
 * Returns a malloc'd buffer (the caller frees it) and its size in *len. */
uint8_t *fs_raw_request(const char *method, const ProtobufCMessage *body, uint32_t id, size_t *len);

/* Writes all of buf (blocking); 0, or -1 when the connection is gone. */
int fs_raw_write(int fd, const void *buf, size_t len);

/* Reads one reply (after the server's 8-byte handshake, which the first
 * call skips: pass *handshake_done false) within timeout_ms and decodes
 * its ResponseEnvelope into *out (free with
 * cruddur__v1__response_envelope__free_unpacked). 0, or -1 on timeout, a
 * closed connection or a reply that does not decode. */
int fs_raw_read_reply(int fd, int timeout_ms, bool *handshake_done,
    Cruddur__V1__ResponseEnvelope **out);

/* Whether the server has closed fd's connection: waits up to timeout_ms
 * for end of file or a reset, discarding what it reads. */
bool fs_raw_closed(int fd, int timeout_ms);

/* ---- child processes ---------------------------------------------------------- */

/* Starts build/bin/<prog> with argv (argv[0] is ignored, NULL-terminated),
 * output to /dev/null. Returns its pid, or -1. */
pid_t fs_spawn_bin(const char *prog, const char *const *argv);

/* SIGKILL (after SIGCONT, in case it is stopped) and reap. */
void fs_kill_child(pid_t pid);

#endif /* CRUDDUR_FAULTS_H */
