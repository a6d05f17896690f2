# SPDX-License-Identifier: GPL-2.0-or-later
"""The peers, measured: devown, dpdk-devbind.py (DPDK 24.11) and driverctl (0.115) from the
clients' root, on the same tasks in one guest. A measurement, not a test (vmtest.py --bench;
tests/bench/bench-peers.py prints the table): for each tool and task it records the wall time,
the exit status and the state left behind (drivers and overrides), and only checks that the
guest got back to its boot state.

Tasks:
  vfs      bind the 7 VFs of the igb to vfio-pci, then back to igbvf
  partial  bind one function of the shared multifunction group (MF0) to vfio-pci
  bridge   bind the PCIe-to-PCI bridge to vfio-pci, which vfio-pci refuses (a failing bind)
  held     unbind the lone e1000e while a real QEMU holds it through vfio-pci (each tool gets
           20 s; one still blocked in the kernel then is reported as hanging)
"""

import re

from scenarios import scenario
from scenarios_change import PRELUDE, states

TOOLS = ("devown", "dpdk-devbind", "driverctl")

GUEST = PRELUDE + r'''
    in_chroot_setup
    now() { cut -d' ' -f1 /proc/uptime; }
    # step KEY CMD...: run CMD (bounded), record KEY.rc, KEY.out, KEY.err and KEY.secs.
    step() { _k=$1; shift; _a=$(now); run "$_k" "$@"; _b=$(now); recs "$_k.secs" "$(awk "BEGIN{print $_b-$_a}")"; }
    # Scripts, not functions: run hands its command to timeout(1).
    mkdir -p "$T/bin"
    printf '#!/bin/sh\nexec chroot /clients dpdk-devbind.py "$@"\n' > "$T/bin/devbind"
    printf '#!/bin/sh\nexec chroot /clients driverctl --nosave "$@"\n' > "$T/bin/dctl"
    # driverctl takes one device a call: seven calls, as a script would make them.
    printf '#!/bin/sh\nd=$1; shift; for v in "$@"; do "%s/bin/dctl" set-override "$v" "$d" || exit $?; done\n' "$T" > "$T/bin/dc_set"
    printf '#!/bin/sh\nfor v in "$@"; do "%s/bin/dctl" unset-override "$v" || exit $?; done\n' "$T" > "$T/bin/dc_unset"
    chmod +x "$T/bin/"*
    PATH=$T/bin:$PATH

    # ---- vfs
    echo 7 > "/sys/bus/pci/devices/$IGB/sriov_numvfs"
    wait_for 30 test -e "/sys/bus/pci/devices/$IGB/virtfn6"
    VFS=$(for i in 0 1 2 3 4 5 6; do basename "$(readlink "/sys/bus/pci/devices/$IGB/virtfn$i")"; done | tr '\n' ' ')
    for v in $VFS; do wait_for 20 test -e "/sys/bus/pci/devices/$v/driver"; done
    recs vfs "$VFS"
    step devown.vfs.to devown bind $VFS vfio-pci
    state devown.vfs.to $VFS
    step devown.vfs.back devown restore $VFS
    state devown.vfs.back $VFS
    step dpdk-devbind.vfs.to devbind -b vfio-pci $VFS
    state dpdk-devbind.vfs.to $VFS
    step dpdk-devbind.vfs.back devbind -b igbvf $VFS
    state dpdk-devbind.vfs.back $VFS
    for v in $VFS; do give_back "$v" igbvf; done
    step driverctl.vfs.to dc_set vfio-pci $VFS
    state driverctl.vfs.to $VFS
    step driverctl.vfs.back dc_unset $VFS
    state driverctl.vfs.back $VFS
    for v in $VFS; do give_back "$v" igbvf; done
    echo 0 > "/sys/bus/pci/devices/$IGB/sriov_numvfs"

    # ---- partial: one function of a shared group
    step devown.partial devown bind "$MF0" vfio-pci
    state devown.partial "$MF0" "$MF1"
    give_back "$MF0" e1000e
    step dpdk-devbind.partial devbind -b vfio-pci "$MF0"
    state dpdk-devbind.partial "$MF0" "$MF1"
    give_back "$MF0" e1000e
    step driverctl.partial dctl set-override "$MF0" vfio-pci
    state driverctl.partial "$MF0" "$MF1"
    dctl unset-override "$MF0" > /dev/null 2>&1; give_back "$MF0" e1000e

    # ---- bridge: a bind that fails
    B0=$(drv "$BR")
    step devown.bridge devown bind "$BR" vfio-pci
    state devown.bridge "$BR"
    give_back "$BR" "$B0"
    step dpdk-devbind.bridge devbind -b vfio-pci "$BR"
    state dpdk-devbind.bridge "$BR"
    give_back "$BR" "$B0"
    step driverctl.bridge dctl set-override "$BR" vfio-pci
    state driverctl.bridge "$BR"
    give_back "$BR" "$B0"

    # ---- held: unbind while a real QEMU holds the device
    for tool in devown dpdk-devbind driverctl; do
        give_back "$LONE" e1000e
        devown bind "$LONE" vfio-pci > /dev/null 2>&1
        "$QEMU" $QEMU_VM -device vfio-pci,host="$LONE",rombar=0 > "$T/q.log" 2>&1 &
        QPID=$!
        vm_started "$tool.held" "$T/q.log" "$QPID"
        case $tool in
        devown) set -- devown unbind "$LONE" ;;
        dpdk-devbind) set -- devbind -u "$LONE" ;;
        driverctl) set -- dctl unset-override "$LONE" ;;
        esac
        _a=$(now)
        ( RUN_TIMEOUT=20 run "$tool.held" "$@"; echo done > "$T/held.done" ) &
        BG=$!
        rm -f "$T/held.done"
        wait_for 20 test -e "$T/held.done"
        _b=$(now)
        if [ -e "$T/held.done" ]; then recs "$tool.held.hung" 0; else recs "$tool.held.hung" 1; fi
        recs "$tool.held.secs" "$(awk "BEGIN{print $_b-$_a}")"
        state "$tool.held" "$LONE"
        stop_pid "$QPID"
        wait "$BG" 2> /dev/null
        state "$tool.held.after" "$LONE"
        devown restore "$LONE" > /dev/null 2>&1
        echo > "/sys/bus/pci/devices/$LONE/driver_override"
    done
    give_back "$LONE" e1000e
    in_chroot_teardown
    dmesg > "$T/dmesg.s"; rec dmesg "$T/dmesg.s"
'''


