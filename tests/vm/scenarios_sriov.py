# SPDX-License-Identifier: GPL-2.0-or-later
"""`devown sriov` on the VFs of an emulated 82576 (QEMU's igb, 7 VFs at most, each VF in an IOMMU
group of its own): VFs created straight onto vfio-pci without igbvf ever probing them, the count
changed, a refusal while a real QEMU holds a VF, a fault at each write undone exactly, restore,
and the configuration applied as the boot path does. Every scenario ends with the PF as the boot
left it: igb, no VFs, autoprobe 1."""

import re

from scenarios import scenario
from scenarios_change import PRELUDE, refused, states, doc, journal

# Guest helpers on top of scenarios_change.PRELUDE:
#   pfstate KEY   record "numvfs autoprobe driver override" of $PF
#   vfs KEY       record "VF driver override net" lines, one per virtfn link of $PF
#   klog_mark / klog_since KEY: the kernel log lines written after the mark
SRIOV_PRELUDE = PRELUDE + r'''
    PF=$IGB
    P=/sys/bus/pci/devices/$PF
    pfstate() { recs "$1" "$(cat $P/sriov_numvfs) $(cat $P/sriov_drivers_autoprobe) $(drv "$PF") $(cat $P/driver_override)"; }
    vfs() {
        : > "$T/vfs.$1"
        for _l in $P/virtfn*; do
            [ -e "$_l" ] || continue
            _v=$(basename "$(readlink "$_l")")
            _n=$(ls "/sys/bus/pci/devices/$_v/net" 2> /dev/null | tr '\n' ',')
            printf '%s %s %s %s\n' "$_v" "$(drv "$_v")" "$(cat /sys/bus/pci/devices/$_v/driver_override)" "${_n:--}" >> "$T/vfs.$1"
        done
        rec "$1" "$T/vfs.$1"
    }
    klog_mark() { KLOG=$(dmesg | wc -l); }
    klog_since() { dmesg | tail -n +$((KLOG + 1)) > "$T/klog.$1"; rec "$1" "$T/klog.$1"; }
    # The end state every scenario must leave, whatever went wrong on the way.
    sriov_cleanup() {
        stop_pid "$QPID" 2> /dev/null
        [ "$(cat $P/sriov_numvfs)" = 0 ] || echo 0 > $P/sriov_numvfs
        echo 1 > $P/sriov_drivers_autoprobe
        rm -f /run/devown/journal.json
    }
'''


def pf(t, key):
    """(numvfs, autoprobe, driver, override) of a pfstate record."""
    p = (t.text(key) or "").split()
    return tuple(p) if len(p) == 4 else None


def vf_list(t, key):
    """[(vf, driver or None, override or None, [netdevs])] of a vfs record."""
    out = []
    for line in (t.text(key) or "").splitlines():
        p = line.split()
        if len(p) == 4:
            out.append((p[0], None if p[1] == "-" else p[1], None if p[2] == "(null)" else p[2],
                        [] if p[3] == "-" else [x for x in p[3].split(",") if x]))
    return out


def igbvf_probes(t, key):
    return [x for x in (t.text(key) or "").splitlines() if "igbvf" in x]


BOOT_PF = ("0", "1", "igb", "(null)")

# The writes of `sriov PF 3 --driver vfio` on a PF without VFs are at most this many: autoprobe
# off, the count, override and bind for each VF, autoprobe back. The loop stops at the first N
# the command did not reach (it succeeded), so a leaner sequence is fine.
CREATE_WRITES_MAX = 12


