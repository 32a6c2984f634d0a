/*
 * fuzz_support.h - the server of the fuzz targets, one per process: the
 * server whose database is down of tests/support/db_down_server.h (every
 * handler runs its validation and then meets UNAVAILABLE: fast, and no
 * state carried between inputs).
 */
#ifndef CRUDDUR_FUZZ_SUPPORT_H
#define CRUDDUR_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

server *fuzz_server(void);

/* Runs data through the dispatcher as one request message. */
void fuzz_dispatch_bytes(const uint8_t *data, size_t size);

#endif /* CRUDDUR_FUZZ_SUPPORT_H */
