#!/usr/bin/env bash
# tests/e2e/metrics_histogram_test.sh - GET /metrics as Prometheus reads it: the request
# latencies as a histogram (cruddur_request_duration_seconds_bucket{method,le}, _sum,
# _count), the page cache's lines, and `cruddur stats`' feed cache line. A real
# cruddurd on the test cluster, a real scrape (curl), checked by promtool when it is
# installed (Debian: prometheus) and always by the rules of the format itself: per
# method, le ascending and ending in +Inf, counts cumulative (never falling), +Inf equal
# to _count, and _count equal to the calls made; with the page cache built in, once more
# with it on. Run by ctest.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
cli() { "$bin/cruddur" --server "$url" "$@"; }
scrape() { curl -sf --max-time 10 "http://127.0.0.1:$port/metrics"; }

# check_histogram FILE: prints one line per violation of the histogram's rules, nothing
# when the histogram is sound. sed makes each series "KIND METHOD LE VALUE" for awk
# (mawk: no gensub).
check_histogram() {
    sed -nE \
        -e 's/^cruddur_request_duration_seconds_bucket\{method="([^"]*)",le="([^"]*)"\} (.*)$/bucket \1 \2 \3/p' \
        -e 's/^cruddur_request_duration_seconds_(sum|count)\{method="([^"]*)"\} (.*)$/\1 \2 - \3/p' \
        "$1" | awk '
    $1 == "bucket" {
        m = $2; le = $3; n = $4 + 0
        if (m in inf) { print m ": a bucket after +Inf"; next }
        if (le == "+Inf") inf[m] = n
        else if ((m in last_le) && le + 0 <= last_le[m]) print m ": le " le " after " last_le[m]
        if ((m in last_n) && n < last_n[m]) print m ": le " le " counts " n " < " last_n[m]
        last_le[m] = le + 0; last_n[m] = n; buckets[m]++
        if (le == "5e-05") low[m] = 1
        if (le == "10") high[m] = 1
    }
    $1 == "count" { count[$2] = $4 + 0 }
    $1 == "sum" { sum[$2] = $4 + 0 }
    END {
        any = 0
        for (m in buckets) {
            any = 1
            if (!(m in inf)) print m ": no +Inf bucket"
            else if (!(m in count)) print m ": no _count"
            else if (inf[m] != count[m]) print m ": +Inf " inf[m] " != _count " count[m]
            if (!(m in sum)) print m ": no _sum"
            if (!(m in low) || !(m in high)) print m ": bounds do not span 50 us .. 10 s"
        }
        if (!any) print "no histogram at all"
    }'
}

port=$(free_tcp_port)
cache_args=()
# With the page cache built in, --cache-bytes 0 must show it "off", as a server without one does.
[[ $("$bin/cruddurd" --help 2>&1) == *--cache-bytes* ]] && cache_args=(--cache-bytes 0)
start_cruddurd CONNECTION_URL="$(db_url cruddur_metrics_hist)" -- --listen tcp://127.0.0.1:0 \
    --metrics-listen "http://127.0.0.1:$port" --log-level warn "${cache_args[@]}"
cli db setup >/dev/null || die "db setup failed"
for _ in $(seq 7); do cli feed home >/dev/null || fail "feed home failed"; done
cli feed home --limit 500 >/dev/null 2>&1 && fail "limit 500 accepted"

scrape >"$work/metrics.txt" || die "GET /metrics failed"
grep -q '^# TYPE cruddur_request_duration_seconds histogram$' "$work/metrics.txt" ||
    fail "no '# TYPE cruddur_request_duration_seconds histogram'"
grep -q 'quantile=' "$work/metrics.txt" && fail "/metrics still has a summary's quantiles"
bad=$(check_histogram "$work/metrics.txt")
[[ -z "$bad" ]] || fail "histogram: $bad"
home='method="cruddur.v1.Activities/HomeFeed"'
grep -qx "cruddur_request_duration_seconds_count{$home} 8" "$work/metrics.txt" ||
    fail "HomeFeed _count is not 8: $(grep "_count{$home}" "$work/metrics.txt")"
