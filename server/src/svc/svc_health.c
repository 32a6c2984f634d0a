/*
 * svc_health.c - the Health service: grpc.health.v1's Check, and
 * ListMethods from the generated method table.
 *
 * DbAdmin, Health, Reflection and Stats need no database (Setup is what creates it),
 * so they are always SERVING; Activities, Users and the server as a whole ("") are
 * SERVING when the database answers a query within the probe's budget (1 s, or
 * the call's deadline if sooner: a database host that stops answering makes
 * them NOT_SERVING within about that) and takes writes.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "svc/svc_env.h"
#include "svc/registry.h"
#include "sql_statements.h"
#include "svc/rows.h"
#include "base/text.h"

/* A health check must answer fast even when the database hangs. */
#define PING_BUDGET_US 1000000

static bool
needs_database(const char *service)
{
	return strcmp(service, "cruddur.v1.DbAdmin") != 0 && strcmp(service, "cruddur.v1.Health") != 0 &&
	    strcmp(service, "cruddur.v1.Reflection") != 0 && strcmp(service, "cruddur.v1.Stats") != 0;
}

static bool
service_known(const svc_env *env, const char *service)
{
	for (size_t i = 0; i < rpc_method_count; i++)
		if (strcmp(rpc_method_table[i].method->service, service) == 0 &&
		    rpc_method_table[i].implemented(env->handlers))
			return true;
	return false;
}

static cruddur_status
check(rpc_context *ctx, const Cruddur__V1__HealthCheckRequest *req,
    Cruddur__V1__HealthCheckResponse *resp)
{
	PGresult *res = NULL;
	char      q[200];

	if (req->service[0] != '\0' && !service_known(ctx->env, req->service))
		return rpc_fail(ctx, CRUDDUR_NOT_FOUND, "unknown service \"%s\"",
		    text_quote(q, sizeof(q), req->service));
	resp->status = CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	if (req->service[0] != '\0' && !needs_database(req->service))
		return CRUDDUR_OK;

	rpc_context probe = *ctx;
	int64_t     budget = clock_mono_us() + PING_BUDGET_US;
	if (probe.deadline_us == 0 || probe.deadline_us > budget)
		probe.deadline_us = budget;
	/* The primary, which must take writes too: a read-only one answers the ping
	 * and fails every write (25006). */
	if (rows_query(&probe, &stmt_writable, NULL, &res) == CRUDDUR_OK) {
		bool writable = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (!writable) {
			snprintf(probe.message, sizeof(probe.message),
			    "the database is read-only (a standby, or default_transaction_read_only "
			    "is on): writes fail with 25006");
		} else {
			/* The replicas are not asked: reads pass over one that is
			 * down or behind for the primary (db/replica_set.h), and
			 * Stats shows each one's state. */
			return CRUDDUR_OK;
		}
	}
	resp->status = CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
	/* The database's words: PostgreSQL cuts a role or database name at 63
	 * bytes, inside a character when it falls there. */
	char clean[sizeof(probe.message)];
	resp->detail = rpc_strdup(ctx, text_utf8_or_quote(clean, sizeof(clean), probe.message));
	return CRUDDUR_OK;
}

static Cruddur__V1__MethodInfo *
method_info(rpc_context *ctx, const cruddur_method *m)
{
	Cruddur__V1__MethodInfo *info = rpc_alloc(ctx, sizeof(*info));
	if (info == NULL)
		return NULL;
	cruddur__v1__method_info__init(info);
	info->name = (char *)m->name;
	info->full_name = (char *)m->full_name;
	info->input_type = (char *)m->input->name;
	info->output_type = (char *)m->output->name;
	info->idempotent = m->idempotent;
	return info;
}

static cruddur_status
list_methods(rpc_context *ctx, const Cruddur__V1__ListMethodsRequest *req,
    Cruddur__V1__ListMethodsResponse *resp)
{
	(void)req;
	/* The table is sorted by full name, so a service's methods are adjacent;
	 * at most one service per method. */
	resp->services = rpc_alloc(ctx, rpc_method_count * sizeof(*resp->services));
	if (resp->services == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	Cruddur__V1__ServiceInfo *svc = NULL;
	for (size_t i = 0; i < rpc_method_count; i++) {
		const rpc_method_entry *e = &rpc_method_table[i];
		if (!e->implemented(ctx->env->handlers))
			continue;
		if (svc == NULL || strcmp(svc->name, e->method->service) != 0) {
			if ((svc = rpc_alloc(ctx, sizeof(*svc))) == NULL)
				return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
			cruddur__v1__service_info__init(svc);
			svc->methods = rpc_alloc(ctx, rpc_method_count * sizeof(*svc->methods));
			if (svc->methods == NULL)
				return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
			svc->name = (char *)e->method->service;
			resp->services[resp->n_services++] = svc;
		}
		if ((svc->methods[svc->n_methods] = method_info(ctx, e->method)) == NULL)
			return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
		svc->n_methods++;
	}
	return CRUDDUR_OK;
}

void
svc_health_register(svc_registration *r)
{
	rpc_handlers *h = &r->handlers;

	h->health_check = check;
	h->health_list_methods = list_methods;
}
