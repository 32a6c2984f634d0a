/*
 * raw_peer.c - raw SP peers (plain sockets that speak just enough of nng's
 * tcp transport to send requests and then misbehave), child processes
 * that can be paused, and the limits the tests that use them need; see
 * faults.h.
 *
 * Nothing here is shared between threads: each peer is one descriptor
 * owned by its caller.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cruddur/v1/rpc.pb-c.h"
#include "faults.h"

int
fs_slowdown(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 3;
#else
	return 1;
#endif
}

long
fs_raise_nofile(long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if ((long)rl.rlim_cur < n) {
		rl.rlim_cur = (rlim_t)n < rl.rlim_max ? (rlim_t)n : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (long)rl.rlim_cur;
}

/* ---- raw SP peers ------------------------------------------------------------ */

int
fs_raw_connect(const char *url, int rcvbuf)
{
	static const uint8_t hello[8] = { 0x00, 'S', 'P', 0x00, 0x00, 0x30, 0x00, 0x00 };
	struct sockaddr_in   sa = { .sin_family = AF_INET };
	char                 host[64];
	unsigned             port;
	int                  fd;

	if (sscanf(url, "tcp://%63[^:]:%u", host, &port) != 2 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "fs_raw_connect: not a tcp://IPV4:PORT URL: %s\n", url);
		return -1;
	}
	sa.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "fs_raw_connect: socket: %s\n", strerror(errno));
		return -1;
	}
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || fs_raw_write(fd, hello, sizeof(hello)) != 0) {
		fprintf(stderr, "fs_raw_connect: %s: %s\n", url, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

uint8_t *
fs_raw_request(const char *method, const ProtobufCMessage *body, uint32_t id, size_t *len)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	uint8_t                     *packed_body = NULL;

	env.method = (char *)method;
	env.request_id = id;
	if (body != NULL) {
		env.body.len = protobuf_c_message_get_packed_size(body);
		if ((packed_body = malloc(env.body.len + 1)) == NULL)
			return NULL;
		protobuf_c_message_pack(body, packed_body);
		env.body.data = packed_body;
	}
	size_t   n = cruddur__v1__request_envelope__get_packed_size(&env);
	uint8_t *buf = malloc(12 + n);
	if (buf != NULL) {
		uint64_t wire = 4 + (uint64_t)n;
		for (int i = 0; i < 8; i++)
			buf[i] = (uint8_t)(wire >> (56 - 8 * i));
		uint32_t rid = id | 0x80000000u;
		for (int i = 0; i < 4; i++)
			buf[8 + i] = (uint8_t)(rid >> (24 - 8 * i));
		cruddur__v1__request_envelope__pack(&env, buf + 12);
		*len = 12 + n;
	}
	free(packed_body);
	return buf;
}

int
fs_raw_write(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes by the monotonic deadline until; 0 or -1. */
static int
read_full(int fd, uint8_t *buf, size_t len, double until)
{
	while (len > 0) {
		int           left = (int)((until - ts_now()) * 1000);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -1;
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

int
fs_raw_read_reply(int fd, int timeout_ms, bool *handshake_done, Cruddur__V1__ResponseEnvelope **out)
{
	double   until = ts_now() + timeout_ms / 1000.0;
	uint8_t  head[12], *body;
	uint64_t len = 0;

	if (!*handshake_done) {
		if (read_full(fd, head, 8, until) != 0)
			return -1;
		*handshake_done = true;
	}
	if (read_full(fd, head, 12, until) != 0)
		return -1;
	for (int i = 0; i < 8; i++)
		len = len << 8 | head[i];
	if (len < 4 || len > (1u << 24) || (body = malloc(len)) == NULL)
		return -1;
	int rv = read_full(fd, body, len - 4, until);
	*out = rv == 0 ? cruddur__v1__response_envelope__unpack(NULL, len - 4, body) : NULL;
	free(body);
	return *out != NULL ? 0 : -1;
}

bool
fs_raw_closed(int fd, int timeout_ms)
{
	double until = ts_now() + timeout_ms / 1000.0;
	char   buf[65536];

	for (;;) {
		int           left = (int)((until - ts_now()) * 1000);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (left < 0)
			return false;
		if (poll(&pfd, 1, left) <= 0)
			continue; /* time left is checked above */
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
}

/* ---- child processes ---------------------------------------------------------- */

pid_t
fs_spawn_bin(const char *prog, const char *const *argv)
{
	const char *bin = getenv("CRUDDUR_BIN_DIR");
	char        path[512];
	const char *args[64];
	size_t      n = 0;

	snprintf(path, sizeof(path), "%s/%s", bin != NULL ? bin : "build/bin", prog);
	args[n++] = path;
	for (size_t i = 1; argv[i] != NULL && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(path, (char *const *)args);
		_exit(127);
	}
	return pid;
}

void
fs_kill_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGCONT);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
