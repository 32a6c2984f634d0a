"""cruddur.client - a cruddurd client in Python: the call of libcruddur (client/src/client.c,
call.c) over cruddur.wire, with the same deadline, metadata, token and retry rules.

A call packs the request into a RequestEnvelope (method, request_id, deadline_ms, metadata,
body: docs/PROTOCOL.md), sends it on the client's one connection and reads the
ResponseEnvelope. Every status but OK raises CruddurError.

  deadline  one for the whole call (default the client's deadline_ms, 10000 as libcruddur's
            CRUDDUR_DEFAULT_DEADLINE_MS; at most 24 h):
            waiting for the connection, the send, the receive and every retry. Each attempt
            sends the time really left; the client waits that plus REPLY_GRACE_MS (250, as
            libcruddur's call.h) for the server's DEADLINE_EXCEEDED to travel back, then gives
            up with DEADLINE_EXCEEDED ("no reply from the server in time").
  retries   as call.c's call_retryable and call_retry_backoff: only a call that failed with
            UNAVAILABLE, only when its method is NO_SIDE_EFFECTS or IDEMPOTENT in its .proto or
            its request carries an idempotency_key, at most 2 more times, after 50 ms then
            100 ms, only while the deadline leaves more than the pause, never once closing.
            A reply with not_run (UNAVAILABLE from a server that refused the request before
            any of it ran: it is shutting down) is sent again whatever the method, up to
            NOT_RUN_ATTEMPTS (8) times, after NOT_RUN_BACKOFF_MS (20) each, within the
            deadline; those do not count toward the 2. A retry carries the same request_id.
  token     sent as "authorization" metadata, as the CLI does (client/cli/main.c load_token):
            token=, else the first line of token_file=, else of $CRUDDUR_TOKEN_FILE, else
            $CRUDDUR_TOKEN. token="" sends none whatever the environment says.

Threads: a Client may be shared by any number of threads. It has one connection and a lock
held around each attempt (wait for the connection, send, receive): one call is on the wire at
a time and the others wait for the lock within their own deadline (for calls in parallel, one
Client per thread). The pause before a retry is taken outside the lock. close() may be called
from any thread: calls in flight end with CANCELLED.

Ownership: the Client owns its socket; close() (or leaving a `with` block) closes it.
"""
import itertools
import os
import random
import threading
import time

from google.protobuf.message import DecodeError, Message

from . import methods as _methods
from . import wire
from .status import CruddurError, Status
from .v1 import rpc_pb2

__all__ = ["Client", "load_token", "DEFAULT_DEADLINE_MS", "MAX_DEADLINE_MS",
           "MAX_REQUEST_BYTES", "NOT_RUN_ATTEMPTS", "NOT_RUN_BACKOFF_MS", "REPLY_GRACE_MS",
           "RETRY_ATTEMPTS", "RETRY_BACKOFF_MS"]

DEFAULT_DEADLINE_MS = 10000  # CRUDDUR_DEFAULT_DEADLINE_MS (cruddur/client.h)
MAX_DEADLINE_MS = 86400000          # CRUDDUR_MAX_DEADLINE_MS
MAX_REQUEST_BYTES = 1024 * 1024     # CRUDDUR_DEFAULT_MAX_REQUEST_BYTES
MAX_METADATA = 32
REPLY_GRACE_MS = 250                # call.h
RETRY_ATTEMPTS = 2
RETRY_BACKOFF_MS = 50
NOT_RUN_ATTEMPTS = 8                # call.h: retries of requests refused unrun
NOT_RUN_BACKOFF_MS = 20
# nng's redial pace while no connection is up (client.c: RECONNMINT 50 ms, RECONNMAXT 1 s).
_REDIAL_MIN_S, _REDIAL_MAX_S = 0.05, 1.0


def load_token(token=None, token_file=None):
    """The token a Client sends: token when given; else the first line of token_file, else of
    the file $CRUDDUR_TOKEN_FILE names, else $CRUDDUR_TOKEN; "" for none. A file that cannot be
    read raises CruddurError(INVALID_ARGUMENT), as the CLI refuses it."""
    if token is not None:
        return token
    origin = "token_file"
    env_file = os.environ.get("CRUDDUR_TOKEN_FILE", "")
    if token_file is None and env_file:
        token_file, origin = env_file, "$CRUDDUR_TOKEN_FILE"
    if token_file is None:
        return os.environ.get("CRUDDUR_TOKEN", "")
    try:
        with open(token_file, encoding="utf-8") as f:
            line = f.readline(4096)
    except (OSError, UnicodeDecodeError) as e:
        raise CruddurError(Status.INVALID_ARGUMENT, "cannot read a token from %s (%s): %s"
                           % (token_file, origin, e)) from None
    if line == "":
        raise CruddurError(Status.INVALID_ARGUMENT, "cannot read a token from %s (%s)"
                           % (token_file, origin))
    # The CLI cuts at the first CR or LF (strcspn).
    for i, ch in enumerate(line):
        if ch in "\r\n":
            return line[:i]
    return line


