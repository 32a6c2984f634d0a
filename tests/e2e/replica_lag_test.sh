#!/usr/bin/env bash
# tests/e2e/replica_lag_test.sh - lag-aware reads and read-your-writes against a hot
# standby slowed on purpose (recovery_min_apply_delay: it receives the primary's WAL at
# once but applies each commit only later). A read without a consistency_token may miss a
# fresh write while the standby is within --replica-max-lag-ms; with the write's token it
# never does (the primary serves it); past --replica-max-lag-ms the standby takes no reads
# at all, and once it catches up it takes them again. Run by ctest.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
rdir=$(mktemp -d /tmp/cruddur-rl-XXXXXX)
chmod 755 "$rdir"
on_exit() { "$src/tests/pg/stop_replicated" "$rdir" >/dev/null 2>&1 || true; }

"$src/tests/pg/start_replicated" "$rdir" 1 >/dev/null || die "no replicated clusters"
at() { echo "postgresql://postgres@/${2:-cruddur}?host=$rdir/$1"; }
psql_on() { psql -X -qtA "$(at "$1" "${3:-cruddur}")" -c "$2"; }
stats_field() {
    "$bin/cruddur" --server "$url" --json stats |
        "$CRUDDUR_PYTHON3" -c "import json,sys; s=json.load(sys.stdin); print($1)"
}
wait_state() {
    local i
    for ((i = 0; i < 200; i++)); do
        [[ "$(stats_field "s['replicas'][0]['state']")" == "$1" ]] && return 0
        sleep 0.1
    done
    return 1
}
token_of() { sed -n 's/.*"consistency_token": *"\([^"]*\)".*/\1/p' <<<"$1"; }
# Applies a delay on the standby (ALTER SYSTEM and a reload: no restart).
apply_delay() {
    psql_on s1 "ALTER SYSTEM SET recovery_min_apply_delay = '$1'" postgres
    psql_on s1 "SELECT pg_reload_conf()" postgres >/dev/null
}

# The schema first, replayed on the standby before it is slowed.
start_cruddurd -u CONNECTION_URL -u REPLICA_CONNECTION_URL -- --listen tcp://127.0.0.1:0 \
    --log-level warn --db "$(at p)" --db-replica "$(at s1)" --replica-max-lag-ms 600000
cli() { "$bin/cruddur" --server "$url" "$@"; }
cli db setup >/dev/null || die "setup"
# All of the setup replayed before the delay: a transaction that took an ACCESS EXCLUSIVE
# lock (a migration's ALTER TABLE) and whose commit the standby has yet to apply would hold
# that lock on the standby, and block its readers, for the whole delay. Autovacuum is off
# on the primary for the same reason (a truncation takes that lock too).
psql_on p "ALTER SYSTEM SET autovacuum = off" postgres
psql_on p "SELECT pg_reload_conf()" postgres >/dev/null
target=$(psql_on p "SELECT pg_current_wal_lsn()")
for ((i = 0; i < 100; i++)); do
    [[ $(psql_on s1 "SELECT pg_last_wal_replay_lsn() >= '$target'") == t ]] && break
    sleep 0.1
done
[[ $i -lt 100 ]] || die "the standby did not replay the setup"
apply_delay 60s
wait_state healthy || fail "the standby never healthy: $(cli --json stats)"

# Within the lag allowed: a read without a token is the standby's, and misses the write.
out=$(cli --json activities create --handle hotwheels --message "fresh write one") || fail "create: $out"
t1=$(token_of "$out")
uuid1=$(sed -n 's/.*"uuid": *"\([0-9a-f-]\{36\}\)".*/\1/p' <<<"$out" | head -1)
[[ "$t1" =~ ^[0-9A-F]+/[0-9A-F]+$ ]] || fail "no consistency_token on the write: $out"
primary_before=$(stats_field "s.get('primary_reads', 0)")
out=$(cli feed home) || fail "feed: $out"
grep -q "fresh write one" <<<"$out" && fail "the slowed standby served a write it has not applied (or the primary served the feed): $out"
# With the write's token: served by a database that has it (the primary, here).
out=$(cli feed home --consistency-token "$t1") || fail "feed with token: $out"
grep -q "fresh write one" <<<"$out" || fail "feed with the write's token lacks the write: $out"
out=$(cli users activities hotwheels --consistency-token "$t1") || fail "users activities with token: $out"
grep -q "fresh write one" <<<"$out" || fail "users activities with the token lacks the write: $out"
out=$(cli --json users show hotwheels --consistency-token "$t1") || fail "users show with token: $out"
primary_after=$(stats_field "s.get('primary_reads', 0)")
(( primary_after >= primary_before + 3 )) ||
    fail "the token's reads did not go to the primary ($primary_before -> $primary_after)"
