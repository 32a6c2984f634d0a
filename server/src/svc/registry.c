/*
 * registry.c - the table of services; see registry.h.
 */
#include <string.h>

#include "svc/registry.h"

static void (*const services[])(svc_registration *r) = {
	svc_activities_register,
	svc_users_register,
	svc_db_admin_register,
	svc_migrations_register,
	svc_seed_bulk_register,
	svc_stats_register,
	svc_health_register,
	svc_reflection_register,
};

void
svc_register_all(svc_registration *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		services[i](r);
}
