#!/usr/bin/env bash
# tests/e2e/replica_test.sh - real read replicas: a primary and two hot standbys that
# follow it by PostgreSQL's streaming replication (tests/pg/start_replicated). With both
# standbys given (--db-replica twice, then $REPLICA_CONNECTION_URL as a list), the reads
# that may lag (HomeFeed, ShowActivity, UserActivities, GetUser, ShortUser) are spread
# over them, which each standby's own pg_stat_activity shows; a STRONG HomeFeed and writes
# go to the primary; a
# standby that stops is passed over (reads still answer), and is used again once back.
# Run by ctest.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
rdir=$(mktemp -d /tmp/cruddur-rp-XXXXXX)
chmod 755 "$rdir"
on_exit() { "$src/tests/pg/stop_replicated" "$rdir" >/dev/null 2>&1 || true; }

mapfile -t urls < <("$src/tests/pg/start_replicated" "$rdir" 2) || die "no replicated clusters"
[[ ${#urls[@]} -eq 3 ]] || die "start_replicated printed ${#urls[@]} URLs"
at() { echo "postgresql://postgres@/cruddur?host=$rdir/$1"; }
psql_on() { psql -X -qtA "$(at "$1")" -c "$2"; }
# Scans of activities that standby $1 ran itself (its own statistics: a standby counts
# what it serves, and PostgreSQL flushes a backend's counts within about a second).
scans_on() {
    psql_on "$1" "SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)
                  FROM pg_stat_user_tables WHERE relname = 'activities'"
}
# wait_scans STANDBY MORE_THAN: up to 10 s for its count to pass MORE_THAN.
wait_scans() {
    local i
    for ((i = 0; i < 100; i++)); do
        (( $(scans_on "$1") > $2 )) && return 0
        sleep 0.1
    done
    return 1
}
stats_json() { "$bin/cruddur" --server "$url" --json stats; }
# The state of replica $1 (0-based) in Stats.
replica_state() {
    stats_json | "$CRUDDUR_PYTHON3" -c "import json,sys; print(json.load(sys.stdin)['replicas'][$1]['state'])"
}
# wait_state I STATE: up to 20 s for Stats to say it.
wait_state() {
    local i
    for ((i = 0; i < 200; i++)); do
        [[ "$(replica_state "$1")" == "$2" ]] && return 0
        sleep 0.1
    done
    return 1
}

start_cruddurd -u CONNECTION_URL -u REPLICA_CONNECTION_URL -- --listen tcp://127.0.0.1:0 \
    --log-level warn --db "$(at p)" --db-replica "$(at s1)" --db-replica "$(at s2)"
cli() { "$bin/cruddur" --server "$url" "$@"; }
cli db setup >/dev/null || fail "setup"
out=$(cli --json activities create --handle hotwheels --message "written on the primary") ||
    fail "create: $out"
token=$(sed -n 's/.*"consistency_token": *"\([^"]*\)".*/\1/p' <<<"$out")
[[ "$token" =~ ^[0-9A-F]+/[0-9A-F]+$ ]] || fail "the write's response has no consistency_token: $out"
uuid=$(sed -n 's/.*"uuid": *"\([0-9a-f-]\{36\}\)".*/\1/p' <<<"$out" | head -1)

# Both standbys healthy (they replay the setup within the watcher's rounds).
wait_state 0 healthy || fail "replica 0 never healthy: $(stats_json)"
wait_state 1 healthy || fail "replica 1 never healthy: $(stats_json)"

# The write reached each standby by replication, not by us.
for s in s1 s2; do
    for ((i = 0; i < 100; i++)); do
        [[ $(psql_on $s "SELECT count(*) FROM activities WHERE message = 'written on the primary'") == 1 ]] && break
        sleep 0.1
    done
    [[ $i -lt 100 ]] || fail "the write did not replicate to $s"
    [[ $(psql_on $s "SELECT pg_is_in_recovery()") == t ]] || fail "$s is not a standby"
done

# Reads spread over both: each standby runs the feed's statement (its own statistics).
scans1=$(scans_on s1)
scans2=$(scans_on s2)
for ((i = 0; i < 20; i++)); do
    out=$(cli feed home) || fail "feed: $out"
done
grep -q "written on the primary" <<<"$out" || fail "the feed lacks the write: $out"
wait_scans s1 "$scans1" || fail "no feed read ran on s1"
wait_scans s2 "$scans2" || fail "no feed read ran on s2"
# The other reads that may lag go to the standbys too (the primary has no cruddurd-replica).
for ((i = 0; i < 6; i++)); do
    cli users show hotwheels >/dev/null || fail "users show"
    cli users short hotwheels >/dev/null || fail "users short"
    cli users activities hotwheels >/dev/null || fail "users activities"
    cli activities show "$uuid" >/dev/null || fail "activities show $uuid"
done
out=$(stats_json)
reads=$("$CRUDDUR_PYTHON3" -c "import json,sys; r=json.load(sys.stdin)['replicas']; print(' '.join(str(x.get('reads',0)) for x in r))" <<<"$out")
read -r r0 r1 <<<"$reads"
(( r0 >= 10 && r1 >= 10 )) || fail "reads not spread over both replicas: $reads"
# Stats' read reactor figures count the replicas' reactors too (20 feeds at least).
rq=$("$CRUDDUR_PYTHON3" -c "import json,sys; print(json.load(sys.stdin)['read_reactor'].get('requests', 0))" <<<"$out")
(( rq >= 20 )) || fail "the read reactor's requests ($rq) leave out the replicas' reactors"
# A STRONG feed goes to the primary alone: no replica is given it, none counts as a
# primary read for want of a replica, and it has the write.
before=$(stats_json | "$CRUDDUR_PYTHON3" -c "import json,sys; s=json.load(sys.stdin); print(sum(int(x.get('reads',0)) for x in s['replicas']), s.get('primary_reads',0))")
for ((i = 0; i < 5; i++)); do
    out=$(cli feed home --strong) || fail "strong feed: $out"
done
grep -q "written on the primary" <<<"$out" || fail "the strong feed lacks the write: $out"
after=$(stats_json | "$CRUDDUR_PYTHON3" -c "import json,sys; s=json.load(sys.stdin); print(sum(int(x.get('reads',0)) for x in s['replicas']), s.get('primary_reads',0))")
[[ "$after" == "$before" ]] || fail "STRONG feeds went to a replica (replica reads, primary reads: $before -> $after)"
[[ "$(cli health)" == SERVING ]] || fail "health with all up"
out=$(cli stats) || fail "stats: $out"
grep -qE "^replica 1: healthy, lag [0-9]+ ms / [0-9]+ bytes, replayed [0-9A-F]+/[0-9A-F]+, [0-9]+ reads" <<<"$out" ||
    fail "cruddur stats lacks the replicas: $out"

# One standby stops: it goes down in Stats, and every read still answers.
cr_stop() { (source "$src/deploy/lib/common.sh"; cr_pg_stop "$rdir/$1/data"); }
cr_start() { (source "$src/deploy/lib/common.sh"; cr_pg_start "$rdir/$1/data" "$rdir/$1/postgres.log"); }
cr_stop s2
for ((i = 0; i < 10; i++)); do
    cli feed home >/dev/null || fail "feed with s2 stopped (read $i)"
    cli users show hotwheels >/dev/null || fail "users show with s2 stopped (read $i)"
done
wait_state 1 down || fail "s2 stopped but not down: $(stats_json)"
for ((i = 0; i < 10; i++)); do
    cli feed home >/dev/null || fail "feed with s2 down"
done
[[ "$(cli health)" == SERVING ]] || fail "health with one replica down"
# Back: healthy again, and given reads again.
cr_start s2
wait_state 1 healthy || fail "s2 back but not healthy: $(stats_json)"
before=$(stats_json | "$CRUDDUR_PYTHON3" -c "import json,sys; print(json.load(sys.stdin)['replicas'][1].get('reads',0))")
for ((i = 0; i < 10; i++)); do cli feed home >/dev/null || fail "feed after s2 came back"; done
after=$(stats_json | "$CRUDDUR_PYTHON3" -c "import json,sys; print(json.load(sys.stdin)['replicas'][1].get('reads',0))")
(( after > before )) || fail "s2 came back but got no reads ($before -> $after)"
stop_cruddurd

# The environment's list (a multi-host URL's comma stays inside its URL).
start_cruddurd CONNECTION_URL="$(at p)" \
    REPLICA_CONNECTION_URL="$(at s1),postgresql://postgres@/cruddur?host=$rdir/s2,$rdir/s1" \
    -- --listen tcp://127.0.0.1:0 --log-level warn
n=$(stats_json | "$CRUDDUR_PYTHON3" -c "import json,sys; print(len(json.load(sys.stdin)['replicas']))")
[[ $n == 2 ]] || fail "REPLICA_CONNECTION_URL of two URLs gave $n replicas"
wait_state 1 healthy || fail "the multi-host replica URL never healthy: $(stats_json)"
stop_cruddurd

finish
