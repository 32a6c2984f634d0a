/*
 * fuzz_support.c - the fuzz targets' server, made once (a server whose
 * database is down, tests/support/db_down_server.h); see fuzz_support.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "db_down_server.h"
#include "fuzz_support.h"

server *
fuzz_server(void)
{
	static server srv;
	static int    ready;
	char          err[512];

	if (ready)
		return &srv;
	if (ts_db_down_server_init(&srv, CRUDDUR_SOURCE_SQL_DIR, 64 * 1024, 10, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: server_init: %s\n", err);
		abort();
	}
	ready = 1;
	return &srv;
}

void
fuzz_dispatch_bytes(const uint8_t *data, size_t size)
{
	nng_msg *reply;

	if (ts_dispatch_raw(fuzz_server(), data, size, clock_mono_us(), &reply) != 0)
		return;
	if (reply == NULL)
		abort(); /* only out of memory may give no reply */
	/* Whatever came in, the reply is a well-formed ResponseEnvelope. */
	Cruddur__V1__ResponseEnvelope *env =
	    cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(reply), nng_msg_body(reply));
	if (env == NULL)
		abort();
	cruddur__v1__response_envelope__free_unpacked(env, NULL);
	nng_msg_free(reply);
}