@scenario("sriov-create", timeout=420, guest=SRIOV_PRELUDE + r'''
    pfstate boot
    state pfdrv "$PF"
    klog_mark
    run dry devown sriov --dry-run --json "$PF" 4 --driver vfio
    pfstate after-dry
    run create devown sriov --json "$PF" 4 --driver vfio
    pfstate created
    vfs vfs4
    recj journal4
    klog_since klog4
    run status devown status --json "$PF"
    run text devown status "$PF"
    VF0=$(basename "$(readlink $P/virtfn0)")
    run again devown sriov --json "$PF" 4 --driver vfio
    run toomany devown sriov "$PF" 99 --driver vfio
    run nopf devown sriov "$VF0" 1
    pfstate after-bad
    klog_mark
    run change devown sriov --json "$PF" 2 --driver vfio
    pfstate changed
    vfs vfs2
    klog_since klog2
    VF0=$(basename "$(readlink $P/virtfn0)")
    recs vf0 "$VF0"
    "$QEMU" $QEMU_VM -device vfio-pci,host="$VF0",rombar=0 > "$T/client.log" 2>&1 &
    QPID=$!
    recs qpid "$QPID"
    vm_started client "$T/client.log" "$QPID"
    recs started $?
    run held_status devown status --json "$VF0"
    run refuse0 devown sriov "$PF" 0
    run refuse0_force devown sriov --force "$PF" 0
    run refuse3 devown sriov --json "$PF" 3 --driver vfio
    pfstate held
    vfs vfs-held
    stop_pid "$QPID"; QPID=
    run remove devown sriov --json "$PF" 0
    pfstate removed
    run restore devown restore --json "$PF"
    pfstate restored
    state pfdrv-restored "$PF"
    recj journal-end
    sriov_cleanup
''')
def _(t):
    e = t.env
    if not t.expect(e.get("IGB"), "topology: no igb PF"):
        return
    t.eq(pf(t, "boot"), BOOT_PF, "PF at boot (numvfs autoprobe driver override)")
    t.eq(t.rc("dry"), 0, "sriov --dry-run: exit status (%s)" % (t.err("dry") or "").strip()[:300])
    doc(t, "dry", "sriov --dry-run --json")
    t.eq(pf(t, "after-dry"), BOOT_PF, "a dry run changes nothing")

    d = doc(t, "create", "sriov --json PF 4 --driver vfio")
    t.eq(t.rc("create"), 0, "sriov PF 4 --driver vfio: exit status (%s)" % (t.err("create") or "").strip()[:300])
    if d:
        t.eq(d.get("result"), "done", "sriov: JSON result")
    t.eq(pf(t, "created"), ("4", "1", "igb", "(null)"), "PF after create: 4 VFs, autoprobe back to 1")
    v4 = vf_list(t, "vfs4")
    t.eq(len(v4), 4, "four virtfn links")
    for vf, drv, ovr, net in v4:
        t.eq(drv, "vfio-pci", "%s: driver" % vf)
        t.eq(net, [], "%s: no network interface ever made for it" % vf)
    t.eq(igbvf_probes(t, "klog4"), [], "kernel log: igbvf never probed a VF")
    j = journal(t, "journal4")
    t.expect(j and e.get("IGB") in str(j), "journal records the PF: %r" % (j,))

    s = t.json("status", "status --json PF")
    if s:
        devs = {x.get("address"): x for g in s.get("groups", []) for x in g.get("devices", [])}
        p = devs.get(e.get("IGB"), {})
        t.eq((p.get("sriov_numvfs"), p.get("sriov_totalvfs")), (4, 7), "status: numvfs and totalvfs of the PF")
        t.eq(sorted(p.get("sriov_vfs") or []), sorted(v[0] for v in v4), "status: the PF lists its VFs")
        t.eq(p.get("sriov_drivers_autoprobe"), True, "status: autoprobe of the PF")
    out = t.out("text") or ""
    t.expect(v4 and all(v[0] in out for v in v4), "status text lists the VFs: %r" % out[:800])

    a = doc(t, "again", "sriov PF 4 again")
    t.eq(t.rc("again"), 0, "sriov PF 4 again: exit status")
    if a:
        t.eq(a.get("changed"), False, "sriov PF 4 again: nothing changed")
    for step, what, mention in (("toomany", "sriov PF 99", "7"), ("nopf", "sriov VF 1", None)):
        t.eq(t.rc(step), 2, "%s: exit status" % what)
        err = t.err(step) or ""
        t.eq(len([x for x in err.splitlines() if x != "Try 'devown --help'."]), 1, "%s: one line: %r" % (what, err))
        if mention:
            t.expect(mention in err and "sriov_totalvfs" in err, "%s names the limit: %r" % (what, err))
    t.eq(pf(t, "after-bad"), ("4", "1", "igb", "(null)"), "bad input changes nothing")

    t.eq(t.rc("change"), 0, "sriov PF 2: exit status (%s)" % (t.err("change") or "").strip()[:300])
    t.eq(pf(t, "changed"), ("2", "1", "igb", "(null)"), "PF after the change to 2")
    v2 = vf_list(t, "vfs2")
    t.eq([(v[1], v[3]) for v in v2], [("vfio-pci", [])] * 2, "the two VFs: vfio-pci, no netdev")
    t.eq(igbvf_probes(t, "klog2"), [], "kernel log: igbvf never probed a VF on the change")

    if t.eq(t.text("started"), "0", "QEMU opened VF0"):
        pid = int(t.text("qpid") or 0)
        who = "pid %d (qemu-system-x86" % pid
        vf0 = t.text("vf0")
        refused(t, "refuse0", "sriov PF 0 while VF0 is held", None, mentions=(vf0, who))
        refused(t, "refuse0_force", "sriov --force PF 0 while VF0 is held", None, mentions=(vf0, who))
        refused(t, "refuse3", "sriov PF 3 while VF0 is held", "sriov", mentions=(vf0, who))
        t.eq(pf(t, "held"), ("2", "1", "igb", "(null)"), "PF untouched by the refusals")
        t.eq(vf_list(t, "vfs-held"), v2, "VFs untouched by the refusals")
        hs = t.json("held_status", "status --json PF while VF0 is held")
        if hs:
            g = [g for g in hs.get("groups", []) if any(x.get("address") == vf0 for x in g.get("devices", []))]
            t.expect(g and any(h.get("pid") == pid for h in g[0].get("holders", [])),
                     "status names QEMU holding VF0's group")
    else:
        t.note("QEMU output:\n" + (t.text("client.qemu") or "")[-1500:])
    t.eq(t.rc("remove"), 0, "sriov PF 0: exit status (%s)" % (t.err("remove") or "").strip()[:300])
    t.eq(pf(t, "removed")[:1] if pf(t, "removed") else None, ("0",), "no VFs after sriov PF 0")
    t.eq(t.rc("restore"), 0, "restore PF: exit status (%s)" % (t.err("restore") or "").strip()[:300])
    t.eq(pf(t, "restored"), BOOT_PF, "restore gives back the PF as it was")
    t.eq(states(t, "pfdrv-restored"), states(t, "pfdrv"), "PF driver and override after restore")
    t.eq(journal(t, "journal-end"), None, "journal after restore")


