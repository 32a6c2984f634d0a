#!/usr/bin/env bash
# tests/e2e/wire_framing_test.sh - docs/PROTOCOL.md's wire framing, byte by byte, against
# the real cruddurd over tcp://, ipc:// and tls+tcp://: tests/support/sp_wire.py, a client in the
# Python standard library alone (no nng, no protobuf runtime), calls Health/Check, then
# misbehaves in each way the document describes and checks what the server does.
# No database: Health answers for itself without one. Run by ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
py=${CRUDDUR_PYTHON3:?run through ctest}
wire=$src/tests/support/sp_wire.py

# tls+tcp:// too: a self-signed certificate for 127.0.0.1, which sp_wire.py trusts through
# $CRUDDUR_TLS_CA_FILE, as the CLI would.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/server.key" -out "$work/server.crt" \
    2>/dev/null || die "openssl cannot make a certificate"
cat "$work/server.crt" "$work/server.key" >"$work/server.pem"
export CRUDDUR_TLS_CA_FILE=$work/server.crt

# --max-request-bytes 1024: nng's own limit (NNG_OPT_RECVMAXSZ) is then 1024 + 4096.
start_cruddurd -- --db "postgresql://postgres@/cruddur_wire?host=$work/no-pg" \
    --listen tcp://127.0.0.1:0 --listen "ipc://$work/cruddurd.sock" \
    --listen tls+tcp://127.0.0.1:0 --tls-cert-key-file "$work/server.pem" --max-request-bytes 1024
mapfile -t urls <"$work/ready"
[[ ${#urls[@]} -eq 3 && ${urls[0]} == tcp://* && ${urls[1]} == ipc://* && ${urls[2]} == tls+tcp://* ]] ||
    die "ready file: ${urls[*]}"

# probe URL CASE [ARG] PATTERN: sp_wire.py's verdict, and PATTERN in what it printed.
probe() {
    local u=$1 case=$2 pattern=${*: -1} got rc=0
    got=$("$py" "$wire" probe "${@:1:$#-1}" 2>&1) || rc=$?
    if [[ $rc -ne 0 ]] || ! grep -qE -- "$pattern" <<<"$got"; then
        fail "$u probe $case: exit $rc, want /$pattern/: $got"
    fi
}

# wire_call URL METHOD BODY_HEX PATTERN: one call; PATTERN in "STATUS NAME message|BODY_HEX"
# (sp_wire.py's two lines, joined).
wire_call() {
    local got rc=0
    got=$("$py" "$wire" call "$1" "$2" "$3" 2>&1) || rc=$?
    got=${got//$'\n'/|}
    if [[ $rc -ne 0 ]] || ! grep -qE -- "$4" <<<"$got"; then
        fail "$1 call $2: exit $rc, want /$4/: $got"
    fi
}

# HealthCheckRequest{service: "cruddur.v1.Health"}: field 1, 17 bytes.
health_body=0a11$(printf 'cruddur.v1.Health' | od -An -tx1 | tr -d ' \n')
# A 2000-byte service name: a request over --max-request-bytes, under nng's limit.
big_body=0ad00f$(head -c 2000 /dev/zero | tr '\0' 'a' | od -An -tx1 -v | tr -d ' \n')

for u in "${urls[@]}"; do
    # HealthCheckResponse{status: SERVING} is the two bytes 08 01.
    wire_call "$u" cruddur.v1.Health/Check "$health_body" '^0 OK [|]0801$'
    wire_call "$u" cruddur.v1.Nope/Nope "" '^12 UNIMPLEMENTED '
    wire_call "$u" cruddur.v1.Health/Check "$big_body" \
        '^8 RESOURCE_EXHAUSTED request of [0-9]+ bytes exceeds the limit of 1024 bytes'
    probe "$u" handshake         'server header: 0053500000310000'
    probe "$u" bad-magic         'bad-magic: closed'
    probe "$u" wrong-protocol    'wrong-protocol: closed'
    probe "$u" short-message     'short-message: closed'
    probe "$u" unended           'unended: closed'
    probe "$u" no-end-bit        'no reply'
    probe "$u" backtrace         'reply header: 0{7}10{7}20{7}30{7}40{7}50{7}60{7}780000001$'
    probe "$u" pipelined         'replies to: 0x80001234 0x80001235 0x80001236 0x80001237'
    probe "$u" oversize 5121     'length 5121: closed'
done
probe "${urls[1]}" ipc-bad-type 'ipc-bad-type: closed'
# A peer that never sends its header is closed after nng's 10 s (one transport is enough).
probe "${urls[0]}" silent 'closed after'

# After all that, the server still answers, and exits cleanly.
wire_call "${urls[0]}" cruddur.v1.Health/Check "$health_body" '^0 OK '
stop_cruddurd
finish