# A token that is not a WAL position is refused.
expect 1 "INVALID_ARGUMENT.*consistency_token" -- feed home --consistency-token "not-a-token"
expect 1 "INVALID_ARGUMENT.*consistency_token" -- users show hotwheels --consistency-token "1/2/3"
# Every write response carries one, ordered after the earlier write's.
lsn_num() { local h=${1%/*} l=${1#*/}; echo $(( (16#$h << 32) | 16#$l )); }
for w in "activities reply $uuid1 --handle hotwheels --message a-reply" \
         "users update hotwheels --bio lagged" \
         "users create --handle lagger --display-name Lagger --email lagger@example.com --cognito-id lag-1"; do
    # shellcheck disable=SC2086
    out=$(cli --json $w) || { fail "$w: $out"; continue; }
    t=$(token_of "$out")
    [[ "$t" =~ ^[0-9A-F]+/[0-9A-F]+$ ]] || { fail "no consistency_token from $w: $out"; continue; }
    (( $(lsn_num "$t") >= $(lsn_num "$t1") )) || fail "$w's token $t is before $t1"
done
# The CLI takes the token on every read that may lag.
expect 0 "hotwheels" -- users short hotwheels --consistency-token "$t1"
stop_cruddurd

# Past --replica-max-lag-ms (the default, 1000): no reads for the standby, the primary
# serves them, a fresh write is seen without a token.
start_cruddurd -u CONNECTION_URL -u REPLICA_CONNECTION_URL -- --listen tcp://127.0.0.1:0 \
    --log-level warn --db "$(at p)" --db-replica "$(at s1)"
out=$(cli --json activities create --handle hotwheels --message "fresh write two") || fail "create: $out"
wait_state lagging || fail "the slowed standby never lagging: $(cli --json stats)"
lag=$(stats_field "s['replicas'][0]['lag_ms']")
(( lag > 1000 )) || fail "lagging with lag_ms $lag"
out=$(cli feed home) || fail "feed: $out"
grep -q "fresh write two" <<<"$out" || fail "a lagging standby served the feed: $out"
stop_cruddurd

# Caught up (the delay taken away): healthy again and given the reads again.
metrics_port=$(free_tcp_port)
start_cruddurd -u CONNECTION_URL -u REPLICA_CONNECTION_URL -- --listen tcp://127.0.0.1:0 \
    --log-level warn --db "$(at p)" --db-replica "$(at s1)" \
    --metrics-listen "http://127.0.0.1:$metrics_port" --replica-wait-ms 10000
apply_delay 0
wait_state healthy || fail "the standby never caught up: $(cli --json stats)"
out=$(cli feed home) || fail "feed: $out"
grep -q "fresh write two" <<<"$out" || fail "the caught-up standby lacks the write: $out"
(( $(stats_field "s['replicas'][0].get('reads', 0)") >= 1 )) || fail "the caught-up standby got no reads"
# A token the standby replays within the wait: the standby serves it (a worker read waits
# for the watcher's next round), and has the write.
out=$(cli --json activities create --handle hotwheels --message "fresh write three") || fail "create: $out"
t3=$(token_of "$out")
r_before=$(stats_field "int(s['replicas'][0].get('reads', 0))")
p_before=$(stats_field "int(s.get('primary_reads', 0))")
out=$(cli users activities hotwheels --consistency-token "$t3") || fail "users activities: $out"
grep -q "fresh write three" <<<"$out" || fail "the token's read lacks its write: $out"
(( $(stats_field "int(s['replicas'][0].get('reads', 0))") == r_before + 1 )) ||
    fail "the caught-up standby did not serve the token's read"
(( $(stats_field "int(s.get('primary_reads', 0))") == p_before )) ||
    fail "the primary served a token the standby had replayed"
m=$(curl -sf "http://127.0.0.1:$metrics_port/metrics") || fail "GET /metrics"
grep -q '^cruddur_replica_healthy{replica="0",state="healthy"} 1$' <<<"$m" ||
    fail "/metrics lacks the replica's health: $(grep replica <<<"$m")"
grep -q '^cruddur_replica_lag_seconds{replica="0"} ' <<<"$m" || fail "/metrics lacks the replica's lag"
stop_cruddurd

finish
