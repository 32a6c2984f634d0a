/*
 * tls_swap.c - a new TLS configuration for a running tls+tcp:// listener;
 * see tls_swap.h.
 *
 * nng 1.5.2 lets NNG_OPT_TLS_CONFIG change on a started listener: its TLS
 * stream listener swaps the pointer under its lock. But it keeps one
 * accept posted at all times, and that accept took the configuration when
 * it was posted: the first connection after the swap would still get the
 * old certificate. So after the swap this connects to the listener once
 * itself and closes at once: that connection takes the stale accept (the
 * kernel hands connections to accept in the order they came), its
 * handshake fails, and the accept posted next holds the new configuration.
 * A client that connects between the swap and that poke gets the old
 * certificate, as it would have a moment earlier.
 *
 * The poke connects to the listener's own address (loopback when it is
 * bound to every address), waiting at most POKE_TIMEOUT_MS; a poke that
 * fails only means the first connection may see the old certificate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "net/tls_swap.h"
#include "obs/log.h"

#define POKE_TIMEOUT_MS 1000

/* A TCP connection to l's address, closed once made. */
static void
poke(nng_listener l)
{
	nng_sockaddr            sa;
	struct sockaddr_storage ss;
	socklen_t               len;

	if (nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa) != 0)
		return;
	memset(&ss, 0, sizeof(ss));
	if (sa.s_family == NNG_AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = sa.s_in.sa_port;
		in->sin_addr.s_addr = sa.s_in.sa_addr != 0 ? sa.s_in.sa_addr : htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	} else if (sa.s_family == NNG_AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		static const uint8_t any[16];
		in6->sin6_family = AF_INET6;
		in6->sin6_port = sa.s_in6.sa_port;
		memcpy(&in6->sin6_addr, sa.s_in6.sa_addr, 16);
		if (memcmp(sa.s_in6.sa_addr, any, 16) == 0)
			in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
	} else
		return;

	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, POKE_TIMEOUT_MS) != 1)
			log_warn("msg=\"TLS reload: could not reach the listener to refresh its accept; "
			         "the next connection may see the old certificate\"");
	}
	close(fd);
}

int
tls_swap(nng_listener l, nng_tls_config *cfg, char *err, size_t errlen)
{
	int rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg);

	if (rv != 0) {
		snprintf(err, errlen, "cannot give a tls+tcp:// listener the new certificate: %s",
		    nng_strerror(rv));
		return -1;
	}
	poke(l);
	return 0;
}
