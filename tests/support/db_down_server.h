/*
 * db_down_server.h - a server without sockets whose database is down, for
 * tests and fuzz targets that drive the dispatcher directly (dispatch_test,
 * fuzz/): configured like a real one, but its database URL points at a
 * socket directory where nothing listens, so every handler runs its
 * validation and then meets a database that is down (UNAVAILABLE): fast,
 * and no state carried between requests.
 *
 * It needs no test_support.c: the fuzz targets compile it alone.
 */
#ifndef CRUDDUR_DB_DOWN_SERVER_H
#define CRUDDUR_DB_DOWN_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "server.h"

/* server_init of srv with the statements of sql_dir, --max-request-bytes
 * max_request_bytes and --pool-timeout pool_timeout_ms; the log at
 * LOG_ERROR. 0, or -1 with the reason in err. server_fini frees it. */
int ts_db_down_server_init(server *srv, const char *sql_dir, size_t max_request_bytes,
    int pool_timeout_ms, char *err, size_t errlen);

/* Runs len bytes of data through srv's dispatcher as one request message,
 * received at received_us. 0 with the reply in *reply (the caller frees it;
 * NULL only when out of memory), or -1 when the request message could not
 * be allocated. */
int ts_dispatch_raw(server *srv, const void *data, size_t len, int64_t received_us,
    nng_msg **reply);

#endif /* CRUDDUR_DB_DOWN_SERVER_H */
