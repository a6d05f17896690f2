# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenarios of the vm suite: each is a guest shell snippet (run by /init in its own shell, with
guest/lib.sh and the discovered topology in its environment) plus a host-side check of the raw
records the snippet sent back. Scenarios run in the order they are defined, in one boot.

To add one:

    @scenario("name", timeout=120, guest=r'''
        run json devown status --json "$LONE"     # records json.rc, json.out, json.err
        wr bind "$LONE" /sys/bus/pci/drivers/e1000e/bind
        recdrv drv "$LONE"
    ''')
    def _(t):
        doc = t.json("json")
        t.eq(t.write_errno("bind"), "EBUSY", "e1000e/bind")

Guest helpers (guest/lib.sh): run, wr, rec, recs, recdrv, truth, hold/unhold, give_back,
wait_for. Topology variables: LONE, MF0, MF1, BR, BR_A, BR_B, NVME, VNET, VGA, their *_GROUP,
VNET_IF, MF1_IF, LONE_IF, and KERNEL_NAME, OWNERSHIP_CHECKS.
Each scenario must leave drivers and overrides as it found them (state-restored checks that).
"""

import fnmatch
import json
import os
import re
import sys
import textwrap
import traceback
from dataclasses import dataclass

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schema"))
import schemalib  # noqa: E402  (every JSON document of the vm suite must match the schema)


@dataclass
class Scenario:
    name: str
    guest: str  # None: nothing runs in the guest; check reads the records of `source`
    check: object
    timeout: int = 120
    source: str = None
    when: object = None  # kernel -> bool; None: every kernel
    own_guest: bool = False  # runs alone in a boot of its own (it may take the kernel down)
    bench: bool = False  # a measurement (tests/bench), run only with vmtest.py --bench

    def applies(self, kernel):
        return self.when is None or self.when(kernel)


SCENARIOS = []


def scenario(name, guest=None, timeout=120, source=None, when=None, own_guest=False, bench=False):
    def deco(fn):
        SCENARIOS.append(Scenario(name, textwrap.dedent(guest).strip() if guest is not None else None,
                                  fn, timeout, source, when, own_guest, bench))
        return fn
    return deco


@dataclass
class Context:
    kernel: object
    meta: dict
    records: dict
    ends: dict
    modules_dir: str
    console: str = ""  # the guest's console (own-guest scenarios: where an oops shows)
    _aliases: tuple = None

    def env(self):
        text = self.records.get("boot", {}).get("env", b"").decode(errors="replace")
        env = {}
        for line in text.splitlines():
            m = re.match(r'^([A-Z0-9_]+)="?([^"]*)"?$', line.strip())
            if m:
                env[m.group(1)] = m.group(2)
        return env

    def expected_modules(self, modalias):
        """Modules libkmod finds for modalias in the guest's module tree: the first of
        modules.alias and the builtin aliases that matches (libkmod stops at the first index
        with a hit)."""
        if self._aliases is None:
            normal, builtin = [], []
            try:
                for line in open(os.path.join(self.modules_dir, "modules.alias"), errors="replace"):
                    p = line.split()
                    if len(p) == 3 and p[0] == "alias":
                        normal.append((p[1], p[2]))
            except OSError:
                pass
            try:
                raw = open(os.path.join(self.modules_dir, "modules.builtin.modinfo"), "rb").read()
                for item in raw.split(b"\0"):
                    m = re.match(rb"^([^.]+)\.alias=(.*)$", item)
                    if m:
                        builtin.append((m.group(2).decode(), m.group(1).decode()))
            except OSError:
                pass
            self._aliases = (normal, builtin)
        for table in self._aliases:
            hits = {mod.replace("-", "_") for pat, mod in table if fnmatch.fnmatchcase(modalias, pat)}
            if hits:
                return hits
        return set()


ERRNO_TEXT = {
    "Device or resource busy": "EBUSY",
    "No such device": "ENODEV",
    "Invalid argument": "EINVAL",
    "Operation not permitted": "EPERM",
    "No such file or directory": "ENOENT",
    "Input/output error": "EIO",
    "Permission denied": "EACCES",
    "No such device or address": "ENXIO",
}


class Truth:
    """The guest's sysfs, as recorded by lib.sh's truth."""

    def __init__(self, text):
        self.devices, self.groups = {}, {}
        self.release, self.iommu_units = None, []
        for line in text.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "dev":
                addr, _, kv = rest.partition(" ")
                f = dict(re.findall(r"(\w+)=(\S*)", kv))
                self.devices[addr] = {
                    "group": None if f["group"] == "-" else int(f["group"]),
                    "driver": None if f["driver"] == "-" else f["driver"],
                    "override": None if f["override"] in ("(null)", "") else f["override"],
                    "vendor": f["vendor"], "device": f["device"], "class": f["class"],
                    "bridge": f["bridge"] == "1", "vfio_dev": f["vfio_dev"] == "1",
                    "boot_vga": f["boot_vga"] == "1", "modalias": f["modalias"],
                }
            elif kind == "group":
                n, _, kv = rest.partition(" ")
                f = dict(re.findall(r"(\w+)=(\S*)", kv))
                self.groups[int(n)] = {"type": f["type"],
                                       "devices": sorted(x for x in f["devices"].split(",") if x)}
            elif kind == "release":
                self.release = rest.strip()
            elif kind == "iommu_units":
                self.iommu_units = sorted(x for x in rest.strip().split(",") if x)

    def state(self):
        return {a: (d["driver"], d["override"]) for a, d in self.devices.items()}


def norm(driver):
    return driver.replace("-", "_") if driver else driver


def is_vfio(driver):
    return bool(driver) and (norm(driver) == "vfio_pci" or norm(driver).endswith("_vfio_pci"))


def is_managed(driver):
    """REFERENCE.md section 1: drivers that never count as kernel DMA users."""
    return is_vfio(driver) or norm(driver) in ("pci_stub", "pcieport")


def expected_dma(dev):
    if not dev["driver"]:
        return "none"
    return "managed" if is_managed(dev["driver"]) or dev["vfio_dev"] else "kernel"


def addr_key(a):
    dom, bus, rest = a.split(":")
    dev, fn = rest.split(".")
    return (int(dom, 16), int(bus, 16), int(dev, 16), int(fn, 16))


class T:
    """What one check function gets: the scenario's records and a list of problems."""

    def __init__(self, ctx, name, records):
        self.ctx, self.name, self.records = ctx, name, records
        self.problems, self.notes = [], []
        self.env = ctx.env()
        self.kernel = ctx.kernel

    # -- outcomes
    def fail(self, msg):
        self.problems.append(msg)
        return False

    def expect(self, cond, msg):
        return True if cond else self.fail(msg)

    def eq(self, got, want, what):
        return self.expect(got == want, "%s: got %r, want %r" % (what, got, want))

    def note(self, msg):
        self.notes.append(msg)

    # -- records
    def raw(self, key):
        return self.records.get(key)

    def text(self, key):
        v = self.records.get(key)
        return None if v is None else v.decode(errors="replace")

    def rc(self, step):
        v = self.text(step + ".rc")
        return int(v) if v is not None and v.strip().lstrip("-").isdigit() else None

    def out(self, step):
        return self.text(step + ".out")

    def err(self, step):
        return self.text(step + ".err")

    def ran_ok(self, step, what=None):
        """step exited 0 with an empty stderr."""
        what = what or step
        ok = self.eq(self.rc(step), 0, "%s: exit status" % what)
        e = self.err(step)
        if e:
            self.fail("%s: unexpected stderr: %s" % (what, e.strip()[:400]))
            ok = False
        return ok

    def json(self, step, what=None):
        """The parsed JSON stdout of step (which must have exited 0), or None."""
        what = what or step
        if not self.ran_ok(step, what):
            if self.rc(step) != 0:
                return None
        try:
            d = json.loads(self.out(step) or "")
        except ValueError as e:
            self.fail("%s: stdout is not JSON (%s): %s" % (what, e, (self.out(step) or "")[:200]))
            return None
        self.schema_ok(d, what)
        return d

    def schema_ok(self, d, what):
        """d matches schema/devown.schema.json (unknown keys are errors)."""
        for p in schemalib.errors(d):
            self.fail("%s: against the schema: %s" % (what, p))

    def write_errno(self, step):
        """None when the wr step succeeded, else the errno name of the kernel's answer."""
        if self.rc(step) == 0:
            return None
        e = self.err(step) or ""
        for text, name in ERRNO_TEXT.items():
            if text in e:
                return name
        return "unknown (%s)" % e.strip()

    def truth(self, key="truth", source=None):
        recs = self.ctx.records.get(source, {}) if source else self.records
        v = recs.get(key)
        if v is None:
            self.fail("no record %s" % key)
            return None
        return Truth(v.decode(errors="replace"))

    def vfio_line(self, step):
        """vfio-hold's answer: {"viable": "1"} or {"error": "EBUSY", "step": ...}."""
        text = (self.out(step) or self.text(step + ".ready") or "").strip()
        return dict(re.findall(r"(\w+)=(\S+)", text.splitlines()[0] if text else ""))

    def drv(self, key):
        v = self.text(key)
        return None if v is None else v.strip()


