#!/usr/bin/env python3
"""tools/include_rings.py - fails on a ring of includes between the modules of server/,
client/ and common/, so that import rings do not come back (issue 11).

    include_rings.py [--source-dir DIR] [--build-dir DIR]   the check (ctest: include_rings)
    include_rings.py --self-test [--cc CC]                  its own test (include_rings_self_test)

A module is a source path without its extension: server/src/pool.c and server/src/pool.h
are the module server/src/pool, and so is pool_internal.h, the private header that the
module's own files share (a header named x_internal.h belongs to module x). Module A depends on module B when A.c or A.h includes B.h
directly. A ring is a strongly connected component of that graph with more than one module
(Tarjan); "server.c registers every service while svc_stats.c reaches back into server.h"
is one: server -> svc_stats -> server. Each ring is printed as one or more cycles
`a -> b -> a`, enough to pass through every module of it, each step with the file and line
of its #include, then every include inside the ring (what there is to cut); exit 1. With no
ring: the module and edge counts, exit 0. Exit 2 when the graph cannot be built.

How the graph is built, and why this way:
- The translation units are the entries of <build>/compile_commands.json (CMake writes it:
  CMAKE_EXPORT_COMPILE_COMMANDS) whose file lies under server/, client/ or common/.
- Each one's own compile command is run again with -MM -MG instead of -o/-c (after the
  build, which ctest's place in tests/run guarantees, so generated headers exist): the
  compiler says exactly which headers the unit reads with its real flags and macros.
- -MM lists every header reached, transitively, not who includes whom; -H and -E line
  markers do show the nesting, but a header behind an include guard is opened once per
  unit, so its second includer goes unseen. So the direct edges come from the #include
  lines of each file the compiler named, resolved as the compiler does: "x" in the
  including file's folder, then -iquote, then -I; <x> in -I; what only -isystem or the
  system folders hold is a system header and not part of the graph, nor is anything under
  the build directory (generated code). An include whose file the compiler did not read
  (an #if branch not taken with these flags) is not an edge.
- The parse is checked against the compiler: every header of the tree that -MM names must
  be reached through the parsed includes, else the tool stops (exit 2) rather than miss
  an edge (a computed #include MACRO would do that).
Only the Python 3 standard library is used: python3 is on every CI machine.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOTS = ("server", "client", "common")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


class GraphError(Exception):
    """The graph could not be built exactly (exit 2)."""


def under(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def command_argv(entry):
    if "arguments" in entry:
        return list(entry["arguments"])
    return shlex.split(entry["command"])


def include_paths(argv, cwd):
    """The -iquote and -I folders of a compile command, in order, made absolute. (-isystem
    and -idirafter folders hold system headers: what only they hold is not followed.)"""
    quote, angle = [], []
    i = 0
    while i < len(argv):
        arg = argv[i]
        for flag, dest in (("-iquote", quote), ("-I", angle)):
            if arg == flag and i + 1 < len(argv):
                i += 1
                dest.append(os.path.normpath(os.path.join(cwd, argv[i])))
                break
            if arg.startswith(flag) and len(arg) > len(flag):
                dest.append(os.path.normpath(os.path.join(cwd, arg[len(flag):])))
                break
        i += 1
    return quote, angle


def mm_argv(argv):
    """The compile command with -MM instead of its output and dependency-file flags."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg in ("-c", "-MD", "-MMD") or arg.startswith("-o") and len(arg) > 2:
            continue
        out.append(arg)
    # Last, so that a launcher in front (ccache cc ...) still works. -MG: a generated
    # header not made yet is named, not an error (what it would include is not followed).
    return out + ["-MM", "-MG"]


def mm_deps(argv, cwd):
    """The files the unit reads, by the compiler's -MM (absolute, normalised)."""
    run = subprocess.run(mm_argv(argv), cwd=cwd, capture_output=True, text=True)
    if run.returncode != 0:
        raise GraphError("%s -MM failed:\n%s" % (argv[0], run.stderr.strip()))
    text = run.stdout.replace("\\\n", " ")
    _, _, deps = text.partition(":")
    return {os.path.normpath(os.path.join(cwd, d)) for d in deps.split()}


def resolve(name, kind, includer, quote, angle):
    """The file an #include names, searched as the compiler does; None when only a system
    folder (-isystem or the compiler's own) can hold it."""
    dirs = ([os.path.dirname(includer)] + quote if kind == '"' else []) + angle
    for d in dirs:
        cand = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(cand):
            return cand
    return None


def includes_of(path, cache):
    """[(line number, "<" or '"', name)] of the #include lines of a file."""
    if path not in cache:
        found = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if m:
                    found.append((n, m.group(1), m.group(2)))
        cache[path] = found
    return cache[path]


