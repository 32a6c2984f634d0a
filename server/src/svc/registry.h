/*
 * registry.h - every service's handlers, registered in one call.
 *
 * The server calls svc_register_all once at start (server_init); each
 * service sets its handlers in the generated table (rpc_handlers.h) and
 * says which of them never block (they may then run on the receiving
 * thread, dispatch.h). A new service adds its register function here and
 * to the table in registry.c; nothing else learns of it.
 */
#ifndef CRUDDUR_SVC_REGISTRY_H
#define CRUDDUR_SVC_REGISTRY_H

#include <stdint.h>

#include "rpc_handlers.h"

typedef struct svc_registration {
	rpc_handlers handlers;
	uint64_t     nonblocking; /* dispatch_config.nonblocking */
} svc_registration;

/* Fills r (zeroed first) with every service's handlers. */
void svc_register_all(svc_registration *r);

/* One per service (svc/ and svc/db_admin/). */
void svc_activities_register(svc_registration *r);
void svc_users_register(svc_registration *r);
void svc_db_admin_register(svc_registration *r);
void svc_migrations_register(svc_registration *r);
void svc_seed_bulk_register(svc_registration *r);
void svc_stats_register(svc_registration *r);
void svc_health_register(svc_registration *r);
void svc_reflection_register(svc_registration *r);

#endif /* CRUDDUR_SVC_REGISTRY_H */
