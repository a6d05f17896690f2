#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Prerequisites of the vm suite (tests/vm): the Debian packages it runs, then the clients' root
# (a Debian 13 root made by debootstrap, with the QEMU that runs the guests and the real clients
# they run: QEMU, DPDK, driverctl) and the guest kernels, fetched into the cache
# (${DEVOWN_VM_CACHE:-/var/cache/devown-vm}) so that the test runs themselves need no download. Run as root on Debian 12; .ci/run calls it before meson test.
set -eu
here=$(dirname "$0")

packages="debootstrap e2fsprogs util-linux meson debian-archive-keyring busybox-static kmod cpio dpkg apt libc-bin pci.ids python3 gcc libc6-dev linux-libc-dev zstd xz-utils"
missing=
for p in $packages; do
	dpkg-query -W -f='${Status}\n' "$p" 2> /dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
# apt-cache must know the current kernel packages even when nothing is missing.
apt-get update -q
if [ -n "$missing" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
python3 "$here/vmtest.py" --fetch-only --kernel all
# The boot suite's Debian 12 root (tests/vm/boottest.py), made once by debootstrap.
exec python3 "$here/boottest.py" --fetch-only --kernel 6.1
