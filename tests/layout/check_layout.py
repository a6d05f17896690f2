#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The layering rules the build cannot check by include paths (README.md, "Layout"):

- only src/host/ builds paths under the root or names the host's file systems: outside it no
  root_path()/root_prefix(), no "/sys", "/proc", "/dev" or "/run" literal handed to a function
  that opens, lists or builds a path (open, fopen, xasprintf, read_root_text, ...), no
  open()/fopen()/opendir()/socket()/access()/mkdir()/unlink()/rename() by path, and no
  AT_FDCWD (an *at() call on an absolute path). The *at() calls on a directory descriptor that
  a host function opened are allowed: they name no path of the host.
- only src/output/ and src/cli/main.c write to stdout: elsewhere no printf, puts, putchar,
  vprintf, no fprintf/fputs/fputc/putc/fwrite/vfprintf on stdout, no json_object_to_file*, no
  write()/dprintf() to descriptor 1 or STDOUT_FILENO. (Handing stdout to an output function is
  allowed: the command decides where its output goes, output/ writes it.)

- the model is pure: src/model/ calls no log_*() and includes no json-c (nor does src/basic/).

Comparisons with such literals (startswith(target, "/dev/vfio/")) are not paths and pass.
Usage: check_layout.py SOURCE_ROOT. Before the tree, it checks itself: each rule must catch a
planted violation, and the allowed forms must pass."""

import os
import re
import sys

HOST_PATH = re.compile(r'^"/(sys|proc|dev|run)(/|")')
# Functions to which a host path literal means opening, listing or building a path.
PATH_SINKS = {
    "open", "openat", "fopen", "opendir", "access", "stat", "lstat", "fstatat", "readlink",
    "readlinkat", "mkdir", "unlink", "rename", "xasprintf", "asprintf", "snprintf", "sprintf",
    "read_root_text", "read_root_file", "read_text_at", "read_int_at", "read_uint_at",
    "read_link_base_at", "list_dir_at", "run_file_read", "run_file_replace",
    "json_object_from_file", "json_object_to_file", "root_path", "strcpy", "strcat",
}
PATH_CALLS = re.compile(r'\b(root_path|root_prefix|open|fopen|opendir|socket|access|mkdir|unlink|'
                        r'rename|creat|json_object_from_file)\s*\(')
STDOUT_CALLS = re.compile(r'\b(printf|vprintf|puts|putchar|json_object_to_file(_ext)?)\s*\(')
STDOUT_FILE_CALLS = re.compile(
    r'\b(fprintf|vfprintf|fputs|fputc|putc|fwrite|fputs_unlocked|fwrite_unlocked)\s*\(')
STDOUT_FD = re.compile(r'\b(write|dprintf)\s*\(\s*(1|STDOUT_FILENO)\s*,')


def strip_comments(text):
    """Comments become spaces (newlines kept, so that line numbers hold); strings stay."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def calls(code):
    """(function name, offset of its '(' , list of (argument text, offset)) of every call."""
    for m in re.finditer(r'\b([A-Za-z_]\w*)\s*\(', code):
        depth, j, start, args = 0, m.end(), m.end(), []
        while j < len(code):
            ch = code[j]
            if ch in "\"'":
                q = ch
                j += 1
                while j < len(code) and code[j] != q:
                    j += 2 if code[j] == "\\" else 1
            elif ch in "([{":
                depth += 1
            elif ch in ")]}":
                if depth == 0:
                    args.append((code[start:j], start))
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                args.append((code[start:j], start))
                start = j + 1
            j += 1
        yield m.group(1), m.start(), args


def line_of(code, pos):
    return code.count("\n", 0, pos) + 1


