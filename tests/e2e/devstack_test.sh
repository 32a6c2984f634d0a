#!/usr/bin/env bash
# tests/e2e/devstack_test.sh - the development stack (deploy/dev/up, status, reset, down)
# is only its owner's to reset: up makes a mode-0600 admin token and starts cruddurd with
# it, dev.env carries CRUDDUR_SERVER, CRUDDUR_TOKEN_FILE, CRUDDUR_TOKEN and CONNECTION_URL, a DbAdmin call
# without the token is refused while one from a shell that sourced dev.env works, a moved
# CRUDDUR_LISTEN is remembered by up, reset and status, and no password or token is ever
# on a command line (cruddurd's, or psql's under `cruddur db connect`). The first up runs
# under umask 000: the state directory must still be writable by its owner alone. A
# socket directory in /tmp that another user planted first (a symlink) stops up.
#
# The stack runs in a state directory of its own under $work, on free ports, with the
# binaries of the build under test (CRUDDUR_BUILD_DIR), so a developer's stack in .state
# is never touched; cleanup runs deploy/dev/down on it. Its PostgreSQL is its own
# cluster (initdb), not ctest's fixture. Run by ctest.
# shellcheck disable=SC1091  # dev.env: written by the deploy/dev/up under test
set -euo pipefail
# shellcheck source=tests/support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
# shellcheck source=deploy/lib/common.sh
source "$CRUDDUR_SOURCE_DIR/deploy/lib/common.sh"
dev="$CRUDDUR_SOURCE_DIR/deploy/dev"

cr_pg_bindir >/dev/null 2>&1 || { echo "skipped: no PostgreSQL server binaries"; exit 77; }
# As root the cluster belongs to postgres, which must be able to enter the state directory.
chmod 755 "$work"
state="$work/state"
pg_port=$(free_tcp_port)
listen_port=$(free_tcp_port)
unused_port=$(free_tcp_port) # nothing listens here: where a forgotten listen URL would go
password="Dev5ecretPw$RANDOM"
# trust authentication ignores the password; it is here to be kept off command lines.
db="postgresql://postgres:$password@127.0.0.1:$pg_port/cruddur_devstack"
token_file="$state/admin-token"

# dev SCRIPT [ENV=VALUE...]: runs deploy/dev/SCRIPT on this test's stack, in a clean
# environment as far as cruddur is concerned; output in $out, exit code in $rc.
dev() {
    local script=("$dev/$1")
    shift
    [[ ${script[0]} == */up || ${script[0]} == */reset ]] && script+=(--no-install)
    rc=0
    out=$(env -u CRUDDUR_TOKEN -u CRUDDUR_TOKEN_FILE -u CRUDDUR_SERVER -u CRUDDUR_ADMIN_TOKEN \
        -u CRUDDUR_RDS_INSTANCE -u CRUDDUR_CONFIG -u CONNECTION_URL \
        CRUDDUR_STATE_DIR="$state" CRUDDUR_BUILD_DIR="$(dirname "$bin")" "$@" "${script[@]}" 2>&1) || rc=$?
}
psql_pid=
# A second state directory, with a path too long for a socket: its socket directory is
# /tmp/cruddur-dev-<hash of the path>, a name anyone can take first (see the end).
long_state="$work/$(printf 'long%.0s' $(seq 24))/state"
long_sock=
on_exit() {
    kill_quietly "$psql_pid"
    for s in "$state" "$long_state"; do
        if [[ -d "$s" ]]; then
            CRUDDUR_STATE_DIR="$s" "$dev/down" >/dev/null 2>&1 || true
        fi
    done
    [[ -n "$long_sock" && -L "$long_sock" ]] && rm -f -- "$long_sock"
}
# A shell that knows nothing of the stack: no token, no server, no database URL.
stranger() {
    env -u CRUDDUR_TOKEN -u CRUDDUR_TOKEN_FILE -u CRUDDUR_SERVER -u CONNECTION_URL "$bin/cruddur" "$@"
}
# The owner's shell: `source dev.env`, then cruddur.
owner() { (set +u && source "$state/dev.env" && "$bin/cruddur" "$@"); }
# The cmdline of PID, NULs as spaces.
cmdline() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true; }

# What up and status print of a URL hides every secret libpq takes in one: the password
# and the client key's passphrase (sslpassword), in URL and in key=value form.
for u in "postgresql://u:PwSecret1@h/db" "postgresql://u:Pw?Secret1@h/db" "postgresql://u@h/db?password=PwSecret1&sslpassword=PwSecret1" \
        "host=h sslpassword=PwSecret1 password='Pw Secret1' user=u"; do
    masked=$(cr_mask_url "$u")
    [[ "$masked" == *PwSecret1* || "$masked" == *Secret1* ]] && fail "cr_mask_url shows a secret: $masked"
done
echo "cr_mask_url: $(cr_mask_url "postgresql://u@h/db?sslpassword=PwSecret1")"

