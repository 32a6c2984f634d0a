"""cruddur.wire - nng's SP framing as nng 1.5.2 speaks it, on a plain socket: one REQ0 pipe.

What goes over a connection (docs/PROTOCOL.md; nng's src/sp/transport/tcp/tcp.c,
src/sp/transport/ipc/ipc.c and src/sp/protocol/reqrep0/req.c):

  handshake  each side sends 8 bytes at once: 0x00 'S' 'P' 0x00, its protocol id as a
             big-endian 16-bit number (REQ0 0x30 = 48: us; REP0 0x31 = 49: the server), then
             two zero bytes. A peer whose 8 bytes are anything else is refused.
  message    tcp:// a 64-bit big-endian length, then that many bytes.
             ipc:// one byte 0x01 (the message type), then the 64-bit length and the bytes.
  request    the bytes are a 32-bit big-endian request id with its top bit set, then the body
             (our encoded RequestEnvelope); the length counts the id.
  reply      the same id first, then the ResponseEnvelope. A reply with another id answers a
             request we gave up on (its deadline passed): REQ drops it, and so do we.

A Connection is one socket, used by one thread at a time (the Client's lock): nothing here
locks. Reads go through a buffer, so that a receive cut short by its deadline leaves the bytes
of a half-read frame for the next one and the stream never loses its place. Every wait ends at
an absolute time.monotonic() deadline. Failures raise TransportError (the connection is dead:
UNAVAILABLE), TransportTimeout (the deadline came first) or BadURL.
"""
import socket
import struct
import time

__all__ = ["BadURL", "TransportError", "TransportTimeout", "Connection", "parse_url",
           "REQ0", "REP0", "MAX_REPLY_BYTES"]

REQ0 = 0x30
REP0 = 0x31
# libcruddur's NNG_OPT_RECVMAXSZ: replies are bounded by the server; this only stops a rogue peer.
MAX_REPLY_BYTES = 64 * 1024 * 1024
IPC_MSG_TYPE = 0x01

_READ_CHUNK = 256 * 1024


class BadURL(ValueError):
    """A URL this client cannot dial (INVALID_ARGUMENT)."""


class TransportError(Exception):
    """The connection failed or was refused (UNAVAILABLE); it cannot be used again."""


class TransportTimeout(Exception):
    """The deadline passed first (DEADLINE_EXCEEDED)."""


def handshake(proto):
    """The 8 bytes an SP peer of protocol proto sends first."""
    return b"\x00SP\x00" + struct.pack(">H", proto) + b"\x00\x00"


