"""tests/unit/python_client_test.py - the cruddur Python package against fake REP peers.

ctest python_unit runs it with /usr/bin/python3 and PYTHONPATH at the build tree's staged
package (build/python). Each peer here is a plain listening socket, written from nng's
transport code rather than from cruddur.wire, that checks what the client sends byte by byte
(the SP handshake, the 64-bit length, ipc's type byte, the request id with its top bit set)
and answers what a test tells it: so the retry rules (which methods, which status, how many
attempts, which pauses, within the deadline), a silent server, a wrong peer and stale replies
can be shown without a cruddurd. The real server is tests/e2e/python_e2e_test.py's.
"""
import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import unittest

import cruddur
from cruddur.v1 import activities_pb2, rpc_pb2, users_pb2

REQ_HELLO = bytes([0x00, 0x53, 0x50, 0x00, 0x00, 0x30, 0x00, 0x00])
REP_HELLO = bytes([0x00, 0x53, 0x50, 0x00, 0x00, 0x31, 0x00, 0x00])


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class FakePeer:
    """A REP peer on tcp or ipc. answer(env, n) returns a ResponseEnvelope to send, None to
    stay silent, or bytes to send raw; requests holds (time, sp_id, RequestEnvelope)."""

    def __init__(self, ipc=False, answer=None, hello=REP_HELLO):
        self.ipc, self.answer, self.hello = ipc, answer, hello
        self.requests, self.hellos, self.errors = [], [], []
        if ipc:
            self.dir = tempfile.mkdtemp(prefix="cruddur-py-")
            path = os.path.join(self.dir, "peer.sock")
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(path)
            self.url = "ipc://" + path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(("127.0.0.1", 0))
            self.url = "tcp://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.sock.listen(8)
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.sendall(self.hello)
            self.hellos.append(read_exact(conn, 8))
            while True:
                if self.ipc:
                    kind = read_exact(conn, 1)[0]
                    if kind != 1:
                        self.errors.append("ipc message type %d" % kind)
                        return
                length = struct.unpack(">Q", read_exact(conn, 8))[0]
                payload = read_exact(conn, length)
                sp_id = struct.unpack(">I", payload[:4])[0]
                if not sp_id & 0x80000000:
                    self.errors.append("request id %#x without its top bit" % sp_id)
                env = rpc_pb2.RequestEnvelope.FromString(payload[4:])
                self.requests.append((time.monotonic(), sp_id, env))
                reply = self.answer(env, len(self.requests)) if self.answer else None
                if reply is None:
                    continue
                if isinstance(reply, rpc_pb2.ResponseEnvelope):
                    reply = payload[:4] + reply.SerializeToString()
                head = (b"\x01" if self.ipc else b"") + struct.pack(">Q", len(reply))
                conn.sendall(head + reply)
        except (EOFError, OSError):
            pass

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        if self.ipc:  # the socket file and its directory go with the peer
            shutil.rmtree(self.dir, ignore_errors=True)


def ok(body=b""):
    def answer(env, n):
        return rpc_pb2.ResponseEnvelope(request_id=env.request_id, status=0, body=body)
    return answer


def status(code, message=""):
    def answer(env, n):
        return rpc_pb2.ResponseEnvelope(request_id=env.request_id, status=code, message=message)
    return answer


class Peers(unittest.TestCase):
    def peer(self, **kw):
        p = FakePeer(**kw)
        self.addCleanup(p.close)
        return p

    def client(self, url, **kw):
        c = cruddur.Client(url, **kw)
        self.addCleanup(c.close)
        return c

    def raises(self, code, fn, *args, **kw):
        with self.assertRaises(cruddur.CruddurError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code, code, str(cm.exception))
        return cm.exception


