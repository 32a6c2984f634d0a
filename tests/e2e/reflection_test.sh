#!/usr/bin/env bash
# tests/e2e/reflection_test.sh - Reflection and `cruddur describe` against the real cruddurd.
#
# The FileDescriptorSet the server serves decodes with python3-protobuf (descriptor_pb2,
# a decoder nobody here wrote), builds in a DescriptorPool (every import is in it), and
# holds exactly the services and methods that ListMethods (`cruddur methods`) lists, with
# their types and retry safety. `cruddur describe` prints every service, a service, a
# method with its messages, a message, an enum, and fails on an unknown name with
# NOT_FOUND on stderr and exit 1, as a failed call does. No database: neither needs one.
# The token: Reflection needs it only from a server started with --require-token.
# Run by ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
py=${CRUDDUR_PYTHON3:?run through ctest}

start_cruddurd -- --db "postgresql://postgres@/cruddur_reflection?host=$work/no-pg" \
    --listen tcp://127.0.0.1:0

# The set, fetched by a client that is not libcruddur (tests/support/sp_wire.py).
"$py" "$src/tests/support/sp_wire.py" call "$url" cruddur.v1.Reflection/GetFileDescriptorSet \
    --out "$work/reply" >"$work/status" 2>&1 || die "GetFileDescriptorSet: $(cat "$work/status")"
grep -q '^0 OK' "$work/status" || fail "GetFileDescriptorSet: $(cat "$work/status")"
"$bin/cruddur" --server "$url" --json methods >"$work/methods.json" || fail "cruddur --json methods"

if ! "$py" - "$work/reply" "$work/methods.json" >"$work/check" 2>&1 <<'PY'; then
import json, sys
from google.protobuf import descriptor_pb2, descriptor_pool

# GetFileDescriptorSetResponse is one bytes field, number 1: read its tag and length
# here, so that the set is decoded by descriptor_pb2 alone.
reply = open(sys.argv[1], "rb").read()
assert reply[0] == 0x0A, "field 1, length-delimited"
n, shift, at = 0, 0, 1
while True:
    b = reply[at]; at += 1
    n |= (b & 0x7F) << shift; shift += 7
    if not b & 0x80:
        break
assert at + n == len(reply), "nothing after the set"
fds = descriptor_pb2.FileDescriptorSet.FromString(reply[at:])

pool = descriptor_pool.DescriptorPool()
for f in fds.file:  # each after its imports, or Add fails
    pool.Add(f)
served = {}
for f in fds.file:
    for s in pool.FindFileByName(f.name).services_by_name.values():
        for m in s.methods:
            served["%s/%s" % (s.full_name, m.name)] = (
                m.input_type.full_name, m.output_type.full_name,
                m.GetOptions().idempotency_level != 0)

listed = {}
for s in json.load(open(sys.argv[2]))["services"]:
    for m in s["methods"]:
        listed[m["full_name"]] = (m["input_type"], m["output_type"], m["idempotent"])

for name in sorted(set(served) | set(listed)):
    if served.get(name) != listed.get(name):
        print("%s: served %s, listed %s" % (name, served.get(name), listed.get(name)))
        sys.exit(1)
print("%d files, %d services, %d methods" % (len(fds.file),
      len({k.split("/")[0] for k in served}), len(served)))
for name in sorted(served):
    print(name)
PY
    fail "the served set against cruddur methods: $(cat "$work/check")"
fi
grep -q "cruddur.v1.Reflection/GetFileDescriptorSet" "$work/check" || fail "Reflection not served"
services=$(head -1 "$work/check" | sed -E 's/.* ([0-9]+) services.*/\1/')

# describe with no name: every service, as grpcurl prints them.
expect 0 "cruddur.v1.Reflection is a service:" -- describe
[[ $(grep -c " is a service:$" <<<"$out") -eq $services ]] || fail "describe: not $services services: $out"
expect 0 "^service Activities \{" -- describe cruddur.v1.Activities
grep -qF '  rpc HomeFeed ( .cruddur.v1.HomeFeedRequest ) returns ( .cruddur.v1.HomeFeedResponse ) {' <<<"$out" ||
    fail "describe cruddur.v1.Activities: $out"
