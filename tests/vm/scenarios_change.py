# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenarios of the vm suite for the commands that change ownership: bind, unbind and restore
as transactions, every safety rule, rollback at each write, kill -9 and restore, the lock, bad
input. Imported by scenarios.py; the conventions are the same (a guest snippet that acts and
records, a host-side check). Every scenario leaves drivers and overrides as it found them."""

import json
import re

from scenarios import scenario, check_status  # noqa: F401  (check_status for future use)

# Guest helpers used below, on top of guest/lib.sh:
#   recj KEY        record /run/devown/journal.json, or "none" when there is no journal
#   state KEY A...  record "ADDR driver override" lines for the given addresses
PRELUDE = r'''
    mkdir -p /run
    recj() { if [ -f /run/devown/journal.json ]; then rec "$1" /run/devown/journal.json; else recs "$1" none; fi; }
    state() {
        _k=$1; shift
        for _a in "$@"; do
            printf '%s %s %s\n' "$_a" "$(drv "$_a")" "$(cat /sys/bus/pci/devices/$_a/driver_override)"
        done > "$T/state.$_k"
        rec "$_k" "$T/state.$_k"
    }
'''


def change_scenario(name, guest, timeout=180, when=None):
    return scenario(name, guest=PRELUDE + guest, timeout=timeout, when=when)


def states(t, key):
    """{addr: (driver or None, override or None)} from a `state` record."""
    out = {}
    for line in (t.text(key) or "").splitlines():
        p = line.split()
        if len(p) == 3:
            out[p[0]] = (None if p[1] == "-" else p[1], None if p[2] == "(null)" else p[2])
    return out


def doc(t, step, what):
    """The JSON stdout of a change command whatever its exit status (refusals print JSON too)."""
    try:
        d = json.loads(t.out(step) or "")
    except ValueError:
        t.fail("%s: stdout is not JSON: %r" % (what, (t.out(step) or "")[:300]))
        return None
    t.schema_ok(d, what)
    return d


def journal(t, key):
    v = (t.text(key) or "").strip()
    if v in ("", "none"):
        return None
    try:
        return json.loads(v)
    except ValueError:
        t.fail("%s: journal is not JSON: %r" % (key, v[:200]))
        return None


def refused(t, step, what, rule, mentions=()):
    """Exit 3, the refusal lines on stderr name what they must, nothing changed."""
    t.eq(t.rc(step), 3, "%s: exit status" % what)
    err = t.err(step) or ""
    t.expect("nothing was changed" in err, "%s: stderr does not say nothing was changed: %r" % (what, err[:300]))
    for m in mentions:
        t.expect(m in err, "%s: stderr does not mention %r: %r" % (what, m, err[:400]))
    lines = [x for x in err.splitlines() if x.startswith("devown: refusing")]
    t.expect(lines, "%s: no 'devown: refusing' line: %r" % (what, err[:300]))
    if rule and t.out(step):
        d = doc(t, step, what)
        if d:
            t.eq(d.get("result"), "refused", "%s: JSON result" % what)
            t.expect(any(r.get("rule") == rule for r in d.get("refusals", [])),
                     "%s: no refusal with rule %s in %s" % (what, rule, d.get("refusals")))


def same_state(t, a, b, what):
    sa, sb = states(t, a), states(t, b)
    t.expect(sa, "%s: no state recorded (%s)" % (what, a))
    t.eq(sb, sa, "%s: drivers and overrides" % what)


@change_scenario("bind-lone", r'''
    G=$LONE_GROUP
    state before "$LONE"
    run dry devown bind "$LONE" vfio-pci --dry-run --json
    state after-dry "$LONE"
    run bind devown bind "$LONE" vfio-pci --json
    state bound "$LONE"
    recs node "$(ls /dev/vfio/)"
    run viable vfio-hold --viable "$G"
    recj journal
    run st devown status --json "$G"
    run again devown bind "$LONE" vfio-pci --json
    run again-text devown bind "$LONE" vfio-pci
    run restore devown restore "$LONE" --json
    state restored "$LONE"
    run restore2 devown restore "$LONE" --json
    recj journal-after
''')
def _(t):
    e = t.env
    lone, g = e.get("LONE"), int(e.get("LONE_GROUP", "-1"))
    t.eq(states(t, "before").get(lone), ("e1000e", None), "boot state of the lone e1000e")
    d = doc(t, "dry", "bind --dry-run --json")
    t.eq(t.rc("dry"), 0, "bind --dry-run: exit status")
    if d:
        t.eq(d.get("result"), "would-change", "bind --dry-run: result")
        t.eq(d.get("dry_run"), True, "bind --dry-run: dry_run")
        steps = [(s.get("step"), s.get("address") or s.get("group")) for s in d.get("plan", [])
                 if s.get("step") != "load-module"]
        t.eq(steps, [("set-override", lone), ("unbind", lone), ("bind", lone), ("wait-vfio", g),
                     ("check-viable", g)], "bind --dry-run: plan steps in the safe order")
    same_state(t, "before", "after-dry", "after a dry run")
    d = doc(t, "bind", "bind --json")
    t.eq(t.rc("bind"), 0, "bind: exit status (stderr %r)" % (t.err("bind") or "")[:300])
    if d:
        t.eq((d.get("result"), d.get("changed")), ("done", True), "bind: result, changed")
    t.eq(states(t, "bound").get(lone), ("vfio-pci", "vfio-pci"), "after bind: driver, override")
    t.expect(str(g) in (t.text("node") or "").split(), "/dev/vfio/%d missing after bind: %r" % (g, t.text("node")))
    t.eq(t.vfio_line("viable").get("viable"), "1", "VFIO_GROUP_GET_STATUS after bind")
    j = journal(t, "journal")
    ent = [x for x in (j or {}).get("devices", []) if x.get("address") == lone]
    t.expect(ent and ent[0].get("driver") == "e1000e" and ent[0].get("driver_override") is None,
             "journal entry of %s: %r" % (lone, ent))
    st = t.json("st", "status --json GROUP after bind")
    if st:
        t.eq([x.get("viable") for x in st.get("groups", [])], [True], "status: group viable after bind")
    d = doc(t, "again", "second bind --json")
    t.eq(t.rc("again"), 0, "second bind: exit status")
    if d:
        t.eq((d.get("result"), d.get("changed")), ("unchanged", False), "second bind: result, changed")
    t.expect("already bound to vfio-pci" in (t.out("again-text") or ""),
             "second bind (text) does not say it is already bound: %r" % t.out("again-text"))
    d = doc(t, "restore", "restore --json")
    t.eq(t.rc("restore"), 0, "restore: exit status (stderr %r)" % (t.err("restore") or "")[:300])
    if d:
        t.eq((d.get("result"), d.get("changed")), ("done", True), "restore: result, changed")
    same_state(t, "before", "restored", "after restore")
    d = doc(t, "restore2", "second restore --json")
    t.eq(t.rc("restore2"), 0, "second restore: exit status")
    if d:
        t.eq(d.get("changed"), False, "second restore: changed")
    t.eq(journal(t, "journal-after"), None, "journal after restore (every device back)")


@change_scenario("bind-vfio-loads-module", r'''
    rmmod vfio_pci 2> "$T/rmmod.err"; recs rmmod.rc $?
    recs loaded-before "$(ls -d /sys/module/vfio_pci 2> /dev/null || echo no)"
    state before "$LONE"
    # DEVOWN_ROOT=// is the real root, not a fixture tree (which would load no module).
    run bind env DEVOWN_ROOT=// devown bind "$LONE" vfio --json
    state bound "$LONE"
    recs loaded-after "$(ls -d /sys/module/vfio_pci 2> /dev/null || echo no)"
    run restore devown restore "$LONE"
    state restored "$LONE"
''')
def _(t):
    lone = t.env.get("LONE")
    t.eq(t.rc("rmmod"), 0, "guest setup: rmmod vfio_pci")
    t.eq((t.text("loaded-before") or "").strip(), "no", "vfio_pci unloaded before the bind")
    d = doc(t, "bind", "bind ADDR vfio")
    t.eq(t.rc("bind"), 0, "bind vfio: exit status (stderr %r)" % (t.err("bind") or "")[:300])
    if d:
        mods = [s.get("module") for s in d.get("plan", []) if s.get("step") == "load-module"]
        t.expect("vfio_pci" in mods, "bind vfio: plan does not load vfio_pci: %r" % mods)
    t.eq(states(t, "bound").get(lone), ("vfio-pci", "vfio-pci"), "bind vfio: e1000e has no variant, so vfio-pci")
    t.expect("vfio_pci" in (t.text("loaded-after") or ""), "vfio_pci not loaded after bind vfio (DEVOWN_ROOT=//)")
    t.eq(t.rc("restore"), 0, "restore: exit status")
    same_state(t, "before", "restored", "after restore")


@change_scenario("partial-group-refused", r'''
    state before "$MF0" "$MF1"
    run text devown bind "$MF0" vfio-pci
    run json devown bind "$MF0" vfio-pci --json
    run force devown bind "$MF0" vfio-pci --force
    state after "$MF0" "$MF1"
    recj journal
''')
def _(t):
    e = t.env
    refused(t, "text", "bind one function of the shared group", None, (e.get("MF1"), "--group"))
    refused(t, "json", "bind one function (--json)", "partial-group", (e.get("MF1"),))
    refused(t, "force", "bind one function with --force", None, (e.get("MF1"),))
    same_state(t, "before", "after", "after the refusals")
    t.eq(journal(t, "journal"), None, "journal after refusals")


@change_scenario("group-bind-and-restore", r'''
    G=$MF0_GROUP
    state before "$MF0" "$MF1"
    run bind devown bind --group "$MF0" vfio-pci --json
    state bound "$MF0" "$MF1"
    run viable vfio-hold --viable "$G"
    run st devown status --json "$G"
    run restore devown restore "$G" --json
    state restored "$MF0" "$MF1"
    recj journal
''')
def _(t):
    e = t.env
    t.eq(t.rc("bind"), 0, "bind --group: exit status (stderr %r)" % (t.err("bind") or "")[:300])
    b = states(t, "bound")
    for a in (e.get("MF0"), e.get("MF1")):
        t.eq(b.get(a), ("vfio-pci", "vfio-pci"), "after bind --group: %s" % a)
    t.eq(t.vfio_line("viable").get("viable"), "1", "VFIO_GROUP_GET_STATUS after bind --group")
    st = t.json("st", "status after bind --group")
    if st:
        t.eq([(x.get("viable"), x.get("blockers")) for x in st.get("groups", [])], [(True, [])],
             "status: viable, no blockers")
    t.eq(t.rc("restore"), 0, "restore GROUP: exit status (stderr %r)" % (t.err("restore") or "")[:300])
    same_state(t, "before", "restored", "after restore GROUP")
    t.eq(journal(t, "journal"), None, "journal after restore")


@change_scenario("bridges", r'''
    state before "$BR" "$BR_A" "$BR_B"
    recs brdrv "$(drv "$BR")"
    run bridge devown bind "$BR" vfio-pci --json
    run dry devown bind --group "$BR_A" vfio-pci --dry-run --json
    run group devown bind --group "$BR_A" vfio-pci
    state group "$BR" "$BR_A" "$BR_B"
    run viable vfio-hold --viable "$BR_GROUP"
    [ "$(drv "$BR_A")" = vfio-pci ] && run restore devown restore "$BR_GROUP"
    state after "$BR" "$BR_A" "$BR_B"
''')
def _(t):
    e = t.env
    refused(t, "bridge", "bind the bridge to vfio-pci", "bridge", (e.get("BR"), "bridge"))
    brdrv = (t.text("brdrv") or "-").strip()
    if brdrv != "-" and t.kernel.ownership_checks:
        # The bridge's driver (shpchp) is a kernel DMA user: --group leaves bridges alone, so
        # the group cannot become viable and devown says how to free the bridge.
        refused(t, "group", "bind --group behind a bridge on %s" % brdrv, None,
                (e.get("BR"), brdrv, "devown unbind"))
        t.eq(t.rc("dry"), 3, "bind --group --dry-run: exit status (refused)")
    else:
        # Before 5.19 (or with the bridge unbound) the bridge does not block: the group goes
        # to vfio-pci, the kernel agrees it is viable, and restore brings it back.
        t.eq(t.rc("group"), 0, "bind --group behind a bridge on %s (stderr %r)" % (brdrv, (t.err("group") or "")[:300]))
        g = states(t, "group")
        t.eq((g.get(e.get("BR_A")), g.get(e.get("BR_B"))), (("vfio-pci", "vfio-pci"),) * 2,
             "bind --group behind the bridge: both conventional devices")
        t.eq(g.get(e.get("BR"), (None, None))[0], None if brdrv == "-" else brdrv, "the bridge is left alone")
        t.eq(t.vfio_line("viable").get("viable"), "1", "VFIO_GROUP_GET_STATUS after bind --group")
        t.eq(t.rc("restore"), 0, "restore GROUP: exit status")
    same_state(t, "before", "after", "after the bridge refusals")


@change_scenario("held-group", r'''
    G=$LONE_GROUP
    state before "$LONE"
    run bind devown bind "$LONE" vfio-pci
    hold hold "$G"
    state held "$LONE"
    run to-e1000e devown bind "$LONE" e1000e --json
    run to-e1000e-force devown bind "$LONE" e1000e --force
    run unbind devown unbind "$LONE"
    run restore-held devown restore "$LONE"
    run stub devown bind "$LONE" pci-stub
    state after-refusals "$LONE"
    unhold
    run restore devown restore "$LONE"
    state restored "$LONE"
    recj journal
''')
def _(t):
    e = t.env
    lone = e.get("LONE")
    t.eq(t.rc("bind"), 0, "bind vfio-pci: exit status")
    if not t.expect("ready" in (t.text("hold.ready") or ""), "vfio-hold did not get ready: %r" % t.text("hold.ready")):
        return
    pid = t.vfio_line("hold").get("pid", "?")
    ctx = ("pid %s (vfio-hold)" % pid,)
    refused(t, "to-e1000e", "bind e1000e into the held group", "held-group", ctx)
    refused(t, "to-e1000e-force", "bind e1000e into the held group with --force", None, ctx)
    refused(t, "unbind", "unbind from the held group", None, ctx + ("hang",))
    refused(t, "restore-held", "restore while held", None, ctx)
    refused(t, "stub", "move to pci-stub while held (an unbind)", None, ctx)
    same_state(t, "held", "after-refusals", "after the refusals while held")
    t.eq(t.rc("restore"), 0, "restore after the holder exits (stderr %r)" % (t.err("restore") or "")[:300])
    same_state(t, "before", "restored", "after restore")
    t.eq(journal(t, "journal"), None, "journal after restore")


@change_scenario("held-kernel-ebusy", r'''
    G=$MF0_GROUP
    state before "$MF0" "$MF1"
    run bind devown bind --group "$MF0" vfio-pci
    run park devown unbind "$MF1"
    state parked "$MF0" "$MF1"
    # devown plans (the group is free), then pauses before its bind write; a VM takes the
    # group meanwhile; the kernel refuses with EBUSY and devown must say who holds it.
    DEVOWN_PAUSE_BEFORE_WRITE=2:4000 devown bind "$MF1" e1000e > "$T/race.out" 2> "$T/race.err" &
    RACER=$!
    wait_for 10 grep -q "test pause" "$T/race.err"
    hold hold "$G"
    wait "$RACER"; recs race.rc $?
    rec race.out "$T/race.out"; rec race.err "$T/race.err"
    state after-race "$MF0" "$MF1"
    unhold
    run restore devown restore "$G"
    state restored "$MF0" "$MF1"
    recj journal
''', when=lambda k: k.ownership_checks)
def _(t):
    e = t.env
    mf1 = e.get("MF1")
    t.eq(t.rc("bind"), 0, "bind --group: exit status")
    t.eq(t.rc("park"), 0, "unbind MF1: exit status (stderr %r)" % (t.err("park") or "")[:300])
    t.eq(states(t, "parked").get(mf1), (None, "none"), "MF1 parked: no driver, override none")
    if not t.expect("ready" in (t.text("hold.ready") or ""), "vfio-hold did not get ready: %r" % t.text("hold.ready")):
        return
    pid = t.vfio_line("hold").get("pid", "?")
    t.eq(t.rc("race"), 1, "bind e1000e racing a new holder: exit status")
    err = t.err("race") or ""
    t.expect("pid %s (vfio-hold)" % pid in err, "the kernel's EBUSY is not explained with the holder: %r" % err[:500])
    t.expect("undone" in err, "stderr does not say the change was undone: %r" % err[:500])
    same_state(t, "parked", "after-race", "after the failed bind (rolled back)")
    t.eq(t.rc("restore"), 0, "restore GROUP after the holder exits (stderr %r)" % (t.err("restore") or "")[:300])
    same_state(t, "before", "restored", "after restore")
    t.eq(journal(t, "journal"), None, "journal after restore")


@change_scenario("in-use", r'''
    echo 0 > /proc/sys/net/ipv6/conf/$VNET_IF/accept_dad
    ip link set "$VNET_IF" up
    ip addr add 192.0.2.10/24 dev "$VNET_IF"
    ip -6 addr add 2001:db8::10/64 dev "$VNET_IF"
    mke2fs -q /dev/nvme0n1 > /dev/null 2>&1
    mkdir -p /mnt/devown-use
    mount -t ext4 /dev/nvme0n1 /mnt/devown-use; recs mount.rc $?
    state before "$VNET" "$NVME"
    run net devown bind "$VNET" vfio-pci --json
    run nvme devown bind "$NVME" vfio-pci
    run nvme-unbind devown unbind "$NVME"
    umount /mnt/devown-use
    sleep 1000 < /dev/nvme0n1 &
    SLEEPER=$!
    recs sleeper "$SLEEPER"
    wait_for 5 sh -c "readlink /proc/$SLEEPER/fd/0 | grep -q nvme0n1"
    run node devown bind "$NVME" vfio-pci
    kill "$SLEEPER"; wait "$SLEEPER"
    state after-refusals "$VNET" "$NVME"
    run force devown bind "$VNET" vfio-pci --force
    state forced "$VNET" "$NVME"
    run restore devown restore "$VNET"
    state restored "$VNET" "$NVME"
''')
def _(t):
    e = t.env
    t.eq(t.rc("mount"), 0, "guest setup: mount the NVMe filesystem")
    refused(t, "net", "bind a NIC with addresses", "in-use", (e.get("VNET_IF"), "--force"))
    refused(t, "nvme", "bind the NVMe with a mounted filesystem", None, ("/mnt/devown-use",))
    refused(t, "nvme-unbind", "unbind the NVMe with a mounted filesystem", None, ("/mnt/devown-use",))
    refused(t, "node", "bind the NVMe while a process holds its node", None,
            ("/dev/nvme0n1", (t.text("sleeper") or "?").strip()))
    same_state(t, "before", "after-refusals", "after the in-use refusals")
    t.eq(t.rc("force"), 0, "bind --force of the NIC in use: exit status (stderr %r)" % (t.err("force") or "")[:300])
    t.eq(states(t, "forced").get(e.get("VNET")), ("vfio-pci", "vfio-pci"), "NIC after bind --force")
    t.eq(t.rc("restore"), 0, "restore of the NIC: exit status")
    same_state(t, "before", "restored", "after restore")


def _rollback_guest(n_writes):
    lines = ['state before "$MF0" "$MF1"']
    for n in range(1, n_writes + 1):
        lines.append('run fail%d env DEVOWN_FAIL_WRITE=%d devown bind --group "$MF0" vfio-pci' % (n, n))
        lines.append('state after%d "$MF0" "$MF1"' % n)
        lines.append('recj journal%d' % n)
    # A failure inside restore keeps the devices where restore found them.
    lines += ['run bind devown bind --group "$MF0" vfio-pci',
              'state bound "$MF0" "$MF1"',
              'run rfail env DEVOWN_FAIL_WRITE=2 devown restore "$MF0_GROUP"',
              'state after-rfail "$MF0" "$MF1"',
              'recj journal-rfail',
              'run restore devown restore "$MF0_GROUP"',
              'state restored "$MF0" "$MF1"',
              'recj journal-end']
    return "\n".join(lines) + "\n"


# bind --group of the two-function group writes: override, unbind, bind, for each function.
GROUP_BIND_WRITES = 6


@change_scenario("rollback-each-write", _rollback_guest(GROUP_BIND_WRITES), timeout=300)
def _(t):
    for n in range(1, GROUP_BIND_WRITES + 1):
        what = "bind --group with write %d failing" % n
        t.eq(t.rc("fail%d" % n), 1, "%s: exit status" % what)
        err = t.err("fail%d" % n) or ""
        t.expect("Input/output error" in err and "undone" in err,
                 "%s: stderr does not explain the failure and the undo: %r" % (what, err[:400]))
        same_state(t, "before", "after%d" % n, "%s: exact prior state" % what)
        t.eq(journal(t, "journal%d" % n), None, "%s: journal" % what)
    t.eq(t.rc("bind"), 0, "bind --group without a fault")
    t.eq(t.rc("rfail"), 1, "restore with write 2 failing: exit status")
    same_state(t, "bound", "after-rfail", "restore with write 2 failing: back where restore found them")
    j = journal(t, "journal-rfail")
    t.eq(sorted(x.get("address") for x in (j or {}).get("devices", [])),
         sorted([t.env.get("MF0"), t.env.get("MF1")]), "journal kept after a failed restore")
    t.eq(t.rc("restore"), 0, "restore without a fault")
    same_state(t, "before", "restored", "after restore")
    t.eq(journal(t, "journal-end"), None, "journal after restore")


@change_scenario("rollback-keeps-journal", r'''
    state before "$LONE" "$MF0" "$MF1"
    run bind devown bind "$LONE" vfio-pci
    recj journal-bound
    sleep 1.2
    run fail env DEVOWN_FAIL_WRITE=2 devown bind --group "$MF0" vfio-pci
    recj journal-after
    run restore devown restore
    state restored "$LONE" "$MF0" "$MF1"
''')
def _(t):
    """A rolled-back change gives the journal back exactly: the other entries keep their
    "since" (they used to get the time of the rollback)."""
    t.ran_ok("bind", "bind LONE")
    t.eq(t.rc("fail"), 1, "bind --group with write 2 failing: exit status")
    a, b = journal(t, "journal-bound"), journal(t, "journal-after")
    t.expect(a and len(a.get("devices", [])) == 1, "journal after binding LONE: %r" % (a,))
    t.eq(b, a, "journal after the rollback equals the journal before it")
    t.ran_ok("restore", "restore")
    same_state(t, "before", "restored", "after restore")


@change_scenario("kill-and-restore", r'''
    state before "$MF0" "$MF1"
    for n in 2 4; do
        DEVOWN_KILL_AFTER_WRITE=$n devown bind --group "$MF0" vfio-pci > /dev/null 2>&1
        recs kill$n.rc $?
        state mid$n "$MF0" "$MF1"
        recj journal$n
        run next$n devown bind "$LONE" vfio-pci
        run st$n devown status
        run restore$n devown restore
        state restored$n "$MF0" "$MF1"
        recj journal-end$n
    done
''', timeout=240)
def _(t):
    e = t.env
    for n in (2, 4):
        t.eq(t.rc("kill%d" % n), 137, "devown killed after write %d: exit status" % n)
        mid = states(t, "mid%d" % n)
        t.expect(mid != states(t, "before"), "killed after write %d: nothing had changed?" % n)
        j = journal(t, "journal%d" % n)
        t.expect(j and j.get("transaction"), "killed after write %d: the journal marks no transaction" % n)
        t.eq(t.rc("next%d" % n), 1, "a new bind after the kill: exit status")
        t.expect("devown restore" in (t.err("next%d" % n) or ""),
                 "a new bind after the kill does not point at restore: %r" % (t.err("next%d" % n) or "")[:300])
        t.eq(t.rc("restore%d" % n), 0, "restore after kill %d: exit status (stderr %r)"
             % (n, (t.err("restore%d" % n) or "")[:300]))
        same_state(t, "before", "restored%d" % n, "restore after kill %d: exact prior state" % n)
        t.eq(journal(t, "journal-end%d" % n), None, "journal after restore (kill %d)" % n)


@change_scenario("lock", r'''
    state before "$LONE"
    DEVOWN_PAUSE_BEFORE_WRITE=1:4000 devown bind "$LONE" vfio-pci > "$T/first.out" 2> "$T/first.err" &
    FIRST=$!
    recs first.pid "$FIRST"
    wait_for 10 grep -q "test pause" "$T/first.err"
    run quick devown bind --timeout 1 "$LONE" vfio-pci
    run patient devown restore --timeout 30 "$LONE"
    wait "$FIRST"; recs first.rc $?
    rec first.err "$T/first.err"
    state after "$LONE"
    recj journal
''')
def _(t):
    first = (t.text("first.pid") or "?").strip()
    t.eq(t.rc("quick"), 1, "second devown with --timeout 1 while the first holds the lock")
    t.expect("pid %s" % first in (t.err("quick") or ""),
             "the waiting devown does not name the lock holder pid %s: %r" % (first, (t.err("quick") or "")[:300]))
    t.eq(t.rc("first"), 0, "the first devown (paused) finishes")
    t.eq(t.rc("patient"), 0, "restore that waits for the lock: exit status (stderr %r)" % (t.err("patient") or "")[:300])
    t.expect("waiting for another devown" in (t.err("patient") or ""), "the patient devown did not wait")
    same_state(t, "before", "after", "both done: back to the start")
    t.eq(journal(t, "journal"), None, "journal at the end")


@change_scenario("unbind-park", r'''
    state before "$LONE"
    run unbind devown unbind "$LONE" --json
    state parked "$LONE"
    echo "$LONE" > /sys/bus/pci/drivers_probe 2> /dev/null
    state probed "$LONE"
    run again devown unbind "$LONE" --json
    run restore devown restore "$LONE"
    state restored "$LONE"
''')
def _(t):
    lone = t.env.get("LONE")
    t.eq(t.rc("unbind"), 0, "unbind: exit status (stderr %r)" % (t.err("unbind") or "")[:300])
    t.eq(states(t, "parked").get(lone), (None, "none"), "after unbind: no driver, override none")
    t.eq(states(t, "probed").get(lone), (None, "none"), "drivers_probe does not rebind a parked device")
    d = doc(t, "again", "second unbind")
    if d:
        t.eq(d.get("changed"), False, "second unbind: changed")
    t.eq(t.rc("restore"), 0, "restore: exit status")
    same_state(t, "before", "restored", "after restore")


@change_scenario("syslog", r'''
    state before "$LONE"
    syslogd -n -O "$T/messages" &
    SYSLOGD=$!
    wait_for 5 test -S /dev/log
    run bind devown bind "$LONE" vfio-pci
    run restore devown restore "$LONE"
    run status devown status "$LONE"
    sleep 1
    kill "$SYSLOGD"
    wait "$SYSLOGD" 2> /dev/null
    rm -f /dev/log
    rec messages "$T/messages"
    state restored "$LONE"
''')
def _(t):
    """Every change is logged to syslog (daemon.notice), with who did it; status logs
    nothing."""
    lone = t.env.get("LONE") or "?"
    t.eq((t.rc("bind"), t.rc("restore")), (0, 0), "bind and restore: exit status (stderr %r)"
         % ((t.err("bind") or "") + (t.err("restore") or ""))[:300])
    log = [l for l in (t.text("messages") or "").splitlines() if "devown[" in l]
    # Who: the user's name, or the uid where there is no passwd entry (this guest has none).
    want = [r"daemon\.notice devown\[\d+\]: (user root|uid 0): %s \[8086:10d3\] bind\b.*: e1000e -> "
            r"vfio-pci \(driver_override vfio-pci\)$" % re.escape(lone),
            r"daemon\.notice devown\[\d+\]: (user root|uid 0): %s \[8086:10d3\] restore\b.*: vfio-pci "
            r"-> e1000e \(driver_override \(none\)\)$" % re.escape(lone)]
    t.eq(len(log), 2, "syslog lines of devown (bind, restore; none for status): %r" % log)
    for w, line in zip(want, log):
        t.expect(re.search(w, line), "syslog line %r does not match %r" % (line, w))
    same_state(t, "before", "restored", "after the syslog scenario")


@change_scenario("bad-change-input", r'''
    grep -q '^nobody:' /etc/passwd 2> /dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
    grep -q '^nogroup:' /etc/group 2> /dev/null || echo 'nogroup:x:65534:' >> /etc/group
    state before "$LONE" "$MF0" "$MF1" "$BR"
    run badaddr devown bind 0000:zz:00.0 vfio-pci
    run nodev devown bind 0000:7f:1f.7 vfio-pci
    run nogroup devown bind 99999 vfio-pci
    run nodriver devown bind "$LONE" no-such-driver
    run noargs devown unbind
    run badtimeout devown bind --timeout -3 "$LONE" vfio-pci
    run notapply devown status --group
    run user su -s /bin/sh nobody -c "devown bind $LONE vfio-pci"
    run user-dry su -s /bin/sh nobody -c "devown bind --group $MF0 vfio-pci --dry-run"
    state after "$LONE" "$MF0" "$MF1" "$BR"
    recj journal
''')
def _(t):
    for step, mention in (("badaddr", "0000:zz:00.0"), ("nodev", "0000:7f:1f.7"), ("nogroup", "99999"),
                          ("nodriver", "no-such-driver"), ("noargs", "unbind"), ("badtimeout", "-3"),
                          ("notapply", "--group")):
        t.eq(t.rc(step), 2, "%s: exit status" % step)
        t.eq(t.out(step), "", "%s: stdout" % step)
        err = (t.err(step) or "").splitlines()
        diag = [x for x in err if x != "Try 'devown --help'."]
        t.eq(len(diag), 1, "%s: one diagnostic line (%r)" % (step, err))
        t.expect(diag and mention in diag[0], "%s: stderr does not name %r: %r" % (step, mention, err))
    t.eq(t.rc("user"), 1, "bind as a normal user: exit status")
    t.expect("needs root" in (t.err("user") or ""), "bind as a normal user: %r" % (t.err("user") or "")[:300])
    t.eq(t.rc("user-dry"), 0, "bind --dry-run as a normal user: exit status (stderr %r)" % (t.err("user-dry") or "")[:300])
    same_state(t, "before", "after", "after bad input")
    t.eq(journal(t, "journal"), None, "journal after bad input")


@scenario("old-kernel-crash", own_guest=True, timeout=150, when=lambda k: not k.ownership_checks,
          guest=PRELUDE + r'''
    # Debian 11's 5.10 has no DMA ownership checks (REFERENCE.md section 1): with a group held,
    # binding a kernel DMA driver to a member oopses in VFIO's group notifier. devown must refuse
    # the same change before the kernel sees it.
    state before "$MF0" "$MF1"
    run bind devown bind --group "$MF0" vfio-pci
    run park devown unbind "$MF1"
    hold hold "$MF0_GROUP"
    run status devown status --json "$MF0_GROUP"
    run refused devown bind "$MF1" e1000e
    run refused-force devown bind "$MF1" e1000e --force
    run refused-restore devown restore "$MF1"
    state after-refusals "$MF0" "$MF1"
    dmesg > "$T/dmesg-before"
    rec dmesg-before "$T/dmesg-before"
    recs raw-start 1
    echo > "/sys/bus/pci/devices/$MF1/driver_override"
    echo "$MF1" > /sys/bus/pci/drivers/e1000e/bind
    recs raw-survived 1
''')
def _(t):
    e = t.env
    t.eq(t.rc("bind"), 0, "bind --group: exit status (stderr %r)" % (t.err("bind") or "")[:300])
    t.eq(t.rc("park"), 0, "unbind MF1: exit status")
    if not t.expect("ready" in (t.text("hold.ready") or ""), "vfio-hold did not get ready: %r" % t.text("hold.ready")):
        return
    pid = t.vfio_line("hold").get("pid", "?")
    st = t.json("status", "status --json GROUP (held, 5.10)")
    if st:
        t.eq(st.get("kernel", {}).get("dma_ownership_checks"), False, "kernel.dma_ownership_checks on 5.10")
    for step in ("refused", "refused-force", "refused-restore"):
        refused(t, step, "%s: kernel DMA driver into the held group on 5.10" % step, None,
                ("pid %s (vfio-hold)" % pid, "crash"))
    t.eq(states(t, "after-refusals").get(e.get("MF1")), (None, "none"), "MF1 untouched by the refusals")
    bad = re.compile(r"\bBUG\b|Oops|general protection|Call Trace")
    before = t.text("dmesg-before") or ""
    t.eq([x for x in before.splitlines() if bad.search(x)], [], "kernel log after devown's refusals")
    t.eq(t.text("raw-start"), "1", "the raw write was reached")
    # The raw write: the kernel hits the BUG_ON in vfio_iommu_group_notifier and the writer dies.
    t.expect(t.text("raw-survived") is None, "the raw e1000e bind did not kill the writer")
    t.expect(re.search(r"kernel BUG at|BUG:|Oops", t.ctx.console or ""),
             "the console shows no BUG or Oops after the raw write:\n%s" % (t.ctx.console or "")[-1200:])
    t.expect("vfio" in (t.ctx.console or ""), "the oops does not point at VFIO")


# Faults a real host produces in the middle of a change (issue 17): the device goes away
# between the plan and the write (alone, and as the second function of a group), the target
# driver's module is unloaded, the journal cannot be written because /run/devown is full. Each
# ends with a clear error, the host as it was (or exit 4 naming what differs), and nothing lost
# from the journal.
@change_scenario("faults-real", r'''
    state before "$LONE" "$MF0" "$MF1"
    # 1. LONE removed while devown waits before its first write.
    DEVOWN_PAUSE_BEFORE_WRITE=1:3000 devown bind "$LONE" vfio-pci > /dev/null 2> "$T/gone.err" &
    P=$!
    wait_for 10 grep -q "test pause" "$T/gone.err"
    echo 1 > "/sys/bus/pci/devices/$LONE/remove"
    wait "$P"; recs gone.rc $?
    rec gone.err "$T/gone.err"
    recj journal-gone
    echo 1 > /sys/bus/pci/rescan
    wait_for 10 test -e "/sys/bus/pci/devices/$LONE/driver"
    run restore-gone devown restore
    # 2. MF1 removed after MF0 moved: writes 1-3 are MF0's, 4 is MF1's override.
    DEVOWN_PAUSE_BEFORE_WRITE=4:3000 devown bind --group "$MF0" vfio-pci > /dev/null 2> "$T/mid.err" &
    P=$!
    wait_for 15 grep -q "test pause" "$T/mid.err"
    echo 1 > "/sys/bus/pci/devices/$MF1/remove"
    wait "$P"; recs mid.rc $?
    rec mid.err "$T/mid.err"
    state mid-after "$MF0"
    recj journal-mid
    echo 1 > /sys/bus/pci/rescan
    wait_for 10 test -e "/sys/bus/pci/devices/$MF1/driver"
    run restore-mid devown restore
    # 3. vfio_pci unloaded between the override and the bind (writes 1 override, 2 unbind, 3 bind).
    modprobe vfio_pci
    DEVOWN_PAUSE_BEFORE_WRITE=3:3000 devown bind "$LONE" vfio-pci > /dev/null 2> "$T/rmmod.err" &
    P=$!
    wait_for 10 grep -q "test pause" "$T/rmmod.err"
    rmmod vfio_pci; recs rmmod.rc $?
    wait "$P"; recs unload.rc $?
    rec unload.err "$T/rmmod.err"
    recj journal-unload
    run restore-unload devown restore
    # 4. /run/devown full: the journal cannot be written, so nothing may be written.
    mkdir -p /run/devown
    mount -t tmpfs -o size=4k,mode=0755 devownfull /run/devown
    dd if=/dev/zero of=/run/devown/fill bs=1k count=64 2> /dev/null
    run full devown bind "$LONE" vfio-pci
    state full-after "$LONE"
    umount /run/devown
    state after "$LONE" "$MF0" "$MF1"
    recj journal-end
''', timeout=240)
def _(t):
    e = t.env

    def ended(step, what):
        rc = int(t.text(step + ".rc") or -1)
        err = t.err(step) or t.text(step + ".err") or ""
        t.expect(rc in (1, 4), "%s: exit status 1 or 4, got %d (%r)" % (what, rc, err[:300]))
        t.expect(err.strip() and "devown:" in err, "%s: an error message: %r" % (what, err[:300]))
        if rc == 4:
            t.expect("differ" in err, "%s: exit 4 lists what differs: %r" % (what, err[:400]))
        return rc, err

    rc, err = ended("gone", "bind of a device removed before the first write")
    t.eq(rc, 1, "a removed device leaves nothing to undo: exit 1, not 4")
    t.expect((e.get("LONE") + " disappeared") in err, "the removed device is named: %r" % err[:300])
    t.eq(t.rc("restore-gone"), 0, "restore after the removal (%s)" % (t.err("restore-gone") or "")[:300])
    rc, err = ended("mid", "bind --group with the second function removed mid-way")
    t.eq(rc, 1, "MF0 undone, MF1 gone: exit 1")
    t.expect((e.get("MF1") + " disappeared") in err, "the removed function is named: %r" % err[:300])
    if rc == 1:
        t.eq(states(t, "mid-after").get(e.get("MF0"), (None,))[0], "e1000e", "MF0 back on e1000e after the rollback")
    j = journal(t, "journal-mid")
    if rc == 4:
        t.expect(j and e.get("MF0") in str(j), "exit 4: the journal keeps MF0's original state")
    t.eq(t.rc("restore-mid"), 0, "restore after the mid-group removal (%s)" % (t.err("restore-mid") or "")[:300])
    t.eq(t.text("rmmod.rc"), "0", "rmmod vfio_pci during the pause")
    rc, err = ended("unload", "bind with vfio_pci unloaded before the bind write")
    t.eq(t.rc("restore-unload"), 0, "restore after the unload (%s)" % (t.err("restore-unload") or "")[:300])
    t.eq(t.rc("full"), 1, "bind with /run/devown full: exit status (%s)" % (t.err("full") or "")[:300])
    t.expect("journal" in (t.err("full") or ""), "says the journal could not be written: %r" % (t.err("full") or "")[:300])
    t.eq(states(t, "full-after").get(e.get("LONE"), (None,))[0], "e1000e", "nothing written without a journal")
    same_state(t, "before", "after", "after every fault")
    t.eq(journal(t, "journal-end"), None, "journal at the end")
