# SPDX-License-Identifier: GPL-2.0-or-later
"""Real-kernel scenarios of `devown apply` for the vm suite (tests/vm/scenarios.py's
framework). Importing this module registers them with scenarios.scenario, after the
scenarios already defined; scenarios.py imports it at its end:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "apply"))
    import vm_apply  # noqa: E402,F401  (registers the apply scenarios)

They run last in the guest because apply-boot unloads and reloads e1000e and removes and
rescans a device (interface names may change afterwards). Every scenario puts drivers and
overrides back (state-restored checks that).

The configuration directory is DEVOWN_SYSCONFDIR/devown of the build under test (/usr/local/etc
by default, /etc with prefix /usr): the guest makes both point at one directory.
"""

import json

import scenarios
from scenarios import scenario

# Shell helpers every apply scenario starts with: the configuration directory, and the
# position of a device below its host bridge computed from sysfs independently of devown.
PRELUDE = r'''
    CONF=/etc/devown
    mkdir -p "$CONF" /usr/local/etc
    [ -e /usr/local/etc/devown ] || ln -s "$CONF" /usr/local/etc/devown
    rm -f "$CONF"/*.conf
    pathof() {
        _out=
        for _c in $(readlink -f "/sys/bus/pci/devices/$1" | tr '/' ' '); do
            case "$_c" in
            [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7])
                if [ -z "$_out" ]; then _out=$_c; else _out="$_out/${_c#*:*:}"; fi ;;
            esac
        done
        echo "$_out"
    }
    ovr() { cat "/sys/bus/pci/devices/$1/driver_override"; }
'''


def doc(t, step, rc=0):
    """The JSON stdout of step, which must have exited rc."""
    t.eq(t.rc(step), rc, "%s: exit status (stderr: %s)" % (step, (t.err(step) or "").strip()[:300]))
    try:
        d = json.loads(t.out(step) or "")
    except ValueError:
        t.fail("%s: stdout is not JSON: %r" % (step, (t.out(step) or "")[:300]))
        return {}
    t.schema_ok(d, step)
    return d


def actions(d):
    return {x["address"]: (x["action"], x.get("entry")) for x in d.get("devices", [])}


def unchanged_except(t, before, after, moved, what):
    """Every device but those of moved has the (driver, override) it had in before."""
    if not before or not after:
        return
    diff = {a: (before.state().get(a), s) for a, s in after.state().items()
            if a not in moved and before.state().get(a) != s}
    t.eq(diff, {}, "%s: devices that changed but are not in the configuration" % what)