@scenario("sriov-faults", timeout=420, guest=SRIOV_PRELUDE + r'''
    pfstate boot
    n=1
    while [ $n -le ''' + str(CREATE_WRITES_MAX) + r''' ]; do
        DEVOWN_FAIL_WRITE=$n devown sriov "$PF" 3 --driver vfio > /dev/null 2> "$T/f.err"
        rc=$?
        recs fail$n.rc $rc
        rec fail$n.err "$T/f.err"
        pfstate after$n
        vfs vfs$n
        recj journal$n
        [ $rc = 0 ] && break
        n=$((n + 1))
    done
    recs last "$n"
    [ "$(cat $P/sriov_numvfs)" = 3 ] || devown sriov "$PF" 3 --driver vfio > /dev/null 2>&1
    pfstate three
    vfs vfs-three
    run rfail env DEVOWN_FAIL_WRITE=1 devown restore "$PF"
    pfstate after-rfail
    vfs vfs-rfail
    recj journal-rfail
    run restore devown restore "$PF"
    pfstate restored
    recj journal-end
    sriov_cleanup
''')
def _(t):
    if not t.expect(t.env.get("IGB"), "topology: no igb PF"):
        return
    t.eq(pf(t, "boot"), BOOT_PF, "PF at boot")
    last = int(t.text("last") or 0)
    t.expect(3 <= last <= CREATE_WRITES_MAX, "sriov PF 3 got through within %d writes (last %d)"
             % (CREATE_WRITES_MAX, last))
    for n in range(1, last):
        what = "sriov PF 3 --driver vfio with write %d failing" % n
        t.eq(t.rc("fail%d" % n), 1, "%s: exit status" % what)
        err = t.err("fail%d" % n) or ""
        t.expect("Input/output error" in err and "undone" in err, "%s: stderr: %r" % (what, err[:400]))
        t.eq(pf(t, "after%d" % n), BOOT_PF, "%s: PF exactly as before" % what)
        t.eq(vf_list(t, "vfs%d" % n), [], "%s: no VF left" % what)
        t.eq(journal(t, "journal%d" % n), None, "%s: journal" % what)
    t.eq(t.rc("fail%d" % last), 0, "sriov PF 3 with the fault beyond its last write")
    t.eq(pf(t, "three"), ("3", "1", "igb", "(null)"), "three VFs")
    three = vf_list(t, "vfs-three")
    t.eq([v[1] for v in three], ["vfio-pci"] * 3, "three VFs on vfio-pci")
    t.eq(t.rc("rfail"), 1, "restore with write 1 failing: exit status (%s)" % (t.err("rfail") or "")[:300])
    t.eq(pf(t, "after-rfail"), ("3", "1", "igb", "(null)"), "restore with a fault: the PF where restore found it")
    t.eq([v[1] for v in vf_list(t, "vfs-rfail")], ["vfio-pci"] * 3, "restore with a fault: VFs where restore found them")
    t.expect(journal(t, "journal-rfail"), "journal kept after a failed restore")
    t.eq(t.rc("restore"), 0, "restore: exit status (%s)" % (t.err("restore") or "")[:300])
    t.eq(pf(t, "restored"), BOOT_PF, "restore: PF as at boot")
    t.eq(journal(t, "journal-end"), None, "journal after restore")


