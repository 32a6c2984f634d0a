/*
 * db_down_server.c - a server whose database is down, and the dispatcher
 * driven with raw bytes; see db_down_server.h.
 */
#include "db_down_server.h"

#include "rpc/dispatch.h"
#include "obs/log.h"

int
ts_db_down_server_init(server *srv, const char *sql_dir, size_t max_request_bytes,
    int pool_timeout_ms, char *err, size_t errlen)
{
	server_config cfg;

	log_set_level(LOG_ERROR);
	server_config_defaults(&cfg);
	cfg.sql_dir = sql_dir;
	cfg.db_url = "postgresql://postgres@/cruddur?host=/nonexistent-cruddur-socket-dir";
	cfg.max_request_bytes = max_request_bytes;
	cfg.pool_acquire_timeout_ms = pool_timeout_ms;
	return server_init(srv, &cfg, err, errlen) != 0 ? -1 : 0;
}

int
ts_dispatch_raw(server *srv, const void *data, size_t len, int64_t received_us, nng_msg **reply)
{
	nng_msg *req;

	*reply = NULL;
	if (nng_msg_alloc(&req, 0) != 0)
		return -1;
	nng_msg_append(req, data, len);
	*reply = dispatch_request(&srv->dispatch, req, received_us);
	nng_msg_free(req);
	return 0;
}
