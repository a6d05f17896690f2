#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixture tests of `devown apply` and `devown export`: the real binary against small fake
roots (fakeroot.py). Writes to a fake tree change nothing real, so these check what apply
decides (plans, refusals, errors, mismatches, idempotence) and that it leaves the tree alone
when it should; the binds themselves are the vm suite's.

    test-apply.py DEVOWN MISMATCH_HELPER CASE

devown runs under $DEVOWN_TEST_WRAPPER (valgrind in `meson test --setup valgrind`).
Checks that need root (a real run takes the lock) are skipped as another user."""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fakeroot import Root  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "schema"))
import schemalib  # noqa: E402

SYSCONFDIR = os.environ.get("DEVOWN_SYSCONFDIR", "/usr/local/etc")
IS_ROOT = os.geteuid() == 0
FAILURES = []
CHECKS = [0]


def check(cond, what):
    CHECKS[0] += 1
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def eq(got, want, what):
    if isinstance(got, dict) and isinstance(want, dict) and got != want:
        # Snapshots are big: name only what differs.
        diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        return check(False, "%s: differs in %s" % (what, ", ".join(diff[:20])))
    return check(got == want, "%s: got %r, want %r" % (what, got, want))


class Run:
    def __init__(self, p):
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr

    def json(self):
        try:
            doc = json.loads(self.out)
        except ValueError:
            check(False, "stdout is not JSON: %r (stderr %r)" % (self.out[:300], self.err[:300]))
            return {}
        return doc


def devown(root, *args, helper=False):
    e = dict(os.environ)
    e.pop("DEVOWN_DEBUG", None)
    e.update({"NO_COLOR": "1", "LC_ALL": "C.UTF-8", "TERM": "dumb", "DEVOWN_ROOT": root})
    wrapper = shlex.split(os.environ.get("DEVOWN_TEST_WRAPPER", ""))
    prog = [ARGS.helper] if helper else [ARGS.devown]
    p = subprocess.run(wrapper + prog + list(args), env=e, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=600)
    if p.returncode == 99:
        check(False, "valgrind reported errors for %s:\n%s" % (" ".join(args), p.stderr))
    if "--json" in args and not helper and p.stdout.strip():
        check_schema(p.stdout, "devown " + " ".join(args))
    return Run(p)


def check_schema(text, what):
    """Every JSON document devown prints here must match schema/devown.schema.json (text that
    is not JSON is for Run.json() to report)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return
    problems = schemalib.errors(doc)
    check(not problems, "%s: the JSON does not match the schema (%s): %s" % (
        what, schemalib.definition_for(doc), "; ".join(problems[:10])))


# What status remembers between runs (devown(8), FILES): derived from pci.ids and kallsyms,
# written by any scan as root, safe to delete; not state that a run may or may not change.
MEMORIES = ("run/devown/names", "run/devown/kernel-checks")


def snapshot(root):
    """Every file and link of the tree below sys/ and run/, with contents, but MEMORIES: a run
    that must change nothing must leave this equal."""
    snap = {}
    for top in ("sys", "run", "dev"):
        for dirpath, dirs, files in os.walk(os.path.join(root, top)):
            for n in dirs + files:
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, root)
                if rel in MEMORIES:
                    continue
                if os.path.islink(p):
                    snap[rel] = "-> " + os.readlink(p)
                elif os.path.isfile(p):
                    with open(p, "rb") as f:
                        snap[rel] = f.read()
    return snap


def conf_dir(root):
    d = os.path.join(root, SYSCONFDIR.lstrip("/"), "devown")
    os.makedirs(d, exist_ok=True)
    return d


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


# ---- trees -------------------------------------------------------------------------------

NIC = (0x8086, 0x10d3, 0x020000)
GPU = (0x10de, 0x1eb8, 0x030000)
AUDIO = (0x10de, 0x10f8, 0x040300)
MLX = (0x15b3, 0x101d, 0x020000)
BRIDGE = (0x8086, 0xa110, 0x060400)


