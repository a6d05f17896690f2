#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real boots of devown: a Debian 12 root with systemd and udev, devown installed into it,
booted through an initramfs made by Debian's own mkinitramfs with devown's hook.

  boottest.py --kernel 6.1 --build build [--workdir DIR] [--only REGEX]

Exit status: 0 all boots passed, 1 some failed (or, with CI set, a prerequisite is missing),
77 skipped because a prerequisite is missing (outside CI only).
"""

import fcntl
import hashlib
import json
import os
import shutil
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