grep -qx "cruddur_request_duration_seconds_bucket{$home,le=\"+Inf\"} 8" "$work/metrics.txt" ||
    fail "HomeFeed +Inf bucket is not 8"

# The checker itself catches a broken histogram: a falling count, and +Inf != _count.
sed -e "s|^\(cruddur_request_duration_seconds_bucket{$home,le=\"10\"}\) 8\$|\1 1|" \
    "$work/metrics.txt" >"$work/broken.txt"
cmp -s "$work/metrics.txt" "$work/broken.txt" && fail "could not break the histogram for the checker"
[[ -n "$(check_histogram "$work/broken.txt")" ]] || fail "the checker passed a falling count"

# The page cache, off: every figure zero, the listener "off".
for want in 'cruddur_feed_cache_hits_total 0' 'cruddur_feed_cache_misses_total 0' \
    'cruddur_feed_cache_drops_by_notice_total 0' 'cruddur_feed_cache_bytes 0' \
    'cruddur_feed_cache_bytes_limit 0' 'cruddur_feed_cache_entries 0' \
    'cruddur_feed_cache_bypassed_total 0' 'cruddur_feed_cache_notices_total 0' \
    'cruddur_feed_cache_listener_up{state="off"} 1' \
    'cruddur_feed_cache_listener_up{state="listening"} 0'; do
    grep -qxF "$want" "$work/metrics.txt" || fail "metrics lack '$want'"
done
out=$(cli stats) || fail "stats failed"
grep -qx 'feed cache: off' <<<"$out" || fail "stats has no 'feed cache: off' line: $out"
out=$(cli --json stats) || fail "stats --json failed"
grep -q '"listener_state":"off"' <<<"$out" || fail "stats --json has no feed cache: $out"
grep -q '"le_counts":\[' <<<"$out" || fail "stats --json has no le_counts: $out"

# promtool: the text is what Prometheus accepts, and passes its lint.
if command -v promtool >/dev/null; then
    promtool check metrics <"$work/metrics.txt" >"$work/promtool.out" 2>&1 ||
        fail "promtool check metrics: $(cat "$work/promtool.out")"
else
    echo "promtool not installed (Debian: prometheus): format checked by awk only" >&2
fi
stop_cruddurd

# With the page cache on (a binary that has it): its limit as given, one listener state at 1,
# and `cruddur stats` showing the cache with its listener. Not whether it hits: that is
# the cache's own tests' matter; this is how the figures are shown.
if ((${#cache_args[@]} > 0)); then
    start_cruddurd CONNECTION_URL="$(db_url cruddur_metrics_hist)" -- --listen tcp://127.0.0.1:0 \
        --metrics-listen "http://127.0.0.1:$port" --log-level warn --cache-bytes 1048576
    for _ in 1 2 3; do cli feed home >/dev/null || fail "feed home failed (cache on)"; done
    scrape >"$work/metrics-on.txt" || die "GET /metrics failed (cache on)"
    grep -qxF 'cruddur_feed_cache_bytes_limit 1048576' "$work/metrics-on.txt" ||
        fail "cache on: no 'cruddur_feed_cache_bytes_limit 1048576'"
    ones=$(grep -c '^cruddur_feed_cache_listener_up{state="[a-z]*"} 1$' "$work/metrics-on.txt" || true)
    [[ "$ones" == 1 ]] || fail "cache on: $ones listener states at 1, want 1"
    grep -qxF 'cruddur_feed_cache_listener_up{state="off"} 0' "$work/metrics-on.txt" ||
        fail "cache on: the listener is 'off'"
    bad=$(check_histogram "$work/metrics-on.txt")
    [[ -z "$bad" ]] || fail "histogram (cache on): $bad"
    out=$(cli stats) || fail "stats failed (cache on)"
    grep -qE '^feed cache: listener (listening|connecting|down); [0-9]+ hits, [0-9]+ misses .* of 1\.00 MiB;' <<<"$out" ||
        fail "stats (cache on) has no feed cache line: $out"
    if command -v promtool >/dev/null; then
        promtool check metrics <"$work/metrics-on.txt" >"$work/promtool.out" 2>&1 ||
            fail "promtool check metrics (cache on): $(cat "$work/promtool.out")"
    fi
    stop_cruddurd
fi

finish
