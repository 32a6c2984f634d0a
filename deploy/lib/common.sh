# deploy/lib/common.sh - shell helpers shared by tests/run, tests/pg/* and deploy/dev/*.
# shellcheck shell=bash
#
# Source it; do not run it. It defines functions and variables only (prefix `cr_`),
# changes no shell options and starts nothing:
#
#   cr_root                      absolute path of the repository root
#   cr_log MSG... / cr_die MSG...  messages on stderr prefixed with the calling script's name
#   CR_PACKAGES                  the Debian packages cruddur builds, tests and runs with
#   cr_install_packages          apt-get installs the missing ones (nothing when all are there)
#   cr_pg_bindir                 prints the PostgreSQL server binary directory
#   cr_pg_as_owner CMD...        runs CMD as the cluster owner (postgres when we are root)
#   cr_pg_prepare_dir DIR        creates DIR, owned by the cluster owner
#   cr_pg_initdb DATA            initdb -A trust -U postgres into DATA
#   cr_pg_running DATA           true if a postmaster runs on DATA
#   cr_pg_start DATA LOG         pg_ctl start -w, prints the log tail on failure
#   cr_pg_stop DATA              pg_ctl stop -m fast -w, when running
#   cr_pg_pidfile_line DATA N    line N of DATA/postmaster.pid (1 pid, 4 port, 5 socket dir)
#   cr_psql_bin                  prints the psql to use
#   cr_sock_fits DIR PORT        true if DIR/.s.PGSQL.PORT fits a unix socket path (107 bytes)
#   cr_mask_url URL              URL with any password or sslpassword replaced by ***
#   cr_pg_owner_can_reach DIR    true if the cluster owner can enter DIR (or could once made)
#   cr_dev_init saved|fresh      sets the CR_* paths of the dev stack (deploy/dev/*)
#   cr_dev_state_private         only the owner may write to CR_STATE (go-w, or refuse)
#   cr_dev_prepare_pg_dir        creates CR_PG_DIR for the cluster owner (deploy/dev/up)
#   cr_dev_prepare_sock_dir      creates CR_PG_SOCK in /tmp, refusing one made by another
#   cr_dev_server_pid            prints the pid of the running dev cruddurd, or fails
#   cr_dev_server_has_token PID  true if that cruddurd runs with --admin-token-file $CR_TOKEN_FILE
#   cr_dev_stop_server PID       SIGTERM, up to 10 s, then SIGKILL; removes the pid/ready files
#   cr_dev_cli ARGS...           the dev stack's cruddur: --server $CR_LISTEN --token-file $CR_TOKEN_FILE
#
# PostgreSQL refuses to run as root, so when we are root every server binary runs as the
# `postgres` OS user through runuser(1); as any other user the binaries run directly and
# the cluster belongs to that user.

# The repository root: this file lives in <root>/deploy/lib/.
cr_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"

cr_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
cr_die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------

# awscli, systemd (systemd-analyze) and curl are for the deploy/ tests (curl for the
# e2e scrapes of /metrics too); python3-protobuf is the strict decoder that the bad-input
# tests run every reply through (tests/support/strict_decode.py), and the runtime of the
# Python client (python/cruddur); protobuf-compiler's protoc generates its messages.
# libclang-rt-14-dev holds clang's sanitizer runtimes; clang only *recommends* it, so
# --no-install-recommends would leave a clang -fsanitize=address build unable to link.
# g++ builds the C++ program of tests/install/ against an installed libcruddur.
CR_PACKAGES=(cmake make gcc clang pkg-config libprotobuf-c-dev protobuf-c-compiler
             libnng-dev libpq-dev uuid-dev postgresql postgresql-contrib libclang-rt-14-dev openssl
             awscli systemd curl python3-protobuf g++ libjansson-dev man-db groff-base
             protobuf-compiler libssl-dev)

# wrk: bench/run's ours-http line (GET /api/activities/home through the HTTP gateway).
CR_PACKAGES+=(wrk)

