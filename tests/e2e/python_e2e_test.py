"""tests/e2e/python_e2e_test.py MODE URL [ARGS] - the cruddur Python package against a real
cruddurd, driven by tests/e2e/python_test.sh (which starts the servers; see there).

  open URL DBURL         a server without a token, its database missing at first: every call
                         class, the feed and its pages, a write with an idempotency key, and
                         each error a caller can provoke (a table lock from psql makes the
                         server's DEADLINE_EXCEEDED)
  gone URL               the server has stopped: UNAVAILABLE
  restart LISTEN DBURL WORKDIR
                         starts and restarts a cruddurd of its own: one client dials again
  guarded URL GOOD WRONG a server with --admin-token-file GOOD --require-token
                         --max-request-bytes 1024: tokens from each source, UNAUTHENTICATED,
                         PERMISSION_DENIED, RESOURCE_EXHAUSTED

Says "ok ..." per check; a failure is an exception (exit 1) naming what failed.
"""
import os
import subprocess
import sys
import threading
import time
import uuid

import cruddur
from cruddur import Status
from cruddur.v1 import activities_pb2

SEED = "This was imported as seed data"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok   " + what)


def fails(code, fn, *args, contains="", **kw):
    """fn(*args, **kw) raises CruddurError code, its message holding contains."""
    try:
        fn(*args, **kw)
    except cruddur.CruddurError as e:
        if e.code != code or contains not in e.message:
            raise AssertionError("%s: got %s, want %s /%s/" % (fn.__qualname__, e, code.name,
                                                               contains)) from None
        print("ok   %s -> %s" % (fn.__qualname__, e))
        return e
    raise AssertionError("%s succeeded, want %s" % (fn.__qualname__, code.name))


def psql(dburl, sql):
    return subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", dburl, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


