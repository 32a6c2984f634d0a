# tests/install/prefix.sh - what the install tests share;
# shellcheck shell=bash
# sourced right after tests/support/lib.sh (e2e), whose $work, $bin, die and expect it uses:
#
#   install_prefix             `cmake --install` of this build tree into $work/prefix, as a
#                              user would install it; sets $prefix and $libdir (its lib/)
#   start_seeded_cruddurd DB   cruddurd on database DB of the test cluster, set up and seeded
#                              by `cruddur db setup`; sets $server_pid and $url
#
# ctest gives (tests/install/CMakeLists.txt): CRUDDUR_BUILD_DIR, CRUDDUR_INSTALL_LIBDIR, and
# CRUDDUR_SANITIZE_FLAGS, the sanitizer flags the build used (empty without them): a program
# that loads the sanitized libcruddur.so must be built with them too, or the sanitizer's
# runtime is not the first library loaded and it refuses to run.
# shellcheck disable=SC2034,SC2154 # lib.sh's variables are read, the tests read these
build_dir=${CRUDDUR_BUILD_DIR:?run through ctest}
sanitize_flags=${CRUDDUR_SANITIZE_FLAGS:-}

install_prefix() {
    prefix=$work/prefix
    libdir=$prefix/${CRUDDUR_INSTALL_LIBDIR:?run through ctest}
    cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
        { cat "$work/install.log" >&2; die "cmake --install failed"; }
}

start_seeded_cruddurd() {
    local before=$failures
    start_cruddurd CONNECTION_URL="$(db_url "$1")" -- --listen "tcp://127.0.0.1:0" --log-level warn
    expect 0 "seed .*ok" -- db setup
    [[ $failures -eq $before ]] || die "cruddur db setup failed: $out"
}