# prometheus: its promtool checks a real /metrics scrape (metrics_histogram_e2e); 19 MB to
# fetch, no service started where policy-rc.d forbids it (containers, CI).
CR_PACKAGES+=(prometheus)

# Prints the packages of CR_PACKAGES that dpkg does not list as installed.
cr_missing_packages() {
    local p status
    for p in "${CR_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
        [[ "$status" == installed ]] || printf '%s\n' "$p"
    done
}

# Installs the missing packages. Skips apt entirely when nothing is missing, so repeated
# runs cost one dpkg-query per package.
cr_install_packages() {
    command -v dpkg-query >/dev/null 2>&1 ||
        cr_die "dpkg-query not found: package install supports Debian only (pass --no-install and install ${CR_PACKAGES[*]} yourself)"
    local missing
    missing="$(cr_missing_packages | tr '\n' ' ')"
    missing="${missing% }"
    [[ -z "$missing" ]] && return 0

    local sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            cr_die "missing packages: $missing; run as root or install them: apt-get install -y $missing"
        fi
    fi
    cr_log "installing missing packages: $missing"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
        cr_die "apt-get update failed"
    # shellcheck disable=SC2086  # $missing is a list of package names
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends $missing ||
        cr_die "apt-get install failed for: $missing"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------

# Prints the directory holding initdb/pg_ctl/postgres. CRUDDUR_PG_BINDIR overrides;
# otherwise `pg_config --bindir`, then Debian's /usr/lib/postgresql/15/bin, then the
# newest /usr/lib/postgresql/*/bin.
cr_pg_bindir() {
    local d
    for d in "${CRUDDUR_PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null || true)" \
             /usr/lib/postgresql/15/bin; do
        if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            printf '%s\n' "$d"
            return 0
        fi
    done
    d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [[ -n "$d" && -x "$d/initdb" ]]; then
        printf '%s\n' "$d"
        return 0
    fi
    cr_die "PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package (apt-get install postgresql) or set CRUDDUR_PG_BINDIR"
}

# True when we must switch to the postgres OS user (we are root).
cr_pg_need_runuser() { [[ "$(id -u)" -eq 0 ]]; }

# Fails with a clear message when we are root and the postgres user is missing.
cr_pg_check_user() {
    cr_pg_need_runuser || return 0
    id -u postgres >/dev/null 2>&1 ||
        cr_die "running as root, but the 'postgres' OS user does not exist (PostgreSQL refuses to run as root); install the postgresql package (apt-get install postgresql) or run as a non-root user"
    command -v runuser >/dev/null 2>&1 || cr_die "runuser not found (package util-linux)"
}

# Runs "$@" as the cluster owner, from / so that an unreadable working directory (say
# /root) does not make initdb or postgres complain.
cr_pg_as_owner() {
    if cr_pg_need_runuser; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

# Creates DIR (and parents) and hands DIR to the cluster owner; fails if the owner cannot
# write there (for postgres: some parent directory is not searchable by it).
cr_pg_prepare_dir() {
    local dir="$1" owner
    owner="$(id -un)"
    cr_pg_need_runuser && owner=postgres
    mkdir -p -- "$dir" || cr_die "cannot create $dir"
    if cr_pg_need_runuser; then
        chown postgres:"$(id -gn postgres)" -- "$dir" || cr_die "cannot chown $dir to postgres"
    fi
    cr_pg_as_owner test -w "$dir" -a -x "$dir" ||
        cr_die "the cluster owner ($owner) cannot write $dir; a parent directory is probably not searchable by it: use a directory under /tmp"
}

# True if the cluster owner can enter DIR: always when we are not root; as root, when
# postgres can search the nearest existing ancestor of DIR and, if DIR has yet to be made,
# the umask leaves new directories searchable by others (so it can enter those too).
cr_pg_owner_can_reach() {
    local dir="$1"
    cr_pg_need_runuser || return 0
    id -u postgres >/dev/null 2>&1 || return 1
    while [[ ! -e "$dir" && "$dir" == /?* ]]; do
        dir="$(dirname -- "$dir")"
    done
    if [[ "$dir" != "$1" ]]; then
        (( (8#$(umask) & 8#001) == 0 )) || return 1
    fi
    cr_pg_as_owner test -x "$dir" 2>/dev/null
}

# initdb into DATA (which must not exist or be empty). Output goes to DATA/../initdb.log
# and is shown only on failure.
cr_pg_initdb() {
    local data="$1" bindir log locale_args
    bindir="$(cr_pg_bindir)"
    log="$(dirname "$data")/initdb.log"
    # C.UTF-8 gives deterministic sorting and a lower() that knows non-ASCII letters.
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        locale_args=(--locale=C.UTF-8 --encoding=UTF8)
    else
        locale_args=(--no-locale --encoding=UTF8)
    fi
    cr_pg_prepare_dir "$data"
    chmod 700 -- "$data"
    if ! cr_pg_as_owner "$bindir/initdb" -D "$data" -A trust -U postgres "${locale_args[@]}" \
            --no-sync --no-instructions >"$log" 2>&1; then
        cat "$log" >&2
        cr_die "initdb failed for $data (log above, also in $log)"
    fi
}

# True if a postmaster runs on DATA (pg_ctl status exits 0 only then).
cr_pg_running() {
    local data="$1"
    [[ -f "$data/PG_VERSION" ]] || return 1
    cr_pg_as_owner "$(cr_pg_bindir)/pg_ctl" status -D "$data" >/dev/null 2>&1
}

# pg_ctl start -w on DATA, logging to LOG; on failure shows the log tail.
cr_pg_start() {
    local data="$1" log="$2"
    if ! cr_pg_as_owner "$(cr_pg_bindir)/pg_ctl" start -D "$data" -l "$log" -w -t 60 -s; then
        printf -- '--- last lines of %s ---\n' "$log" >&2
        tail -n 30 -- "$log" >&2 2>/dev/null || true
        cr_die "PostgreSQL did not start on $data (log: $log)"
    fi
}

# pg_ctl stop -m fast -w on DATA when a postmaster runs there; quiet no-op otherwise.
cr_pg_stop() {
    local data="$1"
    cr_pg_running "$data" || return 0
    cr_pg_as_owner "$(cr_pg_bindir)/pg_ctl" stop -D "$data" -m fast -w -t 60 -s ||
        cr_die "pg_ctl stop failed for $data"
}

# Reads line N of DATA/postmaster.pid (1 pid, 4 port, 5 socket dir, 6 listen address).
cr_pg_pidfile_line() {
    sed -n "${2}p" -- "$1/postmaster.pid" 2>/dev/null || true
}

# sun_path holds 108 bytes including the terminating NUL.
cr_sock_fits() {
    local path="$1/.s.PGSQL.$2"
    (( ${#path} <= 107 ))
}

# Masks a password and an sslpassword (the client key's passphrase) in a libpq URL or
# key=value string, as cruddurd redacts both (db_target.c). libpq takes a URL's password up
# to the '@' before the first '/', '?' and '#' included.
cr_mask_url() {
    printf '%s\n' "$1" | sed -E \
        -e 's#(://[^:/@]*):[^/]*@#\1:***@#' \
        -e 's#([?&](ssl)?password=)[^&]*#\1***#g' \
        -e "s#(^|[[:space:]])((ssl)?password)=('[^']*'|[^[:space:]]*)#\1\2=***#g"
}

# Prints the psql to use: the one beside the server binaries, else the one on PATH.
cr_psql_bin() {
    local d
    d="$(cr_pg_bindir 2>/dev/null || true)"
    if [[ -n "$d" && -x "$d/psql" ]]; then
        printf '%s\n' "$d/psql"
    elif command -v psql >/dev/null 2>&1; then
        command -v psql
    else
        cr_die "psql not found; install postgresql-client"
    fi
}

# ---------------------------------------------------------------------------------------
# Local development stack (deploy/dev/*)
# ---------------------------------------------------------------------------------------

# Sets the paths and settings deploy/dev/{up,down,status} share. `cr_dev_init saved` (down,
# status) lets the values that up saved in $CR_STATE/dev.env (what the running stack was
# started with) win over the environment; `cr_dev_init fresh` (up) ignores that file.
#
#   CR_STATE      ${CRUDDUR_STATE_DIR:-<root>/.state}, made absolute
#   CR_PG_DIR     the cluster directory (owned by the cluster owner): $CR_STATE/pg, or
#                 /var/tmp/cruddur-dev-<hash>/pg when we are root and postgres cannot enter
#                 $CR_STATE (a checkout under /root, mode 0700); see cr_dev_pg_dir
#   CR_PG_DATA    $CR_PG_DIR/data         CR_PG_LOG  $CR_PG_DIR/postgres.log
#   CR_PG_PORT    ${CRUDDUR_DEV_PG_PORT:-5433}
#   CR_PG_SOCK    $CR_PG_DIR, or /tmp/cruddur-dev-<hash> when that path is too long
#   CR_LISTEN     ${CRUDDUR_LISTEN:-tcp://127.0.0.1:7432}; saved: the URL up gave cruddurd
#   CR_DB_URL     ${CONNECTION_URL:-postgresql://postgres@127.0.0.1:$CR_PG_PORT/cruddur}
#   CR_DB_URL_SET 1 when CONNECTION_URL came from the user and is not the default URL
#                 (say after `source $CR_STATE/dev.env`); then up keeps it as it is
#   CR_PIDFILE, CR_READYFILE, CR_SRVLOG, CR_ENVFILE   cruddurd.{pid,ready,log}, dev.env
#   CR_TOKEN_FILE $CR_STATE/admin-token: the admin token cruddurd is started with (mode 0600)
#   CR_BUILD      ${CRUDDUR_BUILD_DIR:-<root>/build}, made absolute
#   CR_CRUDDURD, CR_CRUDDUR                           $CR_BUILD/bin/cruddurd, $CR_BUILD/bin/cruddur
# Only CR_PG_DIR (and what is under it) may lie outside $CR_STATE.
# shellcheck disable=SC2034  # the variables are for the scripts that call this
cr_dev_init() {
    CR_STATE="${CRUDDUR_STATE_DIR:-$cr_root/.state}"
    case "$CR_STATE" in /*) ;; *) CR_STATE="$PWD/$CR_STATE" ;; esac
    CR_STATE="${CR_STATE%/}"
    CR_ENVFILE="$CR_STATE/dev.env"
    CR_SAVED_CONNECTION_URL=""
    CR_SAVED_LISTEN=""
    CR_SAVED_PG_PORT=""
    CR_SAVED_PG_DIR=""
    if [[ "${1:-saved}" == saved && -f "$CR_ENVFILE" ]]; then
        cr_dev_state_private
        # shellcheck disable=SC1090
        source "$CR_ENVFILE"
    fi
    CR_PG_DIR="${CR_SAVED_PG_DIR:-$(cr_dev_pg_dir)}"
    CR_PG_DATA="$CR_PG_DIR/data"
    CR_PG_LOG="$CR_PG_DIR/postgres.log"
    CR_PG_PORT="${CR_SAVED_PG_PORT:-${CRUDDUR_DEV_PG_PORT:-5433}}"
    [[ "$CR_PG_PORT" =~ ^[0-9]+$ ]] || cr_die "CRUDDUR_DEV_PG_PORT must be a number, not '$CR_PG_PORT'"
    if cr_sock_fits "$CR_PG_DIR" "$CR_PG_PORT"; then
        CR_PG_SOCK="$CR_PG_DIR"
    else
        CR_PG_SOCK="/tmp/cruddur-dev-$(cr_dev_hash)"
    fi
    CR_LISTEN="${CR_SAVED_LISTEN:-${CRUDDUR_LISTEN:-tcp://127.0.0.1:7432}}"
    CR_DB_URL_SET=0
    CR_DB_URL="postgresql://postgres@127.0.0.1:$CR_PG_PORT/cruddur"
    if [[ -n "$CR_SAVED_CONNECTION_URL" ]]; then
        CR_DB_URL="$CR_SAVED_CONNECTION_URL"
    elif [[ -n "${CONNECTION_URL:-}" && "$CONNECTION_URL" != "$CR_DB_URL" ]]; then
        # The default URL in the environment (from dev.env) is still the default: up may
        # follow the cluster to another port with it.
        CR_DB_URL="$CONNECTION_URL"
        CR_DB_URL_SET=1
    fi
    CR_PIDFILE="$CR_STATE/cruddurd.pid"
    CR_READYFILE="$CR_STATE/cruddurd.ready"
    CR_SRVLOG="$CR_STATE/cruddurd.log"
    CR_TOKEN_FILE="$CR_STATE/admin-token"
    CR_BUILD="${CRUDDUR_BUILD_DIR:-$cr_root/build}"
    case "$CR_BUILD" in /*) ;; *) CR_BUILD="$PWD/$CR_BUILD" ;; esac
    CR_BUILD="${CR_BUILD%/}"
    CR_CRUDDURD="$CR_BUILD/bin/cruddurd"
    CR_CRUDDUR="$CR_BUILD/bin/cruddur"
}

# Makes sure that only its owner can write to $CR_STATE: it holds the admin token and
# dev.env, which down, status and reset source as code, so another user who could rename
# files there (a directory made under umask 000 is mode 0777) could swap either for their
# own. Our own directory loses its group and other write bits; someone else's that others
# can write is refused.
cr_dev_state_private() {
    local mode
    mode="$(stat -c %a -- "$CR_STATE")" || cr_die "cannot stat $CR_STATE"
    (( (8#$mode & 8#022) == 0 )) && return 0
    [[ -O "$CR_STATE" ]] ||
        cr_die "$CR_STATE (mode $mode) is not $(id -un)'s and others can write to it, so its token and dev.env could be anyone's; chmod go-w it"
    chmod go-w -- "$CR_STATE" || cr_die "cannot chmod $CR_STATE"
    cr_log "made $CR_STATE writable by its owner only (it was mode $mode)"
}

# Prints a short hash of $CR_STATE, naming the directories a state directory owns outside.
cr_dev_hash() { printf '%s' "$CR_STATE" | sha256sum | cut -c1-12; }

# Prints the cluster directory for $CR_STATE when dev.env does not name one. A cluster
# that exists wins, so that the answer does not change under a running cluster; otherwise
# $CR_STATE/pg when the cluster owner can reach it, else /var/tmp/cruddur-dev-<hash>/pg
# (/var/tmp: the data survives a reboot, as it would in $CR_STATE).
cr_dev_pg_dir() {
    local own="$CR_STATE/pg" alt
    alt="/var/tmp/cruddur-dev-$(cr_dev_hash)/pg"
    if [[ -f "$own/data/PG_VERSION" ]]; then
        printf '%s\n' "$own"
    elif [[ -f "$alt/data/PG_VERSION" ]] || ! cr_pg_owner_can_reach "$CR_STATE"; then
        printf '%s\n' "$alt"
    else
        printf '%s\n' "$own"
    fi
}

# Creates CR_PG_DIR for the cluster owner. Outside $CR_STATE its parent sits in the
# world-writable /var/tmp, so the parent must be a real directory of ours (not a symlink,
# not made by another user), mode 0755; CR_PG_DIR itself is mode 0700.
cr_dev_prepare_pg_dir() {
    local parent
    if [[ "$CR_PG_DIR" != "$CR_STATE/pg" ]]; then
        parent="$(dirname -- "$CR_PG_DIR")"
        [[ -e "$parent" || -L "$parent" ]] || mkdir -m 0755 -- "$parent" ||
            cr_die "cannot create $parent"
        [[ -d "$parent" && ! -L "$parent" && -O "$parent" ]] ||
            cr_die "$parent is not a directory of $(id -un) (a symlink, or made by someone else); remove it"
        chmod 0755 -- "$parent" || cr_die "cannot chmod $parent"
        [[ ! -L "$CR_PG_DIR" ]] || cr_die "$CR_PG_DIR is a symlink; remove it"
    fi
    cr_pg_prepare_dir "$CR_PG_DIR"
    if [[ "$CR_PG_DIR" != "$CR_STATE/pg" ]]; then
        chmod 0700 -- "$CR_PG_DIR" || cr_die "cannot chmod $CR_PG_DIR"
    fi
}

# Creates CR_PG_SOCK when it is not CR_PG_DIR: /tmp/cruddur-dev-<hash>, a name in a
# directory that anyone can write to and that anyone who knows $CR_STATE can compute. So
# up makes it itself (mkdir fails if someone was first), or takes the one an earlier up
# made: a real directory (a symlink would have chown follow it to anywhere) of the
# cluster owner or ours, writable by its owner alone. Anything else stops up.
cr_dev_prepare_sock_dir() {
    local dir="$CR_PG_SOCK" owner mode
    owner="$(id -un)"
    cr_pg_need_runuser && owner=postgres
    if [[ ! -e "$dir" && ! -L "$dir" ]]; then
        mkdir -m 0700 -- "$dir" || cr_die "cannot create the socket directory $dir"
    fi
    [[ -d "$dir" && ! -L "$dir" ]] ||
        cr_die "the socket directory $dir is not a directory (a symlink?) that up made; remove it"
    [[ -O "$dir" || "$(stat -c %U -- "$dir")" == "$owner" ]] ||
        cr_die "the socket directory $dir belongs to $(stat -c %U -- "$dir"), not $owner; remove it"
    mode="$(stat -c %a -- "$dir")"
    (( (8#$mode & 8#022) == 0 )) ||
        cr_die "the socket directory $dir (mode $mode) is writable by others; remove it"
    cr_pg_prepare_dir "$dir"
}

# Prints the pid of the running cruddurd named by the pid file; fails when there is none
# (no file, dead pid, or a pid that now belongs to some other program).
cr_dev_server_pid() {
    local pid
    [[ -f "$CR_PIDFILE" ]] || return 1
    pid="$(tr -dc '0-9' <"$CR_PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1 | grep -q 'cruddurd$' || return 1
    printf '%s\n' "$pid"
}

# True if cruddurd PID was started with `--admin-token-file $CR_TOKEN_FILE` (as up starts
# it); a server from before up made tokens, or started by hand, serves DbAdmin to anyone.
cr_dev_server_has_token() {
    local arg prev=""
    [[ -r "/proc/$1/cmdline" ]] || return 1
    while IFS= read -r -d '' arg; do
        [[ "$prev" == --admin-token-file && "$arg" == "$CR_TOKEN_FILE" ]] && return 0
        prev="$arg"
    done <"/proc/$1/cmdline" 2>/dev/null
    return 1
}

# Stops the dev cruddurd PID: SIGTERM, up to 10 s for it to drain and exit, then SIGKILL
# with a warning. Removes the pid and ready files, which a killed server leaves behind.
cr_dev_stop_server() {
    local pid="$1" i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        cr_log "warning: cruddurd (pid $pid) did not exit within 10 s of SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    rm -f -- "$CR_PIDFILE" "$CR_READYFILE"
}

# Runs the dev stack's cruddur on "$@": its server, and its admin token (the file, never
# the token on a command line) when up has made one.
cr_dev_cli() {
    local token_args=()
    [[ -f "$CR_TOKEN_FILE" ]] && token_args=(--token-file "$CR_TOKEN_FILE")
    "$CR_CRUDDUR" --server "$CR_LISTEN" "${token_args[@]}" "$@"
}
