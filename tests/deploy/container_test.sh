#!/usr/bin/env bash
# tests/deploy/container_test.sh - deploy/container/Containerfile, checked without a
# container engine (none runs here): what can be proved from this Debian 12 machine, which
# is the image's own base.
#
#   1. Two stages, both FROM debian:bookworm-slim; the runtime stage has a non-root USER,
#      EXPOSE 7432, an exec-form ENTRYPOINT running cruddurd on tcp://0.0.0.0:7432.
#   2. Every path a COPY takes from the context exists and is not in the ignore file.
#   3. Every package either stage installs is a Debian 12 package (installed here, else
#      known to apt-cache); the runtime stage installs no -dev package and no compiler.
#   4. The build stage, reproduced: the COPY sources are copied into a temporary /src and
#      the stage's cmake RUN line runs there as written (Release, cmake --install with
#      DESTDIR), with /src, /build and /out moved into the temporary directory. The build
#      packages must be installed here (they are part of CR_PACKAGES).
#   5. The installed tree has bin/cruddurd, bin/cruddur and share/cruddur/sql/*.sql, the
#      paths the runtime stage COPYs from, the ENTRYPOINT, the HEALTHCHECK and
#      deploy/systemd/cruddurd.service use.
#   6. Every shared library the installed binaries need comes from a runtime package (or
#      libc6, which the base image has): dpkg -S on what ldd resolves.
#   7. The installed cruddurd runs with the ENTRYPOINT's arguments (0.0.0.0:7432 moved to
#      127.0.0.1:0, as uid 10001 when we are root, with no --sql-dir so that it must find
#      the SQL files beside itself), answers `cruddur methods`, the HEALTHCHECK command runs
#      (exit 0 or 1, not a usage error), and SIGTERM stops it with exit 0 within 10 s, the
#      engines' default grace.
#
# Environment: CRUDDUR_SOURCE_DIR (default: two levels up). Exit 0 pass, 1 fail.
set -euo pipefail
# shellcheck source=tests/support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" deploy

cfile="$src/deploy/container/Containerfile"
ignore="$src/deploy/container/Containerfile.dockerignore"

[[ -f "$cfile" ]] || die "$cfile is missing"
command -v python3 >/dev/null || die "python3 not found"

# The Containerfile as JSON lines: {"stage": N, "name": ..., "inst": "RUN", "args": "..."},
# continuation lines joined, comments dropped.
python3 - "$cfile" >"$work/instructions.jsonl" <<'PY'
import json, sys
stage, name, buf = -1, "", ""
for raw in open(sys.argv[1], encoding="utf-8"):
    line = raw.rstrip("\n")
    if not buf and (not line.strip() or line.lstrip().startswith("#")):
        continue
    if buf and line.lstrip().startswith("#"):
        continue
    if line.endswith("\\"):
        buf += line[:-1] + " "
        continue
    buf += line
    inst, _, args = buf.strip().partition(" ")
    inst = inst.upper()
    args = " ".join(args.split())
    if inst == "FROM":
        stage += 1
        parts = args.split()
        name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else ""
    print(json.dumps({"stage": stage, "name": name, "inst": inst, "args": args}))
    buf = ""
PY
# cf EXPR: a Python expression over `ins` (the instructions) and `stage(n)`, printed.
cf() {
    python3 - "$work/instructions.jsonl" "$1" <<'PY'
import json, shlex, sys
ins = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
def stage(n):
    return [i for i in ins if i["stage"] == n]
def args(n, inst):
    return [i["args"] for i in stage(n) if i["inst"] == inst]
def apt_packages(n):
    out = []
    for a in args(n, "RUN"):
        for part in a.split("&&"):
            words = shlex.split(part)
            if words[:2] == ["apt-get", "install"]:
                out += [w for w in words[2:] if not w.startswith("-")]
    return out
v = eval(sys.argv[2])
if isinstance(v, list):
    print("\n".join(str(x) for x in v))
else:
    print(v)
PY
}

# ==========================================================================================
echo "== stages and runtime settings"
nstages="$(cf 'max(i["stage"] for i in ins) + 1')"
if [[ "$nstages" == 2 ]]; then
    ok "two stages"
else
    fail "want two stages (build, run), found $nstages"
