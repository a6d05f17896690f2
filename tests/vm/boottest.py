#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real boots of devown: a Debian 12 root with systemd and udev, devown installed into it,
booted through an initramfs made by Debian's own mkinitramfs with devown's hook.

  boottest.py --kernel 6.1 --build build [--workdir DIR] [--only REGEX]

Exit status: 0 all boots passed, 1 some failed (or, with CI set, a prerequisite is missing),
77 skipped because a prerequisite is missing (outside CI only).
"""

import fcntl
import glob
import re
import secrets
import time
from dataclasses import dataclass
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vmtest  # noqa: E402
from vmtest import Unavailable, log, run, tool, last_line  # noqa: E402

BOOT_SUITE = "bookworm"
# What a small real system has (systemd as init, udev, kmod), what builds its initramfs
# (initramfs-tools with busybox; dracut-core, which unlike dracut does not conflict with
# initramfs-tools) and what devown links.
BOOT_PACKAGES = ["systemd", "systemd-sysv", "udev", "kmod", "initramfs-tools", "busybox",
                 "dracut-core", "e2fsprogs", "zstd", "pciutils", "iproute2",
                 "libjson-c5", "libkmod2", "libpci3", "libudev1"]
BOOT_ROOT = os.path.join(vmtest.CACHE, "boot-" + BOOT_SUITE, "root")


def root_stamp():
    return hashlib.sha256(json.dumps([BOOT_SUITE, BOOT_PACKAGES]).encode()).hexdigest()[:16]


def fetch_boot_root():
    """BOOT_ROOT, made by debootstrap once and kept in the cache; stamped by its package list.
    Never changed afterwards: each boot works on a copy."""
    stamp_file = os.path.join(BOOT_ROOT, ".devown-stamp")

    def current():
        try:
            return open(stamp_file).read().strip() == root_stamp()
        except OSError:
            return False

    if current():
        return BOOT_ROOT
    if not shutil.which(tool("debootstrap")):
        raise Unavailable("debootstrap not found (apt-get install debootstrap, or run tests/vm/setup.sh)")
    base = os.path.dirname(BOOT_ROOT)
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, ".lock"), "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        if current():
            return BOOT_ROOT
        log("boot: making the boot root (debootstrap %s: %s)" % (BOOT_SUITE, ", ".join(BOOT_PACKAGES)))
        work = tempfile.mkdtemp(prefix="root-", dir=base)
        try:
            os.chmod(work, 0o755)
            r = run([tool("debootstrap"), "--variant=minbase", "--include=" + ",".join(BOOT_PACKAGES),
                     BOOT_SUITE, work, vmtest.machine_mirror()])
            if r.returncode != 0:
                raise Unavailable("debootstrap %s failed: %s" % (BOOT_SUITE, last_line(r.stdout + r.stderr)))
            shutil.rmtree(os.path.join(work, "var", "cache", "apt", "archives"), ignore_errors=True)
            os.makedirs(os.path.join(work, "var", "cache", "apt", "archives", "partial"))
            with open(os.path.join(work, ".devown-stamp"), "w") as f:
                f.write(root_stamp() + "\n")
            if os.path.exists(BOOT_ROOT):
                shutil.rmtree(BOOT_ROOT)
            os.rename(work, BOOT_ROOT)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return BOOT_ROOT


# ---- the kernel in the root --------------------------------------------------------------------

# The modules the root gets: the vm suite's (host drivers, VFIO) and what mounts the root disk.
ROOT_MODULES = vmtest.MODULES + ["virtio_blk"]


def kernel_tree(kernel, meta, cache):
    """A directory holding the kernel package's files, extracted once per kernel version."""
    d = os.path.join(cache, "kernel-" + meta["release"])
    if os.path.isdir(os.path.join(d, "lib", "modules", meta["release"])):
        return d
    work = tempfile.mkdtemp(prefix="kx-", dir=cache)
    try:
        for deb in meta.get("debs") or [meta["deb"]]:
            r = run(["dpkg-deb", "-x", deb, work])
            if r.returncode != 0:
                raise RuntimeError("dpkg-deb -x %s: %s" % (deb, r.stderr))
        if not os.path.isdir(os.path.join(work, "lib", "modules")) and \
                os.path.isdir(os.path.join(work, "usr", "lib", "modules")):
            os.makedirs(os.path.join(work, "lib"), exist_ok=True)
            os.rename(os.path.join(work, "usr", "lib", "modules"), os.path.join(work, "lib", "modules"))
        r = run([tool("depmod"), "-b", work, meta["release"]])
        if r.returncode != 0:
            raise RuntimeError("depmod: %s" % r.stderr)
        os.rename(work, d)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return d


