# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the guest side of the vm suite (busybox ash). Sourced by /init and by every
# scenario script. The guest only acts and records raw results; every assertion is made on the
# host (tests/vm/scenarios.py), so a wrong expectation never needs a new guest image to fix.
#
# Results travel over the second serial port as one line per record:
#   @DEVOWN@ R SCENARIO KEY BASE64(GZIP(CONTENT))
# Base64 keeps arbitrary bytes (stderr, JSON, dmesg) intact through the tty; gzip keeps the
# emulated UART (one trapped I/O write per byte under TCG) from dominating the run time.

#
# The port stays open from /init's start to its end (fd 7, inherited by every scenario): each
# last close of a serial tty shuts the UART down and the next open clears its transmit FIFO,
# which can drop the tail of the line before it when the guest runs slowly (seen once in CI: a
# SCENARIO-END marker lost on 5.10). Commands started through run() do not get fd 7.

RESULTS=/dev/ttyS1
SCEN=${SCEN:-boot}
T=/tmp/devown-vm
mkdir -p "$T"

[ -r /run/env.sh ] && . /run/env.sh

# mark WORDS...: a control line (BEGIN, END, SCENARIO-BEGIN, ...).
mark() {
	printf '@DEVOWN@ %s\n' "$*" >&7
}

# rec KEY [FILE]: record FILE (or stdin) as KEY of the current scenario.
rec() {
	_f=${2:-$T/rec.stdin}
	[ -n "$2" ] || cat > "$_f"
	{
		printf '@DEVOWN@ R %s %s ' "$SCEN" "$1"
		gzip -c < "$_f" | base64 -w 0
		printf '\n'
	} >&7
}

# recs KEY VALUE: record a short string.
recs() {
	printf '%s' "$2" | rec "$1"
}

# run STEP CMD...: run CMD with a time limit; record STEP.rc, STEP.out and STEP.err.
# The limit keeps one stuck command from eating the whole boot's budget (a task stuck in
# uninterruptible sleep survives it; the host's qemu timeout is the backstop for that).
run() {
	_step=$1
	shift
	timeout -s KILL "${RUN_TIMEOUT:-60}" "$@" > "$T/$_step.out" 2> "$T/$_step.err" 7>&-
	_rc=$?
	recs "$_step.rc" "$_rc"
	rec "$_step.out" "$T/$_step.out"
	rec "$_step.err" "$T/$_step.err"
	return $_rc
}

# wr STEP VALUE PATH: one write(2) of "VALUE\n" to a sysfs attribute, the way an administrator
# would with echo; record STEP.rc (0 or 1) and STEP.err (the shell's message, which carries
# strerror of the kernel's errno). A subshell keeps a failed redirection from ending the script.
wr() {
	( echo "$2" > "$3" ) 2> "$T/$1.err"
	_rc=$?
	recs "$1.rc" "$_rc"
	rec "$1.err" "$T/$1.err"
	return $_rc
}

# drv ADDR: the bound driver, or "-".
drv() {
	if [ -e "/sys/bus/pci/devices/$1/driver" ]; then
		basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
	else
		echo -
	fi
}

# recdrv KEY ADDR: record the bound driver of ADDR.
recdrv() {
	recs "$1" "$(drv "$2")"
}

# group_of ADDR: IOMMU group number, or "-".
group_of() {
	if [ -e "/sys/bus/pci/devices/$1/iommu_group" ]; then
		basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"
	else
		echo -
	fi
}

# truth KEY: record what sysfs says about every PCI device and IOMMU group, read without
# devown. The host compares devown's JSON against this.
truth() {
	{
		for d in /sys/bus/pci/devices/*; do
			a=${d##*/}
			br=0
			# The kernel shows secondary_bus_number only for devices with a subordinate
			# bus: the bridge flag's truth, independent of the class code.
			[ -e "$d/secondary_bus_number" ] && br=1
			vd=0
			[ -e "$d/vfio-dev" ] && vd=1
			printf 'dev %s group=%s driver=%s override=%s vendor=%s device=%s class=%s bridge=%s vfio_dev=%s boot_vga=%s modalias=%s\n' \
				"$a" "$(group_of "$a")" "$(drv "$a")" "$(cat "$d/driver_override")" \
				"$(cat "$d/vendor")" "$(cat "$d/device")" "$(cat "$d/class")" "$br" "$vd" \
				"$(cat "$d/boot_vga" 2> /dev/null || echo -)" "$(cat "$d/modalias")"
		done
		for g in /sys/kernel/iommu_groups/*; do
			[ -d "$g" ] || continue
			printf 'group %s type=%s devices=%s\n' "${g##*/}" "$(cat "$g/type" 2> /dev/null || echo -)" \
				"$(ls "$g/devices" | tr '\n' ',')"
		done
		printf 'release %s\n' "$(uname -r)"
		printf 'iommu_units %s\n' "$(ls /sys/class/iommu | tr '\n' ',')"
	} > "$T/truth"
	rec "$1" "$T/truth"
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds; 1 on timeout.
wait_for() {
	_n=$(($1 * 5))
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.2
	done
	return 0
}

