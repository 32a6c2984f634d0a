#!/usr/bin/env bash
# tests/e2e/failover_test.sh - a failover under a write load: cruddurd's --db is a libpq
# multi-host URL naming the primary and its hot standby with
# target_session_attrs=read-write. Writes with idempotency keys run all along; the
# primary stops (pg_ctl stop -m fast, which first sends its standbys all the WAL it has)
# and the standby is promoted (pg_ctl promote). Writes resume on the promoted standby
# without a restart of cruddurd; every acknowledged write is on it exactly once; the time
# from the promotion to the first acknowledged write is printed (docs/RELIABILITY.md).
# Then a server whose only database is read-only: a write is UNAVAILABLE (25006), tried
# once by the server, and its connection is closed rather than kept. Run by ctest.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
rdir=$(mktemp -d /tmp/cruddur-fo-XXXXXX)
chmod 755 "$rdir"
load_pid=
on_exit() {
    kill_quietly "$load_pid"
    "$src/tests/pg/stop_replicated" "$rdir" >/dev/null 2>&1 || true
}

"$src/tests/pg/start_replicated" "$rdir" 2 >/dev/null || die "no replicated clusters"
source "$src/deploy/lib/common.sh"
at() { echo "postgresql://postgres@/cruddur?host=$rdir/$1"; }
psql_on() { psql -X -qtA "$(at "$1")" -c "$2"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

start_cruddurd -u CONNECTION_URL -u REPLICA_CONNECTION_URL -- --listen tcp://127.0.0.1:0 \
    --log-level warn --pool-timeout 1000 \
    --db "postgresql://postgres@/cruddur?host=$rdir/p,$rdir/s1&target_session_attrs=read-write" \
    --db-replica "$(at s2)"
cli() { "$bin/cruddur" --server "$url" "$@"; }
cli db setup >/dev/null || die "setup"
for ((i = 0; i < 100; i++)); do
    [[ $(psql_on s1 "SELECT count(*) FROM users WHERE handle = 'hotwheels'" 2>/dev/null) == 1 ]] && break
    sleep 0.1
done

# The load: key after key, each tried until acknowledged (as a caller with a key would),
# every acknowledgement logged as "KEY MS" (the wall clock in ms when it came).
acked=$work/acked
: >"$acked"
load() {
    local k=0
    while [[ ! -e "$work/stop" ]]; do
        k=$((k + 1))
        until [[ -e "$work/stop" ]]; do
            if cli --timeout 2000 activities create --handle hotwheels --message "load $k" \
                    --idempotency-key "fo-$k" >/dev/null 2>>"$work/load.err"; then
                echo "fo-$k $(now_ms)" >>"$acked"
                break
            fi
            sleep 0.02
        done
    done
}
load &
load_pid=$!
wait_acked() { # N: up to 30 s for N acknowledgements in all
    local i
    for ((i = 0; i < 300; i++)); do
        (( $(wc -l <"$acked") >= $1 )) && return 0
        sleep 0.1
    done
    return 1
}
wait_acked 20 || die "the load never got going: $(tail -3 "$work/load.err")"

# The failover: the primary goes, the standby is promoted.
stopped_ms=$(now_ms)
cr_pg_stop "$rdir/p/data"
cr_pg_as_owner "$(cr_pg_bindir)/pg_ctl" promote -D "$rdir/s1/data" -w -t 60 -s ||
    die "pg_ctl promote failed"
promoted_ms=$(now_ms)
before=$(wc -l <"$acked")
wait_acked $((before + 20)) || fail "writes did not resume after the promotion: $(tail -3 "$work/load.err")"
touch "$work/stop"
wait "$load_pid" || true
load_pid=

first_ms=$(awk -v t="$promoted_ms" '$2 >= t { print $2; exit }' "$acked")
if [[ -n "$first_ms" ]]; then
    echo "failover: the first acknowledged write came $((first_ms - promoted_ms)) ms after pg_ctl promote returned ($((first_ms - stopped_ms)) ms after the primary began to stop)"
else
    fail "no write acknowledged after the promotion"
fi
[[ $(psql_on s1 "SELECT pg_is_in_recovery()") == f ]] || fail "s1 was not promoted"

# Every acknowledged write is on the new primary exactly once; nothing twice at all.
n_acked=$(wc -l <"$acked")
keys=$(awk '{ printf "%s'\''%s'\''", (NR > 1 ? "," : ""), $1 }' "$acked")
found=$(psql_on s1 "SELECT count(DISTINCT idempotency_key) FROM activities WHERE idempotency_key IN ($keys)")
[[ "$found" == "$n_acked" ]] || fail "$n_acked writes acknowledged, $found of them on the new primary"
dups=$(psql_on s1 "SELECT count(*) FROM (SELECT idempotency_key FROM activities
                   WHERE idempotency_key LIKE 'fo-%' GROUP BY 1 HAVING count(*) > 1) d")
[[ "$dups" == 0 ]] || fail "$dups keys written more than once"
[[ "$(cli health)" == SERVING ]] || fail "health after the failover"
stop_cruddurd

# A read-only database: UNAVAILABLE with its 25006, the server's one try per call, and
# the connection closed (the pool's broken count), not kept for the next write.
start_cruddurd -u CONNECTION_URL -u REPLICA_CONNECTION_URL -- --listen tcp://127.0.0.1:0 \
    --log-level warn --db "$(at s2)"
expect 1 "UNAVAILABLE.*25006" -- activities create --handle hotwheels --message "to a standby"
stats=$(cli --json stats)
calls=$("$CRUDDUR_PYTHON3" -c "import json,sys
s = json.load(sys.stdin)
print(sum(int(m.get('count', 0)) for m in s['methods'] if m['method'].endswith('CreateActivity')))" <<<"$stats")
[[ "$calls" == 1 ]] || fail "a write without a key reached the server $calls times"
broken=$("$CRUDDUR_PYTHON3" -c "import json,sys; print(json.load(sys.stdin)['pool'].get('broken', 0))" <<<"$stats")
(( broken >= 1 )) || fail "the read-only connection was kept: $stats"
stop_cruddurd

finish
