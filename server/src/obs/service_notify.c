/*
 * service_notify.c - the sd_notify datagram; see service_notify.h.
 *
 * The address: a path is used with its terminating NUL; an abstract name
 * ('@' first) becomes a NUL first byte and its length is exactly the
 * name's, since abstract names are byte strings that a trailing NUL would
 * change. Credentials need no SCM_CREDENTIALS message: systemd reads the
 * sender's pid from the socket (SO_PASSCRED on its side).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "obs/log.h"
#include "obs/service_notify.h"

int
service_notify(const char *state, char *err, size_t errlen)
{
	const char        *addr = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	size_t             n;
	socklen_t          len;

	if (addr == NULL || addr[0] == '\0')
		return 0;
	n = strlen(addr);
	if (addr[0] != '/' && addr[0] != '@') {
		snprintf(err, errlen, "NOTIFY_SOCKET=%.200s is neither a path nor an abstract name (@...)", addr);
		return -1;
	}
	if (n >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET is %zu bytes long, more than a unix address holds", n);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, addr, n);
	if (addr[0] == '@') {
		sun.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	ssize_t sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (const struct sockaddr *)&sun, len);
	int saved = errno;
	close(fd);
	if (sent < 0) {
		snprintf(err, errlen, "send to NOTIFY_SOCKET %.200s: %s", addr, strerror(saved));
		return -1;
	}
	return 0;
}

void
service_notify_logged(const char *state)
{
	char err[320];
	char what[64];

	if (service_notify(state, err, sizeof(err)) != 0) {
		/* the first line names it: "READY=1", "STOPPING=1", ... */
		snprintf(what, sizeof(what), "%.*s", (int)strcspn(state, "\n"), state);
		log_warn("msg=\"cannot notify the service manager\" state=%s error=\"%s\"", what, err);
	}
}

void
service_notify_reloading(void)
{
	struct timespec ts;
	char            state[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
	service_notify_logged(state);
}
