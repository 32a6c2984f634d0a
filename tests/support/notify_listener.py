#!/usr/bin/env python3
"""tests/support/notify_listener.py - a stand-in for systemd's notification socket.

    notify_listener.py ADDRESS OUT_FILE READY_FILE

Binds a unix datagram socket at ADDRESS (a path, or @name for the abstract namespace, as
$NOTIFY_SOCKET names them), writes READY_FILE once bound, then appends every datagram it
receives to OUT_FILE as one JSON string a line (flushed at once), so a test reads
"READY=1\nSTATUS=serving" as the service manager would. Ends on SIGTERM, or after 120 s.
"""

import json
import os
import signal
import socket
import sys


def main():
    addr, out_path, ready_path = sys.argv[1:4]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    # Python takes a leading NUL as the abstract namespace.
    sock.bind("\0" + addr[1:] if addr.startswith("@") else addr)
    sock.settimeout(120)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(ready_path + ".tmp", "w", encoding="utf-8") as f:
        f.write("bound\n")
    os.replace(ready_path + ".tmp", ready_path)
    with open(out_path, "a", encoding="utf-8") as out:
        while True:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                return 0
            out.write(json.dumps(data.decode("utf-8", "replace")) + "\n")
            out.flush()


if __name__ == "__main__":
    sys.exit(main())
