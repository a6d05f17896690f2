# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers of the docs suite: what `devown --help` and the binary say about commands
and options, a small fake sysfs for the completion tests, and skip/fail reporting.

Everything is derived from the built binary, so that a command or option added later makes
the tests fail until the man page and the completions know it."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

# Options every command takes (main.c: flag 0).
GLOBAL_OPTIONS = {"--no-color", "--help", "--version"}


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


class Checker:
    """Collects failures so that one run reports all of them."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.checks = 0

    def check(self, cond, msg):
        self.checks += 1
        if not cond:
            self.failures.append(msg)
            print("FAIL: " + msg)
        return cond

    def eq(self, got, want, what):
        got_s, want_s = sorted(got), sorted(want)
        if got_s == want_s:
            self.checks += 1
            return True
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        msg = "%s: missing %s, unexpected %s" % (what, missing or "nothing", extra or "nothing")
        return self.check(False, msg)

    def finish(self):
        if self.failures:
            print("%s: %d of %d checks failed" % (self.name, len(self.failures), self.checks))
            sys.exit(1)
        print("%s: %d checks passed" % (self.name, self.checks))
        sys.exit(0)


def run(cmd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run(cmd, **kw)


class Help:
    """Commands and options as `devown --help` lists them."""

    def __init__(self, devown):
        r = run([devown, "--help"])
        if r.returncode != 0:
            raise SystemExit("devown --help failed (%d): %s" % (r.returncode, r.stderr))
        self.text = r.stdout
        self.commands = []  # names, in help order
        self.options = []   # (short or None, long, takes_argument)
        section = None
        for line in r.stdout.splitlines():
            if line in ("Commands:", "Options:"):
                section = line
                continue
            if not line.startswith("  "):
                section = None if not line.strip() else section
                continue
            left = line.strip().split("  ")[0].strip()
            if section == "Commands:":
                self.commands.append(left.split()[0])
            elif section == "Options:":
                m = re.match(r"(?:-(\w), )?(--[\w-]+)(?: (\S+))?$", left)
                if not m:
                    raise SystemExit("cannot parse option line of --help: %r" % line)
                self.options.append((m.group(1), m.group(2), m.group(3) is not None))
        if not self.commands or not self.options:
            raise SystemExit("could not find commands or options in devown --help:\n" + r.stdout)

    @property
    def long_options(self):
        return [o[1] for o in self.options]

    def takes_argument(self, long_opt):
        return any(o[1] == long_opt and o[2] for o in self.options)


def accepted_options(devown, help_):
    """{command: set of long options it accepts}, asked of the binary itself.

    main.c rejects an option a command does not take with "option --X does not apply to
    'CMD'" before the command runs. Each probe runs against an empty DEVOWN_ROOT in an empty
    directory, with arguments that end the run early (too few or too many arguments, or a
    target that does not parse), so that nothing is read from or written to the host."""
    result = {}
    devown = os.path.abspath(devown)
    with tempfile.TemporaryDirectory(prefix="devown-docs-") as tmp:
        root = os.path.join(tmp, "root")
        os.mkdir(root)
        env = dict(os.environ, DEVOWN_ROOT=root, NO_COLOR="1")
        env.pop("DEVOWN_FAIL_WRITE", None)
        env.pop("DEVOWN_KILL_AFTER_WRITE", None)
        for cmd in help_.commands:
            spec = help_args(help_, cmd)
            # Arguments that stop the run before it does anything.
            if spec == "":
                extra = ["devown-docs-extra-argument"]  # too many arguments
            elif "FILE" in spec:
                extra = [os.path.join(tmp, "devown-docs-no-such-file.conf")]
            elif "DRIVER" in spec:
                extra = []  # too few arguments
            elif spec.startswith("TARGET"):
                extra = []  # too few arguments
            else:
                extra = ["not/a/target"]  # rejected by the target parser
            ok = set()
            for long_opt in help_.long_options:
                argv = [devown, cmd, long_opt] + (["1"] if help_.takes_argument(long_opt) else [])
                r = run(argv + extra, env=env, cwd=tmp, timeout=30)
                if "does not apply to" not in r.stderr:
                    ok.add(long_opt)
            result[cmd] = ok
    everything = set(help_.long_options)
    if all(v == everything for v in result.values()):
        raise SystemExit("every command seems to take every option: has the message "
                         "\"option --X does not apply to 'CMD'\" of main.c changed? "
                         "Update tests/docs/docslib.py")
    return result


def help_args(help_, cmd):
    for line in help_.text.splitlines():
        parts = line.strip().split("  ")[0].split(None, 1)
        if parts and parts[0] == cmd and line.startswith("  "):
            return parts[1] if len(parts) > 1 else ""
    return ""


class FakeSysfs:
    """A small /sys for the completion scripts, below a temporary DEVOWN_ROOT."""

    DEVICES = {
        "0000:00:01.0": "pcieport",
        "0000:01:00.0": "nouveau",
        "0000:01:00.1": "snd_hda_intel",
        "0000:03:00.0": None,
        "10000:01:00.0": "nvme",
    }
    DRIVERS = ["nouveau", "nvme", "pcieport", "snd_hda_intel", "vfio-pci"]
    GROUPS = ["1", "3", "14"]

    def __init__(self, root):
        self.root = root
        sys_ = os.path.join(root, "sys")
        for d in self.DRIVERS:
            os.makedirs(os.path.join(sys_, "bus/pci/drivers", d))
        for g in self.GROUPS:
            os.makedirs(os.path.join(sys_, "kernel/iommu_groups", g, "devices"))
        devices = os.path.join(sys_, "bus/pci/devices")
        os.makedirs(devices)
        for addr, drv in self.DEVICES.items():
            # As in the kernel: bus/pci/devices/ADDR links to devices/..., and driver links
            # to bus/pci/drivers/DRIVER.
            real = os.path.join(sys_, "devices/pci0000:00", addr)
            os.makedirs(real)
            os.symlink(os.path.relpath(real, devices), os.path.join(devices, addr))
            if drv:
                os.symlink(os.path.relpath(os.path.join(sys_, "bus/pci/drivers", drv), real),
                           os.path.join(real, "driver"))

    @property
    def addresses(self):
        return sorted(self.DEVICES)

    @property
    def targets(self):
        return sorted(self.DEVICES) + self.GROUPS

    @property
    def drivers(self):
        return self.DRIVERS + ["vfio", "none"]


def private_env(tmp, **extra):
    """An environment whose HOME and XDG directories are private and writable, so that shells
    behave the same as root and as an unprivileged user."""
    env = dict(os.environ)
    for k in ("BASH_ENV", "ENV", "ZDOTDIR", "BASH_COMPLETION_USER_DIR", "fish_function_path"):
        env.pop(k, None)
    home = os.path.join(tmp, "home")
    os.makedirs(home, exist_ok=True)
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_DATA_HOME=os.path.join(home, ".local/share"),
               XDG_CACHE_HOME=os.path.join(home, ".cache"),
               XDG_RUNTIME_DIR=os.path.join(tmp, "run"), TERM="dumb", LC_ALL="C.UTF-8")
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    env.update(extra)
    return env


def find_program(name):
    return shutil.which(name)


def completion_args(shell, missing):
    """The arguments every completion test takes (--devown, --completion, made absolute) and
    the shell's path; skips with `missing` when the shell is not installed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--devown", required=True)
    ap.add_argument("--completion", required=True)
    a = ap.parse_args()
    a.completion = os.path.abspath(a.completion)
    a.devown = os.path.abspath(a.devown)
    path = find_program(shell)
    if not path:
        skip(missing)
    return a, path