def host(tmp, name, renumbered=False, configured=False):
    """Root ports 00:1b.0, 00:1c.0, 00:1d.0 and 00:1e.0; behind 00:1c.0 a NIC (slot 4, with a
    serial number), behind 00:1d.0 a GPU with its audio function (one group), behind 00:1e.0
    the NIC's twin (slot 5, another serial). renumbered: a new card behind 00:1b.0 takes bus 03
    and every bus after it moves up by one, as after inserting a card. configured: the state
    apply of BASIC_CONF leaves."""
    r = Root(os.path.join(tmp, name))
    s = 1 if renumbered else 0
    drv = lambda host_drv: "vfio-pci" if configured else host_drv  # noqa: E731
    ovr = "vfio-pci" if configured else None
    r.add("0000:00:1b.0", *BRIDGE, driver="pcieport", group=1)
    r.add("0000:00:1c.0", *BRIDGE, driver="pcieport", group=2)
    r.add("0000:00:1d.0", *BRIDGE, driver="pcieport", group=3)
    r.add("0000:00:1e.0", *BRIDGE, driver="pcieport", group=4)
    if renumbered:
        r.add("0000:03:00.0", *MLX, driver="mlx5_core", group=10, parent="0000:00:1b.0")
    nic = "0000:%02x:00.0" % (3 + s)
    gpu = "0000:%02x:00.0" % (4 + s)
    audio = "0000:%02x:00.1" % (4 + s)
    twin = "0000:%02x:00.0" % (5 + s)
    r.add(nic, *NIC, driver=drv("e1000e"), override=ovr, group=11, parent="0000:00:1c.0",
          subsys=(0x8086, 0xa01f), serial="00-1b-21-ff-ff-6b-8e-5c")
    r.add(gpu, *GPU, driver=drv("nouveau"), override=ovr, group=12, parent="0000:00:1d.0",
          subsys=(0x10de, 0x12a2))
    r.add(audio, *AUDIO, driver=drv("snd_hda_intel"), override=ovr, group=12, parent="0000:00:1d.0",
          subsys=(0x10de, 0x12a2))
    r.add(twin, *NIC, driver="e1000e", group=13, parent="0000:00:1e.0", subsys=(0x8086, 0xa01f),
          serial="00-1b-21-ff-ff-6b-8e-99")
    r.slot("4", nic[:-2])
    r.slot("5", twin[:-2])
    r.build()
    return r.root, {"nic": nic, "gpu": gpu, "audio": audio, "twin": twin}


BASIC_CONF = """\
# The NIC in slot 4 and the GPU (with its audio function) for VMs.
[device nic]
path=0000:00:1c.0/00.0
vendor=8086
device=10d3
driver=vfio

[device gpu]
vendor=10de
device=1eb8
subsystem=10de:12a2
driver=vfio
group=yes
"""


def devices_by_addr(doc):
    return {d["address"]: d for d in doc.get("devices", [])}


# ---- cases -------------------------------------------------------------------------------

def case_parse_errors(tmp):
    """Malformed files: exit 2, one line on stderr naming file and line, nothing on stdout,
    nothing written (not even the lock), whether the file is named or in the directory."""
    root, a = host(tmp, "h")
    bad = {
        "unknown-key": ("[device nic]\naddress=%s\ndrivr=vfio\n" % a["nic"], 3, "unknown key 'drivr'"),
        "bad-value": ("[device nic]\nvendor=80866\ndriver=vfio\n", 2, "invalid vendor '80866'"),
        "duplicate-key": ("[device nic]\nvendor=8086\nvendor=8086\ndriver=vfio\n", 3, "duplicate key 'vendor'"),
        "no-section": ("driver=vfio\n", 1, "outside of a [device NAME] section"),
        "no-driver": ("# x\n[device nic]\naddress=%s\n" % a["nic"], 2, "has no driver="),
        "bad-group": ("[device g]\nvendor=10de\ndriver=vfio\ngroup=1\n", 4, "invalid group '1'"),
        # Selection problems are found after the scan; still nothing may be written.
        "several": ("[device n]\nvendor=8086\ndevice=10d3\ndriver=vfio\n", 1,
                    "matches 2 devices (%s, %s)" % (a["nic"], a["twin"])),
        "none": ("[device n]\nvendor=1af4\ndriver=vfio\n", 1, "matches no device"),
        "conflict": ("[device a]\naddress=%s\ndriver=none\n[device g]\naddress=%s\ngroup=yes\n"
                     "driver=vfio\n" % (a["audio"], a["gpu"]), 4, "entry 'a'"),
        "unknown-driver": ("[device n]\nslot=4\ndriver=no_such_driver\n", 3,
                           "unknown driver 'no_such_driver'"),
    }
    before = snapshot(root)
    for name, (text, line, says) in sorted(bad.items()):
        f = write(os.path.join(tmp, name + ".conf"), text)
        for args in (["apply", f], ["apply", "--json", f], ["apply", "--dry-run", "--json", f]):
            if not IS_ROOT and "--dry-run" not in args:
                continue
            r = devown(root, *args)
            what = "%s: devown %s" % (name, " ".join(args[:-1]))
            eq(r.rc, 2, what + ": exit status")
            eq(r.out, "", what + ": stdout")
            lines = r.err.splitlines()
            eq(len(lines), 1, what + ": stderr lines %r" % lines)
            check(lines and lines[0].startswith("devown: %s:%d: " % (f, line)),
                  what + ": stderr names file and line %d: %r" % (line, r.err))
            check(says in r.err, what + ": stderr says %r: %r" % (says, r.err))
            check("nothing was changed" in r.err, what + ": says nothing was changed")
    after = snapshot(root)
    # Selection errors are found after the scan, under the lock: the lock file may be new.
    after.pop("run/devown/lock", None)
    eq(after, before, "the tree after every malformed configuration")
    check(not os.path.exists(os.path.join(root, "run/devown/journal.json")), "no journal written")

    # The directory: a broken file among good ones stops everything, and names itself.
    d = conf_dir(root)
    write(os.path.join(d, "10-good.conf"), BASIC_CONF)
    write(os.path.join(d, "20-bad.conf"), "[device x]\naddress=%s\ndriver=vfio\nfoo=bar\n" % a["twin"])
    r = devown(root, "apply", "--dry-run")
    eq(r.rc, 2, "directory with a broken file: exit status")
    check(("%s/20-bad.conf:4: unknown key 'foo'" % d) in r.err, "names 20-bad.conf:4: %r" % r.err)
    eq(r.out, "", "directory with a broken file: stdout")
    # The same name in two files.
    os.unlink(os.path.join(d, "20-bad.conf"))
    write(os.path.join(d, "30-again.conf"), "[device nic]\naddress=%s\ndriver=vfio\n" % a["twin"])
    r = devown(root, "apply", "--dry-run")
    eq(r.rc, 2, "duplicate entry across files: exit status")
    check(("30-again.conf:1: duplicate entry name 'nic' (first at %s/10-good.conf:2)" % d) in r.err,
          "duplicate entry across files: %r" % r.err)
    # A named file that does not exist.
    r = devown(root, "apply", "--dry-run", os.path.join(tmp, "missing.conf"))
    eq(r.rc, 2, "missing file: exit status")
    check("missing.conf: cannot open it" in r.err, "missing file: %r" % r.err)