@scenario("apply-config", timeout=240, guest=PRELUDE + r'''
    truth truth-before
    cat > "$CONF/50-vm.conf" << EOF
# The lone e1000e by position and IDs, the multifunction slot's group by address, and one
# e1000 behind the PCIe-to-PCI bridge parked without a driver.
[device lone]
path=$(pathof "$LONE")
vendor=8086
device=10d3
driver=vfio

[device mf]
address=$MF0
driver=vfio
group=yes

[device br-b]
address=$BR_B
driver=none
EOF
    rec conf "$CONF/50-vm.conf"
    run plan devown apply --dry-run --json
    run apply devown apply --json
    truth truth-applied
    run again devown apply --json
    run again-text devown apply
    run export devown export
    run export-json devown export --json
    devown export > "$T/exported.conf"
    run roundtrip devown apply --dry-run --json "$T/exported.conf"
    run restore devown restore --json
    truth truth-restored
    rm -f "$CONF/50-vm.conf"
''')
def _(t):
    e = t.env
    lone, mf0, mf1, brb = e.get("LONE"), e.get("MF0"), e.get("MF1"), e.get("BR_B")
    before = t.truth("truth-before")
    p = doc(t, "plan")
    t.eq(p.get("result"), "would-change", "plan: result")
    t.eq(actions(p), {lone: ("bind", "lone"), mf0: ("bind", "mf"), mf1: ("bind", "mf"),
                      brb: ("unbind", "br-b")}, "plan: devices (action, entry)")
    a = doc(t, "apply")
    t.eq((a.get("result"), a.get("changed"), a.get("command")), ("done", True, "apply"),
         "apply: result, changed, command")
    after = t.truth("truth-applied")
    if after:
        for addr in (lone, mf0, mf1):
            d = after.devices.get(addr, {})
            t.eq((d.get("driver"), d.get("override")), ("vfio-pci", "vfio-pci"), "applied: %s" % addr)
        d = after.devices.get(brb, {})
        t.eq((d.get("driver"), d.get("override")), (None, "none"), "applied: %s parked" % brb)
    unchanged_except(t, before, after, {lone, mf0, mf1, brb}, "applied")
    g = doc(t, "again")
    t.eq((g.get("result"), g.get("changed"), g.get("plan")), ("unchanged", False, []),
         "second apply: result, changed, plan")
    t.eq(sorted(x["action"] for x in g.get("devices", [])), ["none"] * 4, "second apply: every device unchanged")
    if t.ran_ok("again-text", "second apply (text)"):
        t.expect("Nothing to do." in t.out("again-text"), "second apply (text): %r" % t.out("again-text"))
    if t.ran_ok("export"):
        out = t.out("export")
        for addr in (lone, mf0, mf1, brb):
            t.expect("[device %s]" % addr in out, "export: an entry for %s" % addr)
        t.expect("address=" not in out, "export: no address= (%r)" % out[:400])
    x = doc(t, "export-json")
    t.eq(sorted(en.get("current_address") for en in x.get("entries", [])), sorted([lone, mf0, mf1, brb]),
         "export --json: the journaled devices")
    r = doc(t, "roundtrip")
    t.eq((r.get("result"), r.get("changed")), ("unchanged", False), "export -> apply --dry-run")
    doc(t, "restore")
    unchanged_except(t, before, t.truth("truth-restored"), set(), "after restore")


@scenario("apply-mismatch", timeout=120, guest=PRELUDE + r'''
    # The lone e1000e's address, but e1000's IDs: the device there is not the one described.
    cat > "$CONF/50-pinned.conf" << EOF
[device pinned]
address=$LONE
vendor=8086
device=100e
driver=vfio
EOF
    run mismatch devown apply --json
    recdrv drv "$LONE"
    recs ovr "$(ovr "$LONE")"
    run mismatch-dry devown apply --dry-run
    rm -f "$CONF/50-pinned.conf"
''')
def _(t):
    lone = t.env.get("LONE")
    d = doc(t, "mismatch", rc=3)
    t.eq((d.get("result"), d.get("changed"), d.get("devices")), ("unchanged", False, []),
         "mismatch: result, changed, devices")
    mm = d.get("mismatches", [])
    t.eq([(m.get("entry"), m.get("address"), m.get("expected")) for m in mm],
         [("pinned", lone, "vendor=8086 device=100e")], "mismatch: the record")
    t.expect("entry 'pinned' expects vendor=8086 device=100e, but %s is vendor=8086 device=10d3"
             % lone in (t.err("mismatch") or ""), "mismatch: stderr %r" % t.err("mismatch"))
    t.eq(t.drv("drv"), "e1000e", "mismatch: the device keeps its driver")
    t.eq(t.text("ovr"), "(null)", "mismatch: and its override")
    t.eq(t.rc("mismatch-dry"), 3, "mismatch, dry run: exit status")


