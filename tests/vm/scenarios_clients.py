# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenarios with the real clients: a real QEMU holding a group (started plainly, from a chroot,
and from a private mount namespace with a /dev of its own, as libvirt starts every QEMU),
DPDK's dpdk-testpmd driving an e1000e through vfio-pci, and the VFs of an emulated igb.

Each holder scenario: devown binds the device, the client takes it; status must name the holder
(pid, command, and for the libvirt-like one the domain from its cgroup); unbind, restore and a
kernel driver bind must be refused (exit 3) naming it, without hanging; after the client exits,
restore gives back the exact state.
"""

import re

from scenarios import scenario
from scenarios_change import PRELUDE, refused, states, doc

# A scenario's guest part: $DEV is the device, $HOLD starts the client in the background and sets
# QPID, and the rest is the same for every client.
HOLDER_BODY = r'''
    G=$(group_of "$DEV")
    state before "$DEV"
    run bind devown bind "$DEV" vfio-pci
    state bound "$DEV"
    %(start)s
    recs qpid "$QPID"
    vm_started client "$T/client.log" "$QPID"
    recs started $?
    %(ready)s
    run status devown status --json "$DEV"
    run text devown status "$DEV"
    run unbind devown unbind "$DEV"
    run restore devown restore "$DEV"
    run kbind devown bind "$DEV" e1000e
    run dry devown restore --dry-run "$DEV"
    state held "$DEV"
    %(stop)s
    rec client.end "$T/client.log"
    run after devown status --json "$DEV"
    run restore2 devown restore "$DEV"
    state after "$DEV"
    dmesg > "$T/dmesg.s"; rec dmesg "$T/dmesg.s"
'''


def holder_scenario(name, start, stop="stop_pid \"$QPID\"", setup="", teardown="", dev="$LONE",
                    ready=":", timeout=240):
    guest = PRELUDE + "\n    DEV=" + dev + "\n" + setup + \
        HOLDER_BODY % {"start": start, "stop": stop, "ready": ready} + teardown
    return scenario(name, guest=guest, timeout=timeout)


def check_holder(t, command, domain=None, via="group"):
    e = t.env
    dev = e.get("LONE")
    if not t.ran_ok("bind", "devown bind vfio-pci"):
        return
    t.eq(states(t, "bound").get(dev, (None,))[0], "vfio-pci", "driver after the bind")
    if not t.eq(t.text("started"), "0", "the client opened its VFIO devices"):
        t.note("client output:\n" + (t.text("client.qemu") or "")[-1500:])
        return
    pid = int(t.text("qpid") or "0")
    d = t.json("status", "status --json while held")
    who = "pid %d (%s" % (pid, command)
    if d:
        groups = d.get("groups") or [{}]
        hs = groups[0].get("holders", [])
        t.expect(any(h.get("pid") == pid and h.get("command") == command for h in hs),
                 "status --json names the holder pid %d (%s): %r" % (pid, command, hs))
        t.eq(groups[0].get("holders_state"), "known", "holders_state while held")
        for h in hs:
            if h.get("pid") == pid:
                t.expect(h.get("via") in ("group", "device"), "holder via: %r" % h.get("via"))
                if domain:
                    t.eq(h.get("domain"), domain, "holder's libvirt domain (from its cgroup)")
    out = t.out("text") or ""
    t.expect(("held by " + who) in out, "status text names %r: %r" % (who, out[:600]))
    if domain:
        t.expect("libvirt domain %s" % domain in out, "status text names the domain: %r" % out[:600])
    for step, what in (("unbind", "unbind"), ("restore", "restore"), ("kbind", "bind to e1000e")):
        refused(t, step, "%s while held" % what, None, mentions=(who,))
    t.eq(t.rc("dry"), 3, "restore --dry-run while held: exit status")
    t.eq(states(t, "held").get(dev, (None,))[0], "vfio-pci", "driver while held (nothing changed)")
    a = t.json("after", "status --json after the client exited")
    if a:
        t.eq((a.get("groups") or [{}])[0].get("holders"), [], "no holders after the client exited")
    t.ran_ok("restore2", "restore after the client exited")
    t.eq(states(t, "after"), states(t, "before"), "state after restore equals the state before")
    dm = t.text("dmesg") or ""
    for bad in ("blocked for more than", "BUG:", "WARNING:", "general protection"):
        t.expect(bad not in dm, "kernel log has %r" % bad)


VM = '"$QEMU" $QEMU_VM -device vfio-pci,host="$DEV",rombar=0 > "$T/client.log" 2>&1 &\n    QPID=$!'


@holder_scenario("holder-qemu-plain", start=VM)
def _(t):
    check_holder(t, "qemu-system-x86")


@holder_scenario("holder-qemu-chroot",
                 setup="    in_chroot_setup\n",
                 start='chroot /clients qemu-system-x86_64 $QEMU_VM -device vfio-pci,host="$DEV",rombar=0 '
                       '> "$T/client.log" 2>&1 &\n    QPID=$!',
                 teardown="    in_chroot_teardown\n")
def _(t):
    check_holder(t, "qemu-system-x86")


# libvirt's way: a private mount namespace whose /dev is a tmpfs holding only the nodes the VM
# may use, and the VM in machine.slice/machine-qemu\x2dID\x2dNAME.scope.
NS_START = r'''mkdir -p /sys/fs/cgroup
    grep -q " /sys/fs/cgroup cgroup2 " /proc/mounts || mount -t cgroup2 cgroup2 /sys/fs/cgroup
    SCOPE='/sys/fs/cgroup/machine.slice/machine-qemu\x2d7\x2dwin11.scope'
    mkdir -p "$SCOPE"
    GDEV=$(cat /sys/class/vfio/$G/dev)
    cat > "$T/ns.sh" <<NS
echo \$\$ > '$SCOPE/cgroup.procs'
mount -t tmpfs -o mode=755 devfs /dev
mkdir /dev/vfio
mknod -m 666 /dev/vfio/vfio c 10 196
mknod -m 600 /dev/vfio/$G c ${GDEV%%:*} ${GDEV#*:}
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/urandom c 1 9
exec /clients/usr/bin/qemu-system-x86_64 $QEMU_VM -device vfio-pci,host=$DEV,rombar=0
NS
    unshare -m sh "$T/ns.sh" > "$T/client.log" 2>&1 &
    QPID=$!'''


@holder_scenario("holder-qemu-namespace", start=NS_START,
                 teardown="    rmdir \"$SCOPE\" 2> /dev/null\n")
def _(t):
    check_holder(t, "qemu-system-x86", domain="win11")


TESTPMD = r'''in_chroot_setup
    chroot /clients stdbuf -oL dpdk-testpmd --lcores 0@0,1@0 --no-huge -m 128 --no-telemetry -a "$DEV" -- \
        --total-num-mbufs=2048 --nb-cores=1 --stats-period 5 > "$T/client.log" 2>&1 &
    QPID=$!'''


# testpmd prints the port with its MAC once the PMD has probed the device and set it up.
@holder_scenario("holder-dpdk-testpmd", start=TESTPMD,
                 ready='wait_for 90 grep -q "^Port 0: " "$T/client.log"', stop='kill -INT "$QPID"; stop_pid "$QPID"',
                 teardown="    in_chroot_teardown\n", timeout=300)
def _(t):
    log = t.text("client.end") or ""
    # testpmd names the port by the MAC it read from the device through vfio-pci.
    t.expect(re.search(r"Port 0: 52:54:00:0D:00:01", log, re.I),
             "testpmd drove the e1000e (port 0 with its MAC): %r" % log[-1200:])
    check_holder(t, "dpdk-testpmd")


# SR-IOV on real VFs: an emulated 82576 (igb) and its VFs (igbvf), one of them held by a real QEMU.
@scenario("sriov-real", timeout=300, guest=PRELUDE + r'''
    PF=$IGB
    state before "$PF"
    wr numvfs 2 "/sys/bus/pci/devices/$PF/sriov_numvfs"
    wait_for 20 test -e "/sys/bus/pci/devices/$PF/virtfn1"
    VF0=$(basename "$(readlink "/sys/bus/pci/devices/$PF/virtfn0")")
    VF1=$(basename "$(readlink "/sys/bus/pci/devices/$PF/virtfn1")")
    recs vfs "$VF0 $VF1"
    wait_for 20 test -e "/sys/bus/pci/devices/$VF1/driver"
    recs vfgroups "$(group_of "$PF") $(group_of "$VF0") $(group_of "$VF1")"
    state vfstate "$VF0" "$VF1"
    run status devown status --json "$PF"
    run unbind_plain devown unbind "$PF"
    run bind_vf devown bind "$VF1" vfio-pci
    "$QEMU" $QEMU_VM -device vfio-pci,host="$VF1",rombar=0 > "$T/client.log" 2>&1 &
    QPID=$!
    recs qpid "$QPID"
    vm_started client "$T/client.log" "$QPID"
    recs started $?
    run held devown status --json "$VF1"
    run unbind_held devown unbind "$PF"
    run unbind_held_force devown unbind --force "$PF"
    state held "$PF" "$VF0" "$VF1"
    stop_pid "$QPID"
    run restore_vf devown restore "$VF1"
    run unbind_force devown unbind --force "$PF"
    state unbound "$PF"
    recs vf_left "$(ls -d /sys/bus/pci/devices/$VF0 2> /dev/null)"
    run restore_pf devown restore "$PF"
    state after "$PF"
    [ "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")" = 0 ] || echo 0 > "/sys/bus/pci/devices/$PF/sriov_numvfs"
    recs numvfs_end "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")"
    dmesg > "$T/dmesg.s"; rec dmesg "$T/dmesg.s"
''')
def _(t):
    e = t.env
    pf = e.get("IGB")
    if not t.expect(pf, "topology: no igb PF"):
        return
    t.eq(states(t, "before").get(pf, (None,))[0], "igb", "PF driver at boot")
    t.eq(t.rc("numvfs"), 0, "echo 2 > sriov_numvfs")
    vfs = (t.text("vfs") or "").split()
    if not t.eq(len(vfs), 2, "two VFs appeared"):
        return
    vf0, vf1 = vfs
    groups = (t.text("vfgroups") or "").split()
    t.eq(len(set(groups)), 3, "PF and each VF in a group of its own: %r" % groups)
    t.eq({a: s[0] for a, s in states(t, "vfstate").items()}, {vf0: "igbvf", vf1: "igbvf"}, "VF drivers")
    d = t.json("status", "status --json PF")
    if d:
        dev = [x for g in d.get("groups", []) for x in g.get("devices", []) if x.get("address") == pf]
        t.eq(dev and dev[0].get("sriov_numvfs"), 2, "status: sriov_numvfs of the PF")
    refused(t, "unbind_plain", "unbind PF with 2 VFs", None, mentions=(vf0, vf1, "--force"))
    if not t.ran_ok("bind_vf", "bind VF1 to vfio-pci"):
        return
    if not t.eq(t.text("started"), "0", "QEMU opened the VF"):
        t.note("QEMU output:\n" + (t.text("client.qemu") or "")[-1500:])
        return
    pid = int(t.text("qpid") or 0)
    h = t.json("held", "status --json VF1 while held")
    if h:
        hs = (h.get("groups") or [{}])[0].get("holders", [])
        t.expect(any(x.get("pid") == pid and x.get("command") == "qemu-system-x86" for x in hs),
                 "status names QEMU holding VF1: %r" % hs)
    who = "pid %d (qemu-system-x86" % pid
    refused(t, "unbind_held", "unbind PF while a VF is held", None, mentions=(vf1, who))
    refused(t, "unbind_held_force", "unbind --force PF while a VF is held", None, mentions=(vf1, who))
    held = states(t, "held")
    t.eq(held.get(pf, (None,))[0], "igb", "PF still on igb while its VF is held")
    t.eq(held.get(vf1, (None,))[0], "vfio-pci", "VF1 still on vfio-pci while held")
    t.ran_ok("restore_vf", "restore VF1 after QEMU exited")
    t.ran_ok("unbind_force", "unbind --force PF with unused VFs")
    t.eq(states(t, "unbound").get(pf, ("x",))[0], None, "PF unbound")
    t.eq(t.text("vf_left"), "", "the VFs went with the PF's driver")
    t.ran_ok("restore_pf", "restore PF")
    t.eq(states(t, "after"), states(t, "before"), "PF back as before")
    t.eq(t.text("numvfs_end"), "0", "no VFs left at the end")
    dm = t.text("dmesg") or ""
    for bad in ("blocked for more than", "BUG:", "general protection"):
        t.expect(bad not in dm, "kernel log has %r" % bad)
