#!/usr/bin/env bash
# tests/e2e/reload_test.sh - SIGHUP (systemctl reload) while serving, and what the
# service manager hears: the real cruddurd, a fake $NOTIFY_SOCKET in the abstract
# namespace (tests/support/notify_listener.py), a throwaway CA.
#
#   1. The admin token file rotated, then SIGHUP: the old token is refused
#      (PERMISSION_DENIED), the new one accepted; a token file made bad (too short), then
#      SIGHUP: the log says why and the token in use still works.
#   2. The TLS certificate file replaced by one of another CA, then SIGHUP: a new
#      connection verifies against the new CA only; a file that is not PEM, then SIGHUP:
#      the log says why and the certificate in use stays.
#   3. $NOTIFY_SOCKET=@name got READY=1 once serving, RELOADING=1 with MONOTONIC_USEC and
#      READY=1 around each reload, STOPPING=1 at SIGTERM, in that order.
#   4. Log lines begin with ts=<RFC 3339 UTC, ms> and no journal priority (stderr here is
#      a file, not the journal).
# Run by ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e

listener_pid=
on_exit() { kill_quietly "$listener_pid"; }

make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$work/$1.key" -out "$work/$1.crt" 2>/dev/null
}
make_cert() {
    local ca=$1 name=$2
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$work/$name.key" \
        -out "$work/$name.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost\n' >"$work/$name.ext"
    openssl x509 -req -in "$work/$name.csr" -CA "$work/$ca.crt" -CAkey "$work/$ca.key" \
        -CAcreateserial -days 2 -extfile "$work/$name.ext" -out "$work/$name.crt" 2>/dev/null
    cat "$work/$name.crt" "$work/$name.key" >"$work/$name.pem"
}
make_ca ca-a
make_ca ca-b
make_cert ca-a server-a
make_cert ca-b server-b
cp "$work/server-a.pem" "$work/server.pem"

new_token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
token1=$(new_token)
token2=$(new_token)
(umask 077; printf '%s\n' "$token1" >"$work/token")
(umask 077; printf '%s\n' "$token1" >"$work/token1"; printf '%s\n' "$token2" >"$work/token2")

notify="@cruddur-reload-test-$$-$RANDOM"
python3 "$src/tests/support/notify_listener.py" "$notify" "$work/notify.jsonl" "$work/notify.ready" &
listener_pid=$!
wait_ready "$work/notify.ready" "$listener_pid" || die "the notify listener did not start"

# wait_log N PATTERN: until the log has at least N lines matching PATTERN (10 s at most).
wait_log() {
    local i
    for ((i = 0; i < 100; i++)); do
        (( $(grep -cE -- "$2" "$work/cruddurd.log" || true) >= $1 )) && return 0
        sleep 0.1
    done
    return 1
}
# notified: the datagrams so far, one a line, newlines shown as '|'.
notified() {
    python3 -c 'import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(l).replace("\n", "|"))' "$work/notify.jsonl"
}

start_cruddurd -u JOURNAL_STREAM NOTIFY_SOCKET="$notify" -- \
    --db "$(db_url cruddur_reload_test)" --listen tcp://127.0.0.1:0 \
    --listen tls+tcp://127.0.0.1:0 --tls-cert-key-file "$work/server.pem" \
    --admin-token-file "$work/token"
tcp_url=$(grep '^tcp://' "$work/ready" | head -1)
tls_url=$(grep '^tls+tcp://' "$work/ready" | head -1)
[[ -n "$tcp_url" && -n "$tls_url" ]] || die "ready file lacks a tcp:// or tls+tcp:// URL: $(cat "$work/ready")"
url=$tcp_url
for ((i = 0; i < 50; i++)); do [[ -s "$work/notify.jsonl" ]] && break; sleep 0.1; done
[[ "$(notified)" == "READY=1|STATUS=serving" ]] || fail "once serving, the notify socket got: $(notified)"

tls_health() {  # DbAdmin's health needs no database
    "$bin/cruddur" --server "$tls_url" --tls-server-name localhost --tls-ca "$work/$1.crt" \
        --timeout 3000 health cruddur.v1.DbAdmin 2>&1
}

# ---- 1. the admin token ------------------------------------------------------------------
expect 0 "PID" -- --token-file "$work/token1" db sessions
expect 1 "PERMISSION_DENIED" -- --token-file "$work/token2" db sessions
cp "$work/token2" "$work/token"
kill -HUP "$server_pid"
wait_log 1 'admin token reloaded' || fail "no 'admin token reloaded' in the log after SIGHUP"
expect 1 "PERMISSION_DENIED" -- --token-file "$work/token1" db sessions
expect 0 "PID" -- --token-file "$work/token2" db sessions
printf 'short\n' >"$work/token"
kill -HUP "$server_pid"
wait_log 1 'admin token not reloaded; the old one stays.*must be 16 to' ||
    fail "a bad token file: no 'not reloaded' with the reason in the log"
expect 0 "PID" -- --token-file "$work/token2" db sessions
expect 1 "PERMISSION_DENIED" -- --token-file "$work/token1" db sessions

# ---- 2. the TLS certificate --------------------------------------------------------------
out=$(tls_health ca-a) || fail "TLS with the first certificate: $out"
rc=0; out=$(tls_health ca-b) || rc=$?
[[ $rc -ne 0 ]] || fail "the other CA verified the first certificate"
cp "$work/server-b.pem" "$work/server.pem"
kill -HUP "$server_pid"
wait_log 1 'TLS certificate reloaded.*listeners=1' || fail "no 'TLS certificate reloaded' in the log"
out=$(tls_health ca-b) || fail "after the reload, a new connection does not verify against the new CA: $out"
rc=0; out=$(tls_health ca-a) || rc=$?
[[ $rc -ne 0 ]] || fail "after the reload, a new connection still shows the old certificate"
printf 'not a certificate\n' >"$work/server.pem"
kill -HUP "$server_pid"
wait_log 1 'TLS certificate not reloaded; the old one stays' || fail "a bad certificate file: no 'not reloaded' in the log"
out=$(tls_health ca-b) || fail "after a failed reload, the certificate in use is gone: $out"

# ---- 3. the service manager, 4. the log --------------------------------------------------
stop_cruddurd
for ((i = 0; i < 50; i++)); do [[ "$(notified | tail -n 1)" == STOPPING=1* ]] && break; sleep 0.1; done
want="READY=1|STATUS=serving"
for _ in 1 2 3 4; do want+=$'\n'"RELOADING=1|MONOTONIC_USEC=N"$'\n'"READY=1"; done
want+=$'\n'"STOPPING=1|STATUS=draining"
got="$(notified | sed -E 's/MONOTONIC_USEC=[1-9][0-9]*$/MONOTONIC_USEC=N/')"
[[ "$got" == "$want" ]] || fail "the notify socket got, in order:
$got
want:
$want"
bad_lines=$(grep -cvE '^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z level=(debug|info|warn|error) ' \
    "$work/cruddurd.log" || true)
[[ "$bad_lines" -eq 0 ]] || fail "$bad_lines log lines do not start with ts=<RFC 3339 ms>Z level=: $(grep -vE '^ts=' "$work/cruddurd.log" | head -3)"
if grep -q 'db sessions\|'"$token1"'\|'"$token2" "$work/cruddurd.log"; then
    fail "a token is in the log"
fi

finish