def plan_of(root, conf_text, tmp, name="c.conf", extra=()):
    f = write(os.path.join(tmp, name), conf_text)
    r = devown(root, "apply", "--dry-run", "--json", *extra, f)
    return r, (r.json() if r.out else {}), f


def selected(doc, action="bind"):
    return sorted(d["address"] for d in doc.get("devices", []) if d["action"] == action)


def case_fingerprints(tmp):
    """Each selector picks the device it names, and only it: path, slot, serial, subsystem,
    class, address; twins told apart by position or serial."""
    root, a = host(tmp, "h")
    cases = [
        ("path", "path=0000:00:1e.0/00.0\nvendor=8086", [a["twin"]]),
        ("slot", "slot=4", [a["nic"]]),
        ("slot-twin", "slot=5\nvendor=8086\ndevice=10d3", [a["twin"]]),
        ("serial", "serial=00-1B-21-FF-FF-6B-8E-99", [a["twin"]]),
        ("serial-ids", "vendor=8086\ndevice=10d3\nserial=00-1b-21-ff-ff-6b-8e-5c", [a["nic"]]),
        ("subsystem", "subsystem=10de:12a2\nclass=0300", [a["gpu"]]),
        ("class-base", "class=04", [a["audio"]]),
        ("address", "address=%s" % a["twin"][5:], [a["twin"]]),
        ("all-twins", "vendor=8086\ndevice=10d3\nmatch=all", [a["nic"], a["twin"]]),
        ("group", "address=%s\ngroup=yes" % a["audio"], [a["audio"], a["gpu"]]),
    ]
    for name, keys, want in cases:
        # driver=none: parking has no group rule, so each selection shows alone.
        r, doc, f = plan_of(root, "[device x]\n%s\ndriver=none\n" % keys, tmp, name + ".conf")
        eq(r.rc, 0, "%s: exit status (stderr %r)" % (name, r.err))
        eq(selected(doc, "unbind"), sorted(want), "%s: devices to park" % name)
        eq(doc.get("result"), "would-change", "%s: result" % name)
        for d in doc.get("devices", []):
            eq(d.get("entry"), "x", "%s: entry of %s" % (name, d["address"]))
            eq(d.get("source"), f + ":1", "%s: source of %s" % (name, d["address"]))


def case_renumbered(tmp):
    """The same fingerprint at a new address: a new card before the NIC moved every bus up by
    one. Entries by path and IDs (what export writes) find the devices at their new
    addresses; an entry by serial alone too."""
    root, a = host(tmp, "h", renumbered=True)
    eq(a["nic"], "0000:04:00.0", "the NIC moved")
    r, doc, f = plan_of(root, BASIC_CONF + "[device twin]\nserial=00-1b-21-ff-ff-6b-8e-99\ndriver=none\n", tmp)
    eq(r.rc, 0, "renumbered: exit status (%r)" % r.err)
    eq(selected(doc), sorted([a["nic"], a["gpu"], a["audio"]]), "renumbered: devices to bind")
    eq(selected(doc, "unbind"), [a["twin"]], "renumbered: device to park")
    byaddr = devices_by_addr(doc)
    eq(byaddr.get(a["nic"], {}).get("entry"), "nic", "renumbered: the NIC's entry")
    check("0000:03:00.0" not in byaddr, "renumbered: the new card at the NIC's old address is left alone")
    eq(doc.get("mismatches"), [], "renumbered: no mismatches")


