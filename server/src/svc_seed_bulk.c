/*
 * svc_seed_bulk.c - DbAdmin SeedBulk.
 * (placeholder: being written)
 */
#include "server.h"

void
svc_seed_bulk_register(rpc_handlers *h)
{
	(void)h;
}