# ---- shared checks -----------------------------------------------------------------------

def all_devices(doc):
    out = []
    for g in doc.get("groups", []):
        out.extend(g.get("devices", []))
    out.extend(doc.get("devices_without_group", []))
    return out


def find_device(doc, addr):
    for d in all_devices(doc):
        if d.get("address") == addr:
            return d
    return None


def check_status(t, doc, truth, what, groups=None, holders=None):
    """devown status --json against sysfs. groups: the group numbers the selection must hold
    (None: every group). holders: {group: [(pid, command, path)]} expected; others hold none."""
    if doc is None or truth is None:
        return
    holders = holders or {}
    t.eq(doc.get("schema"), 1, "%s: schema" % what)
    k = doc.get("kernel", {})
    t.eq(k.get("release"), truth.release, "%s: kernel.release" % what)
    t.eq(k.get("iommu"), True, "%s: kernel.iommu" % what)
    t.eq(sorted(k.get("iommu_units") or []), truth.iommu_units, "%s: kernel.iommu_units" % what)
    t.eq(k.get("dma_ownership_checks"), t.kernel.ownership_checks, "%s: kernel.dma_ownership_checks" % what)
    t.eq(k.get("dma_ownership_checks_source"), "kallsyms", "%s: kernel.dma_ownership_checks_source" % what)

    want_groups = sorted(truth.groups) if groups is None else sorted(set(groups))
    got_groups = [g.get("group") for g in doc.get("groups", [])]
    t.eq(got_groups, want_groups, "%s: groups (in order)" % what)
    if groups is None:
        loose = sorted(a for a, d in truth.devices.items() if d["group"] is None)
        t.eq([d.get("address") for d in doc.get("devices_without_group", [])], loose,
             "%s: devices_without_group" % what)
        seen = [d.get("address") for d in all_devices(doc)]
        t.eq(sorted(seen), sorted(truth.devices), "%s: devices listed (each once)" % what)
    else:
        t.eq(doc.get("devices_without_group"), [], "%s: devices_without_group" % what)

    for g in doc.get("groups", []):
        n = g.get("group")
        tg = truth.groups.get(n)
        gw = "%s: group %s" % (what, n)
        if tg is None:
            t.fail("%s: not in sysfs" % gw)
            continue
        addrs = [d.get("address") for d in g.get("devices", [])]
        t.eq(addrs, sorted(tg["devices"], key=addr_key), "%s: devices (sorted by address)" % gw)
        t.eq(g.get("type"), tg["type"], "%s: type" % gw)
        members = [truth.devices[a] for a in tg["devices"] if a in truth.devices]
        # REFERENCE.md section 1: with the ownership checks every kernel DMA user blocks, a
        # bridge's driver too; before them VFIO's viability test let any bridge pass.
        blockers = sorted((a for a in tg["devices"] if expected_dma(truth.devices[a]) == "kernel"
                           and (t.kernel.ownership_checks or not truth.devices[a]["bridge"])),
                          key=addr_key)
        t.eq(g.get("viable"), not blockers, "%s: viable" % gw)
        t.eq(g.get("blockers"), blockers, "%s: blockers" % gw)
        vfio = any(is_vfio(m["driver"]) or m["vfio_dev"] for m in members)
        t.eq(g.get("vfio_bound"), vfio, "%s: vfio_bound" % gw)
        t.eq(g.get("holders_state"), "known" if vfio else "not-checked", "%s: holders_state" % gw)
        want_h = sorted(holders.get(n, []))
        got_h = sorted((h.get("pid"), h.get("command"), h.get("path")) for h in g.get("holders", []))
        t.eq(got_h, want_h, "%s: holders (pid, command, path)" % gw)
        for d in g.get("devices", []):
            check_device(t, d, truth, what)
    for d in doc.get("devices_without_group", []):
        check_device(t, d, truth, what)