@scenario("sriov-apply", timeout=300, guest=SRIOV_PRELUDE + r'''
    CONF=/etc/devown
    mkdir -p "$CONF" /usr/local/etc
    [ -e /usr/local/etc/devown ] || ln -s "$CONF" /usr/local/etc/devown
    rm -f "$CONF"/*.conf
    cat > "$CONF/60-vfs.conf" << EOF
[device igb-vfs]
address=$PF
vendor=8086
device=10c9
driver=igb
vfs=2
vf_driver=vfio
EOF
    pfstate boot
    klog_mark
    # As at boot: the unit's apply, then the udev rule's apply --device for every device.
    run unit devown apply --json
    pfstate unit
    vfs vfs-unit
    klog_since klog-unit
    : > "$T/rule.rc"
    for d in /sys/bus/pci/devices/*; do
        devown apply --device "${d##*/}" > /dev/null 2>> "$T/rule.err"
        echo "${d##*/} $?" >> "$T/rule.rc"
    done
    rec rule.rc "$T/rule.rc"
    rec rule.err "$T/rule.err"
    pfstate rule
    run status devown status --json "$PF"
    run export devown export
    # Someone changes the count by hand: status shows the mismatch, apply brings it back.
    echo 0 > $P/sriov_numvfs
    echo 1 > $P/sriov_numvfs
    wait_for 10 test -e $P/virtfn0
    run mismatch devown status --json "$PF"
    run reapply devown apply --json
    pfstate reapplied
    vfs vfs-reapplied
    rm -f "$CONF/60-vfs.conf"
    run restore devown restore --json
    pfstate restored
    sriov_cleanup
''')
def _(t):
    e = t.env
    if not t.expect(e.get("IGB"), "topology: no igb PF"):
        return
    t.eq(pf(t, "boot"), BOOT_PF, "PF at boot")
    t.eq(t.rc("unit"), 0, "apply (the boot unit): exit status (%s)" % (t.err("unit") or "").strip()[:300])
    doc(t, "unit", "apply --json")
    t.eq(pf(t, "unit"), ("2", "1", "igb", "(null)"), "apply: two VFs, autoprobe back")
    t.eq([(v[1], v[3]) for v in vf_list(t, "vfs-unit")], [("vfio-pci", [])] * 2, "apply: VFs on vfio-pci, no netdev")
    t.eq(igbvf_probes(t, "klog-unit"), [], "apply: igbvf never probed a VF")
    rcs = dict(line.split() for line in (t.text("rule.rc") or "").splitlines() if line.strip())
    t.expect(rcs and all(v == "0" for v in rcs.values()), "udev rule: every apply --device exit 0: %r" % rcs)
    t.eq(t.text("rule.err") or "", "", "udev rule: stderr")
    t.eq(pf(t, "rule"), ("2", "1", "igb", "(null)"), "udev rule pass: nothing more changed")
    ex = t.out("export") or ""
    t.expect(re.search(r"(?m)^vfs\s*=\s*2\s*$", ex) and re.search(r"(?m)^vf_driver\s*=\s*\S+", ex),
             "export writes vfs and vf_driver back: %r" % ex[:600])
    m = t.json("mismatch", "status --json after a hand-made count")
    mm = (m or {}).get("config_mismatches") or []
    t.expect(any(x.get("entry") == "igb-vfs" and "vfs=2" in str(x) for x in mm),
             "status shows the configured PF's count as a mismatch: %r" % mm)
    t.eq(t.rc("reapply"), 0, "apply after the hand-made count: exit status (%s)" % (t.err("reapply") or "")[:300])
    t.eq(pf(t, "reapplied"), ("2", "1", "igb", "(null)"), "apply brought the count back to 2")
    t.eq([v[1] for v in vf_list(t, "vfs-reapplied")], ["vfio-pci"] * 2, "apply: VFs on vfio-pci again")
    t.eq(t.rc("restore"), 0, "restore: exit status (%s)" % (t.err("restore") or "")[:300])
    t.eq(pf(t, "restored"), BOOT_PF, "restore: PF as at boot")


