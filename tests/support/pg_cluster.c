/*
 * pg_cluster.c - private PostgreSQL clusters for the fault tests: started
 * and removed with tests/pg/start and stop, stopped and started with
 * tests/faults/pgctl, frozen with SIGSTOP; see faults.h.
 *
 * The freeze keeps the pids it stopped in a static table, so that the
 * SIGALRM handler (fs_cluster_thaw_on_alarm) can thaw them if a test hangs:
 * one frozen cluster per process at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"

static const char *
source_dir(void)
{
	const char *d = getenv("CRUDDUR_SOURCE_DIR");
	return d != NULL && d[0] != '\0' ? d : ".";
}

/* ---- a private cluster ------------------------------------------------------ */

int
fs_cluster_start(fs_cluster *c)
{
	static int n;
	char       cmd[512];

	snprintf(c->dir, sizeof(c->dir), "/tmp/cf-%ld-%d", (long)getpid(), n++);
	snprintf(cmd, sizeof(cmd), "'%s/tests/pg/start' '%s' >/dev/null", source_dir(), c->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "tests/pg/start %s failed\n", c->dir);
		return -1;
	}
	return 0;
}

int
fs_cluster_ctl(const fs_cluster *c, const char *action)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "bash '%s/tests/faults/pgctl' '%s' %s", source_dir(), c->dir, action);
	if (system(cmd) != 0) {
		fprintf(stderr, "pgctl %s %s failed\n", c->dir, action);
		return -1;
	}
	return 0;
}

void
fs_cluster_remove(fs_cluster *c)
{
	char cmd[512];

	if (c->dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "'%s/tests/pg/stop' '%s'", source_dir(), c->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "tests/pg/stop %s failed\n", c->dir);
	c->dir[0] = '\0';
}

/* What fs_cluster_freeze stopped, for the thaw and the alarm handler. */
#define FS_MAX_FROZEN 256
static pid_t                 frozen_pids[FS_MAX_FROZEN];
static volatile sig_atomic_t n_frozen;

/* The parent pid in /proc/PID/stat, or -1. */
static pid_t
parent_of(pid_t pid)
{
	char  path[64], buf[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *close = strrchr(buf, ')'); /* the name may hold spaces */
	long        ppid;
	char        state;
	if (close == NULL || sscanf(close + 1, " %c %ld", &state, &ppid) != 2)
		return -1;
	return (pid_t)ppid;
}

int
fs_cluster_freeze(const fs_cluster *c, bool frozen)
{
	if (!frozen) {
		int n = (int)n_frozen;
		for (int i = 0; i < n; i++)
			kill(frozen_pids[i], SIGCONT);
		n_frozen = 0;
		return n;
	}
	char  path[128];
	long  postmaster = 0;
	FILE *f;
	snprintf(path, sizeof(path), "%s/data/postmaster.pid", c->dir);
	if ((f = fopen(path, "r")) == NULL || fscanf(f, "%ld", &postmaster) != 1 || postmaster <= 0) {
		if (f != NULL)
			fclose(f);
		fprintf(stderr, "no postmaster pid in %s\n", path);
		return -1;
	}
	fclose(f);
	/* The postmaster first: it forks no new child once stopped. */
	if (kill((pid_t)postmaster, SIGSTOP) != 0)
		return -1;
	frozen_pids[0] = (pid_t)postmaster;
	n_frozen = 1;
	DIR *proc = opendir("/proc");
	for (struct dirent *e; proc != NULL && (e = readdir(proc)) != NULL;) {
		char *end;
		long  pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || parent_of((pid_t)pid) != (pid_t)postmaster ||
		    n_frozen >= FS_MAX_FROZEN)
			continue;
		if (kill((pid_t)pid, SIGSTOP) == 0) {
			frozen_pids[n_frozen] = (pid_t)pid;
			n_frozen = n_frozen + 1;
		}
	}
	if (proc != NULL)
		closedir(proc);
	return (int)n_frozen;
}

static void
thaw_and_die(int sig)
{
	(void)sig;
	for (int i = 0; i < (int)n_frozen; i++)
		kill(frozen_pids[i], SIGCONT); /* async-signal-safe */
	static const char say[] = "timed out: the cluster was thawed\n";
	ssize_t           put = write(2, say, sizeof(say) - 1);
	(void)put;
	_exit(1);
}

void
fs_cluster_thaw_on_alarm(unsigned seconds)
{
	signal(SIGALRM, thaw_and_die);
	alarm(seconds);
}

const char *
fs_cluster_url(const fs_cluster *c, const char *db, char *buf, size_t len)
{
	snprintf(buf, len, "postgresql://postgres@/%s?host=%s", db, c->dir);
	return buf;
}


int
fs_cluster_server_start(ts_server *s, const fs_cluster *c, const char *db,
    const char *const *extra)
{
	char        url[256];
	const char *args[32] = { "--db", fs_cluster_url(c, db, url, sizeof(url)) };
	int         n = 2;

	for (; extra != NULL && *extra != NULL && n < 31; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	memset(s, 0, sizeof(*s));
	if (ts_server_start(s, "tcp://127.0.0.1:0", NULL, args, NULL) != 0) {
		fs_server_cleanup(s);
		return -1;
	}
	return 0;
}