def check_device(t, d, truth, what):
    a = d.get("address")
    td = truth.devices.get(a)
    dw = "%s: device %s" % (what, a)
    if td is None:
        t.fail("%s: not in sysfs" % dw)
        return
    t.eq(d.get("vendor_id"), td["vendor"], "%s: vendor_id" % dw)
    t.eq(d.get("device_id"), td["device"], "%s: device_id" % dw)
    t.eq(d.get("class_id"), td["class"], "%s: class_id" % dw)
    t.eq(d.get("iommu_group"), td["group"], "%s: iommu_group" % dw)
    t.eq(d.get("driver"), td["driver"], "%s: driver" % dw)
    t.eq(d.get("driver_override"), td["override"], "%s: driver_override" % dw)
    t.eq(d.get("bridge"), td["bridge"], "%s: bridge" % dw)
    t.eq(d.get("dma"), expected_dma(td), "%s: dma" % dw)
    if "boot_vga" in d:
        t.eq(d.get("boot_vga"), td["boot_vga"], "%s: boot_vga" % dw)
    want_mods = t.ctx.expected_modules(td["modalias"])
    t.eq(sorted(norm(m) for m in d.get("modules") or []), sorted(want_mods), "%s: modules" % dw)
    t.expect(isinstance(d.get("in_use"), list), "%s: in_use is not an array" % dw)


def in_use(doc, addr, kind=None):
    d = find_device(doc, addr) if doc else None
    if d is None:
        return []
    return [u for u in d.get("in_use") or [] if kind is None or u.get("kind") == kind]


def check_usage_error(t, step, what, mention):
    """Exit 2, nothing on stdout, one diagnostic line on stderr naming the input. STYLE.md lets
    a usage error add "Try 'devown --help'." as a second line; nothing else may follow."""
    t.eq(t.rc(step), 2, "%s: exit status" % what)
    t.eq(t.out(step), "", "%s: stdout" % what)
    lines = (t.err(step) or "").splitlines()
    hint = [x for x in lines if x == "Try 'devown --help'."]
    diag = [x for x in lines if x != "Try 'devown --help'."]
    t.eq(len(diag), 1, "%s: diagnostic lines on stderr (%r)" % (what, lines))
    if diag:
        t.expect(diag[0].startswith("devown: "), "%s: stderr does not start with 'devown: ': %r" % (what, diag[0]))
        t.expect(mention in diag[0], "%s: stderr does not name %r: %r" % (what, mention, diag[0]))
    if hint:
        t.note("%s: stderr is %d lines (the diagnostic plus the STYLE.md hint)" % (what, len(lines)))


# ---- the scenarios -------------------------------------------------------------------------