def case_mismatch(tmp):
    """An entry pinned to an address where another device now sits: that device is left alone,
    the mismatch is reported (stderr, JSON, exit 3), everything else still goes ahead."""
    root, a = host(tmp, "h", renumbered=True, configured=True)
    conf = ("[device pinned]\naddress=0000:03:00.0\nvendor=8086\ndevice=10d3\ndriver=vfio\n"
            "[device gpu]\nvendor=10de\ndevice=1eb8\ndriver=vfio\ngroup=yes\n")
    before = snapshot(root)
    r, doc, f = plan_of(root, conf, tmp)
    eq(r.rc, 3, "mismatch: exit status")
    mm = doc.get("mismatches", [])
    eq(len(mm), 1, "mismatch: one mismatch")
    if mm:
        eq(mm[0].get("entry"), "pinned", "mismatch: entry")
        eq(mm[0].get("address"), "0000:03:00.0", "mismatch: address")
        eq(mm[0].get("file"), f, "mismatch: file")
        eq(mm[0].get("line"), 1, "mismatch: line")
        eq(mm[0].get("expected"), "vendor=8086 device=10d3", "mismatch: expected")
        check("vendor=15b3 device=101d" in mm[0].get("found", ""), "mismatch: found %r" % mm[0].get("found"))
    check("0000:03:00.0" not in devices_by_addr(doc), "mismatch: the other card is not planned for")
    eq(doc.get("result"), "unchanged", "mismatch: the rest (already configured) is unchanged")
    check(("devown: %s:1: entry 'pinned' expects vendor=8086 device=10d3, but 0000:03:00.0 is "
           "vendor=15b3 device=101d" % f) in r.err, "mismatch: stderr %r" % r.err)
    if IS_ROOT:
        r = devown(root, "apply", f)
        eq(r.rc, 3, "mismatch, real run: exit status")
        check("left alone" in r.err, "mismatch, real run: stderr %r" % r.err)
        after = snapshot(root)
        after.pop("run/devown/lock", None)
        eq(after, before, "mismatch, real run: the tree")
    # Text output of a dry run with something else to do: the rest is planned.
    root2, a2 = host(tmp, "h2", renumbered=True)
    r, doc, f = plan_of(root2, conf, tmp, "c2.conf")
    eq(r.rc, 3, "mismatch with work: exit status")
    eq(selected(doc), sorted([a2["gpu"], a2["audio"]]), "mismatch with work: the GPU still goes")
    eq(doc.get("result"), "would-change", "mismatch with work: result")


def case_plan_json(tmp):
    """apply --dry-run --json: bind's report with apply's additions, the steps in the safe order,
    refusals as bind's, text and JSON from the same plan."""
    root, a = host(tmp, "h")
    before = snapshot(root)
    r, doc, f = plan_of(root, BASIC_CONF, tmp)
    eq(r.rc, 0, "plan: exit status (%r)" % r.err)
    eq(r.err, "", "plan: stderr")
    for k, v in (("schema", 1), ("command", "apply"), ("dry_run", True), ("result", "would-change"),
                 ("changed", False), ("error", None), ("refusals", []), ("mismatches", []),
                 ("files", [f])):
        eq(doc.get(k), v, "plan: %s" % k)
    nic = devices_by_addr(doc).get(a["nic"], {})
    eq(nic.get("action"), "bind", "plan: NIC action")
    eq(nic.get("from"), {"driver": "e1000e", "driver_override": None}, "plan: NIC from")
    eq(nic.get("to"), {"driver": "vfio-pci", "driver_override": "vfio-pci"}, "plan: NIC to")
    eq(nic.get("source"), f + ":2", "plan: NIC source")
    steps = [(s["step"], s.get("address"), s.get("driver") or s.get("value") or s.get("module") or s.get("group"))
             for s in doc.get("plan", [])]
    want = [("load-module", None, "vfio_iommu_type1")]
    for addr, drv in ((a["nic"], "e1000e"), (a["gpu"], "nouveau"), (a["audio"], "snd_hda_intel")):
        want += [("set-override", addr, "vfio-pci"), ("unbind", addr, drv), ("bind", addr, "vfio-pci")]
    want += [("wait-vfio", None, 11), ("check-viable", None, 11), ("wait-vfio", None, 12),
             ("check-viable", None, 12)]
    eq(steps, want, "plan: steps")
    t = devown(root, "apply", "--dry-run", f)
    eq(t.rc, 0, "plan text: exit status")
    check("%s: would move e1000e -> vfio-pci" % a["nic"] in t.out, "plan text: NIC line %r" % t.out)
    check("It would go ahead." in t.out, "plan text: verdict")
    # The bind rules hold: one function of a shared group alone is refused (exit 3).
    r, doc, f = plan_of(root, "[device gpu]\naddress=%s\ndriver=vfio\n" % a["gpu"], tmp, "partial.conf")
    eq(r.rc, 3, "partial group: exit status")
    eq(doc.get("result"), "refused", "partial group: result")
    eq([x.get("rule") for x in doc.get("refusals", [])], ["partial-group"], "partial group: rule")
    # A bridge named explicitly is refused; pulled in by group=yes it is skipped.
    r, doc, f = plan_of(root, "[device rp]\naddress=0000:00:1c.0\ndriver=vfio\n", tmp, "bridge.conf")
    eq(r.rc, 3, "bridge: exit status")
    eq([x.get("rule") for x in doc.get("refusals", [])], ["bridge"], "bridge: rule")
    # driver=none parks.
    r, doc, f = plan_of(root, "[device t]\nslot=5\ndriver=none\n", tmp, "none.conf")
    eq(r.rc, 0, "none: exit status")
    eq(devices_by_addr(doc).get(a["twin"], {}).get("to"), {"driver": None, "driver_override": "none"},
       "none: parked")
    eq(snapshot(root), before, "dry runs wrote nothing")