class Framing(Peers):
    def check_call(self, ipc):
        feed = activities_pb2.HomeFeedResponse(next_cursor="abc")
        feed.activities.add(handle="hotwheels", message="hi")
        p = self.peer(ipc=ipc, answer=ok(feed.SerializeToString()))
        c = self.client(p.url, token="sekrit")
        got = c.activities.home_feed(limit=7, deadline_ms=2000, metadata={"x-trace": "1"})
        self.assertEqual(got, feed)
        self.assertIsInstance(got, activities_pb2.HomeFeedResponse)
        self.assertEqual(p.hellos, [REQ_HELLO])
        self.assertEqual(p.errors, [])
        _, sp_id, env = p.requests[0]
        self.assertEqual(env.method, "cruddur.v1.Activities/HomeFeed")
        self.assertEqual(activities_pb2.HomeFeedRequest.FromString(env.body).limit, 7)
        self.assertTrue(1000 < env.deadline_ms <= 2000, env.deadline_ms)
        self.assertEqual([(m.key, m.value) for m in env.metadata],
                         [("authorization", "sekrit"), ("x-trace", "1")])
        # A second call on the same connection: a new SP id, a new request_id.
        c.activities.home_feed(activities_pb2.HomeFeedRequest(limit=3))
        self.assertEqual(len(p.conns), 1)
        self.assertNotEqual(p.requests[1][1], sp_id)
        self.assertNotEqual(p.requests[1][2].request_id, env.request_id)

    def test_tcp(self):
        self.check_call(ipc=False)

    def test_ipc(self):
        self.check_call(ipc=True)

    def test_stale_reply_skipped(self):
        # The first request is answered late, after its deadline: the reply to the second
        # request comes after it on the same connection, and the stale one is dropped.
        held = []

        def answer(env, n):
            if n == 1:
                held.append(env)
                return None
            stale = rpc_pb2.ResponseEnvelope(request_id=held[0].request_id, status=5,
                                             message="stale")
            sp_old = struct.pack(">I", p.requests[0][1])
            fresh = rpc_pb2.ResponseEnvelope(request_id=env.request_id, status=0)
            sp_new = struct.pack(">I", p.requests[1][1])
            for payload in (sp_old + stale.SerializeToString(),
                            sp_new + fresh.SerializeToString()):
                p.conns[0].sendall(struct.pack(">Q", len(payload)) + payload)
            return None

        p = self.peer(answer=answer)
        c = self.client(p.url)
        self.raises(cruddur.Status.DEADLINE_EXCEEDED, c.health.check, deadline_ms=100)
        self.assertEqual(c.health.check().status, 0)
        self.assertEqual(len(p.conns), 1)

    def test_not_a_rep_peer(self):
        p = self.peer(hello=REQ_HELLO)
        e = self.raises(cruddur.Status.UNAVAILABLE, cruddur.Client, p.url)
        self.assertIn("REP0", e.message)
        p2 = self.peer(hello=b"HTTP/1.1")
        self.raises(cruddur.Status.UNAVAILABLE, cruddur.Client, p2.url)

    def test_nothing_listens(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        e = self.raises(cruddur.Status.UNAVAILABLE, cruddur.Client, "tcp://127.0.0.1:%d" % port)
        self.assertIn("cannot reach", e.message)
        self.raises(cruddur.Status.UNAVAILABLE, cruddur.Client,
                    "ipc:///tmp/cruddur-py-no-such-dir/x.sock")

    def test_bad_urls(self):
        for url in ("127.0.0.1:7432", "tcp://127.0.0.1", "tcp://:7432", "udp://x:1",
                    "tls+tcp://127.0.0.1:7432", "ipc://"):
            self.raises(cruddur.Status.INVALID_ARGUMENT, cruddur.Client, url)

    def test_silent_server(self):
        p = self.peer()
        c = self.client(p.url)
        t0 = time.monotonic()
        e = self.raises(cruddur.Status.DEADLINE_EXCEEDED, c.activities.home_feed, deadline_ms=300)
        took = time.monotonic() - t0
        self.assertIn("no reply from the server in time", e.message)
        # The deadline plus libcruddur's 250 ms of grace, and no retry of a timeout.
        self.assertTrue(0.5 <= took < 1.0, took)
        self.assertEqual(len(p.requests), 1)

    def test_reply_errors(self):
        p = self.peer(answer=lambda env, n: b"\x00\x00\x00\x01" if n == 1 else
                      rpc_pb2.ResponseEnvelope(request_id=env.request_id + 1, status=0))
        c = self.client(p.url)
        # A reply whose SP id is not ours is skipped: that one times out.
        self.raises(cruddur.Status.DEADLINE_EXCEEDED, c.health.check, deadline_ms=100)
        e = self.raises(cruddur.Status.INTERNAL, c.health.check)
        self.assertIn("expected", e.message)
        # A reply too short to hold an id ends the connection (req0 closes the pipe).
        p1 = self.peer(answer=lambda env, n: b"\x80\x00")
        e = self.raises(cruddur.Status.UNAVAILABLE, self.client(p1.url).db_admin.create)
        self.assertIn("without a request id", e.message)
        p2 = self.peer(answer=ok(b"\xff\xff\xff"))
        e = self.raises(cruddur.Status.INTERNAL, self.client(p2.url).health.check)
        self.assertIn("HealthCheckResponse", e.message)


class Retries(Peers):
    def attempts(self, call, code=14, deadline_ms=3000, **kw):
        p = self.peer(answer=status(code, "try later"))
        c = self.client(p.url)
        t0 = time.monotonic()
        e = self.raises(cruddur.Status(code), call(c), deadline_ms=deadline_ms, **kw)
        self.assertEqual(e.message, "try later")
        times = [t - t0 for t, _, _ in p.requests]
        ids = {env.request_id for _, _, env in p.requests}
        self.assertEqual(len(ids), 1, "a retry carries the same request_id")
        return times, [env for _, _, env in p.requests]

    def test_no_side_effects_retried_twice(self):
        times, envs = self.attempts(lambda c: c.activities.home_feed)
        self.assertEqual(len(times), 3)
        self.assertGreaterEqual(times[1] - times[0], 0.05)
        self.assertGreaterEqual(times[2] - times[1], 0.10)
        self.assertLess(times[2] - times[0], 1.0)
        # Each attempt carries the time really left.
        self.assertGreater(envs[0].deadline_ms, envs[2].deadline_ms)

    def test_idempotent_retried(self):
        times, _ = self.attempts(lambda c: c.users.create_user, handle="x")
        self.assertEqual(len(times), 3)

    def test_write_without_key_sent_once(self):
        times, _ = self.attempts(lambda c: c.activities.create_activity, message="m")
        self.assertEqual(len(times), 1)
        times, _ = self.attempts(lambda c: c.db_admin.setup)
        self.assertEqual(len(times), 1)

    def test_write_with_key_retried(self):
        times, _ = self.attempts(lambda c: c.activities.create_activity, message="m",
                                 idempotency_key="k1")
        self.assertEqual(len(times), 3)
        times, _ = self.attempts(lambda c: c.activities.create_reply, message="m",
                                 idempotency_key="k2")
        self.assertEqual(len(times), 3)

    def test_other_statuses_not_retried(self):
        for code in (4, 8, 10, 13):
            times, _ = self.attempts(lambda c: c.activities.home_feed, code=code)
            self.assertEqual(len(times), 1, code)

    def test_not_run_retried_for_any_method(self):
        # A draining server's refusal (not_run): any call goes again, on a budget of its own.
        not_run = lambda env, n: rpc_pb2.ResponseEnvelope(
            request_id=env.request_id, status=14, message="try later", not_run=True)
        for call, kw in ((lambda c: c.activities.create_activity, {"message": "m"}),
                         (lambda c: c.activities.home_feed, {})):
            p = self.peer(answer=not_run)
            e = self.raises(cruddur.Status.UNAVAILABLE, call(self.client(p.url)),
                            deadline_ms=3000, **kw)
            self.assertTrue(e.not_run)
            self.assertEqual(len(p.requests), 1 + cruddur.NOT_RUN_ATTEMPTS)
        # Refused unrun twice, then UNAVAILABLE from a call that ran: the 2 ordinary retries
        # are still there for an idempotent call; a write without a key stops there.
        answer = lambda env, n: rpc_pb2.ResponseEnvelope(
            request_id=env.request_id, status=14, message="try later", not_run=n <= 2)
        p = self.peer(answer=answer)
        e = self.raises(cruddur.Status.UNAVAILABLE, self.client(p.url).activities.home_feed)
        self.assertFalse(e.not_run)
        self.assertEqual(len(p.requests), 2 + 1 + cruddur.RETRY_ATTEMPTS)
        p = self.peer(answer=answer)
        self.raises(cruddur.Status.UNAVAILABLE, self.client(p.url).activities.create_activity,
                    message="m")
        self.assertEqual(len(p.requests), 3)
        # not_run on another status means nothing: not retried.
        p = self.peer(answer=lambda env, n: rpc_pb2.ResponseEnvelope(
            request_id=env.request_id, status=13, message="x", not_run=True))
        e = self.raises(cruddur.Status.INTERNAL, self.client(p.url).activities.create_activity,
                        message="m")
        self.assertFalse(e.not_run)
        self.assertEqual(len(p.requests), 1)
        # Refused unrun, then OK: the write went through once it found a server.
        p = self.peer(answer=lambda env, n: not_run(env, n) if n <= 3 else ok()(env, n))
        self.client(p.url).activities.create_activity(message="m")
        self.assertEqual(len(p.requests), 4)

    def test_within_the_deadline(self):
        # 140 ms: the 50 ms pause fits (while the first attempt takes under 90 ms); the
        # 100 ms one, after at least 50 ms, no longer does.
        times, _ = self.attempts(lambda c: c.activities.home_feed, deadline_ms=140)
        self.assertEqual(len(times), 2)
        times, _ = self.attempts(lambda c: c.activities.home_feed, deadline_ms=40)
        self.assertEqual(len(times), 1)

    def test_connection_reset_retried_then_ok(self):
        # The first attempt's connection is closed under it: UNAVAILABLE, retried on a new
        # connection; a write without a key is not.
        def answer(env, n):
            if n == 1:
                p.conns[0].shutdown(socket.SHUT_RDWR)
                return None
            return rpc_pb2.ResponseEnvelope(request_id=env.request_id, status=0)

        p = self.peer(answer=answer)
        c = self.client(p.url)
        self.assertEqual(c.health.check().status, 0)
        self.assertEqual(len(p.requests), 2)
        self.assertEqual(len(p.conns), 2)
        p2 = self.peer(answer=lambda env, n: p2.conns[0].shutdown(socket.SHUT_RDWR))
        e = self.raises(cruddur.Status.UNAVAILABLE, self.client(p2.url).db_admin.create)
        self.assertIn("transport", e.message)
        self.assertEqual(len(p2.requests), 1)

    def test_raw_call(self):
        p = self.peer(answer=status(12, "unknown method"))
        c = self.client(p.url)
        self.raises(cruddur.Status.UNIMPLEMENTED, c.call_raw, "cruddur.v1.Nope/Nope", b"")
        self.assertEqual(p.requests[0][2].method, "cruddur.v1.Nope/Nope")
        p2 = self.peer(answer=status(14))
        e = self.raises(cruddur.Status.UNAVAILABLE, self.client(p2.url).call_raw, "a/b",
                        retryable=True)
        self.assertEqual(e.message, "UNAVAILABLE")
        self.assertEqual(len(p2.requests), 3)


class ClientSide(Peers):
    def test_refused_before_sending(self):
        p = self.peer(answer=ok())
        c = self.client(p.url)
        e = self.raises(cruddur.Status.RESOURCE_EXHAUSTED, c.activities.create_activity,
                        message="x" * (1024 * 1024))
        self.assertIn("exceeds the limit of 1048576 bytes", e.message)
        self.raises(cruddur.Status.INVALID_ARGUMENT, c.activities.home_feed,
                    metadata=[("k%d" % i, "v") for i in range(33)])
        e = self.raises(cruddur.Status.INVALID_ARGUMENT, c.activities.home_feed,
                        users_pb2.GetUserRequest())
        self.assertIn("takes HomeFeedRequest, not GetUserRequest", e.message)
        self.raises(cruddur.Status.INVALID_ARGUMENT, c.activities.home_feed, no_such_field=1)
        self.raises(cruddur.Status.INVALID_ARGUMENT, c.activities.home_feed, limit="ten")
        self.raises(cruddur.Status.INVALID_ARGUMENT, c.activities.home_feed, deadline_ms=-5)
        self.raises(cruddur.Status.UNIMPLEMENTED, c.call, "cruddur.v1.Nope/Nope")
        self.assertEqual(p.requests, [])
        # 32 entries, the token among them, is the limit.
        c32 = self.client(p.url, token="t")
        c32.health.check(metadata=[("k%d" % i, "v") for i in range(31)])
        self.raises(cruddur.Status.INVALID_ARGUMENT, c32.health.check,
                    metadata=[("k%d" % i, "v") for i in range(32)])

    def test_deadlines(self):
        p = self.peer(answer=ok())
        c = self.client(p.url, deadline_ms=1234)
        c.health.check()
        c.health.check(deadline_ms=10 ** 12)
        got = [env.deadline_ms for _, _, env in p.requests]
        self.assertTrue(1000 < got[0] <= 1234, got)
        self.assertTrue(86000000 < got[1] <= 86400000, got)

    def test_close(self):
        p = self.peer()
        c = cruddur.Client(p.url)
        threading.Timer(0.2, c.close).start()
        t0 = time.monotonic()
        e = self.raises(cruddur.Status.CANCELLED, c.health.check, deadline_ms=5000)
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertIn("closed", e.message)
        self.raises(cruddur.Status.CANCELLED, c.health.check)
        with cruddur.Client(p.url) as c2:
            pass
        self.raises(cruddur.Status.CANCELLED, c2.health.check)

    def test_threads_share_a_client(self):
        p = self.peer(answer=ok())
        c = self.client(p.url)
        errors = []

        def run():
            try:
                for _ in range(20):
                    c.health.check()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(p.requests), 80)
        self.assertEqual(len(p.conns), 1)

    def test_token_sources(self):
        with tempfile.TemporaryDirectory() as d:
            good, wrong = os.path.join(d, "good"), os.path.join(d, "wrong")
            with open(good, "w") as f:
                f.write("file-token\r\nsecond line\n")
            with open(wrong, "w") as f:
                f.write("wrong-token\n")
            env = {"CRUDDUR_TOKEN": "env-token", "CRUDDUR_TOKEN_FILE": ""}
            cases = [({}, {}, ""),
                     ({"CRUDDUR_TOKEN": "env-token"}, {}, "env-token"),
                     (env | {"CRUDDUR_TOKEN_FILE": good}, {}, "file-token"),
                     (env | {"CRUDDUR_TOKEN_FILE": wrong}, {"token_file": good}, "file-token"),
                     (env, {"token": "given"}, "given"),
                     (env, {"token": ""}, "")]
            saved = {k: os.environ.get(k) for k in ("CRUDDUR_TOKEN", "CRUDDUR_TOKEN_FILE")}
            try:
                for environ, kw, want in cases:
                    for k in saved:
                        os.environ.pop(k, None)
                    os.environ.update(environ)
                    self.assertEqual(cruddur.load_token(**kw), want, (environ, kw))
                os.environ["CRUDDUR_TOKEN_FILE"] = os.path.join(d, "missing")
                e = self.raises(cruddur.Status.INVALID_ARGUMENT, cruddur.load_token)
                self.assertRegex(e.message, r"cannot read a token from .*/missing "
                                            r"\(\$CRUDDUR_TOKEN_FILE\)")
            finally:
                for k, v in saved.items():
                    os.environ.pop(k, None)
                    if v is not None:
                        os.environ[k] = v


