#!/usr/bin/env bash
# tests/man/man_test.sh BUILD_DIR - the man pages in man/: each renders with `man -l` and
# with `groff -man -ww -z` (every groff warning on) without a single warning; each
# program's page lists exactly the long options of its --help, and libcruddur(3) names
# every function of the public headers (man_options.py); `cmake --install` puts them in
# share/man/man1, man3 and man8, where `man -l` renders them too. Run by ctest (it sets
# CRUDDUR_BIN_DIR, CRUDDUR_SOURCE_DIR and CRUDDUR_PYTHON3).
set -euo pipefail

build=${1:?usage: man_test.sh BUILD_DIR}
bin=${CRUDDUR_BIN_DIR:?run through ctest}
src=${CRUDDUR_SOURCE_DIR:?run through ctest}
python=${CRUDDUR_PYTHON3:-python3}
work=$(mktemp -d /tmp/cruddur-test-man-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
export LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat

# render PAGE: man -l and groff, nothing on stderr, some text on stdout; a NAME line.
render() {
    local page=$1
    if ! man --warnings -E UTF-8 -l "$page" >"$work/out" 2>"$work/err" || [[ -s "$work/err" ]]; then
        fail "man -l $page: $(cat "$work/err")"
    elif [[ $(wc -l <"$work/out") -lt 20 ]]; then
        fail "man -l $page rendered $(wc -l <"$work/out") lines"
    else
        echo "ok   man -l $page"
    fi
    # whatis/apropos read the NAME line.
    lexgrog "$page" >/dev/null 2>&1 || fail "lexgrog $page: no NAME line whatis can read"
    if ! groff -man -ww -z "$page" 2>"$work/err" || [[ -s "$work/err" ]]; then
        fail "groff -man -ww -z $page: $(cat "$work/err")"
    else
        echo "ok   groff -man -ww -z $page"
    fi
}

pages=(cruddur.1 cruddur-bench.1 libcruddur.3 cruddurd.8)
for p in "${pages[@]}"; do render "$src/man/$p"; done

"$python" "$src/tests/man/man_options.py" options "$src/man/cruddur.1" -- "$bin/cruddur" || failures=$((failures + 1))
"$python" "$src/tests/man/man_options.py" options "$src/man/cruddur-bench.1" -- "$bin/cruddur-bench" || failures=$((failures + 1))
"$python" "$src/tests/man/man_options.py" options "$src/man/cruddurd.8" -- "$bin/cruddurd" || failures=$((failures + 1))
"$python" "$src/tests/man/man_options.py" functions "$src/man/libcruddur.3" "$src"/client/include/cruddur/*.h ||
    failures=$((failures + 1))

# Installed where man finds them.
if cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1; then
    for p in "${pages[@]}"; do
        installed="$work/prefix/share/man/man${p##*.}/$p"
        if [[ -f "$installed" ]]; then
            render "$installed"
            MANPATH="$work/prefix/share/man" man -w "${p%.*}" 2>/dev/null | grep -qx "$installed" ||
                fail "man -w ${p%.*} with MANPATH=$work/prefix/share/man does not find $installed"
        else
            fail "cmake --install did not install $installed"
        fi
    done
else
    fail "cmake --install $build: $(tail -5 "$work/install.log")"
fi

if ((failures > 0)); then echo "man_test: $failures failed" >&2; exit 1; fi
echo "man_test: passed"
