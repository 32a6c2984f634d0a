/*
 * consumer.c - a C program outside the tree, built by install_pkgconfig_test.sh
 * against an installed prefix with `cc $(pkg-config --cflags --libs cruddur)`.
 *
 * Usage: consumer URL. Calls the server at URL through libcruddur as any
 * user would, through <cruddur/cruddur.h> alone: Health/Check (SERVING) and
 * HomeFeed (the seed's activity), and looks the method up in the generated
 * method table (exported data, not only functions). Prints one line per
 * check; exits 0 when every check held, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include <cruddur/cruddur.h>

static int failures;

static void
check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: consumer URL\n");
		return 2;
	}
	const char     *urls[] = { argv[1] };
	char            err[256] = "";
	cruddur_client *c = NULL;
	cruddur_status  st = cruddur_client_open(&c, urls, 1, err, sizeof(err));
	if (st != CRUDDUR_OK) {
		fprintf(stderr, "open %s: %s: %s\n", argv[1], cruddur_status_name(st), err);
		return 1;
	}

	int found = 0;
	for (size_t i = 0; i < cruddur_method_count; i++)
		found |= strcmp(cruddur_methods[i]->full_name, "cruddur.v1.Activities/HomeFeed") ==
		    0;
	check(found && cruddur_method_activities_home_feed.idempotent,
	    "HomeFeed in cruddur_methods");

	cruddur_call_opts                opts = { .deadline_ms = 5000 };
	Cruddur__V1__HealthCheckRequest  hreq = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *hresp = NULL;
	st = cruddur_health_check(c, &hreq, &hresp, &opts);
	check(st == CRUDDUR_OK &&
	        hresp->status == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING,
	    "Health/Check is SERVING");
	if (st != CRUDDUR_OK)
		fprintf(stderr, "Health/Check: %s: %s\n", cruddur_status_name(st), opts.message);
	cruddur_message_free(hresp);

	Cruddur__V1__HomeFeedRequest  freq = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *fresp = NULL;
	freq.limit = 10;
	st = cruddur_activities_home_feed(c, &freq, &fresp, &opts);
	check(st == CRUDDUR_OK && fresp->n_activities == 1 &&
	        strcmp(fresp->activities[0]->handle, "hotwheels") == 0 &&
	        strcmp(fresp->activities[0]->message, "This was imported as seed data") == 0,
	    "HomeFeed has the seed's activity by @hotwheels");
	if (st != CRUDDUR_OK)
		fprintf(stderr, "HomeFeed: %s: %s\n", cruddur_status_name(st), opts.message);
	cruddur_message_free(fresp);

	/* A status from the server, not only OK: limit is 1 to 100. */
	freq.limit = 101;
	st = cruddur_activities_home_feed(c, &freq, &fresp, &opts);
	check(st == CRUDDUR_INVALID_ARGUMENT && fresp == NULL &&
	        strstr(opts.message, "limit") != NULL,
	    "HomeFeed limit 101 is INVALID_ARGUMENT");

	cruddur_client_close(c);
	printf("libcruddur %s from C: %s\n", CRUDDUR_VERSION_STRING,
	    failures ? "failed" : "passed");
	return failures ? 1 : 0;
}