@scenario("boot", source="boot")
def _(t):
    """The test bed itself: modules loaded, IOMMU on, the topology's groups have the shapes the
    other scenarios rely on."""
    e = t.env
    for v in ("LONE", "MF0", "MF1", "BR", "BR_A", "BR_B", "NVME", "VNET", "VNET_IF", "MF1_IF"):
        t.expect(e.get(v), "topology: %s not found in the guest" % v)
    log = t.text("modprobe") or ""
    t.expect("failed" not in log, "modprobe: %s" % log.strip()[-400:])
    tr = t.truth()
    if not tr:
        return
    t.expect(tr.groups, "no IOMMU groups in the guest (is the emulated IOMMU on?)")
    t.expect(tr.iommu_units, "no IOMMU units under /sys/class/iommu")

    def members(addr):
        d = tr.devices.get(addr)
        return tr.groups.get(d["group"], {}).get("devices", []) if d and d["group"] is not None else []
    t.eq(members(e.get("LONE")), [e.get("LONE")], "group of the lone e1000e")
    t.eq(members(e.get("BR_A")), sorted([e.get("BR"), e.get("BR_A"), e.get("BR_B")]),
         "group of the PCIe-to-PCI bridge")
    t.eq(members(e.get("MF0")), sorted([e.get("MF0"), e.get("MF1")]), "group of the multifunction slot")
    t.eq(members(e.get("NVME")), [e.get("NVME")], "group of the NVMe controller")
    t.eq(members(e.get("VNET")), [e.get("VNET")], "group of virtio-net")
    for v, drv in (("LONE", "e1000e"), ("MF0", "e1000e"), ("MF1", "e1000e"), ("BR_A", "e1000"),
                   ("BR_B", "e1000"), ("NVME", "nvme"), ("VNET", "virtio-pci")):
        d = tr.devices.get(e.get(v), {})
        t.eq(d.get("driver"), drv, "boot driver of %s" % v)
    t.eq(tr.devices.get(e.get("BR"), {}).get("bridge"), True, "the PCIe-to-PCI bridge has a secondary bus")
    # shpchp drives the bridge's hotplug controller (when its slot names do not clash).
    t.expect(tr.devices.get(e.get("BR"), {}).get("driver") in ("shpchp", None),
             "boot driver of the PCIe-to-PCI bridge: %r" % tr.devices.get(e.get("BR"), {}).get("driver"))


@scenario("status-all", guest=r'''
    truth truth
    run json devown status --json
    rec names /run/devown/names
    run again devown status --json
    run text devown status
    run verbose devown status -v
    truth truth-after
''')
def _(t):
    tr = t.truth()
    check_status(t, t.json("json"), tr, "status --json")
    # The names libpci found are remembered for the pci.ids it parsed (Debian's libpci is
    # built for pci.ids.gz and falls back to pci.ids), and a run that reads them agrees.
    names = t.text("names") or ""
    t.expect(names.startswith("devown-names 1\nsource /usr/share/misc/pci.ids "),
             "/run/devown/names names the guest's pci.ids: %r" % names[:120])
    t.expect("\nv8086\tIntel Corporation\n" in names,
             "/run/devown/names has the Intel vendor: %r" % names[:300])
    check_status(t, t.json("again"), tr, "status --json with the names remembered")
    after = t.truth("truth-after")
    if tr and after:
        t.eq(after.state(), tr.state(), "drivers and overrides after three status runs")
    for step in ("text", "verbose"):
        if t.ran_ok(step, "status" + (" -v" if step == "verbose" else "")) and tr:
            out = t.out(step)
            for n in tr.groups:
                t.expect(re.search(r"\bGroup %d\b" % n, out), "%s: no line for group %d" % (step, n))
            for a in tr.devices:
                t.expect(a in out, "%s: %s not listed" % (step, a))


@scenario("status-targets", guest=r'''
    truth truth
    run group devown status --json "$BR_GROUP"
    run device devown status --json "$MF1"
    run short devown status --json "${MF1#0000:}"
    run two devown status --json "$NVME" "$LONE_GROUP"
    run same devown status --json "$BR_A" "$BR_B" "$BR_GROUP"
    run text devown status "$BR_GROUP"
''')
def _(t):
    e, tr = t.env, t.truth()
    if not tr:
        return
    grp = lambda v: tr.devices[e[v]]["group"]
    check_status(t, t.json("group"), tr, "status --json GROUP(bridge)", groups=[grp("BR_A")])
    check_status(t, t.json("device"), tr, "status --json ADDR(mf .1)", groups=[grp("MF1")])
    check_status(t, t.json("short"), tr, "status --json BUS:DEV.FN", groups=[grp("MF1")])
    check_status(t, t.json("two"), tr, "status --json ADDR GROUP", groups=[grp("NVME"), grp("LONE")])
    check_status(t, t.json("same"), tr, "status --json three targets of one group", groups=[grp("BR_A")])
    if t.ran_ok("text", "status GROUP"):
        out = t.out("text")
        t.expect(re.search(r"\bGroup %d\b" % grp("BR_A"), out), "status GROUP: no line for the group")
        others = [n for n in tr.groups if n != grp("BR_A") and re.search(r"\bGroup %d\b" % n, out)]
        t.eq(others, [], "status GROUP: other groups shown")


