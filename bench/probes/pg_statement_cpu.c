/*
 * pg_statement_cpu.c - what one execution of the feed statement costs
 * PostgreSQL's backend in CPU, by result format (bench/RESULTS.md).
 *
 *   pg_statement_cpu CONNINFO SQL_FILE text|binary SECONDS
 *
 * One connection, generic plans and memoize off as cruddurd's pool sets
 * them, the statement prepared once and run with the first page's
 * parameters ($1 $2 $3: the sentinel key, limit 21) for SECONDS after a
 * warm-up; the backend's utime+stime from /proc over the executions run.
 * Prints `statement_cpu FORMAT us_per_execution U executions N`.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of a process, in clock ticks; -1 if unreadable. */
static long
cpu_ticks(int pid)
{
	char  path[64], buf[4096];
	FILE *f;
	long  utime, stime;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command may hold spaces */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime,
	                      &stime) != 2)
		return -1;
	return utime + stime;
}

static char *
read_sql(const char *path)
{
	static char sql[16384];
	FILE       *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	size_t n = fread(sql, 1, sizeof(sql) - 1, f);
	fclose(f);
	sql[n] = '\0';
	return sql;
}

int
main(int argc, char **argv)
{
	const char *params[3] = { "253402300799999999", "ffffffff-ffff-ffff-ffff-ffffffffffff", "21" };

	if (argc != 5 || (strcmp(argv[3], "text") != 0 && strcmp(argv[3], "binary") != 0) ||
	    atoi(argv[4]) < 1) {
		fprintf(stderr, "usage: pg_statement_cpu CONNINFO SQL_FILE text|binary SECONDS\n");
		return 2;
	}
	int   binary = strcmp(argv[3], "binary") == 0, seconds = atoi(argv[4]);
	char *sql = read_sql(argv[2]);
	if (sql == NULL) {
		perror(argv[2]);
		return 1;
	}
	PGconn *pg = PQconnectdb(argv[1]);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "pg_statement_cpu: %s", PQerrorMessage(pg));
		return 1;
	}
	PGresult *res = PQexec(pg, "SET plan_cache_mode = force_generic_plan; SET enable_memoize = off");
	int       ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	res = PQprepare(pg, "feed", sql, 3, NULL);
	ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok) {
		fprintf(stderr, "pg_statement_cpu: %s", PQerrorMessage(pg));
		return 1;
	}
	for (int i = 0; i < 2000; i++) /* warm-up: caches, the plan */
		PQclear(PQexecPrepared(pg, "feed", 3, params, NULL, NULL, binary));
	long   t0 = cpu_ticks(PQbackendPID(pg)), n = 0;
	double start = now_s();
	while (now_s() - start < seconds) {
		res = PQexecPrepared(pg, "feed", 3, params, NULL, NULL, binary);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "pg_statement_cpu: %s", PQerrorMessage(pg));
			return 1;
		}
		PQclear(res);
		n++;
	}
	long t1 = cpu_ticks(PQbackendPID(pg));
	if (t0 < 0 || t1 < 0 || n == 0) {
		fprintf(stderr, "pg_statement_cpu: cannot read the backend's CPU time\n");
		return 1;
	}
	printf("statement_cpu %s us_per_execution %.1f executions %ld\n", argv[3],
	    (double)(t1 - t0) * 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)n, n);
	PQfinish(pg);
	return 0;
}