def case_idempotent(tmp):
    """A host already in the configured state: unchanged, changed false, exit 0, nothing
    written, every time."""
    root, a = host(tmp, "h", configured=True)
    # The twin parked by driver=none, as apply leaves it.
    tw = os.path.join(root, "sys/bus/pci/devices", a["twin"])
    drv = os.path.realpath(os.path.join(tw, "driver"))
    os.unlink(os.path.join(tw, "driver"))
    os.unlink(os.path.join(drv, a["twin"]))
    write(os.path.join(tw, "driver_override"), "none\n")
    conf = BASIC_CONF + "[device twin]\nslot=5\ndriver=none\n"
    d = conf_dir(root)
    write(os.path.join(d, "50-host.conf"), conf)
    before = snapshot(root)
    r = devown(root, "apply", "--dry-run", "--json")
    eq(r.rc, 0, "dry run: exit status")
    doc = r.json()
    eq((doc.get("result"), doc.get("changed")), ("unchanged", False), "dry run: result, changed")
    eq(sorted((x["address"], x["action"]) for x in doc.get("devices", [])),
       sorted([(a["nic"], "none"), (a["gpu"], "none"), (a["audio"], "none"), (a["twin"], "none")]),
       "dry run: every device unchanged")
    eq(doc.get("plan"), [], "dry run: no steps")
    eq(doc.get("files"), [os.path.join(d, "50-host.conf")], "dry run: files")
    if not IS_ROOT:
        return
    for i in (1, 2):
        r = devown(root, "apply", "--json")
        eq(r.rc, 0, "run %d: exit status (%r)" % (i, r.err))
        doc = r.json()
        eq((doc.get("result"), doc.get("changed"), doc.get("dry_run")), ("unchanged", False, False),
           "run %d: result, changed, dry_run" % i)
        eq([x.get("note") for x in doc.get("devices", [])].count("already bound to vfio-pci"), 3,
           "run %d: notes" % i)
    t = devown(root, "apply")
    eq(t.rc, 0, "text: exit status")
    check("Nothing to do." in t.out and "%s: already bound to vfio-pci" % a["nic"] in t.out,
          "text: says so %r" % t.out)
    after = snapshot(root)
    check(after.pop("run/devown/lock", None) is not None, "a real run took the lock")
    eq(after, before, "the tree after three runs")