@scenario("bad-input", guest=r'''
    run badaddr devown status 0000:zz:00.0
    run nogroup devown status 99999
    run bogus devown status --bogus
    run nodev devown status 0000:7f:1f.7
    run badaddr-json devown status --json 0000:zz:00.0
    run badcmd devown frobnicate
''')
def _(t):
    check_usage_error(t, "badaddr", "status 0000:zz:00.0", "0000:zz:00.0")
    check_usage_error(t, "nogroup", "status 99999", "99999")
    check_usage_error(t, "bogus", "status --bogus", "--bogus")
    check_usage_error(t, "nodev", "status 0000:7f:1f.7", "0000:7f:1f.7")
    check_usage_error(t, "badaddr-json", "status --json 0000:zz:00.0", "0000:zz:00.0")
    check_usage_error(t, "badcmd", "frobnicate", "frobnicate")


@scenario("inuse-storage", guest=r'''
    run mkfs mke2fs /dev/nvme0n1
    mkdir -p /mnt/devown-data
    run mount mount -t ext4 /dev/nvme0n1 /mnt/devown-data
    run mkswap mkswap /dev/nvme0n2
    run swapon swapon /dev/nvme0n2
    # A process with the block device open, as a backup tool or dd would have.
    sleep 1000 < /dev/nvme0n1 &
    SLEEPER=$!
    recs sleeper "$SLEEPER"
    wait_for 5 sh -c "readlink /proc/$SLEEPER/fd/0 | grep -q nvme0n1"
    run mounts cat /proc/mounts /proc/swaps
    run json devown status --json "$NVME"
    run text devown status "$NVME"
    kill "$SLEEPER"; wait "$SLEEPER"
    swapoff /dev/nvme0n2
    umount /mnt/devown-data
    run after devown status --json "$NVME"
''')
def _(t):
    nv = t.env.get("NVME")
    for step in ("mkfs", "mount", "mkswap", "swapon"):
        t.eq(t.rc(step), 0, "guest setup: %s (%s)" % (step, (t.err(step) or "").strip()[:200]))
    doc = t.json("json", "status --json NVME")
    uses = in_use(doc, nv)
    t.note("in_use of %s: %s" % (nv, json.dumps(uses)))
    mounts = [u for u in uses if u.get("kind") == "mount"]
    t.expect(any(u.get("name") == "/mnt/devown-data" for u in mounts),
             "no in_use mount entry named /mnt/devown-data")
    swaps = [u for u in uses if u.get("kind") == "swap"]
    t.expect(any("nvme0n2" in json.dumps(u) for u in swaps), "no in_use swap entry for /dev/nvme0n2")
    pid = int(t.text("sleeper") or "0")
    nodes = [u for u in uses if u.get("kind") == "devnode"]
    t.expect(any(u.get("name") == "/dev/nvme0n1" and u.get("pid") == pid and u.get("command") == "sleep"
                 for u in nodes),
             "no in_use devnode entry {name: /dev/nvme0n1, pid: %d, command: sleep}" % pid)
    if t.ran_ok("text", "status NVME"):
        t.expect("/mnt/devown-data" in t.out("text"), "status NVME (text): the mount is not shown")
    after = t.json("after", "status --json NVME after umount/swapoff/kill")
    t.eq(in_use(after, nv), [], "in_use of the NVMe controller once nothing uses it")


@scenario("inuse-net", guest=r'''
    for i in "$VNET_IF" "$MF1_IF"; do
        # No duplicate address detection: the addresses are usable (not tentative) at once.
        echo 0 > /proc/sys/net/ipv6/conf/$i/accept_dad
        ip link set "$i" up
    done
    ip addr add 192.0.2.10/24 dev "$VNET_IF"
    ip -6 addr add 2001:db8::10/64 dev "$VNET_IF"
    ip route add 198.51.100.0/24 via 192.0.2.1 dev "$VNET_IF"
    # IPv6 only: a check that looks at IPv4 alone misses this interface.
    ip -6 addr add 2001:db8:1::11/64 dev "$MF1_IF"
    sleep 1
    run addrs ip addr
    run json devown status --json
    run text devown status
    for i in "$VNET_IF" "$MF1_IF"; do
        ip addr flush dev "$i"
        ip link set "$i" down
    done
    run after devown status --json
''')
def _(t):
    e = t.env
    doc = t.json("json", "status --json")
    vnet = in_use(doc, e.get("VNET"), "net")
    mf1 = in_use(doc, e.get("MF1"), "net")
    t.note("net in_use of virtio-net: %s" % json.dumps(vnet))
    t.note("net in_use of %s: %s" % (e.get("MF1"), json.dumps(mf1)))
    v = [u for u in vnet if u.get("name") == e.get("VNET_IF")]
    if t.expect(v, "no net entry for %s (virtio-net; its netdev sits under virtioN/net)" % e.get("VNET_IF")):
        addrs = v[0].get("addresses") or []
        for a in ("192.0.2.10/24", "2001:db8::10/64"):
            t.expect(a in addrs, "%s: addresses %s lack %s" % (e.get("VNET_IF"), addrs, a))
        t.eq(v[0].get("up"), True, "%s: up" % e.get("VNET_IF"))
        t.expect("192.0.2.10" in (v[0].get("detail") or ""), "%s: detail does not list the IPv4 address: %r"
                 % (e.get("VNET_IF"), v[0].get("detail")))
    m = [u for u in mf1 if u.get("name") == e.get("MF1_IF")]
    if t.expect(m, "no net entry for %s (up, IPv6 address only)" % e.get("MF1_IF")):
        t.expect("2001:db8:1::11/64" in (m[0].get("addresses") or []),
                 "%s: addresses %s lack 2001:db8:1::11/64" % (e.get("MF1_IF"), m[0].get("addresses")))
    if doc:
        quiet = [a for a in (e.get("LONE"), e.get("MF0"), e.get("BR_A"), e.get("BR_B"))]
        for a in quiet:
            t.eq(in_use(doc, a), [], "in_use of %s (interface down, no addresses)" % a)
    after = t.json("after", "status --json after flush and link down")
    for a in (e.get("VNET"), e.get("MF1")):
        t.eq(in_use(after, a, "net"), [], "net in_use of %s after flush and link down" % a)
    if t.ran_ok("text", "status (text)"):
        t.expect("2001:db8::10" in t.out("text"), "status (text): the IPv6 address of %s is not shown"
                 % e.get("VNET_IF"))


