#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The fish completion: `fish --no-execute` accepts it, fish loads it by name from
$fish_complete_path, and `complete -C` offers what it should on a fake sysfs: commands, each
command's options exactly as the binary accepts them, PCI addresses and group numbers, and
drivers plus vfio and none for bind.

  test-fish.py --devown build/devown --completion completions/fish/devown.fish
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docslib  # noqa: E402


def main():
    a, fish = docslib.completion_args("fish", "fish is not installed (apt-get install fish)")

    c = docslib.Checker("fish completion")
    help_ = docslib.Help(a.devown)
    accepted = docslib.accepted_options(a.devown, help_)
    with tempfile.TemporaryDirectory(prefix="devown-docs-fish-") as tmp:
        fake = docslib.FakeSysfs(os.path.join(tmp, "root"))
        # fish loads a command's completions on demand only for commands it finds in PATH.
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        os.symlink(os.path.abspath(a.devown), os.path.join(bindir, "devown"))
        env = docslib.private_env(tmp, DEVOWN_ROOT=fake.root,
                                  PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        empty = os.path.join(tmp, "empty")  # the working directory: no file names to offer
        os.mkdir(empty)
        compdir = os.path.join(tmp, "completions")
        os.mkdir(compdir)
        shutil.copy(a.completion, os.path.join(compdir, "devown.fish"))

        r = docslib.run([fish, "--no-execute", a.completion], env=env)
        c.check(r.returncode == 0 and not r.stderr.strip(),
                "fish --no-execute %s: %s" % (a.completion, r.stderr))

        cases = [
            ("devown b", {"bind"}),
            ("devown ", set(help_.commands)),
            ("devown bind --d", {"--dry-run"}),
            ("devown --", set(help_.long_options)),
            ("devown bind ", set(fake.targets)),
            ("devown bind 0000:01:00.0 ", set(fake.targets) | set(fake.drivers)),
            ("devown bind --group 0000:01:00.0 v", {"vfio", "vfio-pci"}),
            ("devown bind 0000:0", {t for t in fake.addresses if t.startswith("0000:0")}),
            ("devown status 1", {t for t in fake.targets if t.startswith("1")}),
            ("devown --timeout 5 st", {"status"}),
            ("devown --timeout=5 st", {"status"}),
            ("devown export ", set()),
        ]
        for cmd in help_.commands:
            cases.append(("devown %s --" % cmd, accepted[cmd]))
        if "--device" in help_.long_options:
            cases.append(("devown apply --device 0000:01", {"0000:01:00.0", "0000:01:00.1"}))

        # Loaded on demand from fish_complete_path, as an installed file would be.
        lines = ["set -g fish_complete_path %s $fish_complete_path" % compdir]
        for n, (line, _) in enumerate(cases):
            lines.append("echo '<<CASE %d>>'; complete -C '%s'" % (n, line))
        lines.append("echo '<<END>>'")
        r = docslib.run([fish, "--no-config", "-c", "\n".join(lines)], env=env, cwd=empty)
        if not c.check("<<END>>" in r.stdout, "fish did not finish: %s %s"
                                              % (r.stdout, r.stderr)):
            c.finish()
        c.check(not r.stderr.strip(), "fish printed errors: %s" % r.stderr)
        replies, n = {}, None
        for l in r.stdout.splitlines():
            if l.startswith("<<CASE "):
                n = int(l[7:-2])
                replies[n] = set()
            elif l == "<<END>>":
                break
            elif n is not None and l:
                replies[n].add(l.split("\t", 1)[0])
        for n, (line, want) in enumerate(cases):
            got = replies.get(n, set())
            if line.endswith("--"):
                got = {x for x in got if x.startswith("--")}
            c.eq(got, want, "completing %r" % line)
    c.finish()


if __name__ == "__main__":
    main()