# Issue 17, item 9: udev starts one `apply --device` per device that appears; seven VFs at once
# queue at the lock. Each run pauses 3 s under the lock (DEVOWN_PAUSE_BEFORE_WRITE), so the last
# waits about 20 s: with the 10 s that bound a write, some would give up.
@scenario("udev-burst", timeout=300, guest=SRIOV_PRELUDE + r'''
    CONF=/etc/devown
    mkdir -p "$CONF" /usr/local/etc
    [ -e /usr/local/etc/devown ] || ln -s "$CONF" /usr/local/etc/devown
    rm -f "$CONF"/*.conf
    echo 7 > $P/sriov_numvfs
    wait_for 20 test -e $P/virtfn6
    sleep 1
    # One entry per VF, as for VFs handed to different tenants: each udev run has work of its own.
    for l in $P/virtfn*; do
        v=$(basename "$(readlink "$l")")
        printf '[device vf-%s]\naddress=%s\ndriver=vfio\n' "${l##*virtfn}" "$v"
    done > "$CONF/70-vfs.conf"
    : > "$T/burst.rc"
    pids=
    for d in /sys/bus/pci/devices/*; do
        a=${d##*/}
        ( DEVOWN_PAUSE_BEFORE_WRITE=1:3000 devown apply --device "$a" > /dev/null 2> "$T/burst.$a.err"
          echo "$a $?" >> "$T/burst.rc" ) 7>&- &
        pids="$pids $!"
    done
    for p in $pids; do wait $p; done
    rec burst.rc "$T/burst.rc"
    cat "$T"/burst.*.err > "$T/burst.err" 2> /dev/null
    rec burst.err "$T/burst.err"
    vfs vfs-burst
    rm -f "$CONF/70-vfs.conf"
    run restore devown restore
    sriov_cleanup
''')
def _(t):
    if not t.expect(t.env.get("IGB"), "topology: no igb PF"):
        return
    rcs = dict(line.split() for line in (t.text("burst.rc") or "").splitlines() if line.strip())
    t.expect(len(rcs) >= 12, "at least twelve concurrent apply --device: %d" % len(rcs))
    t.eq({a: rc for a, rc in rcs.items() if rc != "0"}, {}, "every apply --device of the burst: exit 0 (stderr %r)"
         % (t.text("burst.err") or "")[:600])
    v = vf_list(t, "vfs-burst")
    t.eq(len(v), 7, "seven VFs")
    t.eq([x[1] for x in v], ["vfio-pci"] * 7, "every VF on vfio-pci after the burst")
    t.eq(t.rc("restore"), 0, "restore: exit status (%s)" % (t.err("restore") or "")[:300])
