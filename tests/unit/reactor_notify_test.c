/*
 * reactor_notify_test.c - read_reactor_free leaves the pool no callback
 * into the freed reactor, also after read_reactor_stop (cruddurd's order:
 * transport_free's quiesce hook stops it, server_fini frees it).
 *
 * read_reactor_new sets pool_set_notify(pool, notified, r). It used to be
 * cleared only while the thread ran, which read_reactor_stop ends: then the
 * pool's connector, finishing a connect while pool_free stopped it, woke
 * the freed reactor (a write to a freed r->evfd). Found in the review of
 * issue 11; older than it.
 *
 * No database is needed: the test looks at the pool's notify field.
 */
#include <stdio.h>

#include "db/db_target.h"
#include "db/pool.h"
#include "db/pool_internal.h"
#include "reads/read_reactor.h"
#include "test_support.h"

static void
one(bool stop_first)
{
	db_target     t;
	pool         *p = NULL;
	read_reactor *r = NULL;
	char          err[256];

	CHECK(db_target_parse(&t, "postgresql://postgres@/cruddur?host=/nonexistent-cruddur-notify",
	          "reactor-notify-test", err, sizeof(err)) == 0);
	pool_config pc = { .target = &t, .min_size = 0, .max_size = 2, .acquire_timeout_ms = 100,
		.connect_timeout_s = 1 };
	CHECK(pool_new(&p, &pc) == 0);
	CHECK(read_reactor_new(&r, p, 8, true, 1) == 0);
	CHECK(p->notify != NULL); /* the reactor's */
	if (stop_first)
		read_reactor_stop(r); /* as transport_free's quiesce does */
	read_reactor_free(r);
	pthread_mutex_lock(&p->notify_mtx);
	bool dangling = p->notify != NULL;
	pthread_mutex_unlock(&p->notify_mtx);
	if (dangling)
		fprintf(stderr, "stop %s free: the pool's notify still points at the freed reactor\n",
		    stop_first ? "then" : "without stop, then");
	CHECK(!dangling);
	pool_free(p);
	db_target_fini(&t);
}

int
main(void)
{
	one(false);
	one(true); /* cruddurd's order */
	return ts_finish("reactor_notify_test");
}