def install_modules(tree, release, root):
    """ROOT_MODULES and their dependencies, as the package ships them (compressed or not), into
    root's /lib/modules, indexed by depmod: what 'apt install linux-image' would give, minus the
    modules no device of the topology needs (the image stays small)."""
    src = os.path.join(tree, "lib", "modules", release)
    dst = os.path.join(root, "lib", "modules", release)
    files = set()
    for m in ROOT_MODULES:
        r = run([tool("modprobe"), "-D", "-d", tree, "-S", release, m])
        if r.returncode != 0:
            raise RuntimeError("%s has no module %s: %s" % (release, m, last_line(r.stderr)))
        files.update(p.split()[1] for p in r.stdout.splitlines() if p.startswith("insmod "))
    for f in files:
        out = os.path.join(dst, os.path.relpath(f, src))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        shutil.copy(f, out)
    for f in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        if os.path.exists(os.path.join(src, f)):
            shutil.copy(os.path.join(src, f), os.path.join(dst, f))
    r = run([tool("depmod"), "-b", root, release])
    if r.returncode != 0:
        raise RuntimeError("depmod in the root: %s" % r.stderr)


# ---- the system: the cached root, the kernel, devown installed as a user would -----------------

MF0, MF1, LONE, NVME = "0000:04:00.0", "0000:04:00.1", "0000:01:00.0", "0000:06:00.0"
CONF_GOOD = """# The boot suite's configuration: one of the two identical e1000e functions, by address,
# and the NVMe controller.
[device boot-mf1]
address=%s
vendor=8086
device=10d3
driver=vfio

[device boot-nvme]
address=%s
vendor=1b36
device=0010
driver=vfio
""" % (MF1, NVME)
# A key apply does not know: the whole configuration is refused, nothing changes.
CONF_BROKEN = "[device boot-mf1]\naddress=%s\ndriver=vfio\ncolour=blue\n" % MF1


def build_options(build):
    r = run(["meson", "introspect", "--buildoptions", build])
    if r.returncode != 0:
        raise Unavailable("meson introspect %s: %s" % (build, last_line(r.stderr)))
    opts = {o["name"]: o["value"] for o in json.loads(r.stdout)}
    prefix = opts["prefix"]
    return {k: (v if v.startswith("/") else os.path.join(prefix, v))
            for k, v in opts.items() if k in ("prefix", "sbindir", "sysconfdir", "initramfstoolsdir",
                                              "dracutmoduledir", "systemdunitdir", "udevrulesdir")}


def chroot(root, *cmd):
    # A private mount namespace: /proc and /dev for the tools, gone when the command ends.
    script = "mount -t proc proc %s/proc && mount --rbind /dev %s/dev && exec chroot %s \"$@\"" % (
        root, root, root)
    env = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL="C")
    return run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + list(cmd),
               env=env)


