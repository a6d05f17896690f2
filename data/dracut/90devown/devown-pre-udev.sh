#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# devown's dracut pre-udev hook (sourced by dracut): 'devown apply' before udev loads any host
# driver's module. Never fails the boot: what went wrong goes to the console and the kernel
# log, and devown-apply.service tries again from the real root (/run, the journal's place, is
# kept across the switch to it).
devown_initramfs() {
	local out rc
	[ -x /usr/sbin/devown ] || return 0
	ls /etc/devown/*.conf > /dev/null 2>&1 || return 0
	getargbool 1 devown.initramfs || return 0
	out=$(/usr/sbin/devown --no-color apply --origin initramfs 2>&1)
	rc=$?
	printf '%s\n' "$out" | while IFS= read -r line; do
		[ -n "$line" ] && info "devown: $line"
	done
	if [ "$rc" -ne 0 ]; then
		warn "devown: apply failed (exit $rc); devown-apply.service tries again"
	fi
	return 0
}
devown_initramfs
