#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The zsh completion: `zsh -n` accepts it, compinit in a clean zsh (zsh -f) registers it for
devown from $fpath, and, through a pseudo-terminal (zsh/zpty), pressing Tab offers what it
should on a fake sysfs: commands, each command's options exactly as the binary accepts them,
PCI addresses and group numbers, and drivers plus vfio and none for bind.

  test-zsh.py --devown build/devown --completion completions/zsh/_devown
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docslib  # noqa: E402

# Runs an interactive zsh in a pseudo-terminal (compinit from the dump made beforehand, which
# saves seconds per case), types LINE and Tab, and prints every match
# the completion system was given, one per line after a marker, then a final marker. compadd
# is wrapped to record its matches; comppostfuncs ends the shell once completion is done.
# The markers are split in the typed text so that the terminal's echo never contains them.
CAPTURE = r'''
zmodload zsh/zpty || exit 3
compdir=$1 dump=$2 line=$3
zpty z zsh -f -i
zpty -w z "PS1=; PROMPT=; RPROMPT=; fpath=($compdir \$fpath); autoload -Uz compinit; compinit -u -d $dump"
zpty -w z 'compadd () { local -a __hits; builtin compadd -O __hits "$@"; (( $#__hits )) && print -rl -- "<<H""IT>>"${^__hits} >/dev/tty; builtin compadd "$@"; }'
zpty -w z 'comppostfuncs=( __done ); __done() { print -r -- "<<DO""NE>>" >/dev/tty; exit; }'
zpty -w z "bindkey '^I' complete-word"
zpty -n -w z "$line"$'\t'
while zpty -r z; do :; done
zpty -d z 2>/dev/null
exit 0
'''


def main():
    a, zsh = docslib.completion_args("zsh", "zsh is not installed (apt-get install zsh)")

    c = docslib.Checker("zsh completion")
    with tempfile.TemporaryDirectory(prefix="devown-docs-zsh-") as tmp:
        fake = docslib.FakeSysfs(os.path.join(tmp, "root"))
        env = docslib.private_env(tmp, DEVOWN_ROOT=fake.root)
        empty = os.path.join(tmp, "empty")  # the working directory: no file names to offer
        os.mkdir(empty)
        compdir = os.path.join(tmp, "functions")
        os.mkdir(compdir)
        shutil.copy(a.completion, os.path.join(compdir, "_devown"))

        r = docslib.run([zsh, "-n", a.completion], env=env)
        c.check(r.returncode == 0 and not r.stderr, "zsh -n %s: %s" % (a.completion, r.stderr))

        dump = os.path.join(tmp, "zcompdump")
        r = docslib.run([zsh, "-f", "-c", "fpath=(%s $fpath); autoload -Uz compinit; "
                         "compinit -u -d %s; print -r -- ${_comps[devown]}" % (compdir, dump)],
                        env=env, timeout=120)
        c.check(r.stdout.strip() == "_devown" and not r.stderr.strip(),
                "compinit in a clean zsh did not register _devown for devown: stdout %r, "
                "stderr %r" % (r.stdout, r.stderr))

        r = docslib.run([zsh, "-f", "-c", "zmodload zsh/zpty"], env=env)
        if r.returncode != 0:
            print("note: zsh/zpty is not available, Tab completion itself not exercised")
            c.finish()

        help_ = docslib.Help(a.devown)
        accepted = docslib.accepted_options(a.devown, help_)
        cases = [
            ("devown b", {"bind"}),
            ("devown ", set(help_.commands)),
            ("devown bind --d", {"--dry-run"}),
            ("devown bind ", set(fake.targets)),
            ("devown bind 0000:01:00.0 ", set(fake.targets) | set(fake.drivers)),
            ("devown bind --group 0000:01:00.0 v", {"vfio", "vfio-pci"}),
            ("devown bind 0000:0", {t for t in fake.addresses if t.startswith("0000:0")}),
            ("devown status 1", {t for t in fake.targets if t.startswith("1")}),
            ("devown --timeout 5 st", {"status"}),
            ("devown --timeout=5 st", {"status"}),
            ("devown export ", set()),
        ]
        if "--device" in help_.long_options:
            cases.append(("devown apply --device 0000:01", {"0000:01:00.0", "0000:01:00.1"}))
        # Options: long ones only (zsh offers the short ones too).
        option_cases = [("devown --", set(help_.long_options))]
        for cmd in help_.commands:
            option_cases.append(("devown %s --" % cmd, accepted[cmd]))

        script = os.path.join(tmp, "capture.zsh")
        with open(script, "w") as f:
            f.write(CAPTURE)
        for line, want in cases + option_cases:
            r = docslib.run([zsh, "-f", script, compdir, dump, line], env=env, timeout=60,
                            cwd=empty)
            out = r.stdout.replace("\r", "")
            if not c.check("<<DONE>>" in out, "completing %r: zsh never finished completion "
                                              "(status %d): %s %s"
                                              % (line, r.returncode, out[-2000:], r.stderr)):
                continue
            hits = {l.split("<<HIT>>", 1)[1] for l in out.splitlines() if "<<HIT>>" in l}
            if (line, want) in option_cases:
                hits = {h for h in hits if h.startswith("--")}
            elif not line.split(" ")[-1].startswith("-"):
                # Where no argument fits, zsh offers the options instead: not a target.
                hits = {h for h in hits if not h.startswith("-")}
            c.eq(hits, want, "completing %r" % line)
    c.finish()


if __name__ == "__main__":
    main()