def build_graph(src, build):
    """{module: {module: [(file, line, name)]}} and the set of modules."""
    ccj = os.path.join(build, "compile_commands.json")
    try:
        with open(ccj, encoding="utf-8") as f:
            entries = json.load(f)
    except OSError as e:
        raise GraphError("cannot read %s (%s); configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON"
                         % (ccj, e.strerror))

    def in_tree(p):
        return under(p, src) and not under(p, build)

    def module(p):
        # x_internal.h is module x's private header (pool_internal.h: what
        # pool.c, pool_exec.c... share), part of x, not a module of its own.
        m = os.path.splitext(os.path.relpath(p, src))[0]
        return m[: -len("_internal")] if m.endswith("_internal") else m

    edges, modules, seen, cache = {}, set(), set(), {}
    for entry in entries:
        cwd = entry.get("directory", build)
        unit = os.path.normpath(os.path.join(cwd, entry["file"]))
        if not any(under(unit, os.path.join(src, r)) for r in ROOTS):
            continue
        argv = command_argv(entry)
        key = (unit, tuple(argv))
        if key in seen:
            continue
        seen.add(key)
        quote, angle = include_paths(argv, cwd)
        deps = mm_deps(argv, cwd)
        wanted = {d for d in deps if in_tree(d)}
        reached, todo = {unit}, [unit]
        while todo:
            f = todo.pop()
            if in_tree(f):
                modules.add(module(f))
            for line, kind, name in includes_of(f, cache):
                target = resolve(name, kind, f, quote, angle)
                if target is None or target not in deps:
                    continue  # a system header, or not read with these flags
                a, b = module(f), module(target)
                # A generated header is followed (what it includes is read) but is no
                # module: no edge to it, from it, or through it.
                if a != b and in_tree(f) and in_tree(target):
                    sites = edges.setdefault(a, {}).setdefault(b, [])
                    spelled = '"%s"' % name if kind == '"' else "<%s>" % name
                    site = (os.path.relpath(f, src), line, spelled)
                    if site not in sites:
                        sites.append(site)
                if target not in reached and (in_tree(target) or under(target, build)):
                    reached.add(target)
                    todo.append(target)
        missed = sorted(os.path.relpath(p, src) for p in wanted - reached)
        if missed:
            raise GraphError("%s: the compiler reads %s, which no #include line found here "
                             "leads to (a computed #include?)"
                             % (os.path.relpath(unit, src), ", ".join(missed)))
    return edges, modules


