#!/usr/bin/env python3
"""strict_decode.py - decodes replies as a strict proto3 decoder does.

Usage: strict_decode.py DESCRIPTOR_SET REPLIES

DESCRIPTOR_SET is the build's FileDescriptorSet of proto/ (build/gen/cruddur.desc,
which protoc-c writes at build time); the message classes are made from it, so
no generated Python code is needed. REPLIES holds records written by
tests/support/strict_replies.c, each:

    u32 big-endian length, a body type name ("" for none), u32 length, the reply

Each reply is decoded as cruddur.v1.ResponseEnvelope, and its body, when its status
is OK and a type is named, as that type. python3-protobuf refuses a string field
that is not valid UTF-8 (proto3 requires it), as Go's and Java's decoders do, so
a reply that would break such a client fails here. Runs with whichever
implementation PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION picks (cpp or python).

Prints how many replies were decoded; exits 1 on the first few failures (each
printed with its index and bytes), 2 on bad usage or a bad file.
"""
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.internal import api_implementation


def message_classes(desc_path):
    with open(desc_path, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    factory = message_factory.MessageFactory(pool)
    cache = {}

    def cls(name):
        if name not in cache:
            cache[name] = factory.GetPrototype(pool.FindMessageTypeByName(name))
        return cache[name]

    return cls


def records(data):
    at = 0
    while at < len(data):
        if at + 4 > len(data):
            raise ValueError("truncated record at byte %d" % at)
        (n,) = struct.unpack_from(">I", data, at)
        name = data[at + 4 : at + 4 + n].decode("ascii")
        at += 4 + n
        (n,) = struct.unpack_from(">I", data, at)
        reply = data[at + 4 : at + 4 + n]
        if len(reply) != n:
            raise ValueError("truncated reply at byte %d" % at)
        at += 4 + n
        yield name, reply


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    cls = message_classes(argv[1])
    envelope = cls("cruddur.v1.ResponseEnvelope")
    with open(argv[2], "rb") as f:
        data = f.read()
    count, bodies, failures = 0, 0, []
    try:
        for i, (name, reply) in enumerate(records(data)):
            count += 1
            try:
                env = envelope.FromString(reply)
                if env.status == 0 and name:
                    cls(name).FromString(env.body)
                    bodies += 1
            except Exception as e:  # DecodeError (cpp) or UnicodeDecodeError (python)
                failures.append((i, name, reply, e))
    except ValueError as e:
        print("strict_decode: %s: %s" % (argv[2], e), file=sys.stderr)
        return 2
    for i, name, reply, e in failures[:5]:
        print("strict_decode: reply %d (%s) refused: %s: %s\n  bytes: %r"
              % (i, name or "no body", type(e).__name__, e, reply[:200]), file=sys.stderr)
    print("strict_decode (%s): %d replies, %d bodies, %d refused"
          % (api_implementation.Type(), count, bodies, len(failures)))
    return 1 if failures or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