def prepare_system(kernel, entry, meta, build, wd, cache):
    """wd/system: the cached root, the kernel's modules, devown from build (meson install),
    the reporter unit. Returns the build's options."""
    opts = build_options(build)
    system = os.path.join(wd, "system")
    if os.path.exists(system):
        shutil.rmtree(system)
    r = run(["cp", "-a", fetch_boot_root(), system])
    if r.returncode != 0:
        raise RuntimeError("cp the root: %s" % r.stderr)
    tree = kernel_tree(kernel, meta, cache)
    install_modules(tree, meta["release"], system)
    # mkinitramfs reads the kernel's config (which compressions it can unpack).
    for f in glob.glob(os.path.join(tree, "boot", "config-*")) + \
            glob.glob(os.path.join(tree, "lib", "modules", meta["release"], "config")):
        shutil.copy(f, os.path.join(system, "boot", "config-" + meta["release"]))
    shutil.copy(os.path.join(entry, "vmlinuz"), os.path.join(system, "boot", "vmlinuz-" + meta["release"]))
    r = run(["meson", "install", "-C", build, "--destdir", system, "--quiet", "--no-rebuild"])
    if r.returncode != 0:
        raise RuntimeError("meson install: %s" % (r.stdout + r.stderr))
    lib = os.path.join(system, "usr", "local", "lib", "devown-boottest")
    os.makedirs(lib, exist_ok=True)
    shutil.copy(os.path.join(HERE, "boot", "report.sh"), lib)
    units = os.path.join(system, "etc", "systemd", "system")
    shutil.copy(os.path.join(HERE, "boot", "devown-boottest.service"), units)
    os.makedirs(os.path.join(units, "multi-user.target.wants"), exist_ok=True)
    os.symlink("/etc/systemd/system/devown-boottest.service",
               os.path.join(units, "multi-user.target.wants", "devown-boottest.service"))
    if os.path.lexists(os.path.join(units, "default.target")):
        os.unlink(os.path.join(units, "default.target"))
    os.symlink("/lib/systemd/system/multi-user.target", os.path.join(units, "default.target"))
    with open(os.path.join(system, "etc", "hostname"), "w") as f:
        f.write("boottest\n")
    # The hook and its script, kept aside so that a boot without them can be made.
    aside = os.path.join(wd, "hook-aside")
    shutil.rmtree(aside, ignore_errors=True)
    os.makedirs(aside)
    itd = opts["initramfstoolsdir"]
    for rel in ("hooks/devown", "scripts/init-top/devown"):
        shutil.copy(os.path.join(system, itd.lstrip("/"), rel), os.path.join(aside, rel.replace("/", "_")))
    return opts, system


@dataclass
class Boot:
    name: str
    hook: bool            # devown's initramfs-tools hook installed when the image is made
    config: str           # the content of SYSCONFDIR/devown/boot.conf, or None
    unit: bool            # devown-apply.service enabled
    drivers_in_image: bool  # the host drivers (nvme, e1000e) in the initramfs
    what: str
    builder: str = "initramfs-tools"  # or "dracut" (then hook means its module devown)
    modprobe_d: str = None  # the content of /etc/modprobe.d/boottest.conf, or None


BOOTS = [
    Boot("initramfs", True, CONF_GOOD, True, True,
         "devown's hook in an initramfs that holds nvme and e1000e"),
    Boot("unit", False, CONF_GOOD, True, False,
         "no hook, host drivers only in the real root: devown-apply.service under systemd"),
    Boot("udev", False, CONF_GOOD, False, False,
         "no hook, the unit disabled: the udev rule at coldplug under real udev"),
    Boot("taken", False, CONF_GOOD, True, True,
         "no hook, host drivers in the initramfs: they take the devices first; status says so",
         # The blunt remedy beside the configuration (status must flag it), and a line that
         # concerns no configured device (status must not).
         modprobe_d="softdep e1000e pre: vfio-pci\nblacklist igbvf\n"),
    Boot("broken", True, CONF_BROKEN, True, True, "a broken configuration: boots, says why"),
    Boot("noconfig", True, None, True, True, "the hook without any configuration: boots"),
    Boot("dracut", True, CONF_GOOD, True, True,
         "dracut's image (systemd in the initramfs) with the module devown, nvme and e1000e",
         builder="dracut"),
]


