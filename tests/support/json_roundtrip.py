#!/usr/bin/env python3
"""json_roundtrip.py - cruddur's JSON against python3-protobuf's json_format.

Usage:
  json_roundtrip.py DESCRIPTOR_SET requests IN OUT_DIR
  json_roundtrip.py DESCRIPTOR_SET check JSON_ECHO MANIFEST

DESCRIPTOR_SET is the build's FileDescriptorSet (build/gen/cruddur.desc); the
message classes are made from it (strict_decode.py's message_classes).

requests: IN has lines "NAME TYPE JSON" (TYPE in cruddur.v1 unless it has a
package; JSON in proto names, written by hand); each is read with json_format.Parse into TYPE and written back by
json_format.MessageToJson with every default (lowerCamelCase names, as
json_format prints by default) to OUT_DIR/NAME.json, for `cruddur call` to
read: what a Python program would send.

check: MANIFEST has lines "KIND TYPE FILE [SAME_AS_FILE]". KIND "out": FILE is
JSON that cruddur printed (a --json command, `cruddur call`); "in": a request
that `requests` wrote for `cruddur call`. Each must
  1. parse with json_format.Parse into TYPE (unknown fields refused);
  2. (out) be in canonical form: every field there but unset oneof members,
     under its .proto name, 64-bit integers as strings, enums by name;
  3. read back through cruddur_json_parse (JSON_ECHO TYPE, which packs what
     it read) to the same message, both as the file has it and as
     json_format.MessageToJson prints the message, with every default,
     under lowerCamelCase names and under the proto names;
  4. when SAME_AS_FILE is given, be the same message as that file's.
Prints one line per failure and a count; exits 1 on any failure.
"""
import json
import os
import subprocess
import sys

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from strict_decode import message_classes  # noqa: E402

INT64 = {F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_SINT64, F.TYPE_FIXED64, F.TYPE_SFIXED64}
INT32 = {F.TYPE_INT32, F.TYPE_UINT32, F.TYPE_SINT32, F.TYPE_FIXED32, F.TYPE_SFIXED32}


def to_json(msg, **kw):
    """MessageToJson with every default; the keyword changed name in protobuf 5.26."""
    try:
        return json_format.MessageToJson(msg, including_default_value_fields=True, **kw)
    except TypeError:
        return json_format.MessageToJson(msg, always_print_fields_with_no_presence=True, **kw)


def canonical_problems(obj, d, path):
    if not isinstance(obj, dict):
        return ["%s: not an object" % (path or "(top)")]
    problems = []
    names = {f.name for f in d.fields}
    problems += ["%s: key %r is not a .proto field name" % (path or "(top)", k)
                 for k in obj if k not in names]
    for f in d.fields:
        p = path + "." + f.name if path else f.name
        if f.name not in obj:
            if f.containing_oneof is None:
                problems.append("%s: missing (every default is printed)" % p)
            continue
        v = obj[f.name]
        if f.label == F.LABEL_REPEATED:
            if not isinstance(v, list):
                problems.append("%s: not an array" % p)
                continue
            for i, e in enumerate(v):
                problems += value_problems(e, f, "%s[%d]" % (p, i))
        else:
            problems += value_problems(v, f, p)
    return problems


def value_problems(v, f, p):
    if f.type == F.TYPE_MESSAGE:
        return [] if v is None else canonical_problems(v, f.message_type, p)
    if f.type in INT64:
        ok = isinstance(v, str)
    elif f.type in INT32:
        ok = isinstance(v, int) and not isinstance(v, bool)
    elif f.type == F.TYPE_ENUM:
        ok = isinstance(v, str) and v in f.enum_type.values_by_name
    elif f.type == F.TYPE_BOOL:
        ok = isinstance(v, bool)
    elif f.type in (F.TYPE_STRING, F.TYPE_BYTES):
        ok = isinstance(v, str)
    else:  # float, double
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) or v in ("NaN", "Infinity", "-Infinity")
    return [] if ok else ["%s: %r is not canonical for %s" % (p, v, f.type)]


def echo(json_echo, type_name, text, cls):
    r = subprocess.run([json_echo, type_name], input=text.encode("utf-8"), capture_output=True)
    if r.returncode != 0:
        raise ValueError("cruddur_json_parse refused it: %s" % r.stderr.decode(errors="replace").strip())
    return cls(type_name).FromString(r.stdout)


def check(cls, json_echo, manifest):
    failures, count, parsed = [], 0, {}
    for line in open(manifest, encoding="utf-8"):
        words = line.split()
        if not words:
            continue
        kind, type_name, path = words[0], words[1], words[2]
        count += 1
        where = "%s (%s)" % (os.path.basename(path), type_name)
        try:
            text = open(path, encoding="utf-8").read()
            msg = json_format.Parse(text, cls(type_name)())
            parsed[path] = msg
            problems = canonical_problems(json.loads(text), msg.DESCRIPTOR, "") if kind == "out" else []
            if problems:
                raise ValueError("not canonical: " + "; ".join(problems[:5]))
            for how, again in (("as the file has it", text),
                               ("from MessageToJson", to_json(msg)),
                               ("from MessageToJson, proto names",
                                to_json(msg, preserving_proto_field_name=True))):
                back = echo(json_echo, type_name, again, cls)
                if back != msg:
                    raise ValueError("%s, cruddur_json_parse read another message:\n%s\nwant\n%s"
                                     % (how, back, msg))
            if len(words) > 3 and parsed.get(words[3]) != msg:
                raise ValueError("not the same message as %s" % os.path.basename(words[3]))
        except Exception as e:  # ParseError, ValueError, DecodeError
            failures.append("%s: %s: %s" % (where, type(e).__name__, e))
    for f in failures:
        print("json_roundtrip: FAIL %s" % f, file=sys.stderr)
    print("json_roundtrip: %d messages, %d failed" % (count, len(failures)))
    return 1 if failures or count == 0 else 0


def requests(cls, path, out_dir):
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        name, type_name, text = line.strip().split(None, 2)
        if "." not in type_name:
            type_name = "cruddur.v1." + type_name
        msg = json_format.Parse(text, cls(type_name)())
        with open(os.path.join(out_dir, name + ".json"), "w", encoding="utf-8") as f:
            f.write(to_json(msg))
    return 0


def main(argv):
    if len(argv) != 5 or argv[2] not in ("requests", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    cls = message_classes(argv[1])
    if argv[2] == "requests":
        return requests(cls, argv[3], argv[4])
    return check(cls, argv[3], argv[4])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