# hold STEP GROUP [ADDR]: start vfio-hold in the background like a VM holding GROUP; record
# STEP.ready (its first line) and leave its pid in HOLDER. Returns 1 when it did not get ready.
hold() {
	_step=$1
	shift
	: > "$T/$_step.hold"
	vfio-hold "$@" > "$T/$_step.hold" 2>&1 &
	HOLDER=$!
	wait_for 10 grep -q -e '^ready' -e '^error' "$T/$_step.hold"
	rec "$_step.ready" "$T/$_step.hold"
	grep -q '^ready' "$T/$_step.hold"
}

# unhold: stop the holder started by hold and wait until its descriptors are closed.
unhold() {
	[ -n "$HOLDER" ] || return 0
	kill "$HOLDER" 2> /dev/null
	wait "$HOLDER" 2> /dev/null
	HOLDER=
}

# give_back ADDR DRIVER: undo a test's driver changes by hand (no devown): clear the override,
# unbind from whatever is bound, bind DRIVER. Leaves the next scenario the boot state.
give_back() {
	_d=/sys/bus/pci/devices/$1
	echo > "$_d/driver_override"
	if [ -e "$_d/driver" ]; then
		_cur=$(drv "$1")
		[ "$_cur" = "$2" ] && return 0
		echo "$1" > "/sys/bus/pci/drivers/$_cur/unbind"
	fi
	[ "$2" = - ] || echo "$1" > "/sys/bus/pci/drivers/$2/bind"
}

# ---- the real clients (the clients' root, mounted at /clients by /init) ----

# The clients' QEMU, run plainly in the guest's own root and mount namespace ("$QEMU" ARGS &:
# a variable, not a function, so that $! is QEMU itself).
QEMU=/clients/usr/bin/qemu-system-x86_64

# QEMU_VM: the options of a VM that only holds its devices (-S: its CPU never starts).
QEMU_VM="-machine q35 -accel tcg -m 64 -nodefaults -no-user-config -display none -monitor none -serial none -S"

# vm_started STEP LOG PID: wait until the QEMU writing LOG (pid PID) has opened its devices, which
# it does before it would start the CPU; record STEP.qemu (its output). 1 when it died.
vm_started() {
	_i=0
	while [ $_i -lt 450 ]; do
		kill -0 "$3" 2> /dev/null || break
		ls -l "/proc/$3/fd" 2> /dev/null | grep -q -e vfio -e 'anon_inode:\[vfio' && { sleep 1; rec "$1.qemu" "$2"; return 0; }
		sleep 0.2
		_i=$((_i + 1))
	done
	rec "$1.qemu" "$2"
	return 1
}

# stop_pid PID: SIGTERM, then wait until it is gone (SIGKILL after 10 s).
stop_pid() {
	kill "$1" 2> /dev/null
	_i=0
	while kill -0 "$1" 2> /dev/null && [ $_i -lt 50 ]; do sleep 0.2; _i=$((_i + 1)); done
	kill -9 "$1" 2> /dev/null
	wait "$1" 2> /dev/null
	return 0
}

# in_chroot_setup / in_chroot_teardown: /dev, /proc and /sys of the guest inside /clients, the
# way a chroot (or a container runtime with a bind-mounted /dev) has them.
in_chroot_setup() {
	mount --bind /dev /clients/dev && mount -t proc proc /clients/proc &&
		mount -t sysfs sysfs /clients/sys && mount -t tmpfs tmpfs /clients/run &&
		mount -t tmpfs tmpfs /clients/tmp && mount --bind /lib/modules /clients/usr/lib/modules
}
in_chroot_teardown() {
	umount /clients/usr/lib/modules /clients/tmp /clients/run /clients/sys /clients/proc /clients/dev 2> /dev/null
	return 0
}