def _metadata_pairs(metadata):
    """A dict or an iterable of (key, value) pairs, as a list of pairs."""
    if metadata is None:
        return []
    items = metadata.items() if isinstance(metadata, dict) else metadata
    pairs = []
    for item in items:
        try:
            key, value = item
        except (TypeError, ValueError):
            raise CruddurError(Status.INVALID_ARGUMENT,
                               "metadata entries are (key, value) pairs, not %r" % (item,)) from None
        if not isinstance(key, str) or not isinstance(value, str):
            raise CruddurError(Status.INVALID_ARGUMENT,
                               "metadata keys and values are str: %r" % (item,))
        pairs.append((key, value))
    return pairs


def _request_id_seed():
    # As client.c: distinct across processes in practice; ids are for logs, not keys.
    ns = time.time_ns()
    return (((ns // 1000000000) << 32) ^ (ns % 1000000000) ^ (random.getrandbits(31) << 16)) \
        & 0xFFFFFFFFFFFFFFFF


class Client:
    """A client of one cruddurd: Client("tcp://127.0.0.1:7432") or Client("ipc:///path").

    Its services are attributes (client.activities, client.users, client.db_admin, ...), each
    method a call: client.activities.home_feed(limit=20, deadline_ms=2000) returns a
    HomeFeedResponse. The constructor connects once and raises CruddurError: UNAVAILABLE when
    no server answers there ("cannot reach URL: ..."), INVALID_ARGUMENT for a bad URL or an
    unreadable token file. Later, a call that finds the connection gone dials again and waits
    for it within its deadline.
    """

    def __init__(self, url, token=None, *, token_file=None, deadline_ms=DEFAULT_DEADLINE_MS,
                 metadata=None):
        try:
            wire.parse_url(url)
        except wire.BadURL as e:
            raise CruddurError(Status.INVALID_ARGUMENT, "bad server URL %s: %s" % (url, e)) from None
        self.url = url
        self._deadline_ms = self._check_deadline(deadline_ms, DEFAULT_DEADLINE_MS)
        self._token = load_token(token, token_file)
        self._metadata = _metadata_pairs(metadata)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._conn = None
        self._request_ids = itertools.count(_request_id_seed())
        self._sp_ids = itertools.count(random.getrandbits(31))
        self._services = {}
        for full_name, cls in _methods.services.items():
            stub = cls(self)
            self._services[full_name] = stub
            attr = _methods.snake_case(full_name.rsplit(".", 1)[-1])
            if not hasattr(Client, attr) and attr not in self.__dict__:
                setattr(self, attr, stub)
        until = time.monotonic() + self._deadline_ms / 1000.0
        try:
            self._conn = wire.Connection.dial(url, until)
        except wire.TransportTimeout:
            raise CruddurError(Status.UNAVAILABLE, "cannot reach %s: Timed out" % url) from None
        except wire.TransportError as e:
            raise CruddurError(Status.UNAVAILABLE, "cannot reach %s: %s" % (url, e)) from None

    # ---- lifecycle ------------------------------------------------------------------------

    def close(self):
        """Ends the calls in flight (CANCELLED) and closes the connection; no call may start
        after it. Returns once the call on the wire has ended (at once, but for one still
        connecting, which ends by its own deadline)."""
        self._closing.set()
        conn = self._conn
        if conn is not None:
            conn.shutdown()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<cruddur.Client %s%s>" % (self.url, " closed" if self._closing.is_set() else "")

    def service(self, full_name):
        """The typed methods of service full_name ("cruddur.v1.Activities")."""
        try:
            return self._services[full_name]
        except KeyError:
            raise CruddurError(Status.UNIMPLEMENTED, "no service %s in this client's descriptors"
                               % full_name) from None

    # ---- calls ----------------------------------------------------------------------------

    def call(self, method, request=None, /, *, deadline_ms=None, metadata=None, **fields):
        """Calls method (a cruddur.Method, or its full name "cruddur.v1.Activities/HomeFeed")
        with request (a message of its input type) or with the request's fields as keyword
        arguments, and returns the response message. deadline_ms (0 or None: the client's)
        and metadata (a dict or (key, value) pairs, sent after the client's) are this call's."""
        m = method if isinstance(method, _methods.Method) else _methods.methods.get(method)
        if m is None:
            raise CruddurError(Status.UNIMPLEMENTED, "no method %s in this client's descriptors "
                               "(call_raw sends any name)" % (method,))
        req = self._request(m, request, fields)
        body = self._call(m.full_name, req.SerializeToString(), deadline_ms, metadata,
                          m.retryable(req))
        resp = m.output()
        try:
            resp.ParseFromString(body)
        except DecodeError:
            raise CruddurError(Status.INTERNAL, "the server's reply is not a %s"
                               % m.output.DESCRIPTOR.name) from None
        return resp

    def call_raw(self, method, body=b"", /, *, deadline_ms=None, metadata=None, retryable=False):
        """Sends body (encoded bytes) as a call of method (any full name, known here or not)
        and returns the encoded response. retryable says whether it may be sent twice."""
        if not isinstance(method, str):
            raise CruddurError(Status.INVALID_ARGUMENT, "the method is a full name (str)")
        return self._call(method, bytes(body), deadline_ms, metadata, bool(retryable))

    @staticmethod
    def _request(m, request, fields):
        want = m.input.DESCRIPTOR.full_name
        if request is None:
            try:
                return m.input(**fields)
            except (TypeError, ValueError) as e:
                raise CruddurError(Status.INVALID_ARGUMENT, "%s: %s" % (want, e)) from None
        if fields:
            raise CruddurError(Status.INVALID_ARGUMENT, "%s takes a request or its fields, not "
                               "both" % m.full_name)
        if not isinstance(request, Message) or request.DESCRIPTOR.full_name != want:
            got = request.DESCRIPTOR.name if isinstance(request, Message) else type(request).__name__
            raise CruddurError(Status.INVALID_ARGUMENT, "%s takes %s, not %s"
                               % (m.full_name, m.input.DESCRIPTOR.name, got))
        return request

    @staticmethod
    def _check_deadline(ms, default):
        """call_deadline_ms: 0 or None is the default; at most MAX_DEADLINE_MS."""
        if ms is None or ms == 0:
            return default
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 0:
            raise CruddurError(Status.INVALID_ARGUMENT, "deadline_ms is a number of "
                               "milliseconds, not %r" % (ms,))
        return min(ms, MAX_DEADLINE_MS)

    def _call_metadata(self, metadata):
        extra = _metadata_pairs(metadata)
        pairs = []
        # The call's own "authorization" wins over the client's token.
        if self._token and not any(k == "authorization" for k, _ in extra):
            pairs.append(("authorization", self._token))
        pairs += self._metadata + extra
        if len(pairs) > MAX_METADATA:
            raise CruddurError(Status.INVALID_ARGUMENT, "at most %d metadata entries"
                               % MAX_METADATA)
        return pairs

    def _call(self, method, body, deadline_ms, metadata, retryable):
        """call_attempts: the attempts of one call; the reply's body, or CruddurError."""
        request_id = next(self._request_ids) & 0xFFFFFFFFFFFFFFFF
        if self._closing.is_set():
            raise CruddurError(Status.CANCELLED, "the client is closing", request_id)
        deadline = self._check_deadline(deadline_ms, self._deadline_ms)
        pairs = self._call_metadata(metadata)
        end = time.monotonic() + deadline / 1000.0
        retries = {"attempts": 0, "not_run": 0}
        while True:
            env = rpc_pb2.RequestEnvelope(method=method, request_id=request_id,
                                          deadline_ms=_left_ms(end), body=body)
            for key, value in pairs:
                env.metadata.add(key=key, value=value)
            data = env.SerializeToString()
            if len(data) > MAX_REQUEST_BYTES:
                raise CruddurError(Status.RESOURCE_EXHAUSTED, "request of %d bytes exceeds the "
                                   "limit of %d bytes" % (len(data), MAX_REQUEST_BYTES),
                                   request_id)
            try:
                return _read_reply(self._exchange(data, end, request_id), request_id)
            except CruddurError as e:
                backoff = self._retry_backoff(retryable, e, retries, end)
                if backoff < 0:
                    raise
            # Outside the lock; close() cuts it short.
            self._closing.wait(backoff)
        raise AssertionError("unreachable")

    def _retry_backoff(self, retryable, e, retries, end):
        """call_retry_backoff: seconds to wait before the next attempt (counted in retries),
        or -1. A request the server refused unrun goes again on a budget of its own."""
        left = end - time.monotonic()
        if e.code != Status.UNAVAILABLE or self._closing.is_set():
            return -1
        if e.not_run:
            backoff = NOT_RUN_BACKOFF_MS / 1000.0
            if retries["not_run"] >= NOT_RUN_ATTEMPTS or left <= backoff:
                return -1
            retries["not_run"] += 1
            return backoff
        backoff = (RETRY_BACKOFF_MS << retries["attempts"]) / 1000.0
        if not retryable or retries["attempts"] >= RETRY_ATTEMPTS or left <= backoff:
            return -1
        retries["attempts"] += 1
        return backoff

    def _exchange(self, data, end, request_id):
        """One attempt: the connection, the send, the receive; the reply's bytes."""
        until = end + REPLY_GRACE_MS / 1000.0

        def fail(code, message):
            return CruddurError(code, message, request_id)

        if not self._lock.acquire(timeout=max(0.0, until - time.monotonic())):
            raise fail(Status.DEADLINE_EXCEEDED, "no reply from the server in time "
                       "(the client's other calls held its connection)")
        try:
            conn = self._connection(until, fail)
            sp_id = (next(self._sp_ids) & 0x7FFFFFFF) | 0x80000000
            sent = False
            try:
                conn.send_request(sp_id, data, until)
                sent = True
                return conn.recv_reply(sp_id, until)
            except wire.TransportTimeout:
                # A send cut short left half a frame on the wire; a receive cut short keeps
                # its bytes buffered, and the late reply is skipped by its id.
                if not sent:
                    self._drop(conn)
                if self._closing.is_set():
                    raise fail(Status.CANCELLED, "the client was closed") from None
                raise fail(Status.DEADLINE_EXCEEDED, "no reply from the server in time") from None
            except wire.TransportError as e:
                self._drop(conn)
                if self._closing.is_set():
                    raise fail(Status.CANCELLED, "the client was closed") from None
                raise fail(Status.UNAVAILABLE, "transport: %s" % e) from None
        finally:
            self._lock.release()

    def _drop(self, conn):
        conn.close()
        if self._conn is conn:
            self._conn = None

    def _connection(self, until, fail):
        """The live connection, dialing again (at nng's redial pace) while none is up; a
        request that has not gone out waits for one within the deadline. Under the lock."""
        if self._closing.is_set():
            raise fail(Status.CANCELLED, "the client was closed")
        if self._conn is not None and self._conn.alive():
            return self._conn
        if self._conn is not None:
            self._drop(self._conn)
        pause, why = _REDIAL_MIN_S, None
        while True:
            try:
                self._conn = wire.Connection.dial(self.url, until)
                return self._conn
            except wire.TransportTimeout:
                # A dial the deadline cut short says less than the refusal before it.
                why = why or "connecting timed out"
            except wire.TransportError as e:
                why = str(e)
            left = until - time.monotonic()
            if left <= 0:
                raise fail(Status.DEADLINE_EXCEEDED, "no reply from the server in time "
                           "(cannot reach %s: %s)" % (self.url, why))
            if self._closing.wait(min(pause, left)):
                raise fail(Status.CANCELLED, "the client was closed")
            pause = min(pause * 2, _REDIAL_MAX_S)


def _left_ms(end):
    """call_left_ms: the deadline an attempt carries (>= 1)."""
    return max(1, int((end - time.monotonic()) * 1000))


def _read_reply(data, request_id):
    """call_read_reply: the body of an OK ResponseEnvelope, else CruddurError."""
    env = rpc_pb2.ResponseEnvelope()
    try:
        env.ParseFromString(data)
    except DecodeError:
        raise CruddurError(Status.INTERNAL, "the server's reply is not a ResponseEnvelope",
                           request_id) from None
    if env.status != Status.OK:
        # Only a refusal says nothing ran.
        raise CruddurError(env.status, env.message, request_id,
                           not_run=env.not_run and env.status == Status.UNAVAILABLE)
    if env.request_id != request_id:
        raise CruddurError(Status.INTERNAL, "reply for request %d, expected %d"
                           % (env.request_id, request_id), request_id)
    return env.body

