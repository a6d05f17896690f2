#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The boot suite's guest side (tests/vm/boottest.py): run by devown-boottest.service once the
# booted Debian system is up. Records what the host checks (drivers, netdevs, block devices,
# the kernel log, devown status, the journal, the units), runs 'devown restore', records
# again, and powers off. Records use the vm suite's format (guest/lib.sh) on ttyS1.
# Never asserts: every expectation lives on the host.
set -u
RUN_ID=$(sed -n 's/.*devown\.run=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
T=/run/devown-boottest
mkdir -p "$T"
stty -F /dev/ttyS1 raw -echo 115200 2> /dev/null
exec 7> /dev/ttyS1
SCEN=boot

mark() { printf '@DEVOWN@ %s\n' "$*" >&7; }
rec() {
	_f=${2:-$T/rec.stdin}
	[ -n "${2:-}" ] || cat > "$_f"
	{
		printf '@DEVOWN@ R %s %s ' "$SCEN" "$1"
		gzip -c < "$_f" | base64 -w 0
		printf '\n'
	} >&7
}
run() {
	_step=$1
	shift
	timeout -s KILL 60 "$@" > "$T/$_step.out" 2> "$T/$_step.err" 7>&-
	printf '%s' "$?" | rec "$_step.rc"
	rec "$_step.out" "$T/$_step.out"
	rec "$_step.err" "$T/$_step.err"
}
pci() {
	for d in /sys/bus/pci/devices/*; do
		drv=-
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		printf '%s %s %s %s %s\n' "${d##*/}" "$(cat "$d/vendor")" "$(cat "$d/device")" "$drv" \
			"$(cat "$d/driver_override" 2> /dev/null || echo '(null)')"
	done
}
links() {
	for l in "$1"/*; do
		[ -e "$l" ] || continue
		printf '%s %s\n' "${l##*/}" "$(readlink -f "$l")"
	done
}

mark BEGIN "$RUN_ID"
udevadm settle -t 60
SCEN=boot
pci | rec pci
links /sys/class/net | rec net
links /sys/block | rec block
run status-json devown status --json
run status devown --no-color status
cat /run/devown/journal.json > "$T/journal" 2> /dev/null
rec journal "$T/journal"
journalctl -b -k -o short-monotonic --no-pager > "$T/kmsg" 2>&1
rec kmsg "$T/kmsg"
journalctl -b -o short-monotonic --no-pager -u devown-apply.service -u systemd-udevd.service \
	> "$T/units" 2>&1
rec units "$T/units"
journalctl -b -o short-monotonic --no-pager -t systemd -t devown > "$T/systemd" 2>&1
rec systemd "$T/systemd"
run unit-state systemctl show -p ActiveState,Result,ExecMainStatus devown-apply.service
run failed systemctl --failed --no-legend --plain
ls /etc/devown > "$T/etc" 2>&1
rec etc "$T/etc"
SCEN=restore
run restore devown --no-color restore
udevadm settle -t 30
pci | rec pci
links /sys/class/net | rec net
links /sys/block | rec block
mark END "$RUN_ID"
exec 7>&-
sync
systemctl --no-block poweroff