@scenario("vfio-lone", guest=r'''
    # Hand the lone e1000e to vfio-pci by hand (REFERENCE.md section 2's safe order).
    G=$LONE_GROUP
    wr override vfio-pci "/sys/bus/pci/devices/$LONE/driver_override"
    wr unbind "$LONE" /sys/bus/pci/drivers/e1000e/unbind
    wr bind "$LONE" /sys/bus/pci/drivers/vfio-pci/bind
    recdrv drv-vfio "$LONE"
    run viable vfio-hold --viable "$G"
    truth truth-free
    run free devown status --json "$G"
    hold hold "$G"
    truth truth-held
    run held devown status --json "$G"
    run held-dev devown status --json "$LONE"
    run held-text devown status "$G"
    run second vfio-hold --viable "$G"
    # What an administrator's raw writes meet while a VM holds the group. The override still
    # names vfio-pci, so e1000e does not even match: ENODEV.
    wr bind-override "$LONE" /sys/bus/pci/drivers/e1000e/bind
    # Without the override e1000e matches, but the device is bound: EBUSY.
    wr clear-override "" "/sys/bus/pci/devices/$LONE/driver_override"
    wr bind-bound "$LONE" /sys/bus/pci/drivers/e1000e/bind
    recdrv drv-bound "$LONE"
    unhold
    truth truth-released
    run released devown status --json "$G"
    # Give it back.
    wr r-unbind "$LONE" /sys/bus/pci/drivers/vfio-pci/unbind
    wr r-bind "$LONE" /sys/bus/pci/drivers/e1000e/bind
    recdrv drv-restored "$LONE"
    recs ovr-restored "$(cat "/sys/bus/pci/devices/$LONE/driver_override")"
''')
def _(t):
    g = int(t.env.get("LONE_GROUP", "-1"))
    for step in ("override", "unbind", "bind"):
        t.eq(t.write_errno(step), None, "write %s" % step)
    t.eq(t.drv("drv-vfio"), "vfio-pci", "driver after binding vfio-pci")
    t.eq(t.vfio_line("viable").get("viable"), "1", "VFIO_GROUP_GET_STATUS viable, nobody holding")
    check_status(t, t.json("free"), t.truth("truth-free"), "status --json GROUP (vfio-pci, free)", groups=[g])
    ready = t.vfio_line("hold")
    if not t.expect("ready" in (t.text("hold.ready") or ""), "vfio-hold did not get ready: %s"
                    % (t.text("hold.ready") or "").strip()):
        return
    pid = int(ready.get("pid", "0"))
    holder = [(pid, "vfio-hold", "/dev/vfio/%d" % g)]
    tr = t.truth("truth-held")
    check_status(t, t.json("held"), tr, "status --json GROUP (held)", groups=[g], holders={g: holder})
    check_status(t, t.json("held-dev"), tr, "status --json ADDR (held)", groups=[g], holders={g: holder})
    if t.ran_ok("held-text", "status GROUP (held, text)"):
        t.expect(str(pid) in t.out("held-text") and "vfio-hold" in t.out("held-text"),
                 "status GROUP (text) does not name the holder pid %d (vfio-hold)" % pid)
    t.eq(t.vfio_line("second").get("error"), "EBUSY", "second open of /dev/vfio/%d while held" % g)
    t.eq(t.write_errno("bind-override"), "ENODEV", "e1000e/bind while held, override vfio-pci")
    t.eq(t.write_errno("clear-override"), None, "clearing the override while held")
    # 5.10's driver core answers ENODEV for a device that is already bound; later ones EBUSY.
    t.eq(t.write_errno("bind-bound"), "EBUSY" if t.kernel.ownership_checks else "ENODEV",
         "e1000e/bind while held, bound to vfio-pci")
    t.eq(t.drv("drv-bound"), "vfio-pci", "driver after the refused e1000e/bind")
    check_status(t, t.json("released"), t.truth("truth-released"), "status --json GROUP (holder gone)",
                 groups=[g])
    t.eq(t.write_errno("r-unbind"), None, "restore: vfio-pci/unbind")
    t.eq(t.write_errno("r-bind"), None, "restore: e1000e/bind once the holder is gone")
    t.eq(t.drv("drv-restored"), "e1000e", "driver after restoring")
    t.eq(t.text("ovr-restored"), "(null)", "driver_override after restoring")


