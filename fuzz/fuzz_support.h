/*
 * fuzz_support.h - a server for the fuzz targets: configured like a real
 * one, but its database URL points at a socket directory where nothing
 * listens, so every handler runs its validation and then meets a database
 * that is down (UNAVAILABLE): fast, and no state carried between inputs.
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
