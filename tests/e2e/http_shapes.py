#!/usr/bin/env python3
"""tests/e2e/http_shapes.py BODY_FILE KIND [ARGS] - checks that one reply of the /api
routes has backend-flask's shape (docs/HTTP.md, "The app's routes"), for
tests/e2e/http_routes_test.sh. Exit 0 and print what KIND says; exit 1 with the reason.

  rows                      a JSON array of activity rows; prints their uuids
  show UUID N               {"activity": row UUID, "replies": N rows answering UUID}
  user HANDLE COUNT         {"profile": HANDLE's, cruds_count COUNT, "activities": rows};
                            prints their uuids
  row HANDLE [PARENT]       one activity row (a write's reply) by HANDLE, answering PARENT
                            (absent: answering nothing); prints its uuid
  short HANDLE DISPLAY      {"uuid", "handle": HANDLE, "display_name": DISPLAY}
  error HTTP [STATUS NUM]   the gateway's error body {"code", "status", "message"} (of an
                            HTTP HTTP reply), with STATUS and the code NUM when given;
                            prints status
"""
import json
import re
import sys

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ROW = {"uuid", "display_name", "handle", "message", "replies_count", "reposts_count",
       "likes_count", "reply_to_activity_uuid", "expires_at", "created_at"}
PROFILE = {"uuid", "handle", "display_name", "bio", "cognito_user_uuid", "cruds_count",
           "created_at"}


def need(cond, why):
    if not cond:
        sys.exit("http_shapes: " + why)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def row(r):
    need(isinstance(r, dict) and set(r) == ROW, "row keys %s" % sorted(r))
    need(UUID.match(r["uuid"]) is not None, "row uuid %r" % r["uuid"])
    for k in ("display_name", "handle", "message"):
        need(isinstance(r[k], str), "row %s is %r" % (k, r[k]))
    for k in ("replies_count", "reposts_count", "likes_count"):
        need(is_int(r[k]) and r[k] >= 0, "row %s is %r" % (k, r[k]))
    rt = r["reply_to_activity_uuid"]
    need(rt is None or UUID.match(rt) is not None, "row reply_to_activity_uuid %r" % rt)
    need(isinstance(r["created_at"], str) and ISO.match(r["created_at"]),
         "row created_at %r" % r["created_at"])
    ex = r["expires_at"]
    need(ex is None or (isinstance(ex, str) and ISO.match(ex)), "row expires_at %r" % ex)
    return r


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    doc = json.loads(raw.decode("utf-8"))  # strict: invalid UTF-8 fails here
    kind, args = sys.argv[2], sys.argv[3:]
    if kind == "rows":
        need(isinstance(doc, list), "not an array")
        for r in doc:
            row(r)
            need(r["reply_to_activity_uuid"] is None, "a reply in the home feed")
        times = [r["created_at"] for r in doc]
        need(times == sorted(times, reverse=True), "rows not newest first")
        for r in doc:
            print(r["uuid"])
    elif kind == "show":
        need(isinstance(doc, dict) and set(doc) == {"activity", "replies"}, "keys %s" % sorted(doc))
        need(row(doc["activity"])["uuid"] == args[0], "another activity")
        need(isinstance(doc["replies"], list) and len(doc["replies"]) == int(args[1]),
             "%d replies" % len(doc["replies"]))
        for r in doc["replies"]:
            need(row(r)["reply_to_activity_uuid"] == args[0], "a reply to another")
    elif kind == "user":
        need(isinstance(doc, dict) and set(doc) == {"profile", "activities"}, "keys %s" % sorted(doc))
        p = doc["profile"]
        need(isinstance(p, dict) and set(p) == PROFILE, "profile keys %s" % sorted(p))
        need(p["handle"] == args[0], "profile of %r" % p["handle"])
        need(UUID.match(p["uuid"]) is not None, "profile uuid")
        for k in ("display_name", "bio", "cognito_user_uuid"):
            need(isinstance(p[k], str), "profile %s is %r" % (k, p[k]))
        need(is_int(p["cruds_count"]) and p["cruds_count"] == int(args[1]),
             "cruds_count %r, want %s" % (p["cruds_count"], args[1]))
        need(isinstance(p["created_at"], str) and ISO.match(p["created_at"]), "profile created_at")
        need(isinstance(doc["activities"], list), "activities not an array")
        for r in doc["activities"]:
            need(row(r)["handle"] == args[0], "an activity of %r" % r["handle"])
            print(r["uuid"])
    elif kind == "row":
        r = row(doc)
        need(r["handle"] == args[0], "a row of %r" % r["handle"])
        parent = args[1] if len(args) > 1 else None
        need(r["reply_to_activity_uuid"] == parent,
             "reply_to_activity_uuid %r, want %r" % (r["reply_to_activity_uuid"], parent))
        print(r["uuid"])
    elif kind == "short":
        need(isinstance(doc, dict) and set(doc) == {"uuid", "handle", "display_name"},
             "keys %s" % sorted(doc))
        need(UUID.match(doc["uuid"]) is not None, "uuid")
        need(doc["handle"] == args[0] and doc["display_name"] == args[1],
             "%r %r" % (doc["handle"], doc["display_name"]))
    elif kind == "error":
        need(isinstance(doc, dict) and {"code", "status", "message"} <= set(doc),
             "error keys %s" % sorted(doc))
        need(is_int(doc["code"]) and isinstance(doc["status"], str) and
             isinstance(doc["message"], str) and doc["message"] != "", "error types")
        if len(args) >= 3:
            need(doc["status"] == args[1] and doc["code"] == int(args[2]),
                 "%s %d, want %s %s" % (doc["status"], doc["code"], args[1], args[2]))
        print(doc["status"])
    else:
        sys.exit("http_shapes: unknown kind " + kind)


if __name__ == "__main__":
    main()