@scenario("ownership-check", guest=r'''
    # REFERENCE.md section 7 on the bridge group: one member on vfio-pci, the other unbound,
    # the group held; then the kernel's DMA ownership check must refuse a kernel driver.
    G=$BR_GROUP
    BRDRV=$(drv "$BR")
    recs br-driver "$BRDRV"
    wr a-override vfio-pci "/sys/bus/pci/devices/$BR_A/driver_override"
    wr a-unbind "$BR_A" /sys/bus/pci/drivers/e1000/unbind
    wr a-bind "$BR_A" /sys/bus/pci/drivers/vfio-pci/bind
    truth t-blocked
    run blocked devown status --json "$G"
    run k-blocked vfio-hold --viable "$G"
    hold nohold "$G"
    unhold
    wr b-unbind "$BR_B" /sys/bus/pci/drivers/e1000/unbind
    # The bridge's own driver (shpchp drives the PCIe-to-PCI bridge's hotplug controller) is a
    # kernel DMA user like any other: the group is viable only once it is gone too.
    truth t-bridge
    run bridge devown status --json "$G"
    run k-bridge vfio-hold --viable "$G"
    [ "$BRDRV" = - ] || wr br-unbind "$BR" "/sys/bus/pci/drivers/$BRDRV/unbind"
    truth t-free
    run free devown status --json "$G"
    run k-free vfio-hold --viable "$G"
    hold hold "$G"
    truth t-held
    run held devown status --json "$G"
    if [ "$OWNERSHIP_CHECKS" = 1 ]; then
        # On a kernel without the checks this write crashes the guest (REFERENCE.md section 1).
        wr b-e1000 "$BR_B" /sys/bus/pci/drivers/e1000/bind
        recdrv drv-b-e1000 "$BR_B"
        wr b-probe "$BR_B" /sys/bus/pci/drivers_probe
        recdrv drv-b-probe "$BR_B"
        [ "$BRDRV" = - ] || wr br-bind-held "$BR" "/sys/bus/pci/drivers/$BRDRV/bind"
        recdrv drv-br-held "$BR"
    fi
    wr b-override pci-stub "/sys/bus/pci/devices/$BR_B/driver_override"
    wr b-stub "$BR_B" /sys/bus/pci/drivers/pci-stub/bind
    recdrv drv-b-stub "$BR_B"
    truth t-stub
    run stub devown status --json "$G"
    unhold
    give_back "$BR_B" e1000
    give_back "$BR_A" e1000
    [ "$BRDRV" = - ] || wr br-rebind "$BR" "/sys/bus/pci/drivers/$BRDRV/bind"
    recdrv drv-a-restored "$BR_A"
    recdrv drv-b-restored "$BR_B"
    recdrv drv-br-restored "$BR"
''')
def _(t):
    e = t.env
    g = int(e.get("BR_GROUP", "-1"))
    brdrv = (t.text("br-driver") or "-").strip()
    t.note("the PCIe-to-PCI bridge %s boots on driver %s" % (e.get("BR"), brdrv))
    for step in ("a-override", "a-unbind", "a-bind", "b-unbind"):
        t.eq(t.write_errno(step), None, "write %s" % step)
    # BR_B still on e1000: devown and the kernel must agree the group is not viable.
    check_status(t, t.json("blocked"), t.truth("t-blocked"), "status --json GROUP (a member on e1000)", groups=[g])
    t.eq(t.vfio_line("k-blocked").get("viable"), "0", "kernel viability with a member on e1000")
    if t.kernel.ownership_checks:
        t.eq(t.vfio_line("nohold").get("error"), "EPERM", "holding a group that is not viable")
    else:
        # 5.10 lets SET_CONTAINER through on a group that is not viable (seen in QEMU).
        t.note("5.10: holding a group that is not viable: %r" % t.vfio_line("nohold"))
    bridge = t.json("bridge", "status --json GROUP (endpoints off, bridge on %s)" % brdrv)
    check_status(t, bridge, t.truth("t-bridge"), "status --json GROUP (endpoints off, bridge on %s)" % brdrv,
                 groups=[g])
    # Before 5.19 VFIO let any bridge pass whatever its driver; since, shpchp counts.
    t.eq(t.vfio_line("k-bridge").get("viable"), "0" if brdrv != "-" and t.kernel.ownership_checks else "1",
         "kernel viability with the endpoints off and the bridge on %s" % brdrv)
    if brdrv != "-":
        t.eq(t.write_errno("br-unbind"), None, "unbind the bridge from %s" % brdrv)
    check_status(t, t.json("free"), t.truth("t-free"), "status --json GROUP (all unbound or vfio-pci)", groups=[g])
    t.eq(t.vfio_line("k-free").get("viable"), "1", "kernel viability with every member unbound or on vfio-pci")
    if not t.expect("ready" in (t.text("hold.ready") or ""), "vfio-hold did not get ready: %s"
                    % (t.text("hold.ready") or "").strip()):
        return
    pid = int(t.vfio_line("hold").get("pid", "0"))
    holder = {g: [(pid, "vfio-hold", "/dev/vfio/%d" % g)]}
    check_status(t, t.json("held"), t.truth("t-held"), "status --json GROUP (held)", groups=[g], holders=holder)
    if t.kernel.ownership_checks:
        t.eq(t.write_errno("b-e1000"), "EBUSY", "e1000/bind of an unbound member of a held group")
        t.eq(t.drv("drv-b-e1000"), "-", "driver after the refused e1000/bind")
        t.eq(t.write_errno("b-probe"), "EINVAL", "drivers_probe of an unbound member of a held group")
        t.eq(t.drv("drv-b-probe"), "-", "driver after the refused drivers_probe")
        if brdrv != "-":
            t.eq(t.write_errno("br-bind-held"), "EBUSY", "%s/bind of the bridge of a held group" % brdrv)
            t.eq(t.drv("drv-br-held"), "-", "bridge driver after the refused bind")
    t.eq(t.write_errno("b-stub"), None, "pci-stub/bind of a member of a held group")
    t.eq(t.drv("drv-b-stub"), "pci-stub", "driver after pci-stub/bind")
    check_status(t, t.json("stub"), t.truth("t-stub"), "status --json GROUP (vfio-pci + pci-stub, held)",
                 groups=[g], holders=holder)
    t.eq(t.drv("drv-a-restored"), "e1000", "restore of %s" % e.get("BR_A"))
    t.eq(t.drv("drv-b-restored"), "e1000", "restore of %s" % e.get("BR_B"))
    t.eq(t.drv("drv-br-restored"), brdrv, "restore of the bridge %s" % e.get("BR"))