def configure_system(system, opts, b, aside):
    itd = os.path.join(system, opts["initramfstoolsdir"].lstrip("/"))
    for rel in ("hooks/devown", "scripts/init-top/devown"):
        dst = os.path.join(itd, rel)
        if b.hook:
            shutil.copy(os.path.join(aside, rel.replace("/", "_")), dst)
        elif os.path.exists(dst):
            os.unlink(dst)
    confdir = os.path.join(system, opts["sysconfdir"].lstrip("/"), "devown")
    os.makedirs(confdir, exist_ok=True)
    conf = os.path.join(confdir, "boot.conf")
    if b.config is None:
        if os.path.exists(conf):
            os.unlink(conf)
    else:
        with open(conf, "w") as f:
            f.write(b.config)
    wants = os.path.join(system, "etc", "systemd", "system", "sysinit.target.wants")
    os.makedirs(wants, exist_ok=True)
    link = os.path.join(wants, "devown-apply.service")
    if os.path.lexists(link):
        os.unlink(link)
    if b.unit:
        os.symlink(os.path.join(opts["systemdunitdir"], "devown-apply.service"), link)
    mp = os.path.join(system, "etc", "modprobe.d", "boottest.conf")
    if b.modprobe_d is None:
        if os.path.exists(mp):
            os.unlink(mp)
    else:
        os.makedirs(os.path.dirname(mp), exist_ok=True)
        with open(mp, "w") as f:
            f.write(b.modprobe_d)
    ird = os.path.join(system, "etc", "initramfs-tools")
    with open(os.path.join(ird, "conf.d", "devown-boottest.conf"), "w") as f:
        # Debian's default (most) with a NIC for network root, or only what mounts the root.
        f.write("MODULES=%s\nCOMPRESS=zstd\n" % ("most" if b.drivers_in_image else "list"))
    with open(os.path.join(ird, "modules"), "w") as f:
        f.write("e1000e\n" if b.drivers_in_image else "virtio_pci\nvirtio_blk\next4\n")


def make_initramfs(system, release, out, builder="initramfs-tools"):
    if builder == "dracut":
        img = "/boot/initrd-dracut.img-" + release
        r = chroot(system, "dracut", "--force", "--no-hostonly", "--add", "devown", "--omit", "plymouth",
                   "--add-drivers", "nvme e1000e virtio_blk virtio_pci ext4", "--kver", release, img)
        if r.returncode != 0:
            raise RuntimeError("dracut: %s" % (r.stdout + r.stderr)[-2000:])
        shutil.copy(os.path.join(system, img.lstrip("/")), out)
        r = chroot(system, "lsinitrd", img)
        os.unlink(os.path.join(system, img.lstrip("/")))
        # lsinitrd lists like ls -l: the path is the last field (or the one before "->").
        names = []
        for line in r.stdout.splitlines():
            p = line.split()
            if len(p) >= 9:
                names.append(p[-3] if len(p) >= 11 and p[-2] == "->" else p[-1])
        return names, r.stdout + r.stderr
    r = chroot(system, "mkinitramfs", "-o", "/boot/initrd.img-" + release, release)
    if r.returncode != 0:
        raise RuntimeError("mkinitramfs: %s" % (r.stdout + r.stderr)[-2000:])
    shutil.copy(os.path.join(system, "boot", "initrd.img-" + release), out)
    r = chroot(system, "lsinitramfs", "/boot/initrd.img-" + release)
    return r.stdout.splitlines(), (r.stdout + r.stderr)


def make_image(system, out):
    r = run(["du", "-sm", system])
    size = int(r.stdout.split()[0]) + 192
    if os.path.exists(out):
        os.unlink(out)
    r = run([tool("mke2fs"), "-q", "-t", "ext4", "-L", "root", "-d", system, out, "%dM" % size])
    if r.returncode != 0:
        raise RuntimeError("mke2fs -d: %s" % r.stderr)


# ---- checks ------------------------------------------------------------------------------------

def parse_pci(text):
    out = {}
    for line in text.splitlines():
        p = line.split()
        if len(p) >= 5:
            out[p[0]] = {"vendor": p[1], "device": p[2], "driver": None if p[3] == "-" else p[3],
                         "override": None if p[4] == "(null)" else p[4]}
    return out


def host_lines(kmsg, addr):
    """Kernel log lines in which a host driver (e1000e, nvme) names addr: its probe ran."""
    return [x for x in kmsg.splitlines() if addr in x and re.search(r"\b(e1000e|nvme)\b", x)
            and "vfio" not in x]


