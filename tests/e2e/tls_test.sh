#!/usr/bin/env bash
# tests/e2e/tls_test.sh - cruddurd over tls+tcp:// with a throwaway CA that
# this test makes: a verified server, a client that does not trust it, and
# a server that requires client certificates. Run by ctest.
set -euo pipefail

bin=${CRUDDUR_BIN_DIR:?run through ctest}
pgdir=${CRUDDUR_TEST_PG_DIR:?run through ctest}
work=$(mktemp -d /tmp/cruddur-tls-XXXXXX)
failures=0
server_pid=

cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# make_ca NAME; make_cert CA NAME CN: key and certificate, and NAME.pem with both.
make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$work/$1.key" -out "$work/$1.crt" 2>/dev/null
}
make_cert() {
    local ca=$1 name=$2 cn=$3
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$work/$name.key" \
        -out "$work/$name.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s\n' "$cn" >"$work/$name.ext"
    openssl x509 -req -in "$work/$name.csr" -CA "$work/$ca.crt" -CAkey "$work/$ca.key" \
        -CAcreateserial -days 2 -extfile "$work/$name.ext" -out "$work/$name.crt" 2>/dev/null
    cat "$work/$name.crt" "$work/$name.key" >"$work/$name.pem"
}

make_ca test-ca
make_ca other-ca
make_cert test-ca server localhost
make_cert test-ca client cruddur-client

start_server() {
    rm -f "$work/ready"
    CONNECTION_URL="postgresql://postgres@/cruddur_tls_test?host=$pgdir" \
        "$bin/cruddurd" --listen tls+tcp://127.0.0.1:0 --tls-cert-key-file "$work/server.pem" \
        --ready-file "$work/ready" --log-level warn "$@" 2>>"$work/cruddurd.log" &
    server_pid=$!
    for _ in $(seq 100); do [[ -s "$work/ready" ]] && break; sleep 0.1; done
    [[ -s "$work/ready" ]] || { cat "$work/cruddurd.log" >&2; echo "cruddurd did not start" >&2; exit 1; }
    url=$(head -1 "$work/ready")
}
stop_server() {
    kill -TERM "$server_pid"
    local rc=0
    wait "$server_pid" || rc=$?
    server_pid=
    [[ $rc -eq 0 ]] || fail "cruddurd exited $rc"
}
cli() { "$bin/cruddur" --server "$url" --tls-server-name localhost --timeout 3000 "$@" 2>&1; }

start_server
[[ "$url" == tls+tcp://127.0.0.1:* ]] || fail "ready file URL: $url"
out=$(cli --tls-ca "$work/test-ca.crt" health cruddur.v1.DbAdmin) || fail "verified TLS call failed: $out"
[[ "$out" == SERVING ]] || fail "verified TLS call said: $out"
out=$(CRUDDUR_TLS_CA_FILE="$work/test-ca.crt" cli health cruddur.v1.DbAdmin) || fail "CA from the environment: $out"
rc=0; out=$(cli health cruddur.v1.DbAdmin) || rc=$?
[[ $rc -eq 2 && "$out" == *"needs a CA file"* ]] || fail "no CA: exit $rc: $out"
rc=0; out=$(cli --tls-ca "$work/other-ca.crt" health) || rc=$?
[[ $rc -eq 1 && "$out" == *UNAVAILABLE* ]] || fail "untrusted server: exit $rc: $out"
stop_server

start_server --tls-client-ca-file "$work/test-ca.crt"
rc=0; out=$(cli --tls-ca "$work/test-ca.crt" health cruddur.v1.DbAdmin) || rc=$?
[[ $rc -ne 0 ]] || fail "a client without a certificate was served"
out=$(cli --tls-ca "$work/test-ca.crt" --tls-cert "$work/client.pem" health cruddur.v1.DbAdmin) ||
    fail "client certificate refused: $out"
stop_server

if [[ $failures -gt 0 ]]; then
    echo "tls_test: $failures failed" >&2
    exit 1
fi
echo "tls_test: passed"
