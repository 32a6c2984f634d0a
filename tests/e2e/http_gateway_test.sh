#!/usr/bin/env bash
# tests/e2e/http_gateway_test.sh - the HTTP/JSON gateway (docs/HTTP.md) with curl and raw
# sockets: an RPC's JSON reply (read strictly by python3-protobuf's json_format), every
# error class (400, 401, 403, 404, 405, 411, 413, 429, 504), HEAD, OPTIONS and CORS,
# keep-alive, Authorization passed through, /metrics on the same address, and a stop that
# a stalled peer does not hold up. Run by ctest (CRUDDUR_PYTHON_DIR: the *_pb2 modules).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
py=${CRUDDUR_PYTHON3:-python3}

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"
# curl reads the headers from mode-0600 files: no token on a command line.
printf 'Authorization: Bearer %s\n' "$token" >"$work/bearer"
printf 'Authorization: Bearer not-the-right-token-at-all\n' >"$work/wrong"
chmod 600 "$work/bearer" "$work/wrong"

port=$(free_tcp_port)
start_cruddurd CONNECTION_URL="$(db_url cruddur_http_gateway_test)" -- \
    --listen tcp://127.0.0.1:0 --http-listen "http://127.0.0.1:$port" \
    --metrics-listen "http://127.0.0.1:$port" --admin-token-file "$work/token" \
    --http-cors-origin http://app.example --max-request-bytes 4096 --http-max-in-flight 4 \
    --recv-timeout-ms 1500
http=$(grep '^http://' "$work/ready") || die "no http:// URL in the ready file"
[[ "$http" == "http://127.0.0.1:$port" ]] || fail "ready file's HTTP URL: $http"

