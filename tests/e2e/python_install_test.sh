#!/usr/bin/env bash
# tests/e2e/python_install_test.sh - the cruddur Python package as cmake --install puts it
# into a prefix, used from outside the tree: install this build to a temporary prefix, put
# its Python directory (CRUDDUR_PYTHON_INSTALL_DIR, the one Debian's python3 reads under
# /usr/local) on PYTHONPATH, and run a small script from /tmp against a real cruddurd.
# Run by ctest (it sets CRUDDUR_BUILD_DIR, CRUDDUR_PYTHON_INSTALL_DIR and the usual).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
build=${CRUDDUR_BUILD_DIR:?run through ctest}
pyrel=${CRUDDUR_PYTHON_INSTALL_DIR:?run through ctest}
prefix=$work/prefix
pydir=$prefix/$pyrel

cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; die "cmake --install failed"; }
for f in __init__.py client.py wire.py methods.py status.py v1/__init__.py v1/rpc_pb2.py \
         v1/activities_pb2.py v1/users_pb2.py v1/db_admin_pb2.py v1/health_pb2.py v1/stats_pb2.py; do
    [[ -f "$pydir/cruddur/$f" ]] && ok "installed $pyrel/cruddur/$f" || fail "not installed: $pyrel/cruddur/$f"
done
[[ -z "$(find "$pydir" -name __pycache__)" ]] && ok "no __pycache__ installed" || fail "__pycache__ installed"
# With the default prefix the package lands where Debian's python3 looks.
"$CRUDDUR_PYTHON3" -c 'import sys; sys.exit("/usr/local/'"$pyrel"'" not in sys.path)' &&
    ok "/usr/local/$pyrel is on $CRUDDUR_PYTHON3's sys.path" ||
    fail "/usr/local/$pyrel is not on $CRUDDUR_PYTHON3's sys.path"

start_cruddurd CONNECTION_URL="$(db_url cruddur_py_install)" -- --listen tcp://127.0.0.1:0
cat >"$work/feed.py" <<'PY'
import sys
import cruddur

assert cruddur.__file__.startswith(sys.argv[2]), cruddur.__file__
with cruddur.Client(sys.argv[1], token="") as client:
    client.db_admin.setup(deadline_ms=60000)
    feed = client.activities.home_feed(limit=20, deadline_ms=2000)
    for a in feed.activities:
        print("@%s: %s" % (a.handle, a.message))
    try:
        client.users.get_user(handle="nobody")
    except cruddur.CruddurError as e:
        print("error", e.code.name)
PY
rc=0
got=$(cd /tmp && env -u PYTHONHOME PYTHONPATH="$pydir" "$CRUDDUR_PYTHON3" "$work/feed.py" "$url" "$pydir" 2>&1) ||
    rc=$?
if [[ $rc -eq 0 ]] && grep -q "@hotwheels: This was imported as seed data" <<<"$got" &&
   grep -q "error NOT_FOUND" <<<"$got"; then
    ok "a script in /tmp calls the server through the installed package"
else
    fail "the script from /tmp: exit $rc: $got"
fi
stop_cruddurd
finish