class TableLock:
    """ACCESS EXCLUSIVE on a table from a psql session of its own, held until release."""

    def __init__(self, dburl, table):
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dburl],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True)
        self.proc.stdin.write("BEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n" % table)
        self.proc.stdin.flush()
        query = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                 "WHERE c.relname = '%s' AND l.mode = 'AccessExclusiveLock' AND l.granted" % table)
        for _ in range(100):
            if psql(dburl, query) == "1":
                return
            time.sleep(0.1)
        self.release()
        raise AssertionError("psql did not take the lock on " + table)

    def release(self):
        self.proc.stdin.write("ROLLBACK;\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def mode_open(url, dburl):
    with cruddur.Client(url, token="") as c:
        # The database does not exist yet: the server's UNAVAILABLE (retried, as HomeFeed may be).
        fails(Status.UNAVAILABLE, c.activities.home_feed, contains="does not exist")
        check(c.health.check(service="cruddur.v1.DbAdmin").status == 1, "DbAdmin is SERVING")
        setup = c.db_admin.setup(deadline_ms=60000)
        check(all(s.status == Status.OK for s in setup.steps) and len(setup.steps) >= 3,
              "db_admin.setup: " + ", ".join(s.name for s in setup.steps))

        feed = c.activities.home_feed(limit=20, deadline_ms=2000)
        check(isinstance(feed, activities_pb2.HomeFeedResponse), "home_feed returns a "
              "HomeFeedResponse")
        check([(a.handle, a.message) for a in feed.activities] == [("hotwheels", SEED)],
              "the home feed holds the seed activity by @hotwheels")
        check(feed.next_cursor == "", "one page: no next_cursor")

        # A write with an idempotency key, twice: the same activity, the second replayed.
        author = activities_pb2.Author(handle="hotwheels")
        first = c.activities.create_activity(author=author, message="py: once", ttl="1d",
                                             idempotency_key="py-key-1")
        again = c.activities.create_activity(activities_pb2.CreateActivityRequest(
            author=author, message="py: once", ttl="1d", idempotency_key="py-key-1"))
        check(first.activity.uuid != "" and not first.replayed, "create_activity made one")
        check(again.activity.uuid == first.activity.uuid and again.replayed,
              "the same key again: the same activity, replayed")
        fails(Status.FAILED_PRECONDITION, c.activities.create_activity, author=author,
              message="py: other", idempotency_key="py-key-1")
        for i in range(3):
            c.activities.create_activity(author={"handle": "hotwheels"}, message="py: %d" % i)

        # Pages of 2 through next_cursor: the same activities as one page of 100, in order.
        whole = [a.uuid for a in c.activities.home_feed(limit=100).activities]
        check(len(whole) == 5, "five activities in the feed")
        pages, cursor = [], ""
        while True:
            page = c.activities.home_feed(limit=2, cursor=cursor)
            pages.append([a.uuid for a in page.activities])
            cursor = page.next_cursor
            if not cursor:
                break
            if len(pages) >= 10:
                raise AssertionError("paging does not end: %s" % pages)
        check(len(pages) >= 3 and pages[0] and pages[1], "pages of 2: %s" % [len(p) for p in pages])
        check(sum(pages, []) == whole, "the pages, one after the other, are the whole feed")

        shown = c.activities.show_activity(uuid=first.activity.uuid)
        check(shown.activity.message == "py: once", "show_activity")
        user = c.users.get_user(handle="hotwheels").user
        check(user.display_name == "Pop Goes the Weasel", "users.get_user")
        upd = c.users.update_profile(user={"handle": "hotwheels"}, bio={"value": "from python"})
        check(upd.user.bio == "from python", "users.update_profile with a StringValue")
        listed = {m.full_name: m.idempotent
                  for s in c.health.list_methods().services for m in s.methods}
        check(len(listed) >= 20 and all(name in cruddur.methods and
                                        cruddur.methods[name].idempotent == idem
                                        for name, idem in listed.items()),
              "every method the server lists is in the client's descriptors, as idempotent")
        c.stats.get_stats()

        # The errors a caller can provoke.
        fails(Status.INVALID_ARGUMENT, c.activities.home_feed, limit=101, contains="limit")
        fails(Status.INVALID_ARGUMENT, c.activities.home_feed, cursor="not-a-cursor")
        fails(Status.INVALID_ARGUMENT, c.health.check, metadata={"k" * 200: "v"})
        fails(Status.NOT_FOUND, c.users.get_user, handle="nobody")
        fails(Status.NOT_FOUND, c.activities.show_activity, uuid=str(uuid.uuid4()))
        fails(Status.NOT_FOUND, c.health.check, service="cruddur.v1.Nope")
        fails(Status.ALREADY_EXISTS, c.users.create_user, display_name="Another",
              handle="hotwheels", email="another@example.com", cognito_user_id="py-another")
        fails(Status.UNIMPLEMENTED, c.call_raw, "cruddur.v1.Nope/Nope", b"")
        # The body is not a HomeFeedRequest.
        fails(Status.INVALID_ARGUMENT, c.call_raw, "cruddur.v1.Activities/HomeFeed", b"\xff")

        # The server's DEADLINE_EXCEEDED: HomeFeed waits for a lock, the server cancels its
        # statement at the deadline and says so (not the client's "no reply").
        lock = TableLock(dburl, "activities")
        try:
            t0 = time.monotonic()
            e = fails(Status.DEADLINE_EXCEEDED, c.activities.home_feed, deadline_ms=500)
            took = time.monotonic() - t0
        finally:
            lock.release()
        check("no reply from the server" not in e.message, "the server sent it: " + e.message)
        check(0.4 < took < 0.75, "in time: %.3f s for a 500 ms deadline" % took)
        check(len(c.activities.home_feed().activities) == 5, "the feed is served again")

        # Threads share one client.
        errors = []

        def feeds():
            try:
                for _ in range(10):
                    if len(c.activities.home_feed(limit=3).activities) != 3:
                        errors.append("short page")
            except Exception as ex:  # noqa: BLE001 - reported below
                errors.append(ex)

        threads = [threading.Thread(target=feeds) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(errors == [], "6 threads x 10 calls on one client: %s" % errors)


class Server:
    """A cruddurd of this test's own (CRUDDUR_BIN_DIR), its log appended to log."""

    def __init__(self, listen, dburl, workdir):
        ready = os.path.join(workdir, "restart.ready")
        if os.path.exists(ready):
            os.unlink(ready)
        with open(os.path.join(workdir, "cruddurd.log"), "a") as log:
            self.proc = subprocess.Popen(
                [os.path.join(os.environ["CRUDDUR_BIN_DIR"], "cruddurd"), "--listen", listen,
                 "--ready-file", ready], env=dict(os.environ, CONNECTION_URL=dburl),
                stderr=log)
        for _ in range(100):
            if os.path.exists(ready) and os.path.getsize(ready) > 0:
                with open(ready) as f:
                    self.url = f.readline().strip()
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError("cruddurd did not start on " + listen)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def mode_restart(listen, dburl, workdir):
    """One client across a server restart: it dials again by itself."""
    server = Server(listen, dburl, workdir)
    try:
        with cruddur.Client(server.url, token="") as c:
            check(len(c.activities.home_feed().activities) == 5, "a feed before the restart")
            server.stop()
            # No server: the request has not gone out, and waits for one within its deadline.
            fails(Status.DEADLINE_EXCEEDED, c.activities.home_feed, deadline_ms=300,
                  contains="cannot reach")
            server = Server(server.url, dburl, workdir)
            check(len(c.activities.home_feed().activities) == 5,
                  "the same client after the restart")
            made = c.activities.create_activity(author={"handle": "hotwheels"},
                                                message="py: after the restart", ttl="1h")
            check(made.activity.uuid != "", "a write without a key after the restart")
    finally:
        server.stop()


def mode_gone(url):
    fails(Status.UNAVAILABLE, cruddur.Client, url, contains="cannot reach")


def mode_guarded(url, good, wrong):
    with open(good) as f:
        token = f.readline().strip()
    # $CRUDDUR_TOKEN_FILE (set by python_test.sh) is read when no token is given.
    with cruddur.Client(url) as c:
        check(c.health.check().status == 1, "a token from $CRUDDUR_TOKEN_FILE")
        check(len(c.db_admin.sessions().sessions) >= 1, "db_admin.sessions with it")
        fails(Status.RESOURCE_EXHAUSTED, c.activities.create_activity, author={"handle": "x"},
              message="x" * 3000, contains="exceeds the limit of 1024 bytes")
        check(len(c.activities.home_feed().activities) >= 5, "the connection serves on")
    with cruddur.Client(url, token="") as c:
        fails(Status.UNAUTHENTICATED, c.activities.home_feed, contains="needs a token")
        fails(Status.UNAUTHENTICATED, c.db_admin.sessions)
        check(c.activities.home_feed(metadata={"authorization": "Bearer " + token}).activities,
              "a call's own authorization metadata, as Bearer")
    with cruddur.Client(url, token_file=wrong) as c:
        fails(Status.PERMISSION_DENIED, c.activities.home_feed, contains="not valid")
        fails(Status.PERMISSION_DENIED, c.db_admin.sessions)
    with cruddur.Client(url, token=token) as c:
        check(c.users.get_user(handle="hotwheels").user.handle == "hotwheels", "token=")
    saved = os.environ.pop("CRUDDUR_TOKEN_FILE")
    os.environ["CRUDDUR_TOKEN"] = token
    try:
        with cruddur.Client(url) as c:
            check(c.health.check().status == 1, "a token from $CRUDDUR_TOKEN")
    finally:
        os.environ["CRUDDUR_TOKEN_FILE"] = saved
        del os.environ["CRUDDUR_TOKEN"]


def main(argv):
    modes = {"open": mode_open, "gone": mode_gone, "guarded": mode_guarded,
             "restart": mode_restart}
    if len(argv) < 3 or argv[1] not in modes:
        sys.exit("usage: python_e2e_test.py open|gone|guarded|restart URL [ARGS]")
    modes[argv[1]](*argv[2:])
    print("python_e2e_test %s: passed" % argv[1])


if __name__ == "__main__":
    main(sys.argv)