def parse_url(url):
    """(family, address, ipc) for an nng URL: tcp://HOST:PORT (tcp4://, tcp6:// too; HOST may be
    [v6]) or ipc://PATH. Raises BadURL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise BadURL("not a URL")
    if scheme == "ipc":
        if not rest:
            raise BadURL("no socket path")
        return socket.AF_UNIX, rest, True
    if scheme in ("tcp", "tcp4", "tcp6"):
        host, sep, port = rest.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise BadURL("no port")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if not host or "/" in host:
            raise BadURL("no host")
        family = {"tcp": socket.AF_UNSPEC, "tcp4": socket.AF_INET, "tcp6": socket.AF_INET6}
        return family[scheme], (host, int(port)), False
    if scheme.startswith("tls+"):
        raise BadURL("the Python client speaks tcp:// and ipc://, not %s://" % scheme)
    raise BadURL("unknown scheme %s://" % scheme)


def _left(until):
    left = until - time.monotonic()
    if left <= 0:
        raise TransportTimeout()
    return left


def _oserror_text(e):
    return e.strerror or str(e) or type(e).__name__


def _connect_socket(family, address, until):
    """A connected stream socket (TCP_NODELAY, as nng sets it) or TransportError."""
    if family == socket.AF_UNIX:
        candidates = [(socket.AF_UNIX, address)]
    else:
        try:
            infos = socket.getaddrinfo(address[0], address[1], family, socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise TransportError(_oserror_text(e)) from None
        candidates = [(info[0], info[4]) for info in infos]
    last = None
    for fam, addr in candidates:
        sock = socket.socket(fam, socket.SOCK_STREAM)
        try:
            sock.settimeout(_left(until))
            sock.connect(addr)
            if fam != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except socket.timeout:
            sock.close()
            raise TransportTimeout() from None
        except TransportTimeout:
            sock.close()
            raise
        except OSError as e:
            sock.close()
            last = e
    raise TransportError(_oserror_text(last) if last else "no address")


class Connection:
    """One REQ0 pipe to a REP0 peer. Use from one thread at a time."""

    def __init__(self, sock, ipc):
        self._sock = sock
        self._ipc = ipc
        self._buf = bytearray()
        self._head = 9 if ipc else 8

    @classmethod
    def dial(cls, url, until):
        """Connects to url and exchanges the handshake by until. Raises BadURL,
        TransportError (refused, or the peer is not an SP REP0 peer) or TransportTimeout."""
        family, address, ipc = parse_url(url)
        conn = cls(_connect_socket(family, address, until), ipc)
        try:
            conn._send_all(handshake(REQ0), until)
            peer = conn._take(8, until)
        except BaseException:
            conn.close()
            raise
        if peer[:4] != b"\x00SP\x00" or peer[6:] != b"\x00\x00":
            conn.close()
            raise TransportError("Protocol error: the peer is not an SP peer")
        proto = struct.unpack(">H", peer[4:6])[0]
        if proto != REP0:
            conn.close()
            raise TransportError("Protocol error: the peer speaks SP protocol %d, not REP0 (%d)"
                                 % (proto, REP0))
        return conn

    def close(self):
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def shutdown(self):
        """Wakes a thread blocked on this connection (it sees the connection end); safe from
        another thread, unlike close."""
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def alive(self):
        """False when the peer has closed or reset the connection: a request must not be sent
        on it. True does not promise the next send works, only that nothing says it will not."""
        sock = self._sock
        if sock is None:
            return False
        try:
            sock.settimeout(0)
            return sock.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            return True
        except OSError:
            return False

    def send_request(self, sp_id, body, until):
        """Sends one request: sp_id (top bit set) and body. A send cut short leaves a partial
        frame on the wire: the caller must close the connection after any exception."""
        payload_len = 4 + len(body)
        if self._ipc:
            head = struct.pack(">BQI", IPC_MSG_TYPE, payload_len, sp_id)
        else:
            head = struct.pack(">QI", payload_len, sp_id)
        self._send_all(head + body, until)

    def recv_reply(self, sp_id, until):
        """The body of the reply to request sp_id, skipping replies to earlier requests."""
        while True:
            payload = self._recv_frame(until)
            if len(payload) < 4:
                raise TransportError("Protocol error: a reply without a request id")
            # As req0: a reply of a request no one waits for is dropped, whatever its id.
            if struct.unpack(">I", payload[:4])[0] == sp_id:
                return payload[4:]

    def _recv_frame(self, until):
        head = self._peek(self._head, until)
        if self._ipc:
            if head[0] != IPC_MSG_TYPE:
                raise TransportError("Protocol error: ipc message type %d" % head[0])
            length = struct.unpack(">Q", head[1:9])[0]
        else:
            length = struct.unpack(">Q", head)[0]
        if length > MAX_REPLY_BYTES:
            raise TransportError("Message too large: a reply of %d bytes" % length)
        frame = self._take(self._head + int(length), until)
        return frame[self._head:]

    def _send_all(self, data, until):
        sock = self._sock
        if sock is None:
            raise TransportError("Object closed")
        try:
            # The timeout bounds the whole sendall (Python 3.5 and later); MSG_NOSIGNAL keeps
            # a peer gone from raising SIGPIPE in a program that does not ignore it.
            sock.settimeout(_left(until))
            sock.sendall(data, socket.MSG_NOSIGNAL)
        except socket.timeout:
            raise TransportTimeout() from None
        except OSError as e:
            raise TransportError(_oserror_text(e)) from None

    def _fill(self, n, until):
        """Reads until the buffer holds n bytes; what was read stays buffered on any failure."""
        sock = self._sock
        while len(self._buf) < n:
            if sock is None:
                raise TransportError("Object closed")
            try:
                sock.settimeout(_left(until))
                data = sock.recv(max(_READ_CHUNK, n - len(self._buf)))
            except socket.timeout:
                raise TransportTimeout() from None
            except OSError as e:
                raise TransportError(_oserror_text(e)) from None
            if not data:
                raise TransportError("Connection reset: the peer closed the connection")
            self._buf += data

    def _peek(self, n, until):
        self._fill(n, until)
        return bytes(self._buf[:n])

    def _take(self, n, until):
        self._fill(n, until)
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

