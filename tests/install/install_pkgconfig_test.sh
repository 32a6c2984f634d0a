#!/usr/bin/env bash
# tests/install/install_pkgconfig_test.sh - what `cmake --install` puts in a prefix, and a C
# program built outside the tree against it with pkg-config, calling a real cruddurd.
#
# Checks the layout (client/install.cmake's list: the libraries with their soname, the
# headers, cruddur.pc, the CMake package, the .proto files and the descriptor set, which
# must hold every installed .proto and be self-contained), then builds
# tests/install/consumer.c twice with `cc $(pkg-config ...)`: against libcruddur.so (with an
# rpath into the prefix) and against libcruddur.a (`pkg-config --static`, which must name
# every library the archive needs), and runs both against cruddurd on a seeded database.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR/../.. source=tests/support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
# shellcheck source=tests/install/prefix.sh
source "$src/tests/install/prefix.sh"
version=${CRUDDUR_PROJECT_VERSION:?run through ctest}
major=${version%%.*}

install_prefix
for f in "$libdir/libcruddur.so.$version" "$libdir/libcruddur.a" \
    "$libdir/pkgconfig/cruddur.pc" "$libdir/cmake/cruddur/cruddurConfig.cmake" \
    "$libdir/cmake/cruddur/cruddurConfigVersion.cmake" "$prefix/share/cruddur/cruddur.desc"; do
    [[ -f "$f" ]] || fail "not installed: ${f#"$prefix"/}"
done
[[ $(readlink "$libdir/libcruddur.so.$major") == "libcruddur.so.$version" &&
   $(readlink "$libdir/libcruddur.so") == "libcruddur.so.$major" ]] ||
    fail "libcruddur.so -> .so.$major -> .so.$version: $(ls -l "$libdir"/libcruddur.so*)"
soname=$(readelf -d "$libdir/libcruddur.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[[ "$soname" == "libcruddur.so.$major" ]] || fail "soname is '$soname', want libcruddur.so.$major"
for h in api client cruddur method status stubs version; do
    [[ -f "$prefix/include/cruddur/$h.h" ]] || fail "not installed: include/cruddur/$h.h"
done
# Every .proto beside its messages' header, and the descriptor set holds exactly those.
protos=$(cd "$src/proto" && find . -name '*.proto' | sed 's|^\./||' | sort)
for p in $protos; do
    [[ -f "$prefix/share/cruddur/proto/$p" ]] || fail "not installed: share/cruddur/proto/$p"
    [[ -f "$prefix/include/${p%.proto}.pb-c.h" ]] ||
        fail "not installed: include/${p%.proto}.pb-c.h"
done
in_desc=$("$CRUDDUR_PYTHON3" - "$prefix/share/cruddur/cruddur.desc" <<'PY'
import sys
from google.protobuf import descriptor_pb2
s = descriptor_pb2.FileDescriptorSet()
s.ParseFromString(open(sys.argv[1], "rb").read())
names = {f.name for f in s.file}
missing = {d for f in s.file for d in f.dependency} - names
if missing:
    sys.exit("imports missing from the set: %s" % sorted(missing))
print("\n".join(sorted(names)))
PY
) || fail "share/cruddur/cruddur.desc: $in_desc"
[[ "$in_desc" == "$protos" ]] || fail "cruddur.desc holds [$in_desc], want [$protos]"

export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_version=$(pkg-config --modversion cruddur) || fail "pkg-config does not find cruddur"
[[ "$pc_version" == "$version" ]] || fail "pkg-config --modversion cruddur: $pc_version"
cc=${CRUDDUR_C_COMPILER:-cc}
# shellcheck disable=SC2046,SC2086 # pkg-config's words, the flags' words
$cc -std=c11 -Wall -Wextra -Werror $sanitize_flags -o "$work/consumer" \
    "$src/tests/install/consumer.c" $(pkg-config --cflags --libs cruddur) \
    -Wl,-rpath,"$libdir" || die "consumer.c does not build with pkg-config's flags"
# (Output read whole: grep -q in a pipe would end readelf early, and pipefail take that
# for a failure.)
needed=$(readelf -d "$work/consumer")
grep -q "NEEDED.*\[libcruddur.so.$major\]" <<<"$needed" ||
    fail "consumer is not linked against libcruddur.so.$major"
static_libs=$(pkg-config --static --libs cruddur)
# shellcheck disable=SC2046,SC2086
$cc -std=c11 -Wall -Wextra -Werror $sanitize_flags -o "$work/consumer_static" \
    "$src/tests/install/consumer.c" $(pkg-config --cflags cruddur) \
    ${static_libs/-lcruddur/-l:libcruddur.a} ||
    die "consumer.c does not build with pkg-config --static's flags"
needed=$(readelf -d "$work/consumer_static")
grep -q 'libcruddur' <<<"$needed" && fail "consumer_static needs a shared libcruddur"

start_seeded_cruddurd cruddur_install_c
for prog in consumer consumer_static; do
    run=$("$work/$prog" "$url" 2>&1) || fail "$prog $url: $run"
    grep -q "^libcruddur $version from C: passed$" <<<"$run" || fail "$prog: $run"
done
stop_cruddurd
finish
