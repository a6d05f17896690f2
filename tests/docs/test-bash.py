#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The bash completion, run by bash with bash-completion loaded, on a fake sysfs:

- bash-completion's loader finds it by name (`complete -p devown` after loading);
- `devown b` completes to bind, option prefixes to the options, and each command offers
  exactly the options the binary accepts for it (all of them before the command);
- bind's arguments are PCI addresses and group numbers, then drivers plus vfio and none;
  addresses complete whole although ':' is a word break for readline.

The command lines are split into COMP_WORDS the way readline splits them (COMP_WORDBREAKS), and
what a completion would put on the line is rebuilt from COMPREPLY the way readline inserts it.

  test-bash.py --devown build/devown --completion completions/bash/devown
"""

import os
import shlex
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docslib  # noqa: E402

WORDBREAKS = " \t\n\"'><=;|&(:"  # bash's default COMP_WORDBREAKS
CANDIDATES = ["/usr/share/bash-completion/bash_completion",
              "/usr/local/share/bash-completion/bash_completion",
              "/etc/bash_completion"]


def split_words(line):
    """COMP_WORDS and COMP_CWORD as bash builds them for completing at the end of line."""
    words, cur = [], ""
    i = 0
    while i < len(line):
        ch = line[i]
        if ch in " \t\n":
            if cur:
                words.append(cur)
            cur = ""
        elif ch in WORDBREAKS:
            if cur:
                words.append(cur)
            j = i
            while j < len(line) and line[j] in WORDBREAKS and line[j] not in " \t\n":
                j += 1
            words.append(line[i:j])
            cur = ""
            i = j
            continue
        else:
            cur += ch
        i += 1
    words.append(cur)  # the word being completed, possibly empty
    return words


def inserted(line, reply):
    """The whitespace-separated word the line ends with after readline inserts reply in place of
    the text after the last word break."""
    shell_word = line.split(" ")[-1]
    cut = max(line.rfind(c) for c in WORDBREAKS)
    rl_word = line[cut + 1:]
    return shell_word[:len(shell_word) - len(rl_word)] + reply


def main():
    a, bash = docslib.completion_args("bash", "bash is not installed")
    bc = next((p for p in CANDIDATES if os.path.exists(p)), None)
    if not bc:
        docslib.skip("bash-completion is not installed (apt-get install bash-completion)")

    c = docslib.Checker("bash completion")
    help_ = docslib.Help(a.devown)
    accepted = docslib.accepted_options(a.devown, help_)

    with tempfile.TemporaryDirectory(prefix="devown-docs-bash-") as tmp:
        fake = docslib.FakeSysfs(os.path.join(tmp, "root"))
        env = docslib.private_env(tmp, DEVOWN_ROOT=fake.root)
        empty = os.path.join(tmp, "empty")  # the working directory: no file names to offer
        os.mkdir(empty)

        r = docslib.run([bash, "-n", a.completion], env=env)
        c.check(r.returncode == 0, "bash -n %s: %s" % (a.completion, r.stderr))

        # bash-completion's on-demand loader finds the file by the command's name.
        user_dir = os.path.join(env["XDG_DATA_HOME"], "bash-completion", "completions")
        os.makedirs(user_dir)
        shutil.copy(a.completion, os.path.join(user_dir, "devown"))
        r = docslib.run([bash, "--norc", "--noprofile", "-c",
                         "source %s; _completion_loader devown; complete -p devown"
                         % shlex.quote(bc)], env=env)
        c.check(r.stdout.strip() == "complete -F _devown devown",
                "bash-completion's loader did not register the completion from %s: "
                "stdout %r, stderr %r" % (user_dir, r.stdout, r.stderr))

        all_long = set(help_.long_options)
        cases = [  # (line, expected words after insertion, exact?)
            ("devown b", {"bind"}),
            ("devown ", set(help_.commands)),
            ("devown bind --d", {"--dry-run"}),
            ("devown --", all_long),
            ("devown bind ", set(fake.targets)),
            ("devown bind 0000:01:00.0 ", set(fake.targets) | set(fake.drivers)),
            ("devown bind --group 0000:01:00.0 v", {"vfio", "vfio-pci"}),
            ("devown bind 0000:0", {t for t in fake.addresses if t.startswith("0000:0")}),
            ("devown restore 0000:01:00.0 0000:01:0", {"0000:01:00.0", "0000:01:00.1"}),
            ("devown status 1", {t for t in fake.targets if t.startswith("1")}),
            ("devown unbind --group 1000", {"10000:01:00.0"}),
            ("devown --timeout 5 st", {"status"}),
            ("devown --timeout=5 st", {"status"}),
            ("devown --timeout ", set()),
            ("devown export ", set()),
        ]
        for cmd in help_.commands:
            cases.append(("devown %s --" % cmd, accepted[cmd]))
        if "--device" in all_long:
            cases.append(("devown apply --device 0000:01", {"0000:01:00.0", "0000:01:00.1"}))

        script = ["source %s" % shlex.quote(bc), "source %s" % shlex.quote(a.completion),
                  "COMP_WORDBREAKS=%s" % shlex.quote(WORDBREAKS)]
        for n, (line, _) in enumerate(cases):
            words = split_words(line)
            script += [
                "COMP_LINE=%s; COMP_POINT=%d" % (shlex.quote(line), len(line)),
                "COMP_WORDS=(%s); COMP_CWORD=%d" % (" ".join(shlex.quote(w) for w in words),
                                                    len(words) - 1),
                "COMPREPLY=()",
                "_devown devown %s %s" % (shlex.quote(words[-1]),
                                          shlex.quote(words[-2] if len(words) > 1 else "")),
                "echo '<<CASE %d>>'; printf '%%s\\n' \"${COMPREPLY[@]}\"" % n,
            ]
        script.append("echo '<<END>>'")
        r = docslib.run([bash, "--norc", "--noprofile", "-c", "\n".join(script)], env=env,
                        cwd=empty)
        if not c.check("<<END>>" in r.stdout, "the bash harness did not finish: %s%s"
                                              % (r.stdout, r.stderr)):
            c.finish()
        c.check(not r.stderr.strip(), "bash printed errors: %s" % r.stderr)
        replies, n = {}, None
        for l in r.stdout.splitlines():
            if l.startswith("<<CASE "):
                n = int(l[7:-2])
                replies[n] = []
            elif l == "<<END>>":
                break
            elif n is not None and l:
                replies[n].append(l)
        for n, (line, want) in enumerate(cases):
            got = {inserted(line, x) for x in replies.get(n, [])}
            c.eq(got, want, "completing %r" % line)
    c.finish()


if __name__ == "__main__":
    main()
