/*
 * svc_migrations.c - DbAdmin Migrate, Rollback, MigrationStatus.
 * (placeholder: being written)
 */
#include "server.h"

void
svc_migrations_register(rpc_handlers *h)
{
	(void)h;
}