def tarjan(nodes, edges):
    """The strongly connected components, each a sorted list (iterative Tarjan)."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, {}))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    comps.append(sorted(comp))
    return comps


def shortest_cycle(start, comp, edges):
    """The shortest cycle [start, ..., start] inside comp (breadth first)."""
    members = set(comp)
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges.get(v, {})):
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return path[::-1] + [start]
                if w in members and w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError("%s is in a ring but on no cycle" % start)


def rings(edges, modules):
    return [c for c in tarjan(modules, edges) if len(c) > 1]


def report(edges, modules, out):
    """Prints the rings (or the counts); returns the exit status."""
    found = rings(edges, modules)
    nedges = sum(len(t) for t in edges.values())
    if not found:
        print("include_rings: %d modules, %d include edges, no ring" % (len(modules), nedges),
              file=out)
        return 0
    for n, comp in enumerate(sorted(found, key=lambda c: (-len(c), c)), 1):
        print("ring %d of %d (%d modules): %s" % (n, len(found), len(comp), " ".join(comp)),
              file=out)
        covered = set()
        for m in comp:
            if m in covered:
                continue
            cycle = shortest_cycle(m, comp, edges)
            covered.update(cycle)
            print("  " + " -> ".join(cycle), file=out)
            for a, b in zip(cycle, cycle[1:]):
                f, line, name = edges[a][b][0]
                print("      %s:%d: #include %s" % (f, line, name), file=out)
        print("  every include inside the ring:", file=out)
        for a in comp:
            for b in sorted(edges.get(a, {})):
                if b in comp:
                    for f, line, name in edges[a][b]:
                        print("      %s -> %s   %s:%d" % (a, b, f, line), file=out)
    print("include_rings: %d ring(s) among %d modules, %d include edges"
          % (len(found), len(modules), nedges), file=out)
    return 1


def check(src, build, out=sys.stdout):
    try:
        edges, modules = build_graph(os.path.abspath(src), os.path.abspath(build))
    except GraphError as e:
        print("include_rings: error: %s" % e, file=out)
        return 2
    return report(edges, modules, out)


# ---------------------------------------------------------------------------------------
# --self-test: small trees whose answers are known.
# ---------------------------------------------------------------------------------------

def write_tree(root, files, cc):
    """Writes FILES ({path: text}) under root and a compile_commands.json compiling each .c
    under server/ or client/ with -I<root>/server/src -I<root>/build/gen."""
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
    build = os.path.join(root, "build")
    os.makedirs(os.path.join(build, "gen"), exist_ok=True)
    entries = []
    for path in sorted(files):
        if path.endswith(".c"):
            full = os.path.join(root, path)
            entries.append({"directory": build, "file": full, "command": shlex.join([
                cc, "-I" + os.path.join(root, "server/src"), "-I", os.path.join(build, "gen"),
                "-std=c11", "-o", "x.o", "-c", full])})
    with open(os.path.join(build, "compile_commands.json"), "w", encoding="utf-8") as f:
        json.dump(entries, f)
    return build


def self_test(cc):
    common = {
        # generated, under the build dir: never a node, though it includes a project header
        # (followed, so that c.h counts as reached where a unit reads it only through gen.h)
        "build/gen/gen.h": '#include "c.h"\n',
        "server/src/c.h": "int c(void);\n",
        "server/src/c.c": '#include "c.h"\n#include <stdio.h>\nint c(void) { return 0; }\n',
    }
    ringless = dict(common, **{
        "server/src/a.h": '#include "c.h"\nint a(void);\n',
        "server/src/a.c": '#include "a.h"\n#include "b.h"\n#include "gen.h"\nint a(void) { return b(); }\n',
        "server/src/b.h": "int b(void);\n",
        # an include in a branch not taken is no edge: this would close b -> a -> b
        "server/src/b.c": '#include "b.h"\n#if 0\n#include "a.h"\n#endif\nint b(void) { return 1; }\n',
    })
    ringed = dict(common, **{
        # a -> b (a.c), b -> c (b.h), c -> a (c.c, angle brackets found through -I)
        "server/src/a.h": "int a(void);\n",
        "server/src/a.c": '#include "a.h"\n#include "b.h"\nint a(void) { return b(); }\n',
        "server/src/b.h": '#include "c.h"\nint b(void);\n',
        "server/src/b.c": '#include "b.h"\nint b(void) { return 1; }\n',
        "server/src/c.c": '#include "c.h"\n#include <stdio.h>\n\n#include <a.h>\nint c(void) { return 0; }\n',
        # a second, separate ring: client/src/x <-> client/src/y
        "client/src/x.h": '#include "y.h"\n',
        "client/src/x.c": '#include "x.h"\n',
        "client/src/y.h": "",
        "client/src/y.c": '#include "y.h"\n#include "x.h"\n',
    })
    computed = dict(common, **{
        "server/src/a.h": "int a(void);\n",
        "server/src/a.c": '#define H "c.h"\n#include H\n#include "a.h"\n',
    })
    failures = []

    def run(name, files, want_rc, want_lines):
        with tempfile.TemporaryDirectory(prefix="include-rings-") as root:
            build = write_tree(root, files, cc)

            class Out:
                text = ""

                def write(self, s):
                    Out.text += s

            rc = check(root, build, Out())
            text = Out.text.replace(root + os.sep, "")
            print("--- %s (exit %d)\n%s" % (name, rc, text), end="")
            if rc != want_rc:
                failures.append("%s: exit %d, want %d" % (name, rc, want_rc))
            for want in want_lines:
                if want not in text.splitlines():
                    failures.append("%s: no line %r" % (name, want))

    run("no ring", ringless, 0, ["include_rings: 3 modules, 2 include edges, no ring"])
    run("two rings", ringed, 1, [
        "ring 1 of 2 (3 modules): server/src/a server/src/b server/src/c",
        "  server/src/a -> server/src/b -> server/src/c -> server/src/a",
        '      server/src/a.c:2: #include "b.h"',
        '      server/src/b.h:1: #include "c.h"',
        '      server/src/c.c:4: #include <a.h>',
        "ring 2 of 2 (2 modules): client/src/x client/src/y",
        "  client/src/x -> client/src/y -> client/src/x",
        "include_rings: 2 ring(s) among 5 modules, 5 include edges",
    ])
    run("computed include", computed, 2, [])
    for f in failures:
        print("FAIL " + f)
    print("include_rings self-test: %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source-dir", default=here, help="the repository (default: this tool's)")
    ap.add_argument("--build-dir", help="the build tree (default: SOURCE/build)")
    ap.add_argument("--self-test", action="store_true", help="check the tool on small trees")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"), help="compiler for --self-test")
    args = ap.parse_args()
    if args.self_test:
        return self_test(args.cc)
    return check(args.source_dir, args.build_dir or os.path.join(args.source_dir, "build"))


if __name__ == "__main__":
    sys.exit(main())
