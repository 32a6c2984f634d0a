/*
 * consumer.cpp - a C++ program outside the tree, built against an installed
 * prefix through find_package(cruddur) (CMakeLists.txt beside it).
 *
 * Usage: consumer URL. The C one's checks (tests/install/consumer.c) from
 * C++: it links only if every header it includes declares its functions and
 * data extern "C", since a C++ name would be mangled and not found in
 * libcruddur.so. Health/Check, HomeFeed (the seed's activity), a server
 * status, the method table. Exits 0 when every check held, 1 otherwise.
 */
#include <cruddur/cruddur.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace {

int failures = 0;

void
check(bool ok, const std::string &what)
{
	std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
	if (!ok)
		failures++;
}

/* Responses are freed with cruddur_message_free, whatever their type. */
template <typename T> struct message_deleter {
	void operator()(T *m) const { cruddur_message_free(m); }
};
template <typename T> using message_ptr = std::unique_ptr<T, message_deleter<T>>;

} // namespace

int
main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: consumer URL\n");
		return 2;
	}
	const char     *urls[] = { argv[1] };
	char            err[256] = "";
	cruddur_client *c = nullptr;
	cruddur_status  st = cruddur_client_open(&c, urls, 1, err, sizeof(err));
	if (st != CRUDDUR_OK) {
		std::fprintf(stderr, "open %s: %s: %s\n", argv[1], cruddur_status_name(st), err);
		return 1;
	}

	bool found = false;
	for (size_t i = 0; i < cruddur_method_count; i++)
		found = found ||
		    std::strcmp(cruddur_methods[i]->full_name, "cruddur.v1.Health/Check") == 0;
	check(found && cruddur_method_health_check.idempotent, "Health/Check in cruddur_methods");

	cruddur_call_opts opts{};
	opts.deadline_ms = 5000;

	Cruddur__V1__HealthCheckRequest   hreq = CRUDDUR__V1__HEALTH_CHECK_REQUEST__INIT;
	Cruddur__V1__HealthCheckResponse *hraw = nullptr;
	st = cruddur_health_check(c, &hreq, &hraw, &opts);
	message_ptr<Cruddur__V1__HealthCheckResponse> health(hraw);
	check(st == CRUDDUR_OK &&
	        health->status == CRUDDUR__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING,
	    std::string("Health/Check is SERVING: ") + cruddur_status_name(st) + " " +
	        opts.message);

	Cruddur__V1__HomeFeedRequest   freq = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *fraw = nullptr;
	freq.limit = 10;
	st = cruddur_activities_home_feed(c, &freq, &fraw, &opts);
	message_ptr<Cruddur__V1__HomeFeedResponse> feed(fraw);
	check(st == CRUDDUR_OK && feed->n_activities == 1 &&
	        std::string(feed->activities[0]->handle) == "hotwheels" &&
	        std::string(feed->activities[0]->message) == "This was imported as seed data",
	    std::string("HomeFeed has the seed's activity by @hotwheels: ") +
	        cruddur_status_name(st) + " " + opts.message);

	/* A status from the server, not only OK: limit is 1 to 100. */
	freq.limit = 101;
	st = cruddur_activities_home_feed(c, &freq, &fraw, &opts);
	check(st == CRUDDUR_INVALID_ARGUMENT && fraw == nullptr &&
	        std::strstr(opts.message, "limit") != nullptr,
	    "HomeFeed limit 101 is INVALID_ARGUMENT");

	cruddur_client_close(c);
	std::printf("libcruddur %s from C++: %s\n", CRUDDUR_VERSION_STRING,
	    failures ? "failed" : "passed");
	return failures ? 1 : 0;
}