def case_export_roundtrip(tmp):
    """export prints the journaled devices as entries apply reads back: unchanged on the same
    host; after renumbering (and a reboot: host drivers again) it selects the same devices at
    their new addresses. --json says the same."""
    root, a = host(tmp, "h", configured=True)
    os.makedirs(os.path.join(root, "run/devown"), exist_ok=True)
    journal = {"schema": 1, "devices": [
        {"address": a[k], "vendor_id": "0x%04x" % ids[0], "device_id": "0x%04x" % ids[1],
         "driver": drv, "driver_override": None, "group": g, "since": "2024-05-01T10:00:00Z",
         "reason": "apply"}
        for k, ids, drv, g in (("nic", NIC, "e1000e", 11), ("gpu", GPU, "nouveau", 12),
                                ("audio", AUDIO, "snd_hda_intel", 12))]}
    write(os.path.join(root, "run/devown/journal.json"), json.dumps(journal))
    e = devown(root, "export")
    eq(e.rc, 0, "export: exit status (%r)" % e.err)
    eq(e.err, "", "export: stderr")
    check("path=0000:00:1c.0/00.0" in e.out and "serial=00-1b-21-ff-ff-6b-8e-5c" in e.out,
          "export: fingerprints %r" % e.out)
    check("address=" not in e.out, "export: no address= (it would pin the entry)")
    check("(host driver: e1000e)" in e.out, "export: comment names the host driver")
    f = write(os.path.join(tmp, "exported.conf"), e.out)
    r = devown(root, "apply", "--dry-run", "--json", f)
    eq(r.rc, 0, "round trip: exit status (%r)" % r.err)
    doc = r.json()
    eq((doc.get("result"), doc.get("changed")), ("unchanged", False), "round trip: unchanged")
    eq(sorted(x["address"] for x in doc.get("devices", [])), sorted([a["nic"], a["gpu"], a["audio"]]),
       "round trip: the journaled devices")

    j = devown(root, "export", "--json")
    eq(j.rc, 0, "export --json: exit status")
    entries = j.json().get("entries", [])
    eq([(x["name"], x["current_address"], x["driver"], x["path"], x["vendor"], x["device"],
         x["subsystem"], x["address"]) for x in entries],
       [(a["nic"], a["nic"], "vfio-pci", "0000:00:1c.0/00.0", "8086", "10d3", "8086:a01f", None),
        (a["gpu"], a["gpu"], "vfio-pci", "0000:00:1d.0/00.0", "10de", "1eb8", "10de:12a2", None),
        (a["audio"], a["audio"], "vfio-pci", "0000:00:1d.0/00.1", "10de", "10f8", "10de:12a2", None)],
       "export --json: entries")
    eq([x.get("host_driver") for x in entries], ["e1000e", "nouveau", "snd_hda_intel"],
       "export --json: host drivers")

    root2, a2 = host(tmp, "renumbered", renumbered=True)
    r = devown(root2, "apply", "--dry-run", "--json", f)
    eq(r.rc, 0, "renumbered round trip: exit status (%r)" % r.err)
    doc = r.json()
    eq(selected(doc), sorted([a2["nic"], a2["gpu"], a2["audio"]]), "renumbered round trip: devices")
    eq(doc.get("result"), "would-change", "renumbered round trip: result")

    # No journal: an empty configuration, which apply takes as nothing to do.
    root3, _ = host(tmp, "empty")
    e = devown(root3, "export")
    eq(e.rc, 0, "export without a journal: exit status")
    check("[device" not in e.out, "export without a journal: no entries")
    eq(devown(root3, "export", "--json").json().get("entries"), [], "export --json without a journal")


def case_device_filter(tmp):
    """apply --device ADDR (udev): nothing, not even the lock, for a device no entry concerns;
    the whole group of a group=yes entry for any of its members; mismatches of that device."""
    root, a = host(tmp, "h")
    d = conf_dir(root)
    write(os.path.join(d, "50-host.conf"), BASIC_CONF)
    before = snapshot(root)
    r = devown(root, "apply", "--device", a["twin"])
    eq(r.rc, 0, "unconcerned: exit status")
    eq(r.out.strip(), "Nothing to do: no entry of the configuration concerns %s." % a["twin"],
       "unconcerned: stdout")
    eq(snapshot(root), before, "unconcerned: nothing written, not even the lock")
    r = devown(root, "apply", "--device", a["twin"], "--json")
    doc = r.json()
    eq((r.rc, doc.get("result"), doc.get("changed"), doc.get("devices")), (0, "unchanged", False, []),
       "unconcerned --json")
    r = devown(root, "apply", "--dry-run", "--json", "--device", a["audio"][5:])
    eq(r.rc, 0, "group member: exit status (%r)" % r.err)
    doc = r.json()
    eq(selected(doc), sorted([a["gpu"], a["audio"]]), "group member: the whole group, nothing else")
    eq(doc.get("command"), "apply", "group member: command")
    r = devown(root, "apply", "--dry-run", "--device", "03:00")
    eq(r.rc, 2, "bad --device: exit status")
    check("--device '03:00' is not a PCI address" in r.err, "bad --device: %r" % r.err)
    r = devown(root, "status", "--device", a["nic"])
    eq(r.rc, 2, "--device with status: exit status")
    # An entry elsewhere that matches nothing does not stop the device's own entries.
    write(os.path.join(d, "60-absent.conf"), "[device gone]\nvendor=1af4\ndriver=vfio\n")
    r = devown(root, "apply", "--dry-run", "--json", "--device", a["nic"])
    eq(r.rc, 0, "other entry broken: exit status (%r)" % r.err)
    eq(selected(r.json()), [a["nic"]], "other entry broken: the NIC")
    r = devown(root, "apply", "--dry-run", "--json")
    eq(r.rc, 2, "without --device the absent entry is an error")


