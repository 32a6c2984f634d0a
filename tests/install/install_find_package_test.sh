#!/usr/bin/env bash
# tests/install/install_find_package_test.sh - a C++ program built outside the tree against
# an installed prefix through find_package(cruddur), calling a real cruddurd.
#
# First each installed header alone, compiled as C++ (and the ones that declare anything
# inside extern "C": CRUDDUR_BEGIN_DECLS, or protoc-c's PROTOBUF_C__BEGIN_DECLS); then the
# tiny CMake project in tests/install/cxx/ configured with CMAKE_PREFIX_PATH=the prefix,
# built, and run against cruddurd on a seeded database; asked for version 1.0 instead, the
# package must refuse. The program links only if the
# headers' declarations are extern "C" (a C++ name is mangled).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR/../.. source=tests/support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
# shellcheck source=tests/install/prefix.sh
source "$src/tests/install/prefix.sh"
version=${CRUDDUR_PROJECT_VERSION:?run through ctest}
cxx=${CRUDDUR_CXX_COMPILER:-c++}
command -v "$cxx" >/dev/null || die "no C++ compiler ($cxx): install g++ (deploy/lib/common.sh)"

install_prefix
headers=$(cd "$prefix/include" && find cruddur -name '*.h' | sort)
[[ -n "$headers" ]] || die "no headers under include/cruddur"
for h in $headers; do
    # shellcheck disable=SC2086 # the flags' words
    msg=$("$cxx" -std=c++17 -fsyntax-only -Wall -Wextra -Werror $sanitize_flags \
        -I"$prefix/include" -x c++ - <<<"#include <$h>" 2>&1) || fail "$h as C++: $msg"
    case $h in
    cruddur/cruddur.h | cruddur/version.h | cruddur/api.h) ;; # declare nothing themselves
    *) grep -qE '^(CRUDDUR_BEGIN_DECLS|PROTOBUF_C__BEGIN_DECLS)$' "$prefix/include/$h" ||
        fail "$h has no extern \"C\" guard" ;;
    esac
done

cmake -S "$src/tests/install/cxx" -B "$work/cxx" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CXX_FLAGS="$sanitize_flags" -DCMAKE_EXE_LINKER_FLAGS="$sanitize_flags" \
    >"$work/cxx-configure.log" 2>&1 ||
    { cat "$work/cxx-configure.log" >&2; die "find_package(cruddur) project does not configure"; }
cmake --build "$work/cxx" >"$work/cxx-build.log" 2>&1 ||
    { cat "$work/cxx-build.log" >&2; die "find_package(cruddur) project does not build"; }
# Another major version is another ABI (the soname's): cruddurConfigVersion.cmake refuses it.
if cmake -S "$src/tests/install/cxx" -B "$work/cxx-v1" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCRUDDUR_WANT_VERSION=1.0 >"$work/cxx-v1.log" 2>&1; then
    fail "find_package(cruddur 1.0) accepted version $version"
elif ! grep -q 'compatible with requested version "1.0"' "$work/cxx-v1.log"; then
    fail "find_package(cruddur 1.0) failed, but not on the version: $(cat "$work/cxx-v1.log")"
fi
# The program finds libcruddur.so in the prefix (CMake's rpath from the imported target),
# not in the build tree. (Output read whole: grep -q in a pipe would end ldd early, and
# pipefail take that for a failure.)
loads=$(ldd "$work/cxx/consumer")
grep -q "libcruddur.so.* => $libdir/" <<<"$loads" ||
    fail "consumer does not load the installed libcruddur: $loads"

start_seeded_cruddurd cruddur_install_cxx
run=$("$work/cxx/consumer" "$url" 2>&1) || fail "consumer $url: $run"
grep -q "^libcruddur $version from C++: passed$" <<<"$run" || fail "consumer: $run"
stop_cruddurd
finish