# --- up: token, dev.env, a moved listen URL ------------------------------------------
# Under a permissive umask (000): the state directory up makes must still be writable by
# its owner alone, or another user could swap the token file or dev.env (which down,
# status and reset source) for their own.
t0=$(date +%s%N)
saved_umask=$(umask)
umask 000
dev up CRUDDUR_DEV_PG_PORT="$pg_port" CRUDDUR_LISTEN="tcp://127.0.0.1:$listen_port" CONNECTION_URL="$db"
umask "$saved_umask"
echo "deploy/dev/up (new cluster, umask 000): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[[ $rc -eq 0 ]] || { echo "$out" >&2; echo "deploy/dev/up failed: $rc" >&2; exit 1; }
echo "state directory made under umask 000: mode $(stat -c %a "$state")"
(( (8#$(stat -c %a "$state") & 8#022) == 0 )) ||
    fail "state directory mode $(stat -c %a "$state"): others may replace the token file or dev.env"
grep -q "This was imported as seed data" <<<"$out" || fail "up printed no home feed: $out"

[[ $(stat -c %a "$token_file") == 600 ]] || fail "token file mode $(stat -c %a "$token_file"), want 600"
[[ $(stat -c %u "$token_file") == $(id -u) ]] || fail "token file is not ours"
token=$(head -n 1 "$token_file")
[[ "$token" =~ ^[0-9a-f]{64}$ ]] || fail "token is not 32 random bytes in hex: ${#token} characters"
echo "token: ${#token} hex digits, mode $(stat -c %a "$token_file")"
[[ $(stat -c %a "$state/dev.env") == 600 ]] || fail "dev.env mode $(stat -c %a "$state/dev.env"), want 600"
for var in CRUDDUR_SERVER CRUDDUR_TOKEN_FILE CRUDDUR_TOKEN CONNECTION_URL; do
    grep -q "^export $var=" "$state/dev.env" || fail "dev.env does not export $var"
done
grep -qF "$token" "$state/dev.env" && fail "the token itself is in dev.env"
read -r env_server env_token_file env_url env_token < <(set +u && source "$state/dev.env" &&
    echo "$CRUDDUR_SERVER $CRUDDUR_TOKEN_FILE $CONNECTION_URL $CRUDDUR_TOKEN")
[[ "$env_server" == "tcp://127.0.0.1:$listen_port" ]] || fail "dev.env CRUDDUR_SERVER=$env_server"
[[ "$env_token_file" == "$token_file" ]] || fail "dev.env CRUDDUR_TOKEN_FILE=$env_token_file"
[[ "$env_url" == "$db" ]] || fail "dev.env CONNECTION_URL is not the one given"
[[ "$env_token" == "$token" ]] || fail "dev.env CRUDDUR_TOKEN is not the token of the file"

pid=$(cat "$state/cruddurd.pid")
args=$(cmdline "$pid")
[[ "$args" == *"--admin-token-file $token_file"* ]] || fail "cruddurd runs without the token: $args"
[[ "$args" == *"$password"* ]] && fail "the database password is on cruddurd's command line"
[[ "$args" == *"$token"* ]] && fail "the token is on cruddurd's command line"
tr '\0' '\n' <"/proc/$pid/environ" | grep -qxF "CONNECTION_URL=$db" ||
    fail "cruddurd did not get the database URL in its environment"

# --- without the token: refused, and the data survives; with it: done ----------------
server="tcp://127.0.0.1:$listen_port"
stranger --server "$server" users create --handle devstack_marker --display-name Marker \
    --email marker@example.com --cognito-id cog-devstack-marker >/dev/null || fail "users create failed"
rc=0; msg=$(stranger --server "$server" db setup 2>&1) || rc=$?
[[ $rc -eq 1 && "$msg" == *UNAUTHENTICATED* ]] || fail "db setup without the token: exit $rc: $msg"
echo "db setup without the token: $msg"
rc=0; msg=$(env -u CRUDDUR_TOKEN_FILE CRUDDUR_TOKEN=not-the-token-of-this-stack "$bin/cruddur" \
    --server "$server" db setup 2>&1) || rc=$?
[[ $rc -eq 1 && "$msg" == *PERMISSION_DENIED* ]] || fail "db setup with a wrong token: exit $rc: $msg"
stranger --server "$server" users show devstack_marker >/dev/null 2>&1 ||
    fail "the data did not survive a refused db setup"
rc=0; msg=$(owner db setup 2>&1) || rc=$?
[[ $rc -eq 0 && "$msg" == *seed* ]] || fail "source dev.env; cruddur db setup: exit $rc: $msg"
stranger --server "$server" users show devstack_marker >/dev/null 2>&1 &&
    fail "db setup with the token did not re-create the data"
# The old CRUDDUR_TOKEN (the token itself) still works for those who use it.
env -u CRUDDUR_TOKEN_FILE CRUDDUR_TOKEN="$token" "$bin/cruddur" --server "$server" db sessions >/dev/null ||
    fail "CRUDDUR_TOKEN=<the token> is refused"

# --- up again: same token, same server; reset and status remember the listen URL ----
sum=$(sha256sum <"$token_file")
dev up CRUDDUR_LISTEN="tcp://127.0.0.1:$unused_port"
[[ $rc -eq 0 && "$out" == *"This was imported as seed data"* ]] || fail "second up: exit $rc: $out"
[[ "$out" == *"using tcp://127.0.0.1:$listen_port"* ]] || fail "second up did not keep the running URL: $out"
[[ $(sha256sum <"$token_file") == "$sum" ]] || fail "second up changed the token"
[[ $(cat "$state/cruddurd.pid") == "$pid" ]] || fail "second up restarted cruddurd"

t0=$(date +%s%N)
dev reset CRUDDUR_LISTEN="tcp://127.0.0.1:$unused_port"
echo "deploy/dev/reset: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[[ $rc -eq 0 && "$out" == *"This was imported as seed data"* ]] || fail "reset: exit $rc: $out"
grep -qx "CR_SAVED_LISTEN=tcp://127.0.0.1:$listen_port" "$state/dev.env" || fail "reset lost the listen URL"
dev status CRUDDUR_LISTEN="tcp://127.0.0.1:$unused_port"
[[ $rc -eq 0 ]] || fail "status: exit $rc: $out"
grep -qE "^  listen: +tcp://127.0.0.1:$listen_port$" <<<"$out" || fail "status shows another listen URL: $out"
grep -qE "^  token: +$token_file \(mode 600\)$" <<<"$out" || fail "status does not show the token file: $out"
grep -q SERVING <<<"$out" || fail "status: no SERVING: $out"
grep -qF "$password" <<<"$out" && fail "status shows the password"

# --- db connect: the password in psql's environment, never in its argv --------------
# psql from the server binaries first, as up does, so that its pid is cruddur's (exec).
(set +u && source "$state/dev.env" && PATH="$(cr_pg_bindir):$PATH" exec "$bin/cruddur" db connect -- \
    -X -tAc "select 'devstack-probe-' || count(*) from pg_sleep(2)") >"$work/psql.out" 2>&1 &
psql_pid=$!
# The pid is the subshell's, then cruddur's, then psql's (each execs the next): once
# its program is psql, its command line is psql's.
seen=""
for _ in $(seq 250); do
    if [[ "$(readlink "/proc/$psql_pid/exe" 2>/dev/null)" == */psql ]]; then
        seen=$(cmdline "$psql_pid")
        break
    fi
    sleep 0.02
done
echo "psql's command line: $seen"
[[ "$seen" == *devstack-probe* ]] || fail "never saw psql run under cruddur db connect"
[[ "$seen" == *"$password"* ]] && fail "the password is on psql's command line"
tr '\0' '\n' <"/proc/$psql_pid/environ" 2>/dev/null | grep -qxF "PGPASSWORD=$password" ||
    fail "psql did not get the password in PGPASSWORD"
rc=0; wait "$psql_pid" || rc=$?
psql_pid=
if [[ $rc -ne 0 ]] || ! grep -qx "devstack-probe-1" "$work/psql.out"; then
    fail "db connect: exit $rc: $(cat "$work/psql.out")"
fi

# --- a socket directory in /tmp that someone else made first -----------------------
# Another local user who knows the state path plants /tmp/cruddur-dev-<hash> as a symlink
# to a directory of their choosing: up must not use it (as root it chowned the target to
# postgres: any directory of the system), nor start the cluster there.
victim="$work/victim"
mkdir -p "$victim" "$(dirname "$long_state")"
long_sock="/tmp/cruddur-dev-$(CR_STATE="$long_state" cr_dev_hash)"
[[ -e "$long_sock" || -L "$long_sock" ]] && fail "$long_sock exists before the test"
ln -s "$victim" "$long_sock"
victim_owner=$(stat -c %U "$victim")
state_saved="$state"
state="$long_state"
dev up CRUDDUR_DEV_PG_PORT="$(free_tcp_port)" CRUDDUR_LISTEN="tcp://127.0.0.1:$(free_tcp_port)"
state="$state_saved"
echo "up with a planted socket directory symlink: exit $rc: $(grep -m 1 "$long_sock" <<<"$out")"
[[ $rc -ne 0 ]] || fail "up used a socket directory that is a symlink to $victim"
[[ $(stat -c %U "$victim") == "$victim_owner" ]] ||
    fail "up chowned the symlink's target $victim to $(stat -c %U "$victim")"
compgen -G "$victim/.s.PGSQL.*" >/dev/null && fail "PostgreSQL put its socket in the symlink's target"
[[ "$out" == *"$long_sock"* ]] || fail "up does not name the socket directory it refused: $out"
rm -f -- "$long_sock"

# --- down: everything it started ends -----------------------------------------------
dev down
[[ $rc -eq 0 ]] || fail "down: exit $rc: $out"
kill -0 "$pid" 2>/dev/null && fail "cruddurd (pid $pid) still runs after down"
cr_pg_running "$state/pg/data" && fail "PostgreSQL still runs after down"
grep -qE "Sanitizer|runtime error" "$state/cruddurd.log" &&
    fail "cruddurd reported: $(grep -E -m 3 "Sanitizer|runtime error" "$state/cruddurd.log")"

finish