def case_status_mismatches(tmp):
    """config_mismatches(), what `devown status` is to show: one record per device that sits
    where an entry expects another, found entry by entry (a broken neighbour does not hide
    it); a configuration error comes back as one line."""
    root, a = host(tmp, "h", renumbered=True)
    d = conf_dir(root)
    write(os.path.join(d, "10-pinned.conf"),
          "[device pinned]\naddress=0000:03:00.0\nvendor=8086\ndevice=10d3\ndriver=vfio\n"
          "[device gone]\nvendor=1af4\ndriver=vfio\n"
          "[device ok]\npath=0000:00:1c.0/00.0\nvendor=8086\ndriver=vfio\n")
    r = devown(root, helper=True)
    eq(r.rc, 0, "helper: exit status (%r)" % r.err)
    doc = r.json()
    eq([(m["entry"], m["address"], m["line"]) for m in doc], [("pinned", "0000:03:00.0", 1)],
       "mismatches")
    if doc:
        eq(doc[0]["text"], "%s/10-pinned.conf:1: entry 'pinned' expects vendor=8086 device=10d3, but "
           "0000:03:00.0 is vendor=15b3 device=101d subsystem=15b3:101d class=020000; it is left "
           "alone" % d, "mismatch text")
    write(os.path.join(d, "20-broken.conf"), "[device x\n")
    r = devown(root, helper=True)
    eq(r.rc, 1, "broken configuration: helper exit status")
    check("20-broken.conf:1: a section line must end with ']'" in r.err, "broken: %r" % r.err)