grep -qF '    option idempotency_level = NO_SIDE_EFFECTS;' <<<"$out" || fail "no option: $out"

# A method: its signature, then its request and response messages.
expect 0 "^cruddur.v1.Health.Check is a method:" -- describe cruddur.v1.Health/Check
for want in 'rpc Check ( .cruddur.v1.HealthCheckRequest ) returns ( .cruddur.v1.HealthCheckResponse ) {' \
    'cruddur.v1.HealthCheckRequest is a message:' 'cruddur.v1.HealthCheckResponse is a message:'; do
    grep -qF -- "$want" <<<"$out" || fail "describe cruddur.v1.Health/Check lacks '$want': $out"
done
expect 0 "^cruddur.v1.Users.GetUser is a method:" -- describe cruddur.v1.Users.GetUser
# Every method the server lists describes.
while read -r m; do
    [[ $m == */* ]] || continue
    expect 0 "is a method:" -- describe "$m"
done <"$work/check"

# A message, with a nested enum, exactly; a repeated field of a message type; an enum.
"$bin/cruddur" --server "$url" describe cruddur.v1.HealthCheckResponse >"$work/got" ||
    fail "describe cruddur.v1.HealthCheckResponse failed"
cat >"$work/want" <<'TXT'
cruddur.v1.HealthCheckResponse is a message:
message HealthCheckResponse {
  .cruddur.v1.HealthCheckResponse.ServingStatus status = 1;
  string detail = 2;
  enum ServingStatus {
    UNKNOWN = 0;
    SERVING = 1;
    NOT_SERVING = 2;
  }
}
TXT
diff -u "$work/want" "$work/got" >&2 || fail "describe cruddur.v1.HealthCheckResponse differs"
expect 0 '^  repeated .cruddur.v1.ServiceInfo services = 1;$' -- describe .cruddur.v1.ListMethodsResponse
expect 0 '^  bytes file_descriptor_set = 1;$' -- describe cruddur.v1.GetFileDescriptorSetResponse
expect 0 "^cruddur.v1.HealthCheckResponse.ServingStatus is an enum:" -- \
    describe cruddur.v1.HealthCheckResponse.ServingStatus
expect 0 '^  UNAUTHENTICATED = 16;$' -- describe cruddur.v1.StatusCode

# An unknown name: NOT_FOUND on stderr, nothing on stdout, exit 1.
for name in cruddur.v1.Nope cruddur.v1.Health/Nope cruddur.v1.Health.Check.More Health; do
    expect 1 "^cruddur: describe: NOT_FOUND: .*named \"$name\"" -- describe "$name"
    rc=0; stdout=$("$bin/cruddur" --server "$url" describe "$name" 2>/dev/null) || rc=$?
    [[ $rc -eq 1 && -z "$stdout" ]] || fail "describe $name: exit $rc, stdout '$stdout'"
done
expect 2 "at most one" -- describe cruddur.v1.Health cruddur.v1.Stats
expect 0 "usage: cruddur \[OPTIONS\] describe" -- describe --help

stop_cruddurd

# Reflection is not DbAdmin: a server with an admin token serves it to anyone, and only
# --require-token makes it need the token.
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
chmod 600 "$work/token"
for flags in "" --require-token; do
    # shellcheck disable=SC2086 # $flags is one flag or none
    start_cruddurd -- --db "postgresql://postgres@/cruddur_reflection?host=$work/no-pg" \
        --listen tcp://127.0.0.1:0 --admin-token-file "$work/token" $flags
    if [[ -z $flags ]]; then
        expect 0 "cruddur.v1.Reflection is a service:" -- describe
    else
        expect 1 "UNAUTHENTICATED: .*needs a token" -- describe
        expect 0 "cruddur.v1.Reflection is a service:" -- --token-file "$work/token" describe
    fi
    stop_cruddurd
done
finish
