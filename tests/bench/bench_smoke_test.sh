#!/usr/bin/env bash
# tests/bench/bench_smoke_test.sh - bench/run in one second, so that it never rots.
#
# Runs the whole benchmark on a tiny data set (C=2 D=1, 50 users, 500 activities,
# C_BIG=4, no warm-up) with the binaries ctest built, and checks the FORMAT of every
# output line, in order. It never judges speed. Run by ctest (CRUDDUR_BIN_DIR and
# CRUDDUR_SOURCE_DIR); skipped (77) when pgbench is not installed.
set -euo pipefail

bin=${CRUDDUR_BIN_DIR:?run through ctest}
src=${CRUDDUR_SOURCE_DIR:?run through ctest}
command -v pgbench >/dev/null || { echo "pgbench not installed: skipped"; exit 77; }
command -v wrk >/dev/null || { echo "wrk not installed: skipped"; exit 77; }

out=$(C=2 D=1 W=0 LIMIT=20 USERS=50 ACTIVITIES=500 C_BIG=4 CRUDDUR_BIN_DIR="$bin" "$src/bench/run")
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
    "^ratio ours-coalesced/pgbench [0-9]+\.[0-9]{2}\$"
    "^ratio ours-http/pgbench-json [0-9]+\.[0-9]{2}\$"
    "^ratio ours/pgbench [0-9]+\.[0-9]{2}\$"
)
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
