/*
 * cmd_health.c - `cruddur health [SERVICE]` and `cruddur methods`.
 */
#include <stdio.h>

#include "args.h"
#include "cli.h"
#include "cmd_health.h"
#include "print.h"

int
cmd_health(cli *c, int argc, char **argv)
{
	Cruddur__V1__HealthCheckRequest   req = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *resp = NULL;
	const cli_args                    spec = { .what = "health", .max_positional = -1 };
	int                               rv, n_pos;

	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	if (n_pos > 1)
		return cli_usage_error("health takes at most one SERVICE");
	if (n_pos == 1)
		req.service = argv[0];
	cruddur_call_opts opts = cli_call_opts(c);
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_health_check(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("health", st, &opts);
	bool serving = resp->status == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	if (c->json)
		print_json(stdout, &resp->base);
	else
		printf("%s%s%s\n", serving ? "SERVING" : "NOT_SERVING", resp->detail[0] ? ": " : "",
		    resp->detail);
	cruddur_message_free(resp);
	return serving ? 0 : EXIT_CALL_FAILED;
}

int
cmd_methods(cli *c, int argc, char **argv)
{
	Cruddur__V1__ListMethodsRequest   req = CRUDDUR__V1__LIST_METHODS_REQUEST__INIT;
	Cruddur__V1__ListMethodsResponse *resp = NULL;
	const cli_args                    spec = { .what = "methods", .bad = "methods takes no arguments" };
	int                               rv, n_pos;

	if ((rv = cli_args_parse(c, &spec, argc, argv, &n_pos)) != 0)
		return rv;
	cruddur_call_opts opts = cli_call_opts(c);
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_health_list_methods(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("methods", st, &opts);
	if (c->json)
		print_json(stdout, &resp->base);
	for (size_t i = 0; !c->json && i < resp->n_services; i++) {
		printf("%s\n", resp->services[i]->name);
		for (size_t j = 0; j < resp->services[i]->n_methods; j++) {
			const Cruddur__V1__MethodInfo *m = resp->services[i]->methods[j];
			printf("  %-12s %s -> %s%s\n", m->name, m->input_type, m->output_type,
			    m->idempotent ? "  (safe to retry)" : "");
		}
	}
	cruddur_message_free(resp);
	return 0;
}