class Tables(unittest.TestCase):
    def test_status_matches_status_h_and_rpc_proto(self):
        header = os.path.join(os.environ["CRUDDUR_SOURCE_DIR"], "client/include/cruddur/status.h")
        with open(header) as f:
            c_names = dict((n, int(v)) for n, v in
                           re.findall(r"CRUDDUR_([A-Z_]+)\s*=\s*(\d+)", f.read()))
        self.assertEqual(c_names, {s.name: s.value for s in cruddur.Status})
        proto = {v.name: v.number for v in rpc_pb2.DESCRIPTOR.enum_types_by_name["StatusCode"].values}
        self.assertEqual(proto, c_names)
        e = cruddur.CruddurError(99, "")
        self.assertEqual((e.code, e.message), (99, "UNKNOWN"))

    def test_every_method(self):
        self.assertEqual(cruddur.REPLY_GRACE_MS, 250)
        calls = os.path.join(os.environ["CRUDDUR_SOURCE_DIR"], "client/src/call.h")
        with open(calls) as f:
            text = f.read()
        for name in ("REPLY_GRACE_MS", "RETRY_ATTEMPTS", "RETRY_BACKOFF_MS"):
            want = int(re.search(r"#define %s (\d+)" % name, text).group(1))
            self.assertEqual(getattr(cruddur, name), want, name)
        m = cruddur.methods["cruddur.v1.Activities/HomeFeed"]
        self.assertTrue(m.idempotent)
        self.assertIs(m.output, activities_pb2.HomeFeedResponse)
        self.assertFalse(cruddur.methods["cruddur.v1.DbAdmin/Drop"].idempotent)
        self.assertTrue(cruddur.methods["cruddur.v1.Users/UpdateProfile"].idempotent)
        for full, svc in cruddur.services.items():
            for name, method in svc.methods.items():
                self.assertTrue(callable(getattr(svc, name)), method)


if __name__ == "__main__":
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
