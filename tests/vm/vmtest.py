#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real-kernel tests of devown: boot a Debian kernel under QEMU (TCG, emulated Intel IOMMU),
run every scenario of scenarios.py in one boot and check the raw results here, on the host.

  vmtest.py --kernel 6.1 --devown build/devown --helper build/tests/vm/vfio-hold
  vmtest.py --fetch-only --kernel all      # what setup.sh runs: fill the kernel cache
  vmtest.py --list-kernels                 # what meson asks at configure time

Exit status: 0 all scenarios passed, 1 some failed (or, with CI set, a prerequisite is
missing), 77 skipped because a prerequisite is missing (outside CI only).
Only the Python standard library is used.
"""

import argparse
import base64
import fcntl
import gzip
import hashlib
import json
import lzma
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenarios  # noqa: E402  (needs HERE on sys.path)


@dataclass
class Kernel:
    """One kernel the suite boots. resolve is ("depends", META) for the kernel a metapackage
    depends on, or ("newest", REGEX) for the highest-versioned package name apt-cache knows that
    matches REGEX. suite names a Debian suite other than the machine's own (apt then gets a
    private source list; see apt_options)."""

    name: str
    resolve: tuple
    suite: str = None
    # What the scenarios may expect of this kernel (see scenarios.py).
    ownership_checks: bool = True
    modules: list = field(default_factory=lambda: list(MODULES))


# Modules the guest loads, in this order (their dependencies come along). Host drivers first so
# that every device starts on its usual driver, then VFIO and pci-stub for the scenarios.
MODULES = [
    "virtio_pci", "virtio_net", "e1000", "e1000e", "igb", "igbvf", "nvme", "crc32c_generic", "ext4",
    # The real clients (QEMU, DPDK) come from a Debian root shared read-only over 9p.
    "9pnet_virtio", "9p",
    "vfio", "vfio_iommu_type1", "vfio-pci", "pci-stub",
]

KERNELS = [
    Kernel("6.1", ("depends", "linux-image-amd64")),
    Kernel("6.12", ("newest", r"^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$")),
    # Debian 11's kernel, before the DMA ownership checks: devown must refuse what would crash.
    Kernel("5.10", ("depends", "linux-image-amd64"), suite="bullseye", ownership_checks=False),
    # Debian unstable's newest: split packages, vmlinuz under /usr/lib/modules/VER/.
    # crc32c is library code there, no module of its own.
    Kernel("sid", ("depends", "linux-image-amd64"), suite="sid",
           modules=[m for m in MODULES if m != "crc32c_generic"]),
]

# Bump when the prepared layout in the cache changes, so old entries are rebuilt.
PREP_VERSION = 1
CACHE = os.environ.get("DEVOWN_VM_CACHE", "/var/cache/devown-vm")
# The real clients: a Debian root (debootstrap, minbase) with QEMU, DPDK and the peers devown is
# compared with. It serves twice: its QEMU (8+ emulates the SR-IOV NIC igb, Debian 12's 7.2 does
# not) runs the guests here, through its own dynamic loader; and the guest mounts it read-only
# over 9p, takes its user space (loader, libraries, QEMU's firmware) from it and runs its QEMU,
# dpdk-testpmd, dpdk-devbind.py and driverctl as an administrator would.
CLIENT_SUITE = "trixie"
CLIENT_PACKAGES = ["qemu-system-x86", "dpdk", "dpdk-dev", "driverctl", "util-linux", "kmod",
                   "pciutils", "iproute2",  # dpdk-devbind.py runs lspci and ip
                   # what devown and vfio-hold link, run from this root in the guest
                   "libjson-c5", "libkmod2", "libpci3", "libudev1"]
CLIENTS = os.path.join(CACHE, "clients-" + CLIENT_SUITE, "root")
QEMU = os.environ.get("DEVOWN_VM_QEMU")  # another QEMU (8.0 or later) for the guests
IN_CI = os.environ.get("CI", "") not in ("", "0", "false", "False")


class Unavailable(Exception):
    """A prerequisite is missing: skip outside CI, fail in CI."""


def tool(name):
    """name's path; /sbin is not on every user's PATH, but depmod and modprobe live there."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def log(msg):
    print(msg, flush=True)


