#!/usr/bin/env bash
# tests/bench/bench_smoke_test.sh - bench/run in one second, so that it never rots.
#
# Runs the whole benchmark on a tiny data set (C=2 D=1, 50 users, 500 activities,
# C_BIG=4, no warm-up, RSS_SECONDS=2) with the binaries ctest built, and checks the
# FORMAT of every output line, in order; the ours-cached lines and their ratios only
# when cruddurd has --cache-bytes (bench/run leaves them out otherwise). It never judges speed. Run by ctest (CRUDDUR_BIN_DIR and
# CRUDDUR_SOURCE_DIR); skipped (77) when pgbench is not installed.
set -euo pipefail

bin=${CRUDDUR_BIN_DIR:?run through ctest}
src=${CRUDDUR_SOURCE_DIR:?run through ctest}
command -v pgbench >/dev/null || { echo "pgbench not installed: skipped"; exit 77; }
command -v wrk >/dev/null || { echo "wrk not installed: skipped"; exit 77; }

out=$(C=2 D=1 W=0 LIMIT=20 USERS=50 ACTIVITIES=500 C_BIG=4 RSS_SECONDS=2 RSS_EVERY=1 \
    CRUDDUR_BIN_DIR="$bin" "$src/bench/run")
echo "$out"

num='[0-9]+'
dec='[0-9]+\.[0-9]+'
want=(
    "^pgbench $num $num $num\$"
    "^cpu pgbench postgres_s_per_1000 $dec\$"
    "^pgbench-json $num $num $num\$"
    "^ours $num $num $num\$"
    "^cpu ours server_s_per_1000 $dec postgres_s_per_1000 $dec\$"
    "^ours-coalesced $num $num $num\$"
    "^cpu ours-coalesced server_s_per_1000 $dec postgres_s_per_1000 $dec\$"
    "^ours-coalesced@4 $num $num $num\$"
    "^rss_mib C=2 $dec\$"
    "^rss_mib C=4 $dec\$"
    "^floor-no-database $num $num $num\$"
    "^ours-http $num $num $num\$"
    "^echo-callback $num $num $num\$"
)
cached=false
[[ $("$bin/cruddurd" --help 2>&1) == *--cache-bytes* ]] && cached=true
if $cached; then
    want+=("^ours-cached $num $num $num\$"
        "^cpu ours-cached server_s_per_1000 $dec postgres_s_per_1000 $dec\$"
        "^write-mix $num $num $num hit_ratio [01]\.[0-9]{2}\$")
else
    want+=("^write-mix $num $num $num hit_ratio off\$")
fi
want+=("^rss_flat C=4 seconds=2 first_mib $dec last_mib $dec max_mib $dec samples $dec(,$dec)+\$"
    "^ratio ours-coalesced/pgbench [0-9]+\.[0-9]{2}\$"
    "^ratio ours-http/pgbench-json [0-9]+\.[0-9]{2}\$")
if $cached; then
    want+=("^ratio ours-cached/pgbench [0-9]+\.[0-9]{2}\$"
        "^ratio ours-cached/echo-callback [0-9]+\.[0-9]{2}\$")
fi
want+=("^ratio ours/pgbench [0-9]+\.[0-9]{2}\$")
mapfile -t lines <<<"$out"
failures=0
if [[ ${#lines[@]} -ne ${#want[@]} ]]; then
    echo "FAIL: ${#lines[@]} lines, want ${#want[@]}" >&2
    failures=1
fi
for i in "${!want[@]}"; do
    if ! [[ "${lines[$i]:-}" =~ ${want[$i]} ]]; then
        echo "FAIL: line $((i + 1)) '${lines[$i]:-}' does not match /${want[$i]}/" >&2
        failures=$((failures + 1))
    fi
done
# The last line is the one the issue names: ratio ours/pgbench R.
[[ "${lines[-1]}" == "ratio ours/pgbench "* ]] || { echo "FAIL: last line" >&2; failures=$((failures + 1)); }
if ((failures > 0)); then echo "bench_smoke_test: FAILED" >&2; exit 1; fi
echo "bench_smoke_test: passed"
