#!/usr/bin/env bash
# tests/e2e/ops_test.sh - seeing what cruddurd does, and how it is configured:
# the config file and its precedence (flags > environment > file), the Stats
# RPC through `cruddur stats`, and the Prometheus endpoint. Run by ctest.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
psql_q() { psql -X -qtA "$(db_url postgres)" -c "$1"; }

# start [ENV=VALUE...] -- [FLAGS...]: cruddurd without CONNECTION_URL unless
# given here, so that only the settings under test choose the database.
start() { start_cruddurd -u CONNECTION_URL "$@" --log-level warn; }
cli() { "$bin/cruddur" --server "$url" "$@"; }
# The database that `db setup` made: which URL won.
setup_made() {
    cli db setup >/dev/null || fail "db setup failed"
    psql_q "SELECT count(*) FROM pg_database WHERE datname = '$1'" | grep -qx 1 || fail "database $1 was not the one used"
}

# Precedence: the file alone, then the environment over it, then a flag over both.
port=$((20000 + RANDOM % 20000))
cat >"$work/cruddurd.conf" <<CONF
# cruddurd settings
listen = tcp://127.0.0.1:0
db = $(db_url cruddur_ops_file)
workers = 3
metrics-listen = http://127.0.0.1:$port
CONF
start -- --config "$work/cruddurd.conf"
setup_made cruddur_ops_file
stop_cruddurd
start CONNECTION_URL="$(db_url cruddur_ops_env)" -- --config "$work/cruddurd.conf"
setup_made cruddur_ops_env
stop_cruddurd
start CRUDDUR_CONFIG="$work/cruddurd.conf" CONNECTION_URL="$(db_url cruddur_ops_env)" -- \
    --db "$(db_url cruddur_ops_flag)" --listen tcp://127.0.0.1:0
setup_made cruddur_ops_flag
stop_cruddurd

# The repeatable options: the file's lines add up; flags of the same name replace them all,
# as --listen replaces the listen lines (the ready file lists what serves).
# Each listener has a loopback address of its own and port 0 (no port another test could
# take meanwhile), so the hosts tell whose lines serve.
# serving_http: the hosts of the ready file's http:// URLs, sorted, on one line.
serving_http() { sed -n 's|^http://\([0-9.]*\):[0-9]*$|\1|p' "$work/ready" | sort | tr '\n' ' '; }
cat >"$work/http.conf" <<CONF
listen = tcp://127.0.0.1:0
listen = tcp://127.0.0.1:0
db = $(db_url cruddur_ops_file)
http-listen = http://127.0.0.2:0
http-listen = http://127.0.0.3:0
http-cors-origin = http://file.example
CONF
start -- --config "$work/http.conf"
[[ "$(serving_http)" == "127.0.0.2 127.0.0.3 " ]] ||
    fail "the file's two http-listen lines: serving $(serving_http)"
(($(grep -c '^tcp://' "$work/ready") == 2)) || fail "the file's two listen lines: $(cat "$work/ready")"
stop_cruddurd
start -- --config "$work/http.conf" --http-listen http://127.0.0.4:0 --listen tcp://127.0.0.1:0 \
    --http-cors-origin http://flag.example
[[ "$(serving_http)" == "127.0.0.4 " ]] ||
    fail "--http-listen did not replace the file's http-listen lines: serving $(serving_http)"
