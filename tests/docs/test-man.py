#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""devown(8) as built by scdoc renders without a single warning, with groff and with man, fits
an 80-column terminal, has the usual sections and a NAME line that lexgrog (apropos, whatis)
understands.

  test-man.py --page build/man/devown.8
  test-man.py --no-page      # scdoc was missing at configure time: skip
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docslib  # noqa: E402

SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "TARGETS", "OPTIONS", "EXIT STATUS",
            "SAFETY RULES", "KERNEL BACKGROUND", "HOW A CHANGE RUNS", "JSON OUTPUT",
            "CONFIGURATION FILES", "FILES", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--page")
    ap.add_argument("--no-page", action="store_true")
    a = ap.parse_args()
    if a.no_page or not a.page:
        docslib.skip("scdoc was not found when the build was configured, so devown(8) was "
                     "not built (apt-get install scdoc, then reconfigure)")
    if not os.path.exists(a.page):
        raise SystemExit("the man page %s was not built" % a.page)
    groff = docslib.find_program("groff")
    if not groff:
        docslib.skip("groff is not installed (apt-get install groff-base)")

    c = docslib.Checker("man page")
    roff = open(a.page, encoding="utf-8").read()
    c.check(not re.search(r"@[A-Z_]+@", roff),
            "unsubstituted @VARIABLE@ left in the page: %s"
            % sorted(set(re.findall(r"@[A-Z_]+@", roff))))

    # groff with every warning enabled: any output on stderr is a defect of the source.
    r = docslib.run([groff, "-man", "-Tutf8", "-ww", "-z", a.page])
    c.check(r.returncode == 0 and not r.stderr.strip(),
            "groff -man -Tutf8 -ww -z reports problems (status %d):\n%s"
            % (r.returncode, r.stderr))

    env = dict(os.environ, MANWIDTH="80", PAGER="cat", MANPAGER="cat", LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)
    man = docslib.find_program("man")
    if man:
        r = docslib.run([man, "--warnings", "-l", a.page], env=env)
        c.check(r.returncode == 0 and not r.stderr.strip(),
                "MANWIDTH=80 man --warnings -l reports problems (status %d):\n%s"
                % (r.returncode, r.stderr))
        text = r.stdout
    else:
        print("note: man is not installed, rendering with groff only")
        r = docslib.run([groff, "-man", "-Tutf8", "-rLL=80n", "-P-cbou", a.page])
        text = r.stdout
    text = re.sub(r".\x08", "", text)

    long_lines = [l for l in text.splitlines() if len(l) > 80]
    c.check(not long_lines,
            "%d rendered lines are wider than 80 columns (shorten the examples):\n%s"
            % (len(long_lines), "\n".join(long_lines)))
    headings = [l.strip() for l in text.splitlines() if l and not l[0].isspace()]
    for s in SECTIONS:
        c.check(s in headings, "section %s is missing from the rendered page" % s)
    c.check(re.search(r"^devown\(8\)", text, re.M) is not None, "no devown(8) header")

    lexgrog = docslib.find_program("lexgrog")
    if lexgrog:
        r = docslib.run([lexgrog, a.page])
        c.check(r.returncode == 0 and "devown - " in r.stdout,
                "lexgrog cannot read the NAME section (whatis/apropos would miss devown): "
                "%s %s" % (r.stdout, r.stderr))
    c.finish()


if __name__ == "__main__":
    main()
