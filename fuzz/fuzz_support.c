/*
 * fuzz_support.c - the fuzz targets' server; see fuzz_support.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "rpc/dispatch.h"
#include "fuzz_support.h"
#include "obs/log.h"

server *
fuzz_server(void)
{
	static server srv;
	static int    ready;
	server_config cfg;
	char          err[512];

	if (ready)
		return &srv;
	log_set_level(LOG_ERROR);
	server_config_defaults(&cfg);
	cfg.sql_dir = CRUDDUR_SOURCE_SQL_DIR;
	cfg.db_url = "postgresql://postgres@/cruddur?host=/nonexistent-cruddur-fuzz";
	cfg.max_request_bytes = 64 * 1024;
	cfg.pool_acquire_timeout_ms = 10;
	if (server_init(&srv, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: server_init: %s\n", err);
		abort();
	}
	ready = 1;
	return &srv;
}

void
fuzz_dispatch_bytes(const uint8_t *data, size_t size)
{
	nng_msg *req, *reply;

	if (nng_msg_alloc(&req, 0) != 0)
		return;
	nng_msg_append(req, data, size);
	reply = dispatch_request(&fuzz_server()->dispatch, req, clock_mono_us());
	nng_msg_free(req);
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
