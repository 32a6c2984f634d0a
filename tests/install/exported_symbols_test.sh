#!/usr/bin/env bash
# tests/install/exported_symbols_test.sh SHARED STATIC - libcruddur defines no global symbol
# outside its prefixes (docs/ARCHITECTURE.md, "Names").
#
#   SHARED (libcruddur.so), `nm -D --defined-only`: every exported symbol is cruddur_ (the
#     public API and the stubs) or cruddur__v1__ (protoc-c's messages), never cruddur_i_
#     (internal: hidden);
#   STATIC (libcruddur.a), `nm -g --defined-only`: every global symbol is one of those or
#     cruddur_i_;
#   and the .so exports exactly the archive's globals but the cruddur_i_ ones: a public
#   function whose declaration lacks CRUDDUR_API would be missing from the .so.
# A sanitizer's instrumentation symbols (__asan_*, __odr_asan*, __ubsan_*, sancov's) are the
# sanitizer's, not libcruddur's, and are left out.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: exported_symbols_test.sh SHARED STATIC" >&2; exit 2; }
shared=$1 static=$2
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
not_sanitizer() {
    grep -vE '^(__asan|__odr_asan|__ubsan|__sancov|__start___sancov|__stop___sancov)' || true
}

dyn=$(nm -D --defined-only "$shared" | awk '{print $NF}' | not_sanitizer | sort -u)
arch=$(nm -g --defined-only -P "$static" | awk 'NF >= 2 && length($2) == 1 {print $1}' |
    not_sanitizer | sort -u)
[[ -n "$dyn" && -n "$arch" ]] ||
    { echo "FAIL: no symbols read from $shared or $static" >&2; exit 1; }

bad=$(grep -v '^cruddur_' <<<"$dyn" || true)
[[ -z "$bad" ]] || fail "libcruddur.so exports unprefixed symbols:"$'\n'"$bad"
bad=$(grep '^cruddur_i_' <<<"$dyn" || true)
[[ -z "$bad" ]] || fail "libcruddur.so exports internal symbols:"$'\n'"$bad"
bad=$(grep -v '^cruddur_' <<<"$arch" || true)
[[ -z "$bad" ]] || fail "libcruddur.a defines unprefixed global symbols:"$'\n'"$bad"
diffs=$(diff <(echo "$dyn") <(grep -v '^cruddur_i_' <<<"$arch" || true)) ||
    fail "libcruddur.so (<) and libcruddur.a's public globals (>) differ:"$'\n'"$diffs"
for s in cruddur_client_open cruddur_client_call_async cruddur_status_name \
    cruddur_activities_home_feed cruddur_method_count cruddur__v1__home_feed_request__descriptor; do
    grep -qx "$s" <<<"$dyn" || fail "libcruddur.so does not export $s"
done

n_dyn=$(wc -l <<<"$dyn")
n_int=$(grep -c '^cruddur_i_' <<<"$arch" || true)
if [[ $failures -gt 0 ]]; then
    echo "exported_symbols_test: $failures failed" >&2
    exit 1
fi
echo "exported_symbols_test: passed ($n_dyn exported, $n_int internal in the archive)"