# post PATH BODY [CURL ARGS...]: sets $code, $body (the response) and $headers.
post() {
    local path=$1 data=$2
    shift 2
    code=$(curl -sS -o "$work/body" -D "$work/headers" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' --data-binary "$data" "$@" "$http$path") || code=curl-failed
    body=$(cat "$work/body")
    headers=$(tr -d '\r' <"$work/headers")
}
# want CODE STATUS WHAT: the last response had that HTTP code and error status name.
want() {
    if [[ "$code" != "$1" ]]; then
        fail "$3: HTTP $code, want $1: $body"
    elif [[ -n "$2" ]] && ! "$py" -c '
import json, sys
e = json.loads(sys.argv[1]); want = sys.argv[2]
assert set(e) == {"code", "status", "message"} and e["status"] == want and isinstance(e["code"], int), e
' "$body" "$2" 2>/dev/null; then
        fail "$3: body is not a $2 error: $body"
    fi
}

# The admin token guards DbAdmin; the Authorization header is the "authorization" metadata.
post /cruddur.v1.DbAdmin/Sessions '{}'
want 401 UNAUTHENTICATED "DbAdmin without a token"
grep -qi '^WWW-Authenticate: Bearer' <<<"$headers" || fail "401 without WWW-Authenticate"
post /cruddur.v1.DbAdmin/Sessions '{}' -H @"$work/wrong"
want 403 PERMISSION_DENIED "DbAdmin with the wrong token"
post /cruddur.v1.DbAdmin/Setup '{}' -H @"$work/bearer"
want 200 "" "Setup with the token"

# An RPC: the reply is canonical JSON that json_format reads strictly.
post /cruddur.v1.Activities/HomeFeed '{"limit": 2}'
want 200 "" HomeFeed
grep -qi '^Content-Type: application/json' <<<"$headers" || fail "HomeFeed's Content-Type: $headers"
PYTHONPATH=${CRUDDUR_PYTHON_DIR:?} "$py" -c '
import sys
from google.protobuf import json_format
from cruddur.v1 import activities_pb2
m = json_format.Parse(sys.argv[1], activities_pb2.HomeFeedResponse(), ignore_unknown_fields=False)
assert len(m.activities) >= 1 and m.activities[0].message, m
' "$body" || fail "HomeFeed's JSON does not parse as a HomeFeedResponse: $body"
post /cruddur.v1.Activities/HomeFeed ''
want 200 "" "HomeFeed with an empty body"
grep -q 'msg=request id=[0-9]* method=cruddur.v1.Activities/HomeFeed status=OK' "$work/cruddurd.log" ||
    fail "no request log line for HomeFeed over HTTP"

# Errors: bad JSON, an invalid argument from the handler, NOT_FOUND from a handler,
# an unknown method, a GET, a bad deadline header.
post /cruddur.v1.Activities/HomeFeed '{"limit": '
want 400 INVALID_ARGUMENT "bad JSON"
post /cruddur.v1.Activities/HomeFeed '{"limt": 2}'
want 400 INVALID_ARGUMENT "an unknown field"
[[ "$body" == *limt* ]] || fail "the parser's message is not passed on: $body"
post /cruddur.v1.Activities/HomeFeed '{"limit": 1000}'
want 400 INVALID_ARGUMENT "limit 1000"
post /cruddur.v1.Activities/ShowActivity '{"uuid": "00000000-0000-4000-8000-000000000000"}'
want 404 NOT_FOUND "ShowActivity of no activity"
post /cruddur.v1.Activities/NoSuchMethod '{}'
want 404 NOT_FOUND "an unknown method"
post /api/no/such/route ''
want 404 NOT_FOUND "an /api path no route answers"
post /cruddur.v1.Activities/HomeFeed '{}' -H 'X-Cruddur-Deadline-Ms: soon'
want 400 INVALID_ARGUMENT "a bad deadline header"
code=$(curl -sS -o "$work/body" -D "$work/headers" -w '%{http_code}' "$http/cruddur.v1.Activities/HomeFeed")
body=$(cat "$work/body")
want 405 UNIMPLEMENTED "GET of an RPC"
grep -qi '^Allow: POST, OPTIONS' <(tr -d '\r' <"$work/headers") || fail "405 without Allow"

# Over --max-request-bytes: 413 from curl, and from a peer that announces a huge body and
# sends little (answered before the body is read); chunked: 411; a body that stalls: closed.
post /cruddur.v1.Activities/HomeFeed "{\"cursor\": \"$(head -c 6000 /dev/zero | tr '\0' a)\"}"
want 413 RESOURCE_EXHAUSTED "a 6000-byte body"
post /cruddur.v1.Activities/HomeFeed '{}' -H 'Transfer-Encoding: chunked'
want 411 INVALID_ARGUMENT "a chunked body"
"$py" - "$port" <<'EOF' || fail "raw peers: see above"
import socket, sys, time
port = int(sys.argv[1])
def ask(head, body=b"", pause=0.0, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(head)
    if pause:
        time.sleep(pause)
    if body:
        s.sendall(body)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    return got.split(b"\r\n", 1)[0].decode()
req = b"POST /cruddur.v1.Activities/HomeFeed HTTP/1.1\r\nHost: x\r\n"
line = ask(req + b"Content-Length: 100000000000\r\n\r\n", b"{}")
assert line == "HTTP/1.1 413 Request Entity Too Large" or " 413 " in line, line
# The deadline counts from the headers: a body that comes 200 ms late misses 1 ms.
line = ask(req + b"Content-Length: 2\r\nX-Cruddur-Deadline-Ms: 1\r\n\r\n", b"{}", pause=0.2)
assert " 504 " in line, line
# 8 bytes short, then nothing: closed after --recv-timeout-ms (1.5 s), well within 5 s.
line = ask(req + b"Content-Length: 10\r\n\r\n", b"{}")
assert line == "", line
# An empty Content-Length is no length: 400 (taken as 0, "{}" would be the next request).
line = ask(req + b"Content-Length:\r\n\r\n", b"{}")
assert " 400 " in line, line
# An HTTP/1.0 client that asks for 100-continue gets no 100 (RFC 9110 10.1.1), its answer.
line = ask(req.replace(b"HTTP/1.1", b"HTTP/1.0") + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n",
           b"{}", pause=0.2)
assert " 200 " in line, line
EOF

# HEAD and OPTIONS; CORS for the allowed origin only.
code=$(curl -sS -I -o /dev/null -w '%{http_code}' "$http/cruddur.v1.Activities/HomeFeed")
[[ "$code" == 405 ]] || fail "HEAD of an RPC: $code"
opts() { curl -sS -o /dev/null -D - -X OPTIONS "$@" "$http/cruddur.v1.Activities/HomeFeed" | tr -d '\r'; }
out=$(opts)
grep -q '^HTTP/1.1 204' <<<"$out" && grep -qi '^Allow: POST, OPTIONS' <<<"$out" || fail "OPTIONS: $out"
out=$(opts -H 'Origin: http://app.example' -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization, content-type')
for h in 'Access-Control-Allow-Origin: http://app.example' 'Vary: Origin' \
    'Access-Control-Allow-Methods: POST, OPTIONS' \
    'Access-Control-Allow-Headers: Authorization, Content-Type, X-Cruddur-Deadline-Ms' \
    'Access-Control-Max-Age: [0-9]'; do
    grep -qi "^$h" <<<"$out" || fail "preflight from the allowed origin lacks $h: $out"
done
out=$(opts -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST')
! grep -qi '^Access-Control-' <<<"$out" || fail "CORS headers for a disallowed origin: $out"
post /cruddur.v1.Activities/HomeFeed '{"limit": 1}' -H 'Origin: http://app.example'
grep -qi '^Access-Control-Allow-Origin: http://app.example' <<<"$headers" || fail "POST from the allowed origin: $headers"
# A page of another origin may POST "text/plain" without a preflight (a browser's simple
# request): refused, nothing written. The server's own origin (its Host) is no other origin.
csrf='{"author": {"handle": "hotwheels"}, "message": "sent by another web page"}'
post /cruddur.v1.Activities/CreateActivity "$csrf" -H 'Content-Type: text/plain' \
    -H 'Origin: http://evil.example'
want 403 PERMISSION_DENIED "a POST from a page of another origin"
post /cruddur.v1.Activities/HomeFeed '{"limit": 1}' -H "Origin: http://127.0.0.1:$port"
want 200 "" "a POST from the server's own origin"
post /cruddur.v1.Activities/HomeFeed '{"limit": 50}'
! grep -q 'sent by another web page' <<<"$body" || fail "the refused POST was written: $body"

# Keep-alive: one curl, two requests, one connection.
curl -sS -v -o /dev/null -o /dev/null -X POST -d '{}' "$http/cruddur.v1.Health/Check" \
    "$http/cruddur.v1.Activities/HomeFeed" 2>"$work/curl-v" || fail "two requests in one curl"
grep -qi 're-using existing connection' "$work/curl-v" || fail "the connection was not reused: $(cat "$work/curl-v")"
# An error answered before its body was read closes the connection: the next request on
# it is not read from the middle of that body.
out=$(curl -sS -o /dev/null -o /dev/null -w '%{http_code} ' -X POST -d '{}' \
    "$http/cruddur.v1.Activities/NoSuchMethod" "$http/cruddur.v1.Health/Check")
[[ "$out" == "404 200 " ]] || fail "a request after a 404 with an unread body: $out"

# /metrics on the same address as the gateway, counting its calls.
out=$(curl -sS "$http/metrics")
grep -q 'cruddur_requests_total{method="cruddur.v1.Activities/HomeFeed",status="OK"}' <<<"$out" ||
    fail "/metrics on the gateway's address: $out"
# HEAD /metrics: GET's status and headers, no body (not the gateway's 404 for a path that
# is no method: nng gives HEAD to its "/" handler of every method before /metrics' GET one).
code=$(curl -sS --head -o "$work/body" -w '%{http_code}' "$http/metrics") || code=curl-failed
[[ "$code" == 200 ]] && grep -qi '^Content-Type: text/plain; version=0.0.4' "$work/body" &&
    ! grep -q '^cruddur_' "$work/body" || fail "HEAD /metrics: $code $(head -c 300 "$work/body")"

# --http-max-in-flight 4: four peers that hold a body back, then 429 at once.
"$py" - "$port" "$http" <<'EOF' || fail "the in-flight cap"
import socket, subprocess, sys, time
port, http = int(sys.argv[1]), sys.argv[2]
held = []
for _ in range(4):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST /cruddur.v1.Activities/HomeFeed HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n")
    held.append(s)
time.sleep(0.3)
code = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
    "-d", "{}", http + "/cruddur.v1.Activities/HomeFeed"], capture_output=True, text=True).stdout
for s in held:
    s.sendall(b"{}")
for s in held:
    assert b" 200 " in s.recv(4096).split(b"\r\n", 1)[0], "a held call was not answered"
    s.close()
assert code == "429", code
EOF

# The stop: a call in flight (a CreateActivity waiting on a lock this test holds) is
# answered; what arrives meanwhile gets 503. psql takes its commands from a FIFO, so the
# lock is held until the test lets go of it, however slow the machine.
dburl=$(db_url cruddur_http_gateway_test)
sql() { psql -X -q -tA -v ON_ERROR_STOP=1 "$dburl" -c "$1"; }
mkfifo "$work/psql-in"
psql -X -q -v ON_ERROR_STOP=1 "$dburl" <"$work/psql-in" >/dev/null &
psql_pid=$!
exec {to_psql}>"$work/psql-in"
on_exit() { kill_quietly "${psql_pid:-}"; }
echo 'BEGIN; LOCK TABLE activities IN ACCESS EXCLUSIVE MODE;' >&"$to_psql"
until [[ $(sql "SELECT count(*) FROM pg_locks WHERE relation = 'activities'::regclass AND mode = 'AccessExclusiveLock' AND granted") == 1 ]]; do
    sleep 0.05
done
curl -sS -o "$work/create" -w '%{http_code}' -X POST \
    -d '{"author": {"handle": "hotwheels"}, "message": "sent before the stop"}' \
    "$http/cruddur.v1.Activities/CreateActivity" >"$work/create-code" &
create_pid=$!
until [[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") -ge 1 ]]; do
    sleep 0.05
done
kill -TERM "$server_pid"
for _ in $(seq 100); do
    post /cruddur.v1.Health/Check '{}'
    [[ "$code" == 200 ]] || break
    sleep 0.05
done
want 503 UNAVAILABLE "a call while the server drains"
echo 'COMMIT;' >&"$to_psql"
exec {to_psql}>&-
wait "$psql_pid" || fail "psql holding the lock failed"
psql_pid=
wait "$create_pid" || fail "curl of the call in flight failed"
[[ $(cat "$work/create-code") == 200 ]] || fail "the call in flight at the stop: $(cat "$work/create-code") $(cat "$work/create")"
stop_within 10 || fail "cruddurd did not stop after its drain"
[[ "${stop_rc:-1}" == 0 ]] || fail "cruddurd exited ${stop_rc:-?} after the drain"

# A peer that sends half a header and stalls holds its connection (nng's HTTP server has
# no header timeout), but not the stop.
start_cruddurd CONNECTION_URL="$dburl" -- --listen tcp://127.0.0.1:0 \
    --http-listen "http://127.0.0.1:$port"
exec {stall}<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /cruddur.v1.Activities/HomeFeed HTTP/1.1\r\nHost: x\r\n' >&"$stall"
post /cruddur.v1.Health/Check '{}'
want 200 "" "a call beside a stalled peer"
stop_within 8 || fail "cruddurd did not stop with a stalled HTTP peer"
[[ "${stop_rc:-1}" == 0 ]] || fail "cruddurd exited ${stop_rc:-?} on SIGTERM"
exec {stall}>&-

finish