fi
froms="$(cf '[a.split()[0] for a in args(0, "FROM") + args(1, "FROM")]' | sort -u | tr '\n' ' ')"
if [[ "$froms" == "debian:bookworm-slim " ]]; then
    ok "both stages FROM debian:bookworm-slim"
else
    fail "the stages must start FROM debian:bookworm-slim, not: $froms"
fi
if [[ "$(cf 'stage(0)[0]["name"]')" == build ]]; then
    ok "the first stage is named build"
else
    fail "the first stage must be named build"
fi
user="$(cf 'args(1, "USER")[-1] if args(1, "USER") else ""')"
if [[ -n "$user" && "${user%%:*}" != 0 && "${user%%:*}" != root ]]; then
    ok "runtime USER $user is not root"
else
    fail "the runtime stage must set a non-root USER (has '$user')"
fi
if [[ "$(cf 'args(1, "EXPOSE")')" == 7432 ]]; then
    ok "EXPOSE 7432"
else
    fail "the runtime stage must EXPOSE 7432"
fi
entry="$(cf 'args(1, "ENTRYPOINT")[-1] if args(1, "ENTRYPOINT") else ""')"
if mapfile -t entry_argv < <(python3 -c 'import json,sys; [print(a) for a in json.loads(sys.argv[1])]' "$entry" 2>/dev/null) &&
        [[ ${#entry_argv[@]} -gt 0 ]]; then
    ok "ENTRYPOINT is in exec (JSON) form: ${entry_argv[*]}"
else
    fail "ENTRYPOINT must be a JSON array: $entry"
    entry_argv=()
fi
if [[ " ${entry_argv[*]} " == *" --listen tcp://0.0.0.0:7432 "* && "${entry_argv[0]:-}" == */cruddurd ]]; then
    ok "ENTRYPOINT runs cruddurd on tcp://0.0.0.0:7432"
else
    fail "ENTRYPOINT must run cruddurd --listen tcp://0.0.0.0:7432"
fi

# ==========================================================================================
echo "== COPY sources"
mapfile -t copies < <(cf '[a for a in args(0, "COPY") + args(1, "COPY") if not a.startswith("--from")]')
for c in "${copies[@]}"; do
    read -r -a words <<<"$c"
    dest="${words[-1]}"
    for s in "${words[@]:0:${#words[@]}-1}"; do
        if [[ -e "$src/$s" ]]; then
            ok "COPY $s -> $dest: exists"
        else
            fail "COPY $s: no such path in the repository"
        fi
        if [[ -f "$ignore" ]] && python3 - "$ignore" "${s%/}" <<'PY'
import fnmatch, sys
pats = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
path = sys.argv[2]
hit = any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/"))
          or path == p or path.startswith(p.rstrip("/") + "/") for p in pats)
sys.exit(0 if hit else 1)
PY
        then
            fail "COPY $s: excluded by $(basename "$ignore")"
        fi
    done
done

# ==========================================================================================
echo "== packages"
mapfile -t build_pkgs < <(cf 'apt_packages(0)')
mapfile -t run_pkgs < <(cf 'apt_packages(1)')
[[ ${#build_pkgs[@]} -gt 0 ]] || fail "the build stage installs no packages"
[[ ${#run_pkgs[@]} -gt 0 ]] || fail "the runtime stage installs no packages"
missing_build=()
for p in "${build_pkgs[@]}" "${run_pkgs[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
    if [[ "$status" == installed ]]; then
        ok "$p is a Debian package (installed here, $(dpkg-query -W -f='${Version}' "$p"))"
    elif apt-cache show --no-all-versions "$p" >/dev/null 2>&1; then
        ok "$p is a Debian package (apt-cache knows it)"
    else
        fail "$p: neither installed nor known to apt-cache (run apt-get update?)"
    fi
    [[ "$status" == installed ]] || missing_build+=("$p")
done
for p in "${run_pkgs[@]}"; do
    case "$p" in
        *-dev|gcc|gcc-*|clang*|cmake|make|pkg-config|protobuf-c-compiler)
            fail "the runtime stage installs a build tool: $p" ;;
    esac
done

# ==========================================================================================
echo "== the build stage, reproduced"
build_run="$(cf '[a for a in args(0, "RUN") if "cmake" in a][-1]')"
ctx="$work/src"
mkdir -p "$ctx"
for c in "${copies[@]}"; do
    read -r -a words <<<"$c"
    dest="${words[-1]}"
    for s in "${words[@]:0:${#words[@]}-1}"; do
        [[ -e "$src/$s" ]] || continue
        if [[ -d "$src/$s" ]]; then
            mkdir -p "$ctx/$dest"
            cp -a "$src/${s%/}/." "$ctx/$dest"
        else
            mkdir -p "$ctx/$(dirname "$dest/x")"
            cp -a "$src/$s" "$ctx/$dest"
        fi
    done
done
# Nothing the build makes may land in the source tree; drop what a developer's tree has.
rm -rf -- "$ctx/build" "$ctx/.state"
cmd="$(python3 - "$build_run" "$work" <<'PY'
import re, sys
cmd, tmp = sys.argv[1], sys.argv[2]
print(re.sub(r'(?<![\w./-])/(src|build|out)(?=[/\s"\']|$)', tmp + r'/\1', cmd))
PY
)"
echo "    $cmd"
not_installed=()
for p in "${build_pkgs[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] ||
        not_installed+=("$p")
done
built=0
if [[ ${#not_installed[@]} -gt 0 ]]; then
    fail "cannot reproduce the build: not installed here: ${not_installed[*]}"
elif (cd "$ctx" && bash -euo pipefail -c "$cmd") >"$work/build.log" 2>&1; then
    ok "the build stage's RUN line builds and installs (Release)"
    built=1
else
    fail "the build stage's RUN line failed; the end of its output:"
    grep -E 'error|Error' "$work/build.log" | head -n 20 | sed 's/^/    /'
    tail -n 15 "$work/build.log" | sed 's/^/    /'
fi

if [[ $built -eq 1 ]]; then
    out="$work/out"
    # ======================================================================================
    echo "== the installed tree"
    for f in usr/local/bin/cruddurd usr/local/bin/cruddur usr/local/share/cruddur/sql/schema.sql \
             usr/local/share/cruddur/sql/seed.sql; do
        if [[ -e "$out/$f" ]]; then ok "/$f installed"; else fail "/$f was not installed"; fi
    done
    mapfile -t from_build < <(cf '[a for a in args(1, "COPY") if a.startswith("--from=build")]')
    for c in "${from_build[@]}"; do
        read -r -a words <<<"$c"
        s="${words[1]}"
        s="${s/#\/out/$work/out}"
        if [[ -e "$s" ]]; then
            ok "COPY --from=build ${words[1]} exists in the build stage"
        else
            fail "COPY --from=build ${words[1]}: not made by the build stage"
        fi
    done
    health="$(cf 'args(1, "HEALTHCHECK")[-1] if args(1, "HEALTHCHECK") else ""')"
    mapfile -t health_argv < <(python3 -c 'import json,sys; a=sys.argv[1]; a=a[a.index("CMD")+3:]; [print(x) for x in json.loads(a)]' "$health" 2>/dev/null || true)
    for b in "${entry_argv[0]:-/none}" "${health_argv[0]:-/none}"; do
        if [[ -x "$out$b" ]]; then
            ok "$b (ENTRYPOINT/HEALTHCHECK) is installed"
        else
            fail "$b is not installed"
        fi
    done
    unit="$src/deploy/systemd/cruddurd.service"
    if [[ -f "$unit" ]]; then
        for p in /usr/local/bin/cruddurd /usr/local/share/cruddur/sql; do
            if grep -q "^ExecStart=.*$p" "$unit"; then
                if [[ -e "$out$p" ]]; then
                    ok "cruddurd.service's $p is where cmake --install puts it"
                else
                    fail "cruddurd.service names $p, which cmake --install does not make"
                fi
            fi
        done
    fi

    # ======================================================================================
    echo "== shared libraries come from the runtime packages"
    allowed=" libc6 ${run_pkgs[*]} "
    for b in "$out"/usr/local/bin/*; do
        if ldd "$b" 2>&1 | grep -q 'not found'; then
            fail "$(basename "$b"): unresolved libraries: $(ldd "$b" | grep 'not found' | tr '\n' ' ')"
        fi
        mapfile -t needed < <(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
        for lib in "${needed[@]}"; do
            path="$(ldd "$b" | awk -v l="$lib" '$1 == l { print $3 }')"
            pkg=""
            for cand in "$path" "/usr$path" "${path#/usr}" "$(readlink -f "$path" 2>/dev/null)"; do
                [[ -n "$cand" ]] || continue
                pkg="$(dpkg -S "$cand" 2>/dev/null | head -n 1 | cut -d: -f1)" && [[ -n "$pkg" ]] && break
            done
            if [[ -z "$pkg" ]]; then
                fail "$(basename "$b") needs $lib ($path), which no package owns"
            elif [[ "$allowed" == *" $pkg "* ]]; then
                ok "$(basename "$b") needs $lib: package $pkg"
            else
                fail "$(basename "$b") needs $lib from $pkg, which the runtime stage does not install"
            fi
        done
    done

    # ======================================================================================
    echo "== the ENTRYPOINT, run"
    argv=()
    for a in "${entry_argv[@]}"; do
        case "$a" in
            /usr/local/*)       argv+=("$out$a") ;;
            tcp://0.0.0.0:7432) argv+=("tcp://127.0.0.1:0") ;;
            *)                  argv+=("$a") ;;
        esac
    done
    drain_ms=10000
    for ((i = 0; i < ${#entry_argv[@]}; i++)); do
        [[ "${entry_argv[i]}" == --drain-timeout ]] && drain_ms="${entry_argv[i + 1]}"
    done
    if (( drain_ms < 10000 )); then
        ok "--drain-timeout $drain_ms ms ends before the engines' 10 s stop grace"
    else
        fail "--drain-timeout $drain_ms ms: docker/podman stop SIGKILLs after 10 s by default"
    fi
    mkdir -p "$work/run"
    as_user=()
    if [[ "$(id -u)" -eq 0 ]] && command -v setpriv >/dev/null 2>&1; then
        chmod 0755 "$work"
        chmod 0777 "$work/run"
        as_user=(setpriv --reuid=10001 --regid=10001 --clear-groups --)
    fi
    echo "    ${as_user[*]} ${argv[*]}"
    (cd / && exec env -u CRUDDUR_SQL_DIR -u CRUDDUR_CONFIG -u CRUDDUR_ADMIN_TOKEN -u PROD_CONNECTION_URL \
        CONNECTION_URL="postgresql://cruddur@127.0.0.1:1/cruddur?connect_timeout=2" \
        "${as_user[@]}" "${argv[@]}" --ready-file "$work/run/ready") >"$work/cruddurd.log" 2>&1 &
    server_pid=$!
    if wait_ready "$work/run/ready" "$server_pid"; then
        ok "the installed cruddurd runs with the ENTRYPOINT's arguments${as_user[*]:+ as uid 10001}"
        url="$(grep -m1 '^tcp://' "$work/run/ready")"
        if "$out/usr/local/bin/cruddur" --server "$url" --timeout 5000 methods >"$work/methods.out" 2>&1; then
            ok "cruddur methods answers on $url"
        else
            fail "cruddur methods on $url: $(cat "$work/methods.out")"
        fi
        hargv=()
        for a in "${health_argv[@]}"; do
            case "$a" in
                /usr/local/*)           hargv+=("$out$a") ;;
                tcp://127.0.0.1:7432)   hargv+=("$url") ;;
                *)                      hargv+=("$a") ;;
            esac
        done
        hrc=0
        "${hargv[@]}" >"$work/health.out" 2>&1 || hrc=$?
        if [[ $hrc -eq 0 || $hrc -eq 1 ]]; then
            ok "the HEALTHCHECK command runs (exit $hrc with the database down: $(head -n 1 "$work/health.out"))"
        else
            fail "the HEALTHCHECK command exits $hrc: $(cat "$work/health.out")"
        fi
        if ! stop_within 10; then
            fail "cruddurd still runs 10 s after SIGTERM"
        elif [[ $stop_rc -eq 0 ]]; then
            ok "SIGTERM: exit 0 after $stop_ms ms"
        else
            fail "SIGTERM: exit status $stop_rc"
        fi
    else
        fail "the installed cruddurd did not become ready; its output:"
        sed 's/^/    /' "$work/cruddurd.log"
    fi
fi

finish
