#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian package, built from a copy of the tree and installed into a fresh Debian 12 root.

    test-package.py SOURCE_DIR

1. copies the working tree (without build directories and .git) and runs
   `dpkg-buildpackage -us -uc -b` in the copy: devown_VERSION_ARCH.deb holds the binary,
   devown(8), the three completions, the udev rule, the unit, the example configuration (a
   conffile) and the JSON schema;
2. lintian reports no error and no warning (overrides are in debian/*.lintian-overrides);
3. a Debian 12 minbase root (debootstrap, made once and cached under /var/cache/devown-pkg/,
   with man-db and bash-completion, as on an administrator's machine) is copied, and in it:
   `apt-get install ./devown_*.deb`; `devown status` exits 0 and says what kernel runs;
   bash-completion's loader finds the completion (and did not before the install); `man devown`
   renders; the example configuration parses; the unit is not enabled; then
   `apt-get purge devown` (and autoremove of its dependencies) leaves the root's file list as
   it was before the install, /etc/devown and /run/devown included.

Needs root, the build dependencies, dpkg-dev, debhelper, lintian, debootstrap and the network
(the archive named in this machine's /etc/apt/sources.list(.d)). Exit 77 when something is
missing, but in CI ($CI set) that is a failure. Everything mounted is unmounted, also on failure.
$DEVOWN_PKG_CACHE overrides the cache directory; $DEVOWN_KEEP_PKG=DIR keeps the .deb there."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
CACHE = os.environ.get("DEVOWN_PKG_CACHE", "/var/cache/devown-pkg")
SUITE = "bookworm"
# What the cached root has beyond minbase: what `man devown` and completion need, and what
# an administrator's Debian has anyway.
EXTRA = ["man-db", "bash-completion"]
# Files of the root that apt, dpkg and man-db rewrite on every install or removal (package
# lists, status, logs, caches); every other path must be as before after the purge.
VOLATILE = ("var/lib/apt/", "var/cache/apt/", "var/lib/dpkg/", "var/log/", "var/cache/debconf/",
            "var/cache/man/", "var/cache/ldconfig/")

FAILURES = []
TIMES = []


def fail(what):
    FAILURES.append(what)
    print("FAIL: " + what, file=sys.stderr)


def check(cond, what):
    if not cond:
        fail(what)
    return cond


def unavailable(reason):
    """A prerequisite is missing: a skip, or in CI a failure."""
    if os.environ.get("CI"):
        print("FAIL: %s (in CI every prerequisite must be there: tests/setup.sh)" % reason)
        sys.exit(1)
    print("SKIP: " + reason)
    sys.exit(SKIP)


def timed(what):
    class T:
        def __enter__(self):
            self.t = time.monotonic()

        def __exit__(self, *exc):
            TIMES.append((what, time.monotonic() - self.t))
            print("time: %s %.1f s" % (what, TIMES[-1][1]), flush=True)
    return T()


def sh(cmd, check_rc=True, **kw):
    """Runs cmd, printing it; returns the CompletedProcess (stdout and stderr as text)."""
    print("+ " + " ".join(cmd), flush=True)
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s exited %d:\n%s\n%s" % (" ".join(cmd), p.returncode,
                                                      p.stdout[-3000:], p.stderr[-3000:]))
    return p


def mirror():
    """The Debian archive this machine's apt uses (never a host name of our own)."""
    uris = []
    for f in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(f) as fh:
            for stanza in fh.read().split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    k, v = line.split(":", 1)
                    fields[k.strip().lower()] = v.split()
                if ("deb" in fields.get("types", []) and SUITE in fields.get("suites", [])
                        and "main" in fields.get("components", [])):
                    if fields.get("enabled", ["yes"])[0] != "no":
                        uris += fields.get("uris", [])
    lists = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    for f in lists:
        if not os.path.exists(f):
            continue
        with open(f) as fh:
            for line in fh:
                w = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
                if len(w) >= 4 and w[0] == "deb" and w[2] == SUITE and "main" in w[3:]:
                    uris.append(w[1])
    uris = [u for u in uris if u.startswith(("http://", "https://", "file:/"))]
    return uris[0] if uris else None


class Mounts:
    """Mounts in a root, all unmounted (newest first) on exit, whatever happened."""

    def __init__(self, root):
        self.root, self.done = root, []

    def __enter__(self):
        return self

    def mount(self, *args, target):
        path = os.path.join(self.root, target)
        os.makedirs(path, exist_ok=True)
        sh(["mount"] + list(args) + [path])
        self.done.append(path)

    def __exit__(self, *exc):
        for path in reversed(self.done):
            p = subprocess.run(["umount", path], capture_output=True, text=True)
            if p.returncode != 0:
                subprocess.run(["umount", "-l", path], capture_output=True)
                fail("umount %s: %s" % (path, p.stderr.strip()))
        self.done = []
        return False


def cached_root(url):
    """The tarball of a Debian 12 minbase root with EXTRA, made once (under a lock)."""
    os.makedirs(CACHE, exist_ok=True)
    tarball = os.path.join(CACHE, "%s-minbase.tar" % SUITE)
    stamp = "recipe 1: %s %s" % (url, ",".join(EXTRA))  # change "recipe" with the recipe
    import fcntl
    with open(os.path.join(CACHE, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(tarball) and os.path.exists(tarball + ".stamp"):
            with open(tarball + ".stamp") as f:
                if f.read().strip() == stamp:
                    return tarball
        work = tempfile.mkdtemp(prefix="debootstrap-", dir=CACHE)
        try:
            with timed("debootstrap (once, cached)"):
                p = sh(["debootstrap", "--variant=minbase", "--include=" + ",".join(EXTRA),
                        SUITE, work, url], check_rc=False)
                if p.returncode != 0:
                    # No network or no archive is not devown's fault: a skip (in CI a failure).
                    unavailable("debootstrap %s from %s failed: %s" % (
                        SUITE, url, (p.stdout + p.stderr).strip().splitlines()[-1:]))
                # Interactive root shells complete with bash-completion, as the commented
                # block of Debian's /etc/bash.bashrc would make them.
                with open(os.path.join(work, "root", ".bashrc"), "a") as f:
                    f.write("\n. /usr/share/bash-completion/bash_completion\n")
                sh(["chroot", work, "apt-get", "clean"])
                sh(["tar", "-C", work, "--numeric-owner", "-cf", tarball + ".new", "."])
            os.replace(tarball + ".new", tarball)
            with open(tarball + ".stamp", "w") as f:
                f.write(stamp + "\n")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return tarball


def file_list(root):
    """Every path of the root (files, links, directories), but the mount points' contents
    and VOLATILE."""
    out = set()
    for dirpath, dirs, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel in ("proc", "sys", "dev"):
            dirs[:] = []
            continue
        for n in dirs + files:
            p = os.path.normpath(os.path.join(rel, n))
            if not (p + "/").startswith(VOLATILE) and not p.startswith(VOLATILE):
                out.add(p)
    return out


def build(src, tmp):
    """Builds the package from a copy of the tree; returns the .deb and .changes paths."""
    copy = os.path.join(tmp, "devown")
    os.makedirs(copy)
    top, deb_dir = sorted(os.listdir(src)), sorted(os.listdir(os.path.join(src, "debian")))
    with timed("copy the tree"):
        tar = subprocess.Popen(["tar", "-C", src, "--exclude=./build*", "--exclude=./.git",
                                "--exclude=./obj-*", "--exclude=./debian/devown",
                                "--exclude=./debian/.debhelper",
                                "--exclude=./tests/vm/cache", "--exclude=__pycache__",
                                "-cf", "-", "."], stdout=subprocess.PIPE)
        sh(["tar", "-C", copy, "-xf", "-"], stdin=tar.stdout)
        tar.wait()
    with open(os.path.join(src, "meson.build")) as f:
        version = re.search(r"version\s*:\s*'([^']+)'", f.read()).group(1)
    p = sh(["dpkg-checkbuilddeps"], check_rc=False, cwd=copy)
    if p.returncode != 0:
        unavailable("build dependencies missing: %s" % p.stderr.strip())
    with timed("dpkg-buildpackage -us -uc -b"):
        p = sh(["dpkg-buildpackage", "-us", "-uc", "-b"], check_rc=False, cwd=copy,
               env=dict(os.environ, LC_ALL="C.UTF-8"))
    if not check(p.returncode == 0, "dpkg-buildpackage exited %d:\n%s\n%s" % (
            p.returncode, p.stdout[-4000:], p.stderr[-4000:])):
        return None, None
    arch = sh(["dpkg", "--print-architecture"]).stdout.strip()
    deb = os.path.join(tmp, "devown_%s_%s.deb" % (version, arch))
    changes = os.path.join(tmp, "devown_%s_%s.changes" % (version, arch))
    check(os.path.exists(deb), "%s was built (%s)" % (os.path.basename(deb), os.listdir(tmp)))
    check(sorted(os.listdir(src)) == top and sorted(os.listdir(os.path.join(src, "debian"))) == deb_dir,
          "the source tree was not touched (%s)" % sorted(set(os.listdir(src)) ^ set(top)))
    return (deb if os.path.exists(deb) else None), changes


EXPECTED = [
    "./usr/sbin/devown",
    "./usr/share/man/man8/devown.8.gz",
    "./usr/share/bash-completion/completions/devown",
    "./usr/share/zsh/vendor-completions/_devown",
    "./usr/share/fish/vendor_completions.d/devown.fish",
    "./lib/udev/rules.d/70-devown.rules",
    "./lib/systemd/system/devown-apply.service",
    "./usr/share/initramfs-tools/hooks/devown",
    "./usr/share/initramfs-tools/scripts/init-top/devown",
    "./usr/lib/dracut/modules.d/90devown/module-setup.sh",
    "./usr/lib/dracut/modules.d/90devown/devown-pre-udev.sh",
    "./etc/devown/example.conf.sample",
    "./usr/share/devown/schema/devown.schema.json",
    "./usr/share/doc/devown/copyright",
    "./usr/share/doc/devown/changelog.gz",
]


def inspect(deb):
    files = [l.split()[-1] if " -> " not in l else l.split()[-3]
             for l in sh(["dpkg-deb", "-c", deb]).stdout.splitlines()]
    print("package contents:\n  " + "\n  ".join(f for f in files if not f.endswith("/")))
    for f in EXPECTED:
        check(f in files, "the package holds %s" % f[1:])
    check(not [f for f in files if f.startswith("./usr/local")], "nothing under /usr/local")
    ctl = tempfile.mkdtemp()
    try:
        sh(["dpkg-deb", "-e", deb, ctl])
        with open(os.path.join(ctl, "conffiles")) as f:
            check(f.read().split() == ["/etc/devown/example.conf.sample"],
                  "the example configuration is the one conffile")
        # dh_installsystemd --no-enable --no-start: the unit is never started by the package
        # (that it is not enabled is checked in the root).
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(ctl, script)
            text = open(path).read() if os.path.exists(path) else ""
            check("deb-systemd-invoke start" not in text and "deb-systemd-invoke restart" not in text,
                  "%s does not start the unit" % script)
    finally:
        shutil.rmtree(ctl)
    dump = sh(["dpkg-deb", "-I", deb]).stdout
    print(dump)


def lintian(changes, deb):
    with timed("lintian"):
        p = sh(["lintian", "--display-info", "--show-overrides", changes], check_rc=False)
    out = p.stdout + p.stderr
    print("lintian:\n" + out)
    bad = [l for l in out.splitlines() if re.match(r"^[EW]: ", l)]
    check(not bad, "lintian reports no error or warning: %s" % bad)
    check(p.returncode == 0, "lintian exited %d" % p.returncode)
    # Every override must carry a justification: a comment right above it.
    for f in glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "debian",
                                    "*lintian-overrides")):
        lines = open(f).read().splitlines()
        for i, line in enumerate(lines):
            if line.strip() and not line.startswith("#"):
                check(i > 0 and lines[i - 1].startswith("#"),
                      "%s: override '%s' has a comment that justifies it" % (f, line))


def chroot(root, *cmd, check_rc=False):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C.UTF-8",
           "TERM": "dumb", "DEBIAN_FRONTEND": "noninteractive"}
    return sh(["chroot", root] + list(cmd), check_rc=check_rc, env=env)


def in_root(tarball, deb, tmp):
    root = os.path.join(tmp, "root")
    os.makedirs(root)
    with timed("copy the cached root"):
        sh(["tar", "-C", root, "--numeric-owner", "-xf", tarball])
    shutil.copy("/etc/resolv.conf", os.path.join(root, "etc", "resolv.conf"))
    with Mounts(root) as m:
        m.mount("-t", "proc", "proc", target="proc")
        m.mount("-t", "sysfs", "-o", "ro", "sysfs", target="sys")
        m.mount("--bind", "/dev", target="dev")
        # apt-get update: the lists are not in the cache (apt-get clean).
        with timed("apt-get update in the root"):
            p = chroot(root, "apt-get", "update", "-q")
            if p.returncode != 0 or "Err:" in p.stdout:
                unavailable("apt-get update in the root failed (no network?): %s" % (
                    (p.stdout + p.stderr).strip().splitlines()[-3:]))
        probe = ["bash", "-ic", "_completion_loader devown; complete -p devown"]
        p = chroot(root, *probe)
        # (bash-completion's loader falls back to "complete -F _minimal" for unknown commands.)
        check("_devown" not in p.stdout, "before the install the completion is not there: %r" % p.stdout)
        before = file_list(root)

        shutil.copy(deb, os.path.join(root, "tmp"))
        name = os.path.basename(deb)
        with timed("apt-get install ./%s" % name):
            p = chroot(root, "apt-get", "install", "-y", "-q", "--no-install-recommends",
                       "./tmp/" + name)
        os.remove(os.path.join(root, "tmp", name))
        if not check(p.returncode == 0, "apt-get install ./%s: %s %s" % (
                name, p.stdout[-2000:], p.stderr[-2000:])):
            return
        listed = chroot(root, "dpkg", "-L", "devown").stdout.split()
        for f in EXPECTED:
            check(f[1:] in listed, "dpkg -L devown lists %s" % f[1:])

        p = chroot(root, "devown", "status")
        first = p.stdout.splitlines()[0] if p.stdout else ""
        check(p.returncode == 0, "devown status in the root: exit %d (%s)" % (p.returncode,
                                                                           p.stderr.strip()))
        check(re.match(r"^Kernel \S+, IOMMU (on|off)", first) is not None,
              "devown status: first line %r" % first)
        print("devown status: " + first)
        p = chroot(root, "devown", "status", "--json")
        check(p.returncode == 0 and '"schema": 1' in p.stdout, "devown status --json in the root")
        # A production build: the testing aids cannot redirect or break root's work.
        p = chroot(root, "env", "DEVOWN_ROOT=/nonexistent", "DEVOWN_FAIL_WRITE=1", "devown", "status")
        check(p.returncode == 0 and re.match(r"^Kernel \S+, IOMMU (on|off)", p.stdout) is not None,
              "the packaged devown ignores DEVOWN_ROOT: exit %d, %r" % (p.returncode, p.stdout[:200]))
        check("DEVOWN_ROOT is a testing aid that this build of devown ignores" in p.stderr,
              "the packaged devown says it ignores DEVOWN_ROOT: %r" % p.stderr[:300])
        p = chroot(root, "devown", "--version")
        check("test build" not in p.stdout, "the packaged devown is not a test build: %r" % p.stdout)

        p = chroot(root, *probe)
        check(p.returncode == 0 and "-F _devown" in p.stdout and p.stdout.rstrip().endswith(" devown"),
              "bash-completion's loader finds the completion: %r %r" % (p.stdout, p.stderr[-300:]))

        p = chroot(root, "man", "--warnings", "-P", "cat", "devown")
        check(p.returncode == 0 and "JSON OUTPUT" in p.stdout and
              "devown/schema/devown.schema.json" in p.stdout,
              "man devown renders (exit %d, %d lines, stderr %r)" % (
                  p.returncode, len(p.stdout.splitlines()), p.stderr[-500:]))
        check(p.stderr.strip() == "", "man devown: no warnings (%r)" % p.stderr[-500:])

        p = chroot(root, "devown", "apply", "--dry-run", "/etc/devown/example.conf.sample")
        check(p.returncode == 0, "the example configuration parses: %s" % p.stderr.strip())
        # The package creates /etc/devown, so the udev rule now runs for every PCI device
        # that appears: with no *.conf there, apply --device must do nothing and succeed.
        p = chroot(root, "devown", "apply", "--device", "0000:00:00.0")
        check(p.returncode == 0 and p.stderr == "",
              "apply --device with only the example: exit %d %r" % (p.returncode, p.stderr))
        enabled = glob.glob(os.path.join(root, "etc/systemd/system/*/devown-apply.service"))
        check(enabled == [], "the unit is not enabled: %s" % enabled)
        # The file list sees what the package and devown added (so the purge check below
        # can fail): the package's files, and what status remembers under /run/devown.
        added = file_list(root) - before
        for f in EXPECTED + ["./etc/devown", "./run/devown"]:
            # (/lib is a link to usr/lib in Debian 12's merged /usr.)
            real = os.path.relpath(os.path.realpath(os.path.join(root, f[2:])), root)
            check(real in added, "the file list shows %s after the install" % real)
        print("the install added %d paths" % len(added))

        with timed("apt-get purge devown"):
            p = chroot(root, "apt-get", "purge", "-y", "-q", "devown")
            check(p.returncode == 0, "apt-get purge devown: %s" % p.stderr[-1000:])
            p = chroot(root, "apt-get", "autoremove", "--purge", "-y", "-q")
            check(p.returncode == 0, "apt-get autoremove --purge: %s" % p.stderr[-1000:])
        after = file_list(root)
        left, gone = sorted(after - before), sorted(before - after)
        check(not left, "the purge leaves no file behind: %s" % left[:40])
        check(not gone, "the purge removed nothing that was there before: %s" % gone[:40])
        check(not os.path.exists(os.path.join(root, "etc/devown")), "/etc/devown is gone")
        print("file list: %d paths before the install, %d after the purge, %d left, %d gone" % (
            len(before), len(after), len(left), len(gone)))


def main():
    if len(sys.argv) != 2:
        print("usage: test-package.py SOURCE_DIR", file=sys.stderr)
        return 2
    src = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        unavailable("needs root (debootstrap, chroot, mount)")
    for tool, pkg in (("dpkg-buildpackage", "dpkg-dev"), ("dh", "debhelper"),
                      ("lintian", "lintian"), ("debootstrap", "debootstrap"),
                      ("chroot", "coreutils")):
        if not shutil.which(tool):
            unavailable("%s is missing (apt-get install %s)" % (tool, pkg))
    url = mirror()
    if not url:
        unavailable("no deb line for %s main in /etc/apt/sources.list(.d)" % SUITE)
    tmp = tempfile.mkdtemp(prefix="devown-pkg-")
    try:
        deb, changes = build(src, tmp)
        if deb:
            if os.environ.get("DEVOWN_KEEP_PKG"):
                shutil.copy(deb, os.environ["DEVOWN_KEEP_PKG"])
            inspect(deb)
            lintian(changes, deb)
            with timed("the cached Debian 12 root"):
                tarball = cached_root(url)
            in_root(tarball, deb, tmp)
    except RuntimeError as e:
        fail(str(e))
    finally:
        # Never remove a tree something is still mounted in.
        with open("/proc/self/mounts") as f:
            busy = [l.split()[1] for l in f if l.split()[1].startswith(tmp)]
        if check(not busy, "nothing is left mounted: %s" % busy):
            shutil.rmtree(tmp, ignore_errors=True)
    print("times: " + ", ".join("%s %.1f s" % t for t in TIMES))
    print("%d failed" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