class Checker:
    def __init__(self, recs):
        self.recs = recs
        self.problems = []
        self.notes = []

    def get(self, scen, key):
        return self.recs.get(scen, {}).get(key, b"").decode(errors="replace")

    def check(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return cond


def check_common(c, b):
    pci = parse_pci(c.get("boot", "pci"))
    kmsg = c.get("boot", "kmsg")
    c.check(pci.get(MF1, {}).get("device") == "0x10d3" and pci.get(MF0, {}).get("device") == "0x10d3",
            "topology: no 8086:10d3 at %s and %s (pci: %s)" % (MF0, MF1, sorted(pci)))
    c.check(pci.get(NVME, {}).get("vendor") == "0x1b36", "topology: no NVMe at %s" % NVME)
    c.check(pci.get(MF0, {}).get("driver") == "e1000e",
            "the other e1000e %s is on %s, not e1000e" % (MF0, pci.get(MF0, {}).get("driver")))
    c.check(pci.get(LONE, {}).get("driver") == "e1000e", "LONE %s not on e1000e" % LONE)
    c.check("running in system mode" in c.get("boot", "systemd") or "systemd" in kmsg,
            "no sign of systemd in the journal")
    return pci, kmsg


def status_json(c, scen="boot"):
    try:
        return json.loads(c.get(scen, "status-json.out"))
    except ValueError:
        c.problems.append("devown status --json is not JSON: rc %s, %r" % (
            c.get(scen, "status-json.rc"), c.get(scen, "status-json.err")[:300]))
        return {}


def check_owned(c, pci, kmsg, origin):
    """MF1 and the NVMe on vfio-pci, never probed by their host drivers, in the journal with
    origin; restore gives them to their host drivers."""
    for addr, host in ((MF1, "e1000e"), (NVME, "nvme")):
        d = pci.get(addr, {})
        c.check(d.get("driver") == "vfio-pci", "%s is on %s, not vfio-pci" % (addr, d.get("driver")))
        lines = host_lines(kmsg, addr)
        c.check(not lines, "%s probed %s: %s" % (host, addr, lines[:3]))
    net = c.get("boot", "net")
    blk = c.get("boot", "block")
    c.check("/%s/" % MF1 not in net, "a netdev of %s exists: %s" % (MF1, net))
    c.check("/%s/" % NVME not in blk, "a block device of %s exists: %s" % (NVME, blk))
    c.check(("/%s/" % MF0) in net, "no netdev of the other e1000e %s: %s" % (MF0, net))
    st = status_json(c)
    managed = {m.get("address"): m for m in st.get("managed", [])}
    for addr in (MF1, NVME):
        m = managed.get(addr)
        if c.check(m is not None, "status: %s not in managed (%s)" % (addr, sorted(managed))):
            c.check(m.get("origin") == origin, "status: %s origin %r, expected %r" % (
                addr, m.get("origin"), origin))
    text = c.get("boot", "status.out")
    phrase = {"initramfs": "at boot, in the initramfs", "unit": "at boot, by devown-apply.service",
              "udev": "as it appeared, by the udev rule"}[origin]
    c.check("devown changed %s %s" % (MF1, phrase) in text, "status text lacks %r for %s:\n%s" % (
        phrase, MF1, "\n".join(text.splitlines()[:8])))
    boot = st.get("boot")
    if c.check(isinstance(boot, dict), "status: no boot object"):
        got = {x.get("address"): x.get("origin") for x in boot.get("bound", [])}
        c.check(got.get(MF1) == origin and got.get(NVME) == origin,
                "status: boot.bound %r, expected %s and %s from %s" % (got, MF1, NVME, origin))
    # restore: the kernel's own choice, the host drivers, and their netdev and disk.
    c.check(c.get("restore", "restore.rc") == "0", "restore: exit %s: %s" % (
        c.get("restore", "restore.rc"), c.get("restore", "restore.err")[-400:]))
    after = parse_pci(c.get("restore", "pci"))
    c.check(after.get(MF1, {}).get("driver") == "e1000e", "after restore %s is on %s" % (
        MF1, after.get(MF1, {}).get("driver")))
    c.check(after.get(NVME, {}).get("driver") == "nvme", "after restore %s is on %s" % (
        NVME, after.get(NVME, {}).get("driver")))
    c.check("/%s/" % MF1 in c.get("restore", "net"), "after restore no netdev of %s" % MF1)
    c.check("/%s/" % NVME in c.get("restore", "block"), "after restore no block device of %s" % NVME)


def check_boot(b, c, console):
    pci, kmsg = check_common(c, b)
    unit = c.get("boot", "unit-state.out")
    st = status_json(c)
    if b.name == "dracut":
        check_owned(c, pci, kmsg, "initramfs")
        c.check("Result=success" in unit, "devown-apply.service: %s" % unit)
    elif b.name == "initramfs":
        check_owned(c, pci, kmsg, "initramfs")
        # The early script ran before systemd: its kernel log line comes first.
        dv = [i for i, x in enumerate(kmsg.splitlines()) if "devown:" in x]
        sd = [i for i, x in enumerate(kmsg.splitlines()) if "systemd" in x and "running in" in x]
        c.check(dv and (not sd or dv[0] < sd[0]), "no devown: line before systemd started in the "
                "kernel log (devown %s, systemd %s)" % (dv[:1], sd[:1]))
        c.check("Result=success" in unit, "devown-apply.service: %s" % unit)
    elif b.name == "unit":
        check_owned(c, pci, kmsg, "unit")
        c.check("Result=success" in unit, "devown-apply.service: %s" % unit)
    elif b.name == "udev":
        # NVMe is alone on its driver: the rule's RUN comes before the module load of its
        # own event. MF1 races with MF0's event loading e1000e (the unit exists for that).
        d = pci.get(NVME, {})
        c.check(d.get("driver") == "vfio-pci" and not host_lines(kmsg, NVME),
                "udev: %s on %s, host lines %s" % (NVME, d.get("driver"), host_lines(kmsg, NVME)[:2]))
        managed = {m.get("address"): m for m in st.get("managed", [])}
        c.check(managed.get(NVME, {}).get("origin") == "udev", "udev: %s origin %r" % (
            NVME, managed.get(NVME, {}).get("origin")))
        # Either the rule won (vfio-pci, origin udev) or e1000e, loaded for MF0's event, took
        # MF1 first and the rule refused to split the group: then status must say so.
        mf1 = pci.get(MF1, {}).get("driver")
        taken = {x.get("address") for x in (st.get("boot") or {}).get("taken_first", [])}
        if mf1 == "vfio-pci":
            c.check(managed.get(MF1, {}).get("origin") == "udev", "udev: %s origin %r" % (
                MF1, managed.get(MF1, {}).get("origin")))
        else:
            c.check(mf1 == "e1000e" and MF1 in taken, "udev: %s on %s, taken_first %s" % (
                MF1, mf1, sorted(taken)))
        c.notes.append("udev: %s ended on %s (the race with %s's module load)" % (MF1, mf1, MF0))
    elif b.name == "taken":
        # nvme and e1000e in the image took both before the real root; the unit moves the NVMe
        # (nothing uses it) and must refuse MF1 alone (MF0 on e1000e: rule partial-group).
        c.check(host_lines(kmsg, MF1) != [], "taken: e1000e never probed %s" % MF1)
        c.check(pci.get(MF1, {}).get("driver") == "e1000e", "taken: %s on %s" % (
            MF1, pci.get(MF1, {}).get("driver")))
        c.check(pci.get(NVME, {}).get("driver") == "vfio-pci", "taken: %s on %s" % (
            NVME, pci.get(NVME, {}).get("driver")))
        boot = st.get("boot") or {}
        taken = {x.get("address"): x for x in boot.get("taken_first", [])}
        c.check(MF1 in taken and taken[MF1].get("driver") == "e1000e",
                "taken: status boot.taken_first %r" % taken)
        c.check("update-initramfs" in json.dumps(taken.get(MF1, {})), "taken: no hint: %r" % taken.get(MF1))
        c.check("Result=exit-code" in unit, "taken: devown-apply.service %s" % unit)
        conflicts = [(x.get("directive"), x.get("module"), x.get("devices"), x.get("source"))
                     for x in boot.get("conflicts", [])]
        c.check(conflicts == [("softdep", "e1000e", [MF1], "/etc/modprobe.d/boottest.conf:1")],
                "taken: status boot.conflicts %r" % conflicts)
    elif b.name == "broken":
        c.check(pci.get(MF1, {}).get("driver") == "e1000e", "broken: %s on %s" % (
            MF1, pci.get(MF1, {}).get("driver")))
        c.check("devown: initramfs apply failed (exit 2)" in console,
                "broken: the console does not say why (no 'devown: initramfs apply failed')")
        c.check("colour" in kmsg, "broken: the kernel log does not name the bad key")
        c.check("Result=exit-code" in unit, "broken: devown-apply.service %s" % unit)
        c.check(st.get("config_error") is not None or "colour" in c.get("boot", "status.out"),
                "broken: status says nothing of the configuration")
    elif b.name == "noconfig":
        c.check(pci.get(MF1, {}).get("driver") == "e1000e" and pci.get(NVME, {}).get("driver") == "nvme",
                "noconfig: %s %s" % (pci.get(MF1), pci.get(NVME)))
        c.check(st.get("managed") == [], "noconfig: managed %r" % st.get("managed"))


def check_image(b, files, opts):
    """What the initramfs holds: devown, the configuration and VFIO with the hook and a
    configuration; none of it otherwise."""
    problems = []
    names = set(x.strip().lstrip("./") for x in files)
    devown = opts["sbindir"].lstrip("/") + "/devown"
    conf = opts["sysconfdir"].lstrip("/") + "/devown/boot.conf"
    has_vfio = any(re.search(r"/vfio-pci\.ko", x) for x in names)
    want = b.hook and b.config is not None
    for what, present in ((devown, devown in names), (conf, conf in names),
                          ("scripts/init-top/devown", "scripts/init-top/devown" in names
                           or "usr/lib/dracut/hooks/pre-udev/05-devown-pre-udev.sh" in names),
                          ("vfio-pci.ko", has_vfio)):
        if what == "scripts/init-top/devown":
            ok = present == b.hook
        elif what == "vfio-pci.ko" and "vfio" in (b.modprobe_d or ""):
            ok = True  # mkinitramfs follows a softdep on vfio-pci: present either way
        else:
            ok = present == want
        if not ok:
            problems.append("initramfs %s %s" % ("lacks" if not present else "has", what))
    if b.drivers_in_image:
        for m in ("nvme.ko", "e1000e.ko"):
            if not any(m in x for x in names):
                problems.append("initramfs lacks %s" % m)
    return problems




def init_top_order(initrd):
    """The init-top scripts in the order the image runs them (its scripts/init-top/ORDER)."""
    r = subprocess.run("zstd -dc %s | cpio -i --quiet --to-stdout scripts/init-top/ORDER" % initrd,
                       shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return re.findall(r"^/scripts/init-top/(\S+)", r.stdout, re.M)


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", required=True, help="6.1 or 6.12")
    ap.add_argument("--build", help="meson build directory of devown")
    ap.add_argument("--fetch-only", action="store_true", help="make the cached root and exit (setup.sh)")
    ap.add_argument("--workdir")
    ap.add_argument("--only", help="boots whose name matches this regex")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("DEVOWN_BOOT_TIMEOUT", "300")),
                    help="hard limit for one boot in seconds (default 300)")
    args = ap.parse_args()
    k = [x for x in vmtest.KERNELS if x.name == args.kernel]
    if not k:
        ap.error("unknown kernel %s" % args.kernel)
    kernel = k[0]
    t0 = time.monotonic()
    try:
        if os.geteuid() != 0:
            raise Unavailable("needs root (chroot, mkinitramfs, a root file system image)")
        vmtest.check_prerequisites()
        for name, pkg in (("mke2fs", "e2fsprogs"), ("unshare", "util-linux"), ("meson", "meson")):
            if not shutil.which(tool(name)):
                raise Unavailable("%s not found (apt-get install %s)" % (name, pkg))
        vmtest.fetch_clients()  # its QEMU runs the guests
        entry = vmtest.fetch_kernel(kernel)
        fetch_boot_root()
        if args.fetch_only:
            log("boot: root ready: %s" % BOOT_ROOT)
            return 0
        if not args.build:
            ap.error("--build is needed")
    except Unavailable as e:
        if vmtest.IN_CI:
            log("boot: FAIL: %s (CI is set: the boot suite must run)" % e)
            log("0 passed, 1 failed")
            return 1
        log("boot: SKIP: %s" % e)
        return 77
    meta = vmtest.read_meta(entry)
    release = meta["release"]
    wd = os.path.abspath(args.workdir or os.path.join(tempfile.gettempdir(), "devown-boot-" + kernel.name))
    os.makedirs(wd, exist_ok=True)
    cache = os.path.join(vmtest.CACHE, "boot-" + BOOT_SUITE)
    t1 = time.monotonic()
    opts, system = prepare_system(kernel, entry, meta, os.path.abspath(args.build), wd, cache)
    t2 = time.monotonic()
    log("boot: kernel %s, root and kernel fetched in %.1f s, system prepared in %.1f s, workdir %s"
        % (release, t1 - t0, t2 - t1, wd))
    passed = failed = 0
    boots = [b for b in BOOTS if not args.only or re.search(args.only, b.name)]
    for b in boots:
        bwd = os.path.join(wd, b.name)
        os.makedirs(bwd, exist_ok=True)
        ta = time.monotonic()
        configure_system(system, opts, b, os.path.join(wd, "hook-aside"))
        initrd = os.path.join(bwd, "initrd.img")
        files, listing = make_initramfs(system, release, initrd, b.builder)
        with open(os.path.join(bwd, "lsinitramfs.txt"), "w") as f:
            f.write(listing)
        image = os.path.join(bwd, "root.img")
        make_image(system, image)
        tb = time.monotonic()
        run_id = secrets.token_hex(6)
        cmd = vmtest.qemu_command(entry, initrd, bwd, run_id, ("root=/dev/vda", "rw")) + [
            "-drive", "file=%s,if=none,id=rootdisk,format=raw" % image,
            "-device", "virtio-blk-pci,drive=rootdisk"]
        rc, timed_out = vmtest.boot(cmd, bwd, args.timeout)
        tc = time.monotonic()
        recs, ends, began, ended = vmtest.parse_results(os.path.join(bwd, "results.log"), run_id)
        try:
            console = open(os.path.join(bwd, "console.log"), errors="replace").read()
        except OSError:
            console = ""
        c = Checker(recs)
        c.problems.extend(check_image(b, files, opts))
        order = init_top_order(initrd)
        if b.hook and b.builder == "initramfs-tools" and not (order and "devown" in order and "udev" in order
                           and order.index("devown") < order.index("udev")):
            c.problems.append("init-top order %s: devown must run before udev" % order)
        if not ended:
            c.problems.append("the guest did not finish (qemu exit %s%s); console (%s):\n%s" % (
                rc, ", killed at the time limit" if timed_out else "", os.path.join(bwd, "console.log"),
                vmtest.tail(os.path.join(bwd, "console.log"), 30)))
        else:
            check_boot(b, c, console)
        ok = not c.problems
        passed, failed = passed + ok, failed + (not ok)
        log("%s boot-%s: %s (image %.1f s, boot %.1f s)" % ("PASS" if ok else "FAIL", b.name, b.what,
                                                            tb - ta, tc - tb))
        for p in c.problems:
            log("    - " + p.replace("\n", "\n      "))
        for n in c.notes:
            log("    note: " + n)
        if ok:
            os.unlink(image)  # the largest file; the logs stay
    log("boot: wall time %.1f s for kernel %s" % (time.monotonic() - t0, kernel.name))
    log("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