@scenario("kernel-log", source="final")
def _(t):
    """The guest kernel log must show no BUG, WARNING, Oops or hung task."""
    dmesg = t.text("dmesg")
    if not t.expect(dmesg, "no kernel log recorded"):
        return
    bad = re.compile(r"\bBUG\b|WARNING:|\bOops\b|blocked for more than|hung_task|Call Trace:|general protection")
    hits = [line for line in dmesg.splitlines() if bad.search(line)]
    t.eq(hits[:20], [], "kernel log lines")


@scenario("state-restored", source="final")
def _(t):
    """Every scenario put drivers and overrides back: the end state equals the boot state."""
    first, last = t.truth(source="boot"), t.truth()
    if first and last:
        diff = {a: (first.state().get(a), s) for a, s in last.state().items() if first.state().get(a) != s}
        t.eq(diff, {}, "devices whose (driver, override) changed from boot to the end (boot, end)")


def evaluate(ctx, selected, began, ended):
    """[(name, ok, problems, notes, seconds)] for every scenario of SCENARIOS that applies."""
    guest_names = {s.name for s in selected}
    out = []
    for s in SCENARIOS:
        if not s.applies(ctx.kernel):
            continue
        if s.own_guest or (s.guest is not None and s.name not in guest_names):
            continue
        src = s.source or s.name
        t = T(ctx, s.name, ctx.records.get(src, {}))
        secs = None
        if not began:
            t.fail("the guest never started (no BEGIN marker on the results port)")
        elif src == "final" and not ended:
            t.fail("the guest did not reach the end of the run")
        elif src not in ctx.ends and src != "final":
            t.fail("the guest did not finish this scenario (panic, hang or time limit)")
            log = t.text("_log")
            if log:
                t.note("its output so far:\n" + log.strip()[-1500:])
        else:
            rc = ctx.ends.get(src)
            if rc == 137:
                t.fail("the scenario hit its time limit of %d s in the guest" % s.timeout)
            tm = (t.text("_time") or "").split()
            if len(tm) == 2:
                secs = float(tm[1]) - float(tm[0])
            try:
                s.check(t)
            except Exception:
                t.fail("check raised:\n" + traceback.format_exc(limit=3).strip())
            if t.problems and t.text("_log"):
                t.note("guest output:\n" + t.text("_log").strip()[-1500:])
        out.append((s.name, not t.problems, t.problems, t.notes, secs))
    return out
def evaluate_own(ctx, s, began):
    """(name, ok, problems, notes, seconds) of a scenario that ran in a guest of its own. Its
    check runs whether or not the guest survived: it may be about how the kernel died."""
    t = T(ctx, s.name, ctx.records.get(s.name, {}))
    if not began:
        t.fail("the guest never started (no BEGIN marker on the results port)")
    else:
        try:
            s.check(t)
        except Exception:
            t.fail("check raised:\n" + traceback.format_exc(limit=3).strip())
    return (s.name, not t.problems, t.problems, t.notes, None)


import scenarios_change  # noqa: E402,F401  (the commands that change ownership)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "apply"))
import vm_apply  # noqa: E402,F401  (apply: configuration, mismatch, the boot path)
import scenarios_clients  # noqa: E402,F401  (real QEMU and DPDK holding groups)
import scenarios_sriov  # noqa: E402,F401  (devown sriov on igb VFs, udev bursts)
import scenarios_run  # noqa: E402,F401  (devown run around real clients, --owner)
import bench_peers  # noqa: E402,F401  (the peers measured, vmtest.py --bench)

# faults-real removes and rescans devices (their IOMMU groups may get new numbers): it runs
# after every other guest scenario, before the checks of the final state.
_late = [s for s in SCENARIOS if s.name == "faults-real"]
SCENARIOS[:] = ([s for s in SCENARIOS if s.name != "faults-real" and s.source != "final"] + _late +
                [s for s in SCENARIOS if s.source == "final"])
