#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""devown beside its peers, measured in one guest: dpdk-devbind.py (DPDK 24.11) and driverctl
from the vm suite's clients' root (Debian 13), on the same tasks (tests/vm/bench_peers.py):

  vfs.to / vfs.back  bind the 7 VFs of an emulated igb to vfio-pci, then back to igbvf
  partial            bind one function of a shared IOMMU group to vfio-pci
  bridge             bind a PCIe-to-PCI bridge to vfio-pci, which vfio-pci refuses
  held               unbind a device that a real QEMU holds through vfio-pci (20 s each)

It prints, per task and tool, the wall time in the guest (QEMU TCG: slow, compare the tools
with each other only), the exit status ("hung": still blocked in the kernel after 20 s) and the
state the tool left behind (driver, driver_override). Not a test; needs tests/vm/setup.sh.

    python3 tests/bench/bench-peers.py [--kernel 6.12] [--devown build/devown]
                                       [--helper build/tests/vm/vfio-hold]
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", default="6.12")
    ap.add_argument("--devown", default=os.path.join(TOP, "build", "devown"))
    ap.add_argument("--helper", default=os.path.join(TOP, "build", "tests", "vm", "vfio-hold"))
    ap.add_argument("--workdir", default="/tmp/devown-bench-peers")
    a = ap.parse_args()
    r = subprocess.run([sys.executable, os.path.join(TOP, "tests", "vm", "vmtest.py"), "--kernel", a.kernel,
                        "--devown", a.devown, "--helper", a.helper, "--bench", "--workdir", a.workdir],
                       stdout=subprocess.PIPE, text=True)
    rows = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("note: PEER "):
            task, tool, secs, rc, left = line[len("note: PEER "):].split(" ", 4)
            rows.append((task, tool, secs, rc, left))
    if r.returncode != 0 or not rows:
        sys.stdout.write(r.stdout)
        sys.exit("bench-peers: the guest run failed")
    print("kernel %s, QEMU TCG guest" % a.kernel)
    print("| task | tool | seconds | exit | left behind |")
    print("|---|---|---|---|---|")
    for task, tool, secs, rc, left in rows:
        print("| %s | %s | %s | %s | %s |" % (task, tool, secs, rc, left))
    return 0


if __name__ == "__main__":
    sys.exit(main())