def check_text(rel, text):
    """Violations in one file: a list of "PATH:LINE: what"."""
    code = strip_comments(text)
    bad = []
    in_host = rel.startswith("src/host/")
    may_print = rel.startswith("src/output/") or rel == "src/cli/main.c"
    if not in_host:
        for m in PATH_CALLS.finditer(code):
            if re.search(r'(\.|->)\s*$', code[:m.start()]):
                continue  # a member named open, not a call of open()
            bad.append("%s:%d: %s() outside src/host/" % (rel, line_of(code, m.start()),
                                                        m.group(1)))
        for m in re.finditer(r'\bAT_FDCWD\b', code):
            bad.append("%s:%d: AT_FDCWD (a path of the host) outside src/host/"
                       % (rel, line_of(code, m.start())))
        for name, pos, args in calls(code):
            if name not in PATH_SINKS:
                continue
            for a, off in args:
                lit = a.strip()
                if HOST_PATH.match(lit):
                    bad.append("%s:%d: %s %s outside src/host/" % (rel, line_of(code, off),
                                                                  name, lit.split()[0]))
    if rel.startswith("src/model/"):
        for m in re.finditer(r'\blog_\w+\s*\(', code):
            bad.append("%s:%d: %s) in the model, which returns errors instead"
                       % (rel, line_of(code, m.start()), m.group(0).rstrip()))
    if rel.startswith(("src/model/", "src/basic/")):
        for m in re.finditer(r'#\s*include\s*[<"]json-c/', code):
            bad.append("%s:%d: json-c below the output layer" % (rel, line_of(code, m.start())))
    if not may_print:
        for m in STDOUT_CALLS.finditer(code):
            if re.search(r'(\.|->)\s*$', code[:m.start()]):
                continue
            bad.append("%s:%d: %s() writes to stdout outside src/output/"
                       % (rel, line_of(code, m.start()), m.group(1)))
        for name, pos, args in calls(code):
            if STDOUT_FILE_CALLS.fullmatch(name + "(") is None and not STDOUT_FILE_CALLS.match(
                    name + "("):
                continue
            if any(a.strip() == "stdout" for a, _ in args):
                bad.append("%s:%d: %s to stdout outside src/output/"
                           % (rel, line_of(code, pos), name))
        for m in STDOUT_FD.finditer(code):
            bad.append("%s:%d: %s to descriptor 1 outside src/output/"
                       % (rel, line_of(code, m.start()), m.group(1)))
    return bad


SELF_TEST = [
    # (file, code, number of violations expected)
    ("src/probe/x.c", 'int f(void) { char *p = root_path("/proc"); }', 2),
    ("src/probe/x.c", 'int f(void) { return xasprintf("%s/sys/%s", root_prefix(), n); }', 1),
    ("src/probe/x.c", 'int f(void) { return read_root_text("/proc/cmdline", &t); }', 1),
    ("src/model/x.c", 'int f(void) { int fd = open(p, O_RDONLY); }', 1),
    ("src/probe/x.c", 'int f(void) { FILE *f = fopen("/proc/self/mountinfo", "re"); }', 2),
    ("src/change/x.c", 'int f(void) { return list_dir_at(AT_FDCWD, dir, &v); }', 1),
    ("src/probe/x.c", 'int f(void) { int s = socket(AF_NETLINK, 0, 0); }', 1),
    ("src/change/x.c", 'void f(void) { printf("done\\n"); }', 1),
    ("src/cli/cmd-x.c", 'void f(void) { fprintf(stdout, "x"); fputs("y", stdout); }', 2),
    ("src/probe/x.c", 'void f(void) { puts("x"); write(STDOUT_FILENO, b, 1); }', 2),
    ("src/change/x.c", 'void f(void) { json_object_to_file("/run/x", o); }', 2),
    ("src/model/x.c", 'int f(void) { return log_error_errno(-EINVAL, "bad"); }', 1),
    ("src/model/x.h", '#include <json-c/json.h>\n', 1),
    # Allowed: comparisons, comments, messages, stderr, stdout handed on, host and output.
    ("src/probe/x.c", 'bool f(const char *t) { return startswith(t, "/dev/vfio/"); }', 0),
    ("src/probe/x.c", '/* reads /proc/self/mountinfo with open() */ int f(void);', 0),
    ("src/probe/x.c", 'void f(void) { log_debug("cannot read /proc/swaps"); }', 0),
    ("src/change/x.c", 'void f(void) { fprintf(stderr, "x\\n"); }', 0),
    ("src/cli/cmd-x.c", 'void f(void) { status_print_text(h, s, o, stdout); }', 0),
    ("src/probe/x.c", 'int f(int d) { return openat(d, "fd", O_RDONLY); }', 0),
    ("src/host/x.c", 'int f(void) { return open(root_path("/sys"), O_RDONLY); }', 0),
    ("src/output/x.c", 'void f(void) { printf("x"); }', 0),
    ("src/cli/main.c", 'void f(void) { puts("usage"); }', 0),
    ("src/probe/x.c", 'void f(struct ops *o) { o->open(o); }', 0),
    ("src/probe/x.c", 'void f(void) { log_debug("x"); }', 0),
    ("src/output/x.c", '#include <json-c/json.h>\n', 0),
]


def self_test():
    failures = 0
    for rel, code, want in SELF_TEST:
        got = check_text(rel, code)
        if len(got) != want:
            print("layout self-test: %s: %r: expected %d violation(s), got %r"
                  % (rel, code, want, got))
            failures += 1
    return failures


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    if self_test():
        print("layout: the checker itself is broken")
        return 1
    bad = []
    n = 0
    for d, _, names in os.walk(os.path.join(root, "src")):
        for name in sorted(names):
            if name.endswith((".c", ".h")):
                path = os.path.join(d, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8") as f:
                    bad += check_text(rel, f.read())
                n += 1
    for b in bad:
        print(b)
    print("layout: %d files, %d violation%s" % (n, len(bad), "" if len(bad) == 1 else "s"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
