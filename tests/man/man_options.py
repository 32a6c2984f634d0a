#!/usr/bin/env python3
"""tests/man/man_options.py - the man pages say what the programs and headers do.

    man_options.py options PAGE -- PROGRAM [ARGS...]
        The long option names in the tags of PAGE's OPTIONS and COMMANDS sections (the
        lines after .TP) are exactly those in `PROGRAM --help`; exit 1 listing what only
        one of them has.
    man_options.py functions PAGE HEADER...
        Every function the HEADERs declare (a cruddur_ name followed by "(" outside
        comments) is named in PAGE.

Only the Python 3 standard library.
"""

import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")


def roff_text(line):
    """The text of a roff line: escapes of dashes and fonts removed."""
    line = re.sub(r"\\f[BIRP]|\\f\(..|\\&|\\e", "", line)
    return line.replace("\\-", "-")


def page_options(path):
    names, section, tag_next = set(), None, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SH"):
                section = line[3:].strip().strip('"')
                tag_next = False
                continue
            if section not in ("OPTIONS", "COMMANDS"):
                continue
            if line.startswith(".TP"):
                tag_next = True
                continue
            if tag_next:
                names.update(OPTION.findall(roff_text(line)))
                tag_next = False
    return names


def help_options(argv):
    out = subprocess.run(argv + ["--help"], capture_output=True, text=True, check=True).stdout
    return set(OPTION.findall(out))


def check_options(page, argv):
    in_page, in_help = page_options(page), help_options(argv)
    if not in_help:
        print(f"{argv[0]} --help names no long option")
        return 1
    if in_page == in_help:
        print(f"ok   {page}: the {len(in_page)} long options of {argv[0]} --help")
        return 0
    for name in sorted(in_help - in_page):
        print(f"FAIL {page} lacks --{name}, which {argv[0]} --help has")
    for name in sorted(in_page - in_help):
        print(f"FAIL {page} has --{name}, which {argv[0]} --help lacks")
    return 1


def check_functions(page, headers):
    with open(page, encoding="utf-8") as f:
        text = roff_text(f.read())
    missing, n = [], 0
    for header in headers:
        with open(header, encoding="utf-8") as f:
            code = re.sub(r"/\*.*?\*/|//[^\n]*", "", f.read(), flags=re.S)
        for name in sorted(set(re.findall(r"\b(cruddur_[a-z0-9_]+)\s*\(", code))):
            n += 1
            if not re.search(r"\b" + re.escape(name) + r"\b", text):
                missing.append(f"{name} ({header})")
    for m in missing:
        print(f"FAIL {page} does not name {m}")
    if not missing:
        print(f"ok   {page}: names the {n} functions of {len(headers)} headers")
    return 1 if missing or n == 0 else 0


def main(argv):
    if len(argv) >= 4 and argv[0] == "options" and argv[2] == "--":
        return check_options(argv[1], argv[3:])
    if len(argv) >= 3 and argv[0] == "functions":
        return check_functions(argv[1], argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
