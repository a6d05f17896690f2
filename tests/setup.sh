#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs everything devown needs to build, run and be tested on Debian 12 (run as root).
# With --vm it also prepares the real-kernel suite: busybox, the clients' root (QEMU, DPDK, by
# debootstrap) and the guest kernels.
set -euo pipefail
cd "$(dirname "$0")/.."

want_vm=no
for a in "$@"; do
	case "$a" in
	--vm) want_vm=yes ;;
	*) echo "setup.sh: unknown option '$a' (only --vm)" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: run as root (it installs Debian packages)" >&2
	exit 1
fi

pkgs=(
	# build
	gcc libc6-dev meson ninja-build pkg-config clang-format
	libudev-dev libkmod-dev libpci-dev libjson-c-dev pci.ids
	# documentation
	scdoc groff-base man-db
	# tests and benchmark
	clang libclang-rt-14-dev  # tests/fuzz (libFuzzer)
	python3 valgrind pciutils kmod time util-linux iproute2 jq ansible-core
	bash-completion zsh fish python3-jsonschema python3-yaml python3-jinja2
	# the Debian package (tests/package): build, check, install into a fresh root
	dpkg-dev debhelper fakeroot lintian debootstrap
)
if [ "$want_vm" = yes ]; then
	pkgs+=(debootstrap debian-archive-keyring busybox-static cpio xz-utils zstd dpkg)
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"

if [ "$want_vm" = yes ]; then
	tests/vm/setup.sh
fi