def run(cmd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


# ---- apt: resolve, download ------------------------------------------------------------------

def machine_mirror():
    """The Debian mirror this machine's apt uses (never written into the repository)."""
    uris = []
    for path in ["/etc/apt/sources.list"] + sorted(
        os.path.join("/etc/apt/sources.list.d", f)
        for f in (os.listdir("/etc/apt/sources.list.d") if os.path.isdir("/etc/apt/sources.list.d") else [])
    ):
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            m = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", line) or re.match(r"^URIs:\s*(\S+)", line)
            if m:
                uris.append(m.group(1).rstrip("/"))
    for u in uris:
        if u.endswith("/debian"):
            return u
    raise Unavailable("no Debian mirror found in /etc/apt/sources.list{,.d}")


def apt_options(kernel):
    """apt options for kernel's suite: none for the machine's own, else a private source list,
    lists and cache under the suite's own directory of the cache (updated here when empty)."""
    if not kernel.suite:
        return []
    base = os.path.join(CACHE, "apt-" + kernel.suite)
    lists = os.path.join(base, "lists")
    os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
    os.makedirs(os.path.join(base, "cache", "archives", "partial"), exist_ok=True)
    src = os.path.join(base, "sources.list")
    with open(src, "w") as f:
        f.write("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n"
                % (machine_mirror(), kernel.suite))
    opts = ["-o", "Dir::Etc::SourceList=" + src, "-o", "Dir::Etc::SourceParts=/nonexistent",
            "-o", "Dir::State::Lists=" + lists, "-o", "Dir::Cache=" + os.path.join(base, "cache")]
    packages = [os.path.join(lists, n) for n in os.listdir(lists) if n.endswith("_Packages")]
    # Refreshed weekly: security updates replace kernel packages, and old ones leave the mirror.
    if not packages or time.time() - max(os.path.getmtime(p) for p in packages) > 7 * 86400:
        r = run(["apt-get"] + opts + ["update"])
        if r.returncode != 0:
            raise Unavailable("apt-get update for %s failed: %s" % (kernel.suite, last_line(r.stderr)))
    return opts


def last_line(s):
    lines = [x for x in (s or "").strip().splitlines() if x.strip()]
    return lines[-1] if lines else "(no message)"


def version_key(name):
    return tuple(int(x) for x in re.findall(r"\d+", name))


def resolve_package(kernel, opts):
    """(package, version) of kernel per apt-cache, or raise Unavailable."""
    how, what = kernel.resolve
    if how == "depends":
        r = run(["apt-cache"] + opts + ["depends", what])
        pkgs = re.findall(r"^\s*Depends:\s*(linux-image-[^\s<>]+)", r.stdout, re.M)
        if r.returncode != 0 or not pkgs:
            raise Unavailable("apt-cache knows no %s (run tests/vm/setup.sh, or apt-get update)" % what)
        pkg = pkgs[0]
    elif how == "newest":
        r = run(["apt-cache"] + opts + ["pkgnames", "linux-image-"])
        names = [n for n in r.stdout.split() if re.match(what, n)]
        if not names:
            raise Unavailable("apt-cache knows no package matching %s (run tests/vm/setup.sh)" % what)
        pkg = max(names, key=version_key)
    else:
        raise ValueError(how)
    r = run(["apt-cache"] + opts + ["policy", pkg])
    m = re.search(r"Candidate:\s*(\S+)", r.stdout)
    if not m or m.group(1) == "(none)":
        raise Unavailable("apt-cache has no candidate version of %s" % pkg)
    return pkg, m.group(1)


# ---- kernel cache: download once, keep vmlinuz and the few modules the guest needs ------------

def decompress_module(src, dst):
    if src.endswith(".xz"):
        data = lzma.open(src).read()
    elif src.endswith(".gz"):
        data = gzip.open(src).read()
    elif src.endswith(".zst"):
        r = subprocess.run(["zstd", "-dc", src], stdout=subprocess.PIPE, check=True)
        data = r.stdout
    else:
        data = open(src, "rb").read()
    with open(dst, "wb") as f:
        f.write(data)


def strip_ko_suffix(path):
    return re.sub(r"\.(xz|gz|zst)$", "", path)


def download_deb(opts, pkg, version):
    """The cached .deb of pkg=version, downloaded once."""
    debs = os.path.join(CACHE, "debs")
    os.makedirs(debs, exist_ok=True)
    deb = os.path.join(debs, "%s_%s_amd64.deb" % (pkg, version.replace(":", "%3a")))
    if os.path.exists(deb):
        return deb
    log("vm: downloading %s %s" % (pkg, version))
    dl = tempfile.mkdtemp(prefix="dl-", dir=CACHE)
    try:
        os.chmod(dl, 0o755)
        try:  # apt drops privileges to _apt for downloads; let it write here
            shutil.chown(dl, user="_apt")
        except (LookupError, PermissionError, OSError):
            pass
        r = run(["apt-get"] + opts + ["download", "%s=%s" % (pkg, version)], cwd=dl)
        got = [f for f in os.listdir(dl) if f.endswith(".deb")]
        if r.returncode != 0 or not got:
            raise Unavailable("apt-get download %s failed: %s" % (pkg, last_line(r.stderr)))
        shutil.move(os.path.join(dl, got[0]), deb)
    finally:
        shutil.rmtree(dl, ignore_errors=True)
    return deb


def kernel_parts(opts, pkg, version):
    """The packages that hold the kernel: pkg itself, and since Debian split its kernel
    packages (forky/sid), the linux-binary-VER (vmlinuz), linux-modules-VER and linux-base-VER (modules.builtin and the other indexes) it depends on."""
    r = run(["apt-cache"] + opts + ["show", "%s=%s" % (pkg, version)])
    deps = re.search(r"^Depends:(.*)$", r.stdout, re.M)
    parts = [pkg]
    for name in re.findall(r"(linux-(?:binary|modules|base)-[^\s,(]+)", deps.group(1) if deps else ""):
        if name not in parts:
            parts.append(name)
    return parts


def prepare_kernel(kernel, opts, pkg, version, entry_dir):
    """Fill entry_dir (atomically) with vmlinuz and a module tree of MODULES and their
    dependencies, decompressed, indexed by depmod."""
    debs = [download_deb(opts, p, version) for p in kernel_parts(opts, pkg, version)]
    deb = debs[0]

    log("vm: preparing %s" % os.path.basename(entry_dir))
    work = tempfile.mkdtemp(prefix="prep-", dir=CACHE)
    try:
        full = os.path.join(work, "full")
        for d in debs:
            r = run(["dpkg-deb", "-x", d, full])
            if r.returncode != 0:
                raise RuntimeError("dpkg-deb -x %s: %s" % (d, r.stderr))
        # Newer packages install under /usr/lib/modules; depmod -b and modprobe -d want
        # BASE/lib/modules.
        if not os.path.isdir(os.path.join(full, "lib", "modules")) and \
                os.path.isdir(os.path.join(full, "usr", "lib", "modules")):
            os.makedirs(os.path.join(full, "lib"), exist_ok=True)
            os.rename(os.path.join(full, "usr", "lib", "modules"), os.path.join(full, "lib", "modules"))
        releases = os.listdir(os.path.join(full, "lib", "modules"))
        if len(releases) != 1:
            raise RuntimeError("%s: expected one module tree, found %s" % (deb, releases))
        release = releases[0]
        vmlinuz = os.path.join(full, "boot", "vmlinuz-" + release)
        if not os.path.exists(vmlinuz):
            vmlinuz = os.path.join(full, "lib", "modules", release, "vmlinuz")
        r = run([tool("depmod"), "-b", full, release])
        if r.returncode != 0:
            raise RuntimeError("depmod on %s: %s" % (deb, r.stderr))

        out = os.path.join(work, "entry")
        src_mods = os.path.join(full, "lib", "modules", release)
        dst_mods = os.path.join(out, "root", "lib", "modules", release)
        os.makedirs(dst_mods)
        files, load = [], []
        for m in kernel.modules:
            # modprobe -D resolves dependencies and softdeps (ext4 -> crc32c) without loading.
            r = run([tool("modprobe"), "-D", "-d", full, "-S", release, m])
            if r.returncode != 0:
                raise RuntimeError("%s has no module %s: %s" % (release, m, last_line(r.stderr)))
            builtin = False
            for line in r.stdout.splitlines():
                parts = line.split()
                if parts[:1] == ["insmod"] and parts[1] not in files:
                    files.append(parts[1])
                elif parts[:1] == ["builtin"] and parts[1].replace("-", "_") == m.replace("-", "_"):
                    builtin = True
            if not builtin:
                load.append(m)
        for f in files:
            rel = os.path.relpath(f, src_mods)
            dst = os.path.join(dst_mods, strip_ko_suffix(rel))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            decompress_module(f, dst)
        # The builtin lists let libkmod (devown's module lookups) and modprobe tell builtin
        # drivers from missing ones.
        for f in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
            if os.path.exists(os.path.join(src_mods, f)):
                shutil.copy(os.path.join(src_mods, f), os.path.join(dst_mods, f))
        r = run([tool("depmod"), "-b", os.path.join(out, "root"), release])
        if r.returncode != 0:
            raise RuntimeError("depmod on the copy: %s" % r.stderr)
        shutil.copy(vmlinuz, os.path.join(out, "vmlinuz"))
        meta = {"key": kernel.name, "package": pkg, "version": version, "release": release,
                "deb": deb, "debs": debs, "load": load, "stamp": stamp(kernel)}
        with open(os.path.join(out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        if os.path.exists(entry_dir):
            shutil.rmtree(entry_dir)
        os.rename(out, entry_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def stamp(kernel):
    return hashlib.sha256(json.dumps([PREP_VERSION, kernel.modules]).encode()).hexdigest()[:16]


def read_meta(entry_dir):
    try:
        with open(os.path.join(entry_dir, "meta.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def prune(kernel, keep_dir):
    """Drop older cache entries (and their debs) of the same kernel line."""
    kdir = os.path.dirname(keep_dir)
    keep = read_meta(keep_dir)
    for name in os.listdir(kdir):
        d = os.path.join(kdir, name)
        if d == keep_dir:
            continue
        meta = read_meta(d)
        if meta and meta.get("key") == kernel.name:
            for deb in set(meta.get("debs") or [meta.get("deb")]) - set(keep.get("debs") or [keep.get("deb")]):
                try:
                    os.unlink(deb)
                except (OSError, TypeError):
                    pass
            shutil.rmtree(d, ignore_errors=True)


def fetch_kernel(kernel):
    """Directory of kernel's cache entry (vmlinuz, root/lib/modules, meta.json)."""
    try:
        os.makedirs(os.path.join(CACHE, "kernels"), exist_ok=True)
        lockf = open(os.path.join(CACHE, ".lock-" + kernel.name), "w")
    except OSError as e:
        raise Unavailable("cannot write the kernel cache %s (%s); set DEVOWN_VM_CACHE" % (CACHE, e.strerror))
    with lockf:
        # Two runs (meson runs kernels in parallel) must not prepare the same entry at once.
        fcntl.flock(lockf, fcntl.LOCK_EX)
        try:
            opts = apt_options(kernel)
            pkg, version = resolve_package(kernel, opts)
            entry = os.path.join(CACHE, "kernels", "%s_%s" % (pkg, version))
            meta = read_meta(entry)
            if not meta or meta.get("stamp") != stamp(kernel):
                prepare_kernel(kernel, opts, pkg, version, entry)
        except Unavailable as e:
            # Offline, or apt lists gone: a cached kernel of the same line still serves.
            cached = [os.path.join(CACHE, "kernels", n) for n in os.listdir(os.path.join(CACHE, "kernels"))]
            cached = [d for d in cached if (read_meta(d) or {}).get("key") == kernel.name
                      and read_meta(d).get("stamp") == stamp(kernel)]
            if not cached:
                raise
            d = max(cached, key=os.path.getmtime)
            log("vm: %s; using the cached %s" % (e, os.path.basename(d)))
            return d
        prune(kernel, entry)
        return entry


# ---- the clients' root ---------------------------------------------------------------------

def clients_stamp():
    return hashlib.sha256(json.dumps([CLIENT_SUITE, CLIENT_PACKAGES]).encode()).hexdigest()[:16]


def fetch_clients():
    """CLIENTS, made by debootstrap once (about 800 MB, two minutes) and kept in the cache."""
    stamp_file = os.path.join(CLIENTS, ".devown-stamp")
    try:
        if open(stamp_file).read().strip() == clients_stamp():
            return CLIENTS
    except OSError:
        pass
    if not shutil.which(tool("debootstrap")):
        raise Unavailable("debootstrap not found (apt-get install debootstrap, or run tests/vm/setup.sh)")
    base = os.path.dirname(CLIENTS)
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, ".lock"), "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        try:
            if open(stamp_file).read().strip() == clients_stamp():
                return CLIENTS
        except OSError:
            pass
        log("vm: making the clients' root (debootstrap %s: %s)" % (CLIENT_SUITE, ", ".join(CLIENT_PACKAGES)))
        work = tempfile.mkdtemp(prefix="root-", dir=base)
        try:
            # mkdtemp makes it 0700: the guest's unprivileged scenarios run its loader too.
            os.chmod(work, 0o755)
            r = run([tool("debootstrap"), "--variant=minbase", "--include=" + ",".join(CLIENT_PACKAGES),
                     CLIENT_SUITE, work, machine_mirror()])
            if r.returncode != 0:
                raise Unavailable("debootstrap %s failed: %s" % (CLIENT_SUITE, last_line(r.stdout + r.stderr)))
            # Where the guest's module tree is mounted, for the peers' modprobe (driverctl).
            os.makedirs(os.path.join(work, "usr", "lib", "modules"), exist_ok=True)
            # Downloaded packages are of no further use; the guest reads this root over 9p.
            shutil.rmtree(os.path.join(work, "var", "cache", "apt", "archives"), ignore_errors=True)
            with open(os.path.join(work, ".devown-stamp"), "w") as f:
                f.write(clients_stamp() + "\n")
            if os.path.exists(CLIENTS):
                shutil.rmtree(CLIENTS)
            os.rename(work, CLIENTS)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return CLIENTS


def qemu_prefix():
    """The command that runs the guests' QEMU: DEVOWN_VM_QEMU, or the clients' QEMU through the
    clients' own dynamic loader (nothing of it is installed on this machine)."""
    if QEMU:
        return [QEMU]
    lib = ":".join(os.path.join(CLIENTS, d) for d in ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"))
    return ["env", "QEMU_MODULE_DIR=" + os.path.join(CLIENTS, "usr/lib/x86_64-linux-gnu/qemu"),
            os.path.join(CLIENTS, "usr/lib64/ld-linux-x86-64.so.2"), "--library-path", lib,
            os.path.join(CLIENTS, "usr/bin/qemu-system-x86_64"),
            "-L", os.path.join(CLIENTS, "usr/share/qemu"), "-L", os.path.join(CLIENTS, "usr/share/seabios")]


# ---- initramfs ---------------------------------------------------------------------------

def ldd(path):
    """Shared libraries the dynamic loader maps for path (absolute paths), [] when static."""
    r = run(["ldd", path])
    if r.returncode != 0:
        return []  # "not a dynamic executable"
    libs = []
    for line in r.stdout.splitlines():
        m = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if m:
            libs.append(m.group(1))
    return libs


def install(src, stage, dst=None, mode=None):
    """Copy src's content (symlinks followed) to stage/dst."""
    dst = os.path.join(stage, (dst or src).lstrip("/"))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(os.path.realpath(src), dst)
    os.chmod(dst, mode if mode is not None else (os.stat(src).st_mode & 0o777))
    return dst


def build_initramfs(args, kernel, entry, stage, out):
    meta = read_meta(entry)
    if os.path.exists(stage):
        shutil.rmtree(stage)
    os.makedirs(stage)
    busybox = shutil.which("busybox") or "/bin/busybox"
    install(busybox, stage, "/bin/busybox", 0o755)
    install(args.devown, stage, "/usr/bin/devown", 0o755)
    install(args.helper, stage, "/usr/bin/vfio-hold", 0o755)
    # No libraries: the guest's /init links /lib, /lib64 and /usr/lib to the clients' root
    # (9p), whose newer glibc and same-soname libraries run what was built here.
    # The path libpci and devown look in; Debian ships it as a symlink to a versioned file.
    install("/usr/share/misc/pci.ids", stage, "/usr/share/misc/pci.ids", 0o644)
    shutil.copytree(os.path.join(entry, "root", "lib", "modules"), os.path.join(stage, "lib", "modules"))
    install(os.path.join(HERE, "guest", "init"), stage, "/init", 0o755)
    install(os.path.join(HERE, "guest", "lib.sh"), stage, "/lib.sh", 0o644)
    os.makedirs(os.path.join(stage, "etc", "devown-vm"))
    with open(os.path.join(stage, "etc", "devown-vm", "modules"), "w") as f:
        f.write("\n".join(meta["load"]) + "\n")
    with open(os.path.join(stage, "etc", "devown-vm", "env"), "w") as f:
        f.write("KERNEL_NAME=%s\nOWNERSHIP_CHECKS=%d\n" % (kernel.name, kernel.ownership_checks))
    sdir = os.path.join(stage, "scenarios")
    os.makedirs(sdir)
    with open(os.path.join(sdir, "list"), "w") as lst:
        for s in args.selected:
            if s.guest is None:
                continue  # checks records of boot or final only
            with open(os.path.join(sdir, s.name + ".sh"), "w") as f:
                f.write("# scenario %s\n%s\n" % (s.name, s.guest))
            lst.write("%s %d\n" % (s.name, s.timeout))
    files = []
    for root, dirs, names in os.walk(stage):
        for n in sorted(dirs) + sorted(names):
            files.append(os.path.relpath(os.path.join(root, n), stage))
    # Uncompressed: the kernel unpacks it faster than it would decompress it under TCG.
    with open(out, "wb") as f:
        r = subprocess.run(["cpio", "-o", "-H", "newc", "-R", "0:0", "--quiet"], cwd=stage,
                           input="\n".join(files).encode() + b"\n", stdout=f, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("cpio: %s" % r.stderr.decode(errors="replace"))


# ---- QEMU --------------------------------------------------------------------------------

def qemu_command(entry, initramfs, wd, run_id, extra_append=()):
    # Images for the NVMe namespaces: a filesystem goes on the first, swap on the second.
    for name, size in (("nvme-ns1.img", 64 << 20), ("nvme-ns2.img", 16 << 20)):
        with open(os.path.join(wd, name), "wb") as f:
            f.truncate(size)
    append = " ".join([
        "console=ttyS0", "panic=-1", "intel_iommu=on", "quiet", "loglevel=4",
        # Under TCG on a loaded machine the IO-APIC timer check can miss its ticks and panic
        # ("timer doesn't work through Interrupt-remapped IO-APIC"); the timer does work.
        "no_timer_check",
        "devown.run=" + run_id,
    ] + list(extra_append))
    return qemu_prefix() + [
        # -cpu max: DPDK needs SSE4.2.
        "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1",
        "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none", "-vga", "std",
        # Native PCIe hotplug only: ACPI hotplug slots on pcie.0 would clash by name with the
        # slots of the PCIe-to-PCI bridge's SHPC ("pci_hp_register failed with error -16").
        "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
        "-kernel", os.path.join(entry, "vmlinuz"), "-initrd", initramfs, "-append", append,
        "-serial", "file:" + os.path.join(wd, "console.log"),
        "-serial", "file:" + os.path.join(wd, "results.log"),
        # The IOMMU must come before the devices it translates for.
        "-device", "intel-iommu",
        # An endpoint alone in its group: the root port has ACS.
        "-device", "pcie-root-port,id=rp1,chassis=1,slot=11",
        "-device", "e1000e,bus=rp1,mac=52:54:00:0d:00:01",
        # A group of a PCIe-to-PCI bridge and the two conventional devices behind it.
        "-device", "pcie-root-port,id=rp2,chassis=2,slot=12",
        "-device", "pcie-pci-bridge,id=pb,bus=rp2",
        "-device", "e1000,bus=pb,addr=1,mac=52:54:00:0d:00:02",
        "-device", "e1000,bus=pb,addr=2,mac=52:54:00:0d:00:03",
        # Two functions of one slot (no ACS between them): one shared group.
        "-device", "pcie-root-port,id=rp3,chassis=3,slot=13",
        "-device", "e1000e,bus=rp3,addr=0.0,multifunction=on,mac=52:54:00:0d:00:04",
        "-device", "e1000e,bus=rp3,addr=0.1,mac=52:54:00:0d:00:05",
        # The NIC the guest gives IPv4 and IPv6 addresses (its netdev sits under virtioN/).
        "-device", "pcie-root-port,id=rp4,chassis=4,slot=14",
        "-device", "virtio-net-pci,bus=rp4,mac=52:54:00:0d:00:06",
        # NVMe with two namespaces backed by raw files.
        "-device", "pcie-root-port,id=rp5,chassis=5,slot=15",
        "-drive", "file=%s,if=none,id=ns1,format=raw" % os.path.join(wd, "nvme-ns1.img"),
        "-drive", "file=%s,if=none,id=ns2,format=raw" % os.path.join(wd, "nvme-ns2.img"),
        "-device", "nvme,bus=rp5,id=nvme0,serial=devown0",
        "-device", "nvme-ns,bus=nvme0,drive=ns1,nsid=1",
        "-device", "nvme-ns,bus=nvme0,drive=ns2,nsid=2",
        # An SR-IOV NIC (82576): the PF on igb, up to 7 VFs, each in a group of its own.
        "-device", "pcie-root-port,id=rp6,chassis=6,slot=16",
        "-device", "igb,bus=rp6,mac=52:54:00:0d:00:07",
        # The clients' root, read-only, for the guest's user space and the real clients.
        "-virtfs", "local,path=%s,mount_tag=clients,security_model=none,readonly=on" % CLIENTS,
    ]


def boot(cmd, wd, timeout):
    for f in ("console.log", "results.log"):
        try:
            os.unlink(os.path.join(wd, f))
        except FileNotFoundError:
            pass
    with open(os.path.join(wd, "qemu.log"), "w") as qlog:
        qlog.write(" ".join(cmd) + "\n")
        qlog.flush()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog, stderr=subprocess.STDOUT)
        try:
            p.wait(timeout=timeout)
            return p.returncode, False
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return p.returncode, True


# ---- results -----------------------------------------------------------------------------

def parse_results(path, run_id):
    """{scenario: {key: bytes}}, {scenario: rc}, began, ended."""
    recs, ends = {}, {}
    began = ended = False
    try:
        data = open(path, "rb").read().decode("ascii", errors="replace")
    except OSError:
        return recs, ends, False, False
    for line in data.replace("\r", "").split("\n"):
        if not line.startswith("@DEVOWN@ "):
            if "@DEVOWN@ " in line:  # a line whose tail the port lost, joined with the next
                log("vm: damaged line on the results port (%s): %r" % (path, line[:120]))
            continue
        parts = line.split(" ")
        kind = parts[1] if len(parts) > 1 else ""
        if kind == "BEGIN" and parts[2:3] == [run_id]:
            began = True
            recs, ends = {}, {}  # only this run's records count
        elif kind == "END" and parts[2:3] == [run_id]:
            ended = True
        elif kind == "SCENARIO-END" and len(parts) >= 4:
            ends[parts[2]] = int(parts[3]) if parts[3].lstrip("-").isdigit() else None
        elif kind == "R" and len(parts) >= 5:
            try:
                value = gzip.decompress(base64.b64decode(parts[4]))
            except Exception as e:  # a truncated last line when the guest died
                value = ("<undecodable record: %s>" % e).encode()
            recs.setdefault(parts[2], {})[parts[3]] = value
    return recs, ends, began, ended


def tail(path, n=40):
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return "(no %s)" % os.path.basename(path)
    return "\n".join(lines[-n:])


def check_prerequisites():
    need = {"cpio": "cpio", "depmod": "kmod", "debootstrap": "debootstrap",
            "modprobe": "kmod", "busybox": "busybox-static", "dpkg-deb": "dpkg",
            "apt-get": "apt", "ldd": "libc-bin"}
    for name, pkg in need.items():
        if not shutil.which(tool(name)):
            raise Unavailable("%s not found (apt-get install %s, or run tests/vm/setup.sh)" % (name, pkg))
    if not os.path.exists("/usr/share/misc/pci.ids"):
        raise Unavailable("/usr/share/misc/pci.ids not found (apt-get install pci.ids)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", action="append", default=[], help="kernel name (%s) or all" %
                    ", ".join(k.name for k in KERNELS))
    ap.add_argument("--devown", help="devown binary under test")
    ap.add_argument("--helper", help="vfio-hold binary")
    ap.add_argument("--workdir", help="where the initramfs, images and logs go (default: "
                    "$TMPDIR/devown-vm-KERNEL)")
    ap.add_argument("--only", help="run only scenarios whose name matches this regex")
    ap.add_argument("--bench", action="store_true",
                    help="run the measurement scenarios (tests/bench/bench-peers.py) instead of the tests")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("DEVOWN_VM_TIMEOUT", "540")),
                    help="hard limit for one boot in seconds (default 540)")
    ap.add_argument("--fetch-only", action="store_true", help="fill the kernel cache and exit")
    ap.add_argument("--list-kernels", action="store_true")
    args = ap.parse_args()

    if args.list_kernels:
        print("\n".join(k.name for k in KERNELS))
        return 0
    names = [k.name for k in KERNELS] if args.kernel in ([], ["all"]) else args.kernel
    kernels = []
    for n in names:
        k = [x for x in KERNELS if x.name == n]
        if not k:
            ap.error("unknown kernel %s (have: %s)" % (n, ", ".join(x.name for x in KERNELS)))
        kernels.append(k[0])

    try:
        check_prerequisites()
        clients = fetch_clients()
        if args.fetch_only:
            log("vm: clients' root ready: %s" % clients)
            for k in kernels:
                e = fetch_kernel(k)
                log("vm: kernel %s ready: %s" % (k.name, e))
            return 0
        if len(kernels) != 1:
            ap.error("give exactly one --kernel (meson runs one test per kernel)")
        if not args.devown or not args.helper:
            ap.error("--devown and --helper are needed")
        kernel = kernels[0]
        t0 = time.monotonic()
        entry = fetch_kernel(kernel)
    except Unavailable as e:
        if IN_CI:
            log("vm: FAIL: %s (CI is set: the vm suite must run)" % e)
            log("0 passed, 1 failed")
            return 1
        log("vm: SKIP: %s" % e)
        return 77

    # --bench runs the measurements (with the boot checks); a test run never does.
    applying = [s for s in scenarios.SCENARIOS
                if (not args.only or re.search(args.only, s.name)) and s.applies(kernel)
                and (s.bench == args.bench or (args.bench and s.guest is None and s.source))]
    # Scenarios that may take the kernel down get a guest of their own, after the main one.
    own = [s for s in applying if s.own_guest]
    args.selected = [s for s in applying if not s.own_guest]
    wd = os.path.abspath(args.workdir or os.path.join(tempfile.gettempdir(), "devown-vm-" + kernel.name))
    os.makedirs(wd, exist_ok=True)
    meta = read_meta(entry)
    initramfs = os.path.join(wd, "initramfs.cpio")
    build_initramfs(args, kernel, entry, os.path.join(wd, "stage"), initramfs)
    run_id = secrets.token_hex(6)
    cmd = qemu_command(entry, initramfs, wd, run_id)
    log("vm: kernel %s (%s %s), %d guest scenarios, workdir %s" % (
        meta["release"], meta["package"], meta["version"], len([s for s in args.selected if s.guest]), wd))
    t1 = time.monotonic()
    rc, timed_out = boot(cmd, wd, args.timeout)
    t2 = time.monotonic()
    recs, ends, began, ended = parse_results(os.path.join(wd, "results.log"), run_id)
    log("vm: guest ran %.1f s (qemu exit %s%s), preparation %.1f s" % (
        t2 - t1, rc, ", killed at the time limit" if timed_out else "", t1 - t0))

    ctx = scenarios.Context(kernel=kernel, meta=meta, records=recs, ends=ends,
                            modules_dir=os.path.join(entry, "root", "lib", "modules", meta["release"]))
    results = scenarios.evaluate(ctx, args.selected, began, ended)
    passed = failed = 0
    for name, ok, problems, notes, secs in results:
        if ok:
            passed += 1
        else:
            failed += 1
        log("%s %s%s" % ("PASS" if ok else "FAIL", name, " (%.1f s)" % secs if secs is not None else ""))
        for p in problems:
            log("    - " + p.replace("\n", "\n      "))
        for n in notes:
            log("    note: " + n.replace("\n", "\n      "))
    if not ended:
        log("vm: the guest did not finish (no END marker). Last console lines (%s):" %
            os.path.join(wd, "console.log"))
        log(tail(os.path.join(wd, "console.log")))
        log("vm: QEMU's output (%s):" % os.path.join(wd, "qemu.log"))
        log(tail(os.path.join(wd, "qemu.log"), 10))
    for s in own:
        swd = os.path.join(wd, "own-" + s.name)
        os.makedirs(swd, exist_ok=True)
        args.selected = [s]
        build_initramfs(args, kernel, entry, os.path.join(swd, "stage"), os.path.join(swd, "initramfs.cpio"))
        srun = secrets.token_hex(6)
        t3 = time.monotonic()
        # An oops ends the guest at once (panic, then QEMU exits on -no-reboot): the console
        # keeps the report and nothing waits for a time limit.
        src, stimed = boot(qemu_command(entry, os.path.join(swd, "initramfs.cpio"), swd, srun,
                                        ("oops=panic",)), swd, min(args.timeout, 240))
        srecs, sends, sbegan, sended = parse_results(os.path.join(swd, "results.log"), srun)
        log("vm: own guest of %s ran %.1f s (qemu exit %s%s)" % (
            s.name, time.monotonic() - t3, src, ", killed at the time limit" if stimed else ""))
        try:
            console = open(os.path.join(swd, "console.log"), errors="replace").read()
        except OSError:
            console = ""
        sctx = scenarios.Context(kernel=kernel, meta=meta, records=srecs, ends=sends,
                                 modules_dir=ctx.modules_dir, console=console)
        name, ok, problems, notes, secs = scenarios.evaluate_own(sctx, s, sbegan)
        passed, failed = passed + ok, failed + (not ok)
        log("%s %s (own guest)" % ("PASS" if ok else "FAIL", name))
        for p in problems:
            log("    - " + p.replace("\n", "\n      "))
        for n in notes:
            log("    note: " + n.replace("\n", "\n      "))
    log("vm: wall time %.1f s for kernel %s" % (time.monotonic() - t0, kernel.name))
    log("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
