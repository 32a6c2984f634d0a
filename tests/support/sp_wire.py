#!/usr/bin/env python3
"""sp_wire.py - a cruddur client in the Python standard library alone: nng's SP
framing over tcp://, ipc:// and tls+tcp:// spoken raw on a socket, as docs/PROTOCOL.md ("The
wire, byte by byte") describes it, and the envelope encoded by hand. For tls+tcp:// the CA is
$CRUDDUR_TLS_CA_FILE, as for the cruddur CLI, and the name verified is the URL's host.

It exists to check that document against the real server (tests/e2e/wire_framing_test.sh)
and to seed the Python client: nothing here comes from nng or from protobuf's runtime.

    sp_wire.py call URL METHOD [BODY_HEX] [--out FILE] [--deadline-ms MS]
        one call; prints "STATUS_NUMBER STATUS_NAME message" and writes the reply's body
        to FILE (else its hex on a second line); exit 0 whatever the status, 1 when the
        transport failed
    sp_wire.py probe URL CASE
        one of the misbehaviours below, printing what the server did; exit 0 when the
        server did what PROTOCOL.md says, 1 otherwise (with why on stderr)

The cases: handshake (the server's 8 bytes), bad-magic, wrong-protocol, ipc-bad-type,
short-message, unended, no-end-bit, backtrace, pipelined, oversize LEN, silent.
"""
import os
import socket
import ssl
import struct
import sys
import time

# The SP header each side sends first: 0x00 'S' 'P' 0x00, the sender's protocol id as a
# 16-bit big-endian number, two bytes 0x00. REQ0 is 48 (0x30), REP0 49 (0x31).
PROTO_REQ0 = 48
PROTO_REP0 = 49


def sp_header(proto):
    return b"\x00SP\x00" + struct.pack(">H", proto) + b"\x00\x00"


STATUS_NAMES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
]


class Closed(Exception):
    """The server closed the connection."""


