#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Nothing devown offers goes undocumented:

- every command and long option of `devown --help` is in the man page (SYNOPSIS, COMMANDS,
  OPTIONS) and in the bash, zsh and fish completions; each command's "Options:" line in the
  man page lists exactly the options the binary accepts for it;
- every exit code, safety rule, in-use kind, environment variable and JSON key (with the
  values of its enumerations) that the C sources use is in the man page;
- README.md opens with the two quick-start commands, and the scripts they run exist.

Commands and options come from the built binary, everything else from the sources, so that an
addition fails this test until it is documented.

  test-coverage.py --devown build/devown --scd build/man/devown.8.scd --source-root .
"""

import argparse
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docslib  # noqa: E402

# A key added to a JSON object: json_object_object_add(o, "key", ...), or written out as
# "\"key\": " by a streaming printer.
JSON_KEY = r'json_object_object_add\(\s*\w+\s*,\s*"([a-z_]+)"|\\"([a-z_]+)\\":'

# Sources whose JSON is still being written, with its documentation: their undocumented keys
# are reported, not failed. Keep it empty except while such work is in progress.
PENDING_JSON = set()

QUICK_START = [
    "git clone <repo> devown && cd devown && tests/setup.sh && meson setup build && "
    "meson compile -C build && ./build/devown status",
    "tests/setup.sh --vm && tests/run-tests.sh",
]


def sections(scd):
    """{"NAME": text, ...} of the top-level sections of an scdoc source."""
    out, name, literal = {}, None, False
    for line in scd.splitlines():
        if line.strip().startswith("```"):
            literal = not literal
        m = None if literal else re.match(r"# (.+)$", line)
        if m:
            name = m.group(1).strip()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return out


def entries(text):
    """{head: body} of the definition-list entries of a section: a line starting with '*' at
    column 0 opens an entry, which runs until the next one or a subsection."""
    out, head = {}, None
    for line in text.splitlines():
        if line.startswith("*"):
            head = line
            out[head] = ""
        elif line.startswith("#"):
            head = None
        elif head is not None:
            out[head] += line + "\n"
    return out


def bold(text):
    return set(re.findall(r"\*([^*\s][^*]*?)\*", text))


def strings_in(path, pattern, flags=0):
    """Every match of pattern in the file, flattened over its groups."""
    src = open(path, encoding="utf-8").read()
    out = []
    for m in re.findall(pattern, src, flags):
        out.extend([x for x in m if x] if isinstance(m, tuple) else [m])
    return out


def source_facts(root, c):
    """What the C sources define, or a failure when a pattern no longer finds anything."""
    src = lambda *p: os.path.join(root, *p)  # noqa: E731
    c_files = sorted(glob.glob(src("src", "**", "*.c"), recursive=True))

    def one(name):
        """The source or header of that name, wherever in src/ its layer keeps it."""
        found = sorted(glob.glob(src("src", "**", name), recursive=True))
        c.check(len(found) == 1, "expected one src/**/%s, found %d" % (name, len(found)))
        return found[0] if found else src("src", name)
    facts = {}

    def gather(name, files, pattern, flags=0):
        found = set()
        for f in files:
            for m in strings_in(f, pattern, flags):
                found.update([x for x in m if x] if isinstance(m, tuple) else [m])
        c.check(found, "found no %s in %s: the sources changed shape, update "
                       "tests/docs/test-coverage.py" % (name, ", ".join(map(os.path.basename,
                                                                                files))))
        facts[name] = found

    gather("JSON keys", [one("output.c"), one("report.c")], JSON_KEY)
    gather("journal keys", [one("journal-file.c")], JSON_KEY)
    # Every other source that prints JSON: its keys are a contract too.
    facts["other JSON keys"] = {}
    for f in c_files:
        if os.path.basename(f) in ("output.c", "report.c", "journal-file.c"):
            continue
        keys = set(strings_in(f, JSON_KEY))
        if keys:
            facts["other JSON keys"][os.path.relpath(f, root)] = keys
    gather("result words", [one("report.h")], r'#define RESULT_\w+\s+"([a-z-]+)"')
    gather("plan steps", [one("plan.c")],
           r'step_kind_to_string\(.*?\{(.*?)\}', re.S)
    facts["plan steps"] = set(re.findall(r'"([a-z-]+)"', " ".join(facts["plan steps"])))
    gather("device actions", [one("plan.c")],
           r'item_action_to_string\(.*?\{(.*?)\}', re.S)
    facts["device actions"] = set(re.findall(r'"([a-z-]+)"', " ".join(facts["device actions"])))
    gather("DMA roles", [one("policy.c")],
           r'dma_role_to_string\(.*?\n\}', re.S)
    facts["DMA roles"] = set(re.findall(r'return "([a-z]+)"', " ".join(facts["DMA roles"])))
    gather("holders states", c_files, r'holders_state = "([a-z-]+)"')
    gather("in-use kinds", c_files, r'inuse_add\([^,]+,\s*"([a-z]+)"')
    gather("safety rules", c_files, r'\brefuse\(\s*[^,]+,\s*[^,]+,\s*"([a-z-]+)"')
    # getenv("X"), and DEVOWN_* names read through helpers such as sysfs.c's env_uint().
    gather("environment variables", c_files, r'getenv\("([A-Z_]+)"\)|"(DEVOWN_[A-Z_]+)"')
    gather("exit codes", [one("util.h")], r'\bEXIT_\w+\s*=\s*(\d+)')
    return facts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devown", required=True)
    ap.add_argument("--scd", required=True, help="man page source, with the build's paths")
    ap.add_argument("--source-root", required=True)
    a = ap.parse_args()
    root = a.source_root
    c = docslib.Checker("documentation coverage")

    help_ = docslib.Help(a.devown)
    accepted = docslib.accepted_options(a.devown, help_)
    scd = open(a.scd, encoding="utf-8").read()
    sec = sections(scd)
    for s in ("SYNOPSIS", "COMMANDS", "OPTIONS", "EXIT STATUS", "SAFETY RULES", "JSON OUTPUT",
              "ENVIRONMENT", "FILES", "EXAMPLES"):
        c.check(s in sec, "the man page has no section %s" % s)
        sec.setdefault(s, "")

    # Commands and options in the man page.
    commands = entries(sec["COMMANDS"])
    options = entries(sec["OPTIONS"])
    option_heads = {h: bold(h) for h in options}
    for cmd in help_.commands:
        c.check("*%s*" % cmd in sec["SYNOPSIS"], "SYNOPSIS does not show command %s" % cmd)
        head = [h for h in commands if h.startswith("*%s*" % cmd)]
        if not c.check(head, "COMMANDS has no entry for %s" % cmd):
            continue
        body = commands[head[0]]
        m = re.search(r"Options:(.*?)\.\s*$", body, re.S | re.M)
        if c.check(m, "COMMANDS entry %s has no 'Options:' line" % cmd):
            listed = {o for o in bold(m.group(1)) if o.startswith("--")}
            c.eq(listed, accepted[cmd] - docslib.GLOBAL_OPTIONS,
                 "man page, options listed for %s" % cmd)
    for short, long_opt, _ in help_.options:
        head = [h for h, b in option_heads.items() if long_opt in b]
        if c.check(head, "OPTIONS has no entry for %s" % long_opt) and short:
            c.check("-" + short in option_heads[head[0]],
                    "OPTIONS entry of %s does not show -%s" % (long_opt, short))

    facts = source_facts(root, c)

    # Exit codes, rules, kinds, environment.
    exit_heads = {b for h in entries(sec["EXIT STATUS"]) for b in bold(h)}
    for code in facts.get("exit codes", ()):
        c.check(code in exit_heads, "EXIT STATUS does not explain exit code %s" % code)
    rule_heads = {b for h in entries(sec["SAFETY RULES"]) for b in bold(h)}
    for rule in facts.get("safety rules", ()):
        c.check(rule in rule_heads, "SAFETY RULES has no entry for rule %s" % rule)
    for kind in facts.get("in-use kinds", ()):
        c.check("*%s*" % kind in sec["SAFETY RULES"],
                "SAFETY RULES (in-use) does not explain in-use kind %s" % kind)
    env_heads = {b.split("=")[0] for h in entries(sec["ENVIRONMENT"]) for b in bold(h)}
    for var in facts.get("environment variables", ()):
        c.check(var in env_heads, "ENVIRONMENT does not document %s" % var)

    # JSON keys and the values of their enumerations.
    json_text = sec["JSON OUTPUT"]
    json_bold = bold(json_text)
    for key in sorted(facts.get("JSON keys", ())):
        c.check(key in json_bold, "JSON OUTPUT does not document key %s" % key)
    for key in sorted(facts.get("journal keys", ())):
        c.check("*%s*" % key in sec["FILES"], "FILES does not document journal key %s" % key)
    for path, keys in sorted(facts.get("other JSON keys", {}).items()):
        missing = sorted(k for k in keys if k not in json_bold)
        if path in PENDING_JSON:
            if missing:
                print("note: %s prints JSON keys not yet in JSON OUTPUT (pending): %s"
                      % (path, ", ".join(missing)))
            continue
        c.check(not missing, "JSON OUTPUT does not document the keys %s that %s prints"
                             % (", ".join(missing), path))
    for what in ("result words", "plan steps", "device actions", "DMA roles",
                 "holders states", "in-use kinds"):
        for v in sorted(facts.get(what, ())):
            c.check('"%s"' % v in json_text or v in json_bold,
                    "JSON OUTPUT does not document the %s value %s" % (what, v))

    # Completion files name every command and long option.
    comp = {
        "bash": (os.path.join(root, "completions", "bash", "devown"),
                 lambda s, cmd: re.search(r"\b%s\b" % cmd, s),
                 lambda s, o: re.search(r"(^|[\s'\"(])%s\b" % re.escape(o), s, re.M)),
        "zsh": (os.path.join(root, "completions", "zsh", "_devown"),
                lambda s, cmd: "'%s:" % cmd in s,
                lambda s, o: re.search(r"%s\b" % re.escape(o), s)),
        "fish": (os.path.join(root, "completions", "fish", "devown.fish"),
                 lambda s, cmd: re.search(r"-a %s\b" % cmd, s),
                 lambda s, o: re.search(r"-l %s\b" % re.escape(o[2:]), s)),
    }
    for shell, (path, has_cmd, has_opt) in comp.items():
        if not c.check(os.path.exists(path), "%s completion %s is missing" % (shell, path)):
            continue
        s = open(path, encoding="utf-8").read()
        for cmd in help_.commands:
            c.check(has_cmd(s, cmd), "%s completion does not offer command %s" % (shell, cmd))
        for o in help_.long_options:
            c.check(has_opt(s, o), "%s completion does not offer option %s" % (shell, o))

    # README: the quick start comes first, and the scripts it runs exist.
    readme = os.path.join(root, "README.md")
    if c.check(os.path.exists(readme), "README.md is missing"):
        lines = open(readme, encoding="utf-8").read().splitlines()
        c.check(lines and lines[0].startswith("# devown"), "README.md does not start with "
                                                            "the title '# devown'")
        fence = [i for i, l in enumerate(lines) if l.startswith("```")]
        if c.check(len(fence) >= 2, "README.md has no code block"):
            before = [l for l in lines[1:fence[0]] if l.strip()]
            c.check(len(before) <= 3, "README.md: more than a one-sentence summary comes "
                                      "before the quick start")
            block = [l.strip() for l in lines[fence[0] + 1:fence[1]]]
            cmds = [l for l in block if l and not l.startswith("#")]
            c.check(cmds == QUICK_START, "README.md's first code block is not exactly the "
                                         "two quick-start commands: %s" % cmds)
            notes = [l for l in block if l.startswith("#")]
            c.check(len(notes) == 2, "README.md: each quick-start command needs a one-line "
                                     "explanation (a comment line)")
    for script in ("tests/setup.sh", "tests/run-tests.sh"):
        p = os.path.join(root, script)
        c.check(os.path.isfile(p) and os.access(p, os.X_OK),
                "%s, run by README.md's quick start, is missing or not executable" % script)
    c.finish()


if __name__ == "__main__":
    main()