def case_status_boot(tmp):
    """status's boot story: journal entries made at boot (origin), configured devices a host
    driver holds that devown never changed (with what to do), and the command line and
    modprobe.d directives that concern the configured devices."""
    root, a = host(tmp, "h")
    write(os.path.join(conf_dir(root), "50-boot.conf"), BASIC_CONF)
    os.makedirs(os.path.join(root, "run/devown"), exist_ok=True)
    write(os.path.join(root, "run/devown/journal.json"), json.dumps({"schema": 1, "devices": [
        {"address": a["gpu"], "vendor_id": "0x10de", "device_id": "0x1eb8", "driver": None,
         "driver_override": None, "group": 12, "since": "2024-05-01T10:00:00Z",
         "reason": "apply", "origin": "initramfs"},
        {"address": a["audio"], "vendor_id": "0x10de", "device_id": "0x10f8", "driver": None,
         "driver_override": None, "group": 12, "since": "2024-05-01T10:00:00Z",
         "reason": "apply"}]}))
    write(os.path.join(root, "proc/cmdline"),
          "BOOT_IMAGE=/vmlinuz root=/dev/sda1 vfio-pci.ids=8086:10d3 modprobe.blacklist=nouveau\n")
    for d in ("etc/modprobe.d", "lib/modprobe.d"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    write(os.path.join(root, "etc/modprobe.d/vfio.conf"), "# the blunt way\nsoftdep e1000e pre: vfio-pci\n")
    write(os.path.join(root, "lib/modprobe.d/vfio.conf"), "blacklist e1000e\n")  # hidden by /etc's
    r = devown(root, "status", "--json")
    eq(r.rc, 0, "status: exit status (%r)" % r.err)
    doc = r.json()
    boot = doc.get("boot") or {}
    eq([(m["address"], m.get("origin")) for m in doc.get("managed", [])],
       [(a["gpu"], "initramfs"), (a["audio"], "command")], "managed: origin")
    eq([(b["address"], b["origin"], b["driver"], b["previous_driver"]) for b in boot.get("bound", [])],
       [(a["gpu"], "initramfs", "nouveau", None)], "boot.bound")
    eq([(t["address"], t["entry"], t["driver"], t["wanted"]) for t in boot.get("taken_first", [])],
       [(a["nic"], "nic", "e1000e", "vfio")], "boot.taken_first")
    check(all("update-initramfs -u" in t["hint"] for t in boot.get("taken_first", [])),
          "taken_first: the hint names update-initramfs")
    eq([(c["directive"], c["source"], c["module"], c["devices"], c["others"])
        for c in boot.get("conflicts", [])],
       [("vfio-pci.ids", "/proc/cmdline", "vfio_pci", [a["nic"]], [a["twin"]]),
        ("blacklist", "/proc/cmdline", "nouveau", [a["gpu"]], []),
        ("softdep", "/etc/modprobe.d/vfio.conf:2", "e1000e", [a["nic"]], [])], "boot.conflicts")
    t = devown(root, "status")
    eq(t.rc, 0, "status text: exit status")
    for want in ("devown changed %s at boot, in the initramfs" % a["gpu"],
                 "%s (entry nic, driver=vfio): e1000e took %s before devown could act" % (a["nic"], a["nic"]),
                 "boot: 'vfio-pci.ids=8086:10d3' (/proc/cmdline) gives vfio-pci every device with these "
                 "IDs, also %s" % a["twin"],
                 "boot: 'softdep e1000e pre: vfio-pci' (/etc/modprobe.d/vfio.conf:2)"):
        check(want in t.out, "status text: %r in\n%s" % (want, t.out[:1500]))
    # A journal origin that is not one of the four makes the journal corrupt.
    write(os.path.join(root, "run/devown/journal.json"), json.dumps({"schema": 1, "devices": [
        {"address": a["gpu"], "vendor_id": "0x10de", "device_id": "0x1eb8", "driver": None,
         "driver_override": None, "group": 12, "origin": "cron"}]}))
    r = devown(root, "status", "--json")
    check("unreadable or corrupt" in r.err, "origin cron: %r" % r.err)
    r = devown(root, "apply", "--dry-run", "--origin", "cron")
    eq(r.rc, 2, "--origin cron: exit status")
    check("invalid --origin 'cron'" in r.err, "--origin cron: %r" % r.err)


def case_no_config(tmp):
    """No configuration at all: nothing to do, exit 0, as text and JSON, without root."""
    root, a = host(tmp, "h")
    before = snapshot(root)
    r = devown(root, "apply")
    eq(r.rc, 0, "no configuration: exit status")
    check(r.out.startswith("Nothing to do: no [device] entries in"), "no configuration: %r" % r.out)
    doc = devown(root, "apply", "--json").json()
    eq((doc.get("result"), doc.get("changed"), doc.get("files")), ("unchanged", False, []),
       "no configuration --json")
    conf_dir(root)
    write(os.path.join(conf_dir(root), "README"), "not a .conf file\n")
    eq(devown(root, "apply", "--json").json().get("result"), "unchanged", "only non-.conf files")
    after = snapshot(root)
    eq(after, before, "no configuration: nothing written")


def case_data_files(tmp):
    """The installed udev rule and unit, as configured: they run this devown's apply, read the
    sysconfdir it reads, and are ordered as devown(8) explains."""
    data = os.path.join(os.path.dirname(os.path.abspath(ARGS.devown)), "data")
    rule = open(os.path.join(data, "70-devown.rules")).read()
    unit = open(os.path.join(data, "devown-apply.service")).read()
    lines = [x for x in rule.splitlines() if x and not x.startswith("#")]
    eq(lines[:3], ['ACTION!="add", GOTO="devown_end"', 'SUBSYSTEM!="pci", GOTO="devown_end"',
                   'TEST!="%s/devown", GOTO="devown_end"' % SYSCONFDIR], "rule: conditions")
    check(any(x.startswith('RUN+="') and x.endswith('/devown apply --origin udev --device $kernel"') for x in lines),
          "rule: RUN apply --device: %r" % lines)
    eq(lines[-1], 'LABEL="devown_end"', "rule: label")
    check(int("70-devown.rules"[:2]) < 80, "rule file sorts before 80-drivers.rules")
    check("@" not in rule and "@" not in unit, "no unsubstituted @VARIABLES@")
    sections, cur = {}, None
    for x in unit.splitlines():
        if x.startswith("["):
            cur = sections.setdefault(x.strip("[]"), {})
        elif "=" in x and not x.startswith("#") and cur is not None:
            k, v = x.split("=", 1)
            cur.setdefault(k, []).extend(v.split())
    u, s = sections.get("Unit", {}), sections.get("Service", {})
    eq(u.get("DefaultDependencies"), ["no"], "unit: DefaultDependencies")
    for t in ("systemd-udev-trigger.service", "systemd-modules-load.service", "network-pre.target",
              "sysinit.target"):
        check(t in u.get("Before", []), "unit: Before=%s" % t)
    eq(u.get("ConditionPathExistsGlob"), ["%s/devown/*.conf" % SYSCONFDIR], "unit: condition")
    eq(s.get("Type"), ["oneshot"], "unit: Type")
    check(s.get("ExecStart", [""])[0].endswith("/devown") and s.get("ExecStart")[1:] == ["apply", "--origin", "unit"],
          "unit: ExecStart %r" % s.get("ExecStart"))
    eq(sections.get("Install", {}).get("WantedBy"), ["sysinit.target"], "unit: WantedBy")
    sa = shutil.which("systemd-analyze")
    if sa:
        # verify wants the ExecStart binary to exist: point it at this build's devown.
        unit2 = os.path.join(tmp, "devown-apply.service")
        write(unit2, "\n".join("ExecStart=%s apply --origin unit" % os.path.abspath(ARGS.devown)
                               if x.startswith("ExecStart=") else x for x in unit.splitlines()) + "\n")
        p = subprocess.run([sa, "verify", "--man=no", unit2], capture_output=True, text=True)
        msgs = [x for x in p.stderr.splitlines() if "devown-apply" in x]
        eq(msgs, [], "systemd-analyze verify")


CASES = {n[5:].replace("_", "-"): f for n, f in globals().items() if n.startswith("case_")}


def main():
    global ARGS

    class A:
        pass
    ARGS = A()
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        print("usage: test-apply.py DEVOWN HELPER CASE (%s)" % ", ".join(sorted(CASES)), file=sys.stderr)
        return 2
    ARGS.devown, ARGS.helper, case = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="devown-apply-") as tmp:
        os.chmod(tmp, 0o755)
        CASES[case](tmp)
    print("%d checks, %d failed" % (CHECKS[0], len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