class Connection:
    """One SP connection to a REP socket, as an nng REQ0 peer (dialer) makes it."""

    def __init__(self, url, timeout=10.0, proto=PROTO_REQ0, handshake=True):
        if url.startswith("tcp://") or url.startswith("tls+tcp://"):
            host, _, port = url.split("://", 1)[1].rpartition(":")
            host = host.strip("[]")
            self.ipc = False
            self.sock = socket.create_connection((host, int(port)), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if url.startswith("tls+tcp://"):
                # The same framing, inside the TLS session.
                ctx = ssl.create_default_context(cafile=os.environ.get("CRUDDUR_TLS_CA_FILE"))
                self.sock = ctx.wrap_socket(self.sock, server_hostname=host)
        elif url.startswith("ipc://"):
            self.ipc = True
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(url[len("ipc://"):])
        else:
            raise ValueError("not a tcp://, ipc:// or tls+tcp:// URL: " + url)
        self.peer_header = None
        if handshake:
            self.sock.sendall(sp_header(proto))
            self.peer_header = self.read_exactly(8)

    def close(self):
        self.sock.close()

    def read_exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise Closed("connection closed after %d of %d bytes" % (len(data), n))
            data += chunk
        return data

    def send_message(self, payload):
        """One SP message: the REQ header (request id) and body, already joined. Over tcp
        a 64-bit big-endian length comes first; over ipc a byte 0x01 before it."""
        frame = struct.pack(">Q", len(payload)) + payload
        self.sock.sendall((b"\x01" + frame) if self.ipc else frame)

    def recv_message(self):
        if self.ipc:
            kind = self.read_exactly(1)
            if kind != b"\x01":
                raise ValueError("ipc message type %r, want 0x01" % kind)
        (length,) = struct.unpack(">Q", self.read_exactly(8))
        return self.read_exactly(length)

    def request(self, request_id, body):
        """Sends body under an SP request id (the top bit set, as nng's REQ0 does)."""
        self.send_message(struct.pack(">I", request_id) + body)

    def reply(self):
        """(request id, body) of the next reply: REP0 echoes the request's id first."""
        msg = self.recv_message()
        if len(msg) < 4:
            raise ValueError("reply of %d bytes has no request id" % len(msg))
        return struct.unpack(">I", msg[:4])[0], msg[4:]


# --- protobuf, the few wire types the envelope needs ---------------------------------

def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(number, v):
    return varint(number << 3) + varint(v) if v else b""


def field_bytes(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data if data else b""


def parse_fields(data):
    """{field number: [values]} of varint (int) and length-delimited (bytes) fields."""
    fields, at = {}, 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = read_varint(data, at)
        elif wire == 2:
            n, at = read_varint(data, at)
            value, at = data[at:at + n], at + n
        elif wire == 1:
            value, at = data[at:at + 8], at + 8
        elif wire == 5:
            value, at = data[at:at + 4], at + 4
        else:
            raise ValueError("wire type %d at byte %d" % (wire, at))
        fields.setdefault(number, []).append(value)
    return fields


def read_varint(data, at):
    v, shift = 0, 0
    while True:
        if at >= len(data):
            raise ValueError("truncated varint")
        b = data[at]
        at += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, at


def request_envelope(method, request_id, deadline_ms, body, metadata=()):
    """cruddur.v1.RequestEnvelope (proto/cruddur/v1/rpc.proto)."""
    out = field_bytes(1, method.encode()) + field_varint(2, request_id) + field_varint(3, deadline_ms)
    for key, value in metadata:
        out += field_bytes(4, field_bytes(1, key.encode()) + field_bytes(2, value.encode()))
    return out + field_bytes(5, body)


def response_envelope(data):
    """(request_id, status, message, body) of a cruddur.v1.ResponseEnvelope."""
    f = parse_fields(data)
    return (f.get(1, [0])[-1], f.get(2, [0])[-1], f.get(3, [b""])[-1].decode(),
            f.get(4, [b""])[-1])


# --- the two commands ------------------------------------------------------------------

SP_ID = 0x80000001  # any 32-bit id with the top bit set


def call(url, method, body, deadline_ms=5000, sp_id=SP_ID, request_id=42):
    conn = Connection(url)
    try:
        conn.request(sp_id, request_envelope(method, request_id, deadline_ms, body))
        got_id, reply = conn.reply()
    finally:
        conn.close()
    if got_id != sp_id:
        raise ValueError("reply to SP id %#x, want %#x" % (got_id, sp_id))
    rid, status, message, rbody = response_envelope(reply)
    if rid not in (0, request_id):
        raise ValueError("reply for request_id %d, want %d" % (rid, request_id))
    return status, message, rbody


def health_check_body(service=""):
    return field_bytes(1, service.encode())


def expect_closed(conn, what):
    """True when the server closes conn without a reply within its timeout."""
    try:
        data = conn.sock.recv(1)
    except socket.timeout:
        print("%s: still open" % what)
        return False
    except (ConnectionResetError, ssl.SSLError):
        data = b""
    print("%s: %s" % (what, "closed" if not data else "sent %r" % data))
    return not data


def probe(url, case, arg=None):
    health = request_envelope("cruddur.v1.Health/Check", 7, 5000, health_check_body("cruddur.v1.Health"))
    if case == "handshake":
        conn = Connection(url)
        print("server header: " + conn.peer_header.hex())
        ok = conn.peer_header == sp_header(PROTO_REP0)
        conn.close()
        return ok
    if case in ("bad-magic", "wrong-protocol"):
        conn = Connection(url, handshake=False)
        # The server sends its header at once, before it has read ours.
        print("server header: " + conn.read_exactly(8).hex())
        conn.sock.sendall(b"\x00SQ\x00\x00\x30\x00\x00" if case == "bad-magic" else sp_header(PROTO_REP0))
        return expect_closed(conn, case)
    if case == "silent":
        conn = Connection(url, handshake=False, timeout=30)
        start = time.monotonic()
        conn.read_exactly(8)
        closed = expect_closed(conn, "no header sent")
        waited = time.monotonic() - start
        print("closed after %.1f s" % waited)
        return closed and 9 <= waited <= 15
    conn = Connection(url, timeout=3)
    if case == "ipc-bad-type":
        payload = struct.pack(">I", SP_ID) + health
        conn.sock.sendall(b"\x02" + struct.pack(">Q", len(payload)) + payload)
        return expect_closed(conn, case)
    if case == "short-message":
        conn.send_message(b"\x80\x00")  # shorter than a request id
        return expect_closed(conn, case)
    if case == "unended":
        conn.send_message(b"\x00\x00\x00\x01" * 2)  # no word with the top bit
        return expect_closed(conn, case)
    if case == "oversize":
        # Only the length: nng compares it with its limit before reading on.
        length = int(arg)
        conn.sock.sendall((b"\x01" if conn.ipc else b"") + struct.pack(">Q", length))
        return expect_closed(conn, "length %d" % length)
    if case == "no-end-bit":
        # Words without the top bit are taken for hops of a device's backtrace; a header of
        # 9 words is one too many: the message is dropped, with no reply, and the connection
        # stays usable.
        conn.send_message(b"\x00\x00\x00\x01" * 8 + struct.pack(">I", SP_ID) + health)
        try:
            conn.reply()
            print("no-end-bit: a reply came")
            return False
        except socket.timeout:
            print("no-end-bit: no reply")
        conn.sock.settimeout(10)
        conn.request(SP_ID + 1, health)
        got, reply = conn.reply()
        status = response_envelope(reply)[1]
        print("then: reply to %#x, status %d" % (got, status))
        return got == SP_ID + 1 and status == 0
    if case == "backtrace":
        # A device (nng's raw REQ) puts its own hop words before the request id; REP
        # echoes the whole backtrace, in order, before the reply's body: up to 8 words.
        conn.sock.settimeout(10)
        header = b"".join(struct.pack(">I", hop) for hop in range(1, 8)) + struct.pack(">I", SP_ID)
        conn.send_message(header + health)
        msg = conn.recv_message()
        print("reply header: " + msg[:len(header)].hex())
        return msg[:len(header)] == header and response_envelope(msg[len(header):])[1] == 0
    if case == "pipelined":
        # Several requests on one connection before any reply: each reply carries its own id.
        conn.sock.settimeout(10)
        ids = [0x80000000 | (0x1234 + i) for i in range(4)]
        for i in ids:
            conn.request(i, health)
        got = sorted(conn.reply()[0] for _ in ids)
        print("replies to: " + " ".join("%#x" % i for i in got))
        return got == ids
    raise ValueError("unknown case " + case)


def main(argv):
    if len(argv) >= 3 and argv[0] == "call":
        args, out, deadline = [], None, 5000
        it = iter(argv[1:])
        for a in it:
            if a == "--out":
                out = next(it)
            elif a == "--deadline-ms":
                deadline = int(next(it))
            else:
                args.append(a)
        url, method = args[0], args[1]
        body = bytes.fromhex(args[2]) if len(args) > 2 else b""
        try:
            status, message, rbody = call(url, method, body, deadline)
        except (OSError, Closed, ValueError) as e:
            print("sp_wire.py: %s: %s" % (url, e), file=sys.stderr)
            return 1
        name = STATUS_NAMES[status] if status < len(STATUS_NAMES) else "?"
        print("%d %s %s" % (status, name, message))
        if out is not None:
            with open(out, "wb") as f:
                f.write(rbody)
        else:
            print(rbody.hex())
        return 0
    if len(argv) in (3, 4) and argv[0] == "probe":
        try:
            return 0 if probe(argv[1], argv[2], argv[3] if len(argv) == 4 else None) else 1
        except (OSError, Closed, ValueError) as e:
            print("sp_wire.py: probe %s: %s" % (argv[2], e), file=sys.stderr)
            return 1
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