def table(t):
    """Rows (task, tool, secs, rc, left behind) from the records."""
    e = t.env
    rows = []
    vfs = (t.text("vfs") or "").split()
    for task, addrs in (("vfs.to", vfs), ("vfs.back", vfs), ("partial", [e.get("MF0")]),
                        ("bridge", [e.get("BR")]), ("held", [e.get("LONE")])):
        for tool in TOOLS:
            k = "%s.%s" % (tool, task)
            st = states(t, k)
            drivers = sorted({(s[0] or "-") for a, s in st.items() if a in addrs})
            overrides = sorted({(s[1] or "-") for a, s in st.items() if a in addrs})
            left = "driver %s, override %s" % ("/".join(drivers), "/".join(overrides))
            hung = t.text(k + ".hung") == "1"
            rc = "hung" if hung else t.rc(k)
            if task == "held":
                after = states(t, k + ".after").get(e.get("LONE"), (None, None))
                left += "; after QEMU exited: driver %s, override %s" % (after[0] or "-", after[1] or "-")
            rows.append((task, tool, t.text(k + ".secs"), rc, left))
    return rows


@scenario("peers", guest=GUEST, timeout=500, bench=True)
def _(t):
    for task, tool, secs, rc, left in table(t):
        t.note("PEER %s %s %s %s %s" % (task, tool, secs, rc, left))
    dm = t.text("dmesg") or ""
    t.expect("BUG:" not in dm, "kernel log has BUG:")