(($(grep -c '^tcp://' "$work/ready") == 1)) || fail "--listen did not replace the file's: $(cat "$work/ready")"
# cors ORIGIN: the Access-Control-Allow-Origin the gateway answers ORIGIN with (none: empty).
cors() {
    curl -sS -o /dev/null -D - --max-time 10 -H "Origin: $1" "$(grep -m1 '^http://' "$work/ready")/api/activities/home" |
        awk 'tolower($1) == "access-control-allow-origin:" { sub(/\r$/, ""); print $2 }'
}
[[ "$(cors http://flag.example)" == http://flag.example ]] || fail "the flag's CORS origin not allowed"
[[ -z "$(cors http://file.example)" ]] || fail "--http-cors-origin did not replace the file's origin"
stop_cruddurd

# A bad line is refused with its file and line.
printf 'listen = tcp://127.0.0.1:0\nworkers = many\n' >"$work/bad.conf"
rc=0; out=$("$bin/cruddurd" --config "$work/bad.conf" --db "$(db_url x)" 2>&1) || rc=$?
[[ $rc -eq 2 && "$out" == *"bad.conf:2"* ]] || fail "bad config: exit $rc: $out"
printf 'colour = blue\n' >"$work/unknown.conf"
rc=0; out=$("$bin/cruddurd" --config "$work/unknown.conf" --db "$(db_url x)" 2>&1) || rc=$?
[[ $rc -eq 2 && "$out" == *"unknown.conf:1"* ]] || fail "unknown name: exit $rc: $out"

# The scheduling policy (field 41 of /proc/PID/task/TID/stat; 3 SCHED_BATCH,
# 0 SCHED_OTHER): every thread, nng's included, inherits the main thread's.
policies() {
    local t
    for t in /proc/"$server_pid"/task/*; do sed 's/.*) //' "$t/stat" | awk '{ print $39 }'; done | sort -u | tr '\n' ' '
}
start -- --config "$work/cruddurd.conf" --cpu-sched normal
cli feed home >/dev/null 2>&1 || true # nng and the workers have all started
[[ "$(policies)" == "0 " ]] || fail "--cpu-sched normal: thread policies $(policies)"
stop_cruddurd

# Stats and metrics, after known traffic. Without the page cache, so that
# each HomeFeed is one query of the read reactor (the cache's figures are
# feed_consistency_test's).
start -- --config "$work/cruddurd.conf" --cache-bytes 0
[[ "$(policies)" == "3 " ]] || fail "default --cpu-sched batch: thread policies $(policies)"
[[ $(ls /proc/"$server_pid"/task | wc -l) -gt 8 ]] || fail "too few threads to tell"
cli db setup >/dev/null
for _ in 1 2 3 4 5; do cli feed home >/dev/null; done
cli feed home --limit 500 >/dev/null 2>&1 && fail "limit 500 accepted"
out=$(cli stats) || fail "stats failed"
grep -qE "cruddur.v1.Activities/HomeFeed +6 .* OK=5 INVALID_ARGUMENT=1" <<<"$out" || fail "stats: $out"
grep -q "^pool: " <<<"$out" || fail "stats has no pool line: $out"
# One after the other, the 5 good feeds took 5 queries; the bad one never reached the reactor.
grep -q "^read reactor: 0 waiting, 0 running; 5 queries for 5 requests" <<<"$out" ||
    fail "stats has no read reactor line: $out"
out=$(cli --json stats) || fail "stats --json failed"
grep -q '"requests_total":' <<<"$out" || fail "stats --json: $out"

# GET /metrics with bash alone (no curl on a fresh machine).
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
metrics=$(cat <&3)
exec 3<&-
for want in 'HTTP/1.[01] 200' 'Content-Type: text/plain; version=0.0.4' \
    'cruddur_requests_total\{method="cruddur.v1.Activities/HomeFeed",status="OK"\} 5' \
    'cruddur_requests_total\{method="cruddur.v1.Activities/HomeFeed",status="INVALID_ARGUMENT"\} 1' \
    '# TYPE cruddur_request_duration_seconds histogram' \
    'cruddur_request_duration_seconds_count\{method="cruddur.v1.Activities/HomeFeed"\} 6' \
    'cruddur_pool_connections\{state="idle"\} [0-9]+' 'cruddur_pool_max_connections 8' \
    'cruddur_queue_capacity 256' 'cruddur_uptime_seconds [0-9.]+' \
    'cruddur_read_reactor_requests_total 5' 'cruddur_read_reactor_queries_total 5' \
    'cruddur_read_reactor_waiting 0'; do
    grep -qE "$want" <<<"$metrics" || fail "metrics lack /$want/"
done
stop_cruddurd

finish