@scenario("apply-boot", timeout=300, guest=PRELUDE + r'''
    # What happens at boot, step by step, as udev and systemd would run it (devown(8), BOOT).
    cat > "$CONF/50-boot.conf" << EOF
[device lone]
path=$(pathof "$LONE")
vendor=8086
device=10d3
driver=vfio
EOF
    # 1. Before udev's coldplug: the host driver's module is not loaded yet. Stand-in: unload it.
    modprobe -r e1000e
    recdrv drv-unloaded "$LONE"
    # 2. devown-apply.service (Before=systemd-udev-trigger.service): ExecStart.
    run unit devown apply --json
    recdrv drv-unit "$LONE"
    # 3. Coldplug: for every device, 70-devown.rules' RUN, then 80-drivers.rules' module load.
    : > "$T/rule.rc"
    for d in /sys/bus/pci/devices/*; do
        a=${d##*/}
        devown apply --device "$a" > /dev/null 2>> "$T/rule.err"
        echo "$a $?" >> "$T/rule.rc"
    done
    rec rule.rc "$T/rule.rc"
    rec rule.err "$T/rule.err"
    modprobe e1000e
    wait_for 10 test -e "/sys/bus/pci/devices/$MF1/driver"
    recdrv drv-coldplug "$LONE"
    recdrv drv-mf0 "$MF0"
    recdrv drv-mf1 "$MF1"
    # 4. Hotplug while the host driver is loaded: the kernel binds it before udev hears of the
    #    device; the rule then moves it.
    echo 1 > "/sys/bus/pci/devices/$LONE/remove"
    echo 1 > /sys/bus/pci/rescan
    wait_for 10 test -e "/sys/bus/pci/devices/$LONE/driver"
    recdrv drv-rescan "$LONE"
    run hotplug devown apply --json --device "$LONE"
    recdrv drv-hotplug "$LONE"
    # 5. Hotplug before the host driver is loaded: the rule runs first, the module load after
    #    it finds the device taken.
    echo 1 > "/sys/bus/pci/devices/$LONE/remove"
    modprobe -r e1000e
    echo 1 > /sys/bus/pci/rescan
    wait_for 10 test -e "/sys/bus/pci/devices/$LONE"
    recdrv drv-rescan2 "$LONE"
    run hotplug2 devown apply --json --device "$LONE"
    modprobe e1000e
    wait_for 10 test -e "/sys/bus/pci/devices/$MF1/driver"
    recdrv drv-hotplug2 "$LONE"
    # Back: the journal recorded the device unbound at step 2 (the host driver had not taken
    # it yet), so restore clears the override and lets the kernel probe, as at boot.
    run restore devown restore --json
    recdrv drv-restored "$LONE"
    give_back "$LONE" e1000e
    rm -f "$CONF/50-boot.conf"
''')
def _(t):
    e = t.env
    lone = e.get("LONE")
    t.eq(t.drv("drv-unloaded"), "-", "without e1000e the device is unbound")
    u = doc(t, "unit")
    t.eq((u.get("result"), u.get("changed")), ("done", True), "boot unit: result, changed")
    t.eq(t.drv("drv-unit"), "vfio-pci", "boot unit: vfio-pci")
    rcs = dict(line.split() for line in (t.text("rule.rc") or "").splitlines() if line.strip())
    t.expect(rcs and all(v == "0" for v in rcs.values()), "coldplug: every apply --device exit 0: %r" % rcs)
    t.eq(t.text("rule.err") or "", "", "coldplug: stderr of apply --device")
    t.eq(t.drv("drv-coldplug"), "vfio-pci", "coldplug: the host driver never took the configured device")
    t.eq((t.drv("drv-mf0"), t.drv("drv-mf1")), ("e1000e", "e1000e"), "coldplug: the others on e1000e")
    t.eq(t.drv("drv-rescan"), "e1000e", "hotplug, driver loaded: the kernel bound e1000e first")
    h = doc(t, "hotplug")
    t.eq((h.get("result"), actions(h).get(lone)), ("done", ("bind", "lone")), "hotplug: moved")
    t.eq(t.drv("drv-hotplug"), "vfio-pci", "hotplug: vfio-pci")
    t.eq(t.drv("drv-rescan2"), "-", "hotplug, driver not loaded: unbound")
    h2 = doc(t, "hotplug2")
    t.eq(h2.get("result"), "done", "hotplug before the driver: result")
    t.eq(t.drv("drv-hotplug2"), "vfio-pci", "hotplug before the driver: e1000e did not take it")
    doc(t, "restore")
    # The journal says unbound (devown came before the host driver), so restore lets the
    # kernel probe, as at boot: e1000e is loaded by now and takes it.
    t.eq(t.drv("drv-restored"), "e1000e", "restore: the kernel's own choice, as at boot")


# Keep the apply scenarios before the ones that read the final state.
_mine = [s for s in scenarios.SCENARIOS if s.name.startswith("apply-")]
_rest = [s for s in scenarios.SCENARIOS if not s.name.startswith("apply-")]
_final = [s for s in _rest if s.source == "final"]
scenarios.SCENARIOS[:] = [s for s in _rest if s.source != "final"] + _mine + _final
