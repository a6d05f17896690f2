#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""schema/devown.schema.json against the documents devown prints, on generated trees.

    test-schema.py DEVOWN documents     every command with --json on the fixture's trees (the
                                        showcase, Linux 5.10, no IOMMU, apply's hosts, every
                                        host-use case of tests/inuse, a journal with a killed
                                        run): each document validates, and together they reach
                                        every definition, command, result, rule and in_use kind
    test-schema.py DEVOWN unknown-key   the schema rejects a key it does not know at every
                                        object of real documents, a missing key, a wrong type,
                                        and the placeholder sriov rejects everything

Exit 77 without python3-jsonschema, unless $CI is set (then that is a failure)."""

import copy
import importlib.util
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TESTS, "fixture"))
sys.path.insert(0, os.path.join(TESTS, "apply"))
sys.path.insert(0, os.path.join(TESTS, "inuse"))

import schemalib  # noqa: E402
import fxlib  # noqa: E402
from fxlib import gen_sysfs as gen  # noqa: E402

SYSCONFDIR = os.environ.get("DEVOWN_SYSCONFDIR", "/usr/local/etc")
IS_ROOT = os.geteuid() == 0


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Docs:
    """Runs devown with --json and keeps every document it printed, with what printed it."""

    def __init__(self, c, devown):
        self.c, self.devown, self.docs = c, devown, []

    def run(self, root, *args, rc=None):
        r = fxlib.run(self.devown, root, *args)
        what = "devown %s (%s)" % (" ".join(args), os.path.basename(root))
        if rc is not None:
            self.c.equal(r.returncode, rc, what + ": exit status (%s)" % r.stderr.strip()[:200])
        try:
            doc = json.loads(r.stdout)
        except ValueError:
            self.c.check(False, "%s: stdout is not JSON: %r (exit %d, %s)" % (
                what, r.stdout[:200], r.returncode, r.stderr.strip()[-300:]))
            return None
        self.add(doc, what)
        return doc

    def add(self, doc, what):
        problems = schemalib.errors(doc)
        for p in problems[:20]:
            self.c.check(False, "%s: %s" % (what, p))
        self.c.check(not problems, "%s: matches the schema (%s)" % (what, schemalib.definition_for(doc)))
        self.docs.append((what, doc))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def journal(root, devices, transaction=None):
    j = {"schema": 1, "devices": devices}
    if transaction:
        j["transaction"] = transaction
    write(os.path.join(root, "run/devown/journal.json"), json.dumps(j))


def gen_trees(d, tt):
    """The fixture's generated trees, every command on them."""
    sc = gen.build_showcase(tt.path("showcase"))
    fxlib.build(sc)
    root = sc.root
    d.run(root, "status", "--json", rc=0)
    d.run(root, "status", "--json", "--verbose", rc=0)
    d.run(root, "status", "--json", "0000:06:00.0", "7", "0000:07:00.1", rc=0)
    d.run(root, "export", "--json", rc=0)
    d.run(root, "restore", "--json", "--dry-run", rc=0)
    # bind: a plain bind, a whole group, none, another driver; refusals of every kind the
    # trees have.
    d.run(root, "bind", "--json", "--dry-run", "0000:01:00.0", "vfio", rc=0)
    d.run(root, "bind", "--json", "--dry-run", "--group", "0000:00:1f.3", "vfio")
    d.run(root, "bind", "--json", "--dry-run", "0000:01:00.0", "none", rc=0)
    d.run(root, "bind", "--json", "--dry-run", "0000:06:00.0", "vfio", rc=0)   # already there
    d.run(root, "bind", "--json", "--dry-run", "0000:00:1f.3", "vfio", rc=3)   # partial-group
    d.run(root, "bind", "--json", "--dry-run", "0000:00:01.0", "vfio", rc=3)   # bridge
    d.run(root, "bind", "--json", "--dry-run", "0000:00:02.0", "vfio", rc=3)   # in-use
    d.run(root, "bind", "--json", "--dry-run", "--force", "0000:00:02.0", "vfio", rc=0)
    d.run(root, "bind", "--json", "--dry-run", "0000:06:00.0", "snd_hda_intel", rc=3)  # held
    d.run(root, "bind", "--json", "--dry-run", "0000:01:00.0", "r8169", rc=3)  # unsupported
    d.run(root, "bind", "--json", "--dry-run", "0000:07:00.0", "vfio", rc=3)   # sriov
    # sriov: a count change, the VFs that stay moved, nothing to do, and the JSON of apply
    # and restore with a PF on record further down.
    d.run(root, "sriov", "--json", "--dry-run", "0000:07:00.0", "4", "--driver", "vfio")
    d.run(root, "sriov", "--json", "--dry-run", "0000:07:00.0", "3", "--driver", "vfio")
    d.run(root, "sriov", "--json", "--dry-run", "0000:07:00.0", "3", rc=0)
    d.run(root, "sriov", "--json", "--dry-run", "--force", "0000:07:00.0", "0")
    d.run(root, "unbind", "--json", "--dry-run", "0000:01:00.0", rc=0)
    d.run(root, "unbind", "--json", "--dry-run", "0000:06:00.0", rc=3)         # held-unbind
    d.run(root, "unbind", "--json", "--dry-run", "--group", "4", rc=0)
    # run and --owner: a dry run, a refusal, the owner step of a device already on VFIO.
    d.run(root, "run", "--json", "--dry-run", "0000:01:00.0", "vfio", "--", "true", rc=0)
    d.run(root, "run", "--json", "--dry-run", "0000:00:02.0", "vfio", "--", "true", rc=3)
    d.run(root, "bind", "--json", "--dry-run", "--owner", "0:0", "0000:06:00.0", "vfio", rc=0)
    if IS_ROOT:
        # Already on vfio-pci: nothing to bind or restore, COMMAND runs all the same.
        doc = d.run(root, "run", "--json", "0000:06:00.0", "vfio", "--", "sh", "-c", "exit 3",
                    rc=3)
        d.c.equal(((doc or {}).get("run") or {}).get("exit_status"), 3, "run: exit_status")
    # A live devown run (its pid and start time in the tree's /proc) holds 0000:06:00.0, and
    # devown gave its group node to a user.
    write(os.path.join(root, "proc/4444/stat"),
          "4444 (devown) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n")
    live = {"address": "0000:06:00.0", "vendor_id": "0x10de", "device_id": "0x1b80",
            "driver": "nouveau", "driver_override": None, "group": 12,
            "since": "2026-11-25T10:00:00Z", "reason": "bind",
            "group_node": {"uid": 0, "gid": 0, "mode": 0o600},
            "run": {"pid": 4444, "start": 777, "command": "qemu-system-x86_64"}}
    journal(root, [live])
    d.run(root, "status", "--json", rc=0)
    d.run(root, "restore", "--json", "--dry-run", "0000:06:00.0", rc=3)             # run
    d.run(root, "restore", "--json", "--dry-run", rc=0)
    live["run"]["start"] = 778  # the pid is another process's now: an ordinary entry
    journal(root, [live])
    d.run(root, "restore", "--json", "--dry-run", "0000:06:00.0", rc=3)      # held-group
    # A journal: managed devices, a killed run, restore and export of them.
    journal(root, [
        {"address": "0000:06:00.0", "vendor_id": "0x10de", "device_id": "0x1b80",
         "driver": "nouveau", "driver_override": None, "group": 12,
         "since": "2026-11-25T10:00:00Z", "reason": "bind"},
        # "driver": null and changed IDs: restore --json crashed in report_json on a bind
        # step without a driver (issue 17).
        {"address": "0000:0c:00.0", "vendor_id": "0x%04x" % gen.INTEL, "device_id": "0x0000",
         "driver": None, "driver_override": None, "group": 106,
         "since": "2026-11-25T10:00:01Z", "reason": "unbind"}],
        transaction={"pid": 4321, "command": "bind", "devices": ["0000:06:00.0"]})
    d.run(root, "status", "--json", rc=0)
    d.run(root, "restore", "--json", "--dry-run")
    d.run(root, "restore", "--json", "--dry-run", "0000:06:00.0")
    d.run(root, "export", "--json", rc=0)
    journal(root, [{"address": "0000:06:00.0", "vendor_id": "0x1111", "device_id": "0x2222",
                    "driver": "nouveau", "driver_override": None, "group": 12,
                    "since": "2026-11-25T10:00:00Z", "reason": "bind"}])
    d.run(root, "restore", "--json", "--dry-run", rc=3)                          # identity
    write(os.path.join(root, "run/devown/journal.json"), json.dumps({
        "schema": 1, "devices": [],
        "sriov": [{"address": "0000:07:00.0", "vendor_id": "0x%04x" % gen.MLX,
                   "device_id": "0x101d", "numvfs": 0, "autoprobe": True, "vfs": [],
                   "since": "2026-11-25T10:00:00Z", "reason": "sriov 0000:07:00.0 3"}]}))
    d.run(root, "restore", "--json", "--dry-run")
    d.run(root, "restore", "--json", "--dry-run", "0000:07:00.0")
    d.run(root, "export", "--json", rc=0)
    os.remove(os.path.join(root, "run/devown/journal.json"))
    if IS_ROOT:
        # A real change in a fake tree: the kernel's files are not there, so it fails and
        # is undone (result failed, error, rolled_back).
        doc = d.run(root, "bind", "--json", "--timeout", "2", "0000:01:00.0", "vfio", rc=1)
        d.c.equal((doc or {}).get("result"), "failed", "a real bind in a fake tree fails")

    old = gen.build_old_kernel(tt.path("old"))
    fxlib.build(old)
    d.run(old.root, "status", "--json", rc=0)
    d.run(old.root, "bind", "--json", "--dry-run", "--group", "2", "vfio", rc=0)
    d.run(old.root, "bind", "--json", "--dry-run", "0000:01:00.0", "e1000e")
    noi = gen.build_no_iommu(tt.path("noiommu"))
    fxlib.build(noi)
    d.run(noi.root, "status", "--json", rc=0)
    d.run(noi.root, "bind", "--json", "--dry-run", "0000:01:00.0", "vfio", rc=3)  # no-iommu


def apply_trees(d, tmp):
    """apply and export on tests/apply's hosts: plans, mismatches, unchanged, refusals."""
    ta = load(os.path.join(TESTS, "apply", "test-apply.py"), "test_apply")
    root, a = ta.host(tmp, "apply-fresh")
    conf = write(os.path.join(tmp, "basic.conf"), ta.BASIC_CONF)
    d.run(root, "apply", "--json", "--dry-run", conf, rc=0)
    d.run(root, "apply", "--json", "--dry-run", "--device", a["audio"], conf, rc=0)
    d.run(root, "apply", "--json", "--dry-run", "--device", a["twin"], conf, rc=0)
    partial = write(os.path.join(tmp, "partial.conf"),
                    "[device g]\naddress=%s\ndriver=vfio\n" % a["gpu"])
    d.run(root, "apply", "--json", "--dry-run", partial, rc=3)
    # The configuration in its directory, with an entry whose slot holds another card.
    write(os.path.join(root, SYSCONFDIR.lstrip("/"), "devown", "50-basic.conf"), ta.BASIC_CONF)
    write(os.path.join(root, SYSCONFDIR.lstrip("/"), "devown", "60-other.conf"),
          "[device other]\nslot=5\nvendor=10de\ndevice=1eb8\ndriver=vfio\n")
    d.run(root, "apply", "--json", "--dry-run")
    d.run(root, "status", "--json", rc=0)
    done, _ = ta.host(tmp, "apply-done", configured=True)
    d.run(done, "apply", "--json", "--dry-run", conf, rc=0)
    if IS_ROOT:
        d.run(done, "apply", "--json", conf, rc=0)
    journal(done, [
        {"address": a[k], "vendor_id": "0x%04x" % ids[0], "device_id": "0x%04x" % ids[1],
         "driver": drv, "driver_override": None, "group": g, "since": "2024-05-01T10:00:00Z",
         "reason": "apply"}
        for k, ids, drv, g in (("nic", ta.NIC, "e1000e", 11), ("gpu", ta.GPU, "nouveau", 12),
                                ("audio", ta.AUDIO, "snd_hda_intel", 12))])
    d.run(done, "export", "--json", rc=0)
    d.run(done, "status", "--json", rc=0)
    d.run(done, "restore", "--json", "--dry-run", rc=0)


def inuse_trees(d, tmp):
    """Every case of tests/inuse (the only trees with network, mount, swap, holder and devnode
    uses), with its status documents collected."""
    ti = load(os.path.join(TESTS, "inuse", "test-inuse.py"), "test_inuse")
    real = ti.run_status

    def run_status(devown, root, env_extra=None, args=()):
        doc, err = real(devown, root, env_extra, args)
        d.add(doc, "inuse %s: status --json %s" % (case, " ".join(args)))
        return doc, err

    ti.run_status = run_status
    for case, fn in sorted(ti.CASES.items()):
        with tempfile.TemporaryDirectory(prefix="devown-schema-inuse-", dir=tmp) as root:
            try:
                fn(d.devown, root)
            except AssertionError as e:
                # The inuse suite reports its own failures; here only the documents count.
                print("note: inuse case %s: %s" % (case, e))


def coverage(c, docs):
    """The documents reach every part of the schema that matters."""
    defs, commands, results, rules, kinds, steps = set(), set(), set(), set(), set(), set()
    for _, doc in docs:
        defs.add(schemalib.definition_for(doc))
        if "command" in doc:
            commands.add(doc["command"])
            results.add(doc["result"])
            rules.update(r["rule"] for r in doc["refusals"])
            steps.update(s["step"] for s in doc["plan"])
        for g in doc.get("groups", []):
            for dev in g["devices"]:
                kinds.update(u["kind"] for u in dev["in_use"])
        for dev in doc.get("devices_without_group", []):
            kinds.update(u["kind"] for u in dev["in_use"])
    want_results = {"unchanged", "would-change", "refused"} | ({"failed"} if IS_ROOT else set())
    for name, got, want in (
            ("definitions", defs, {"status", "change", "export", "run"}),
            ("commands", commands, {"bind", "unbind", "restore", "apply", "run"}),
            ("results", results, want_results),
            ("rules", rules, {"partial-group", "bridge", "held-group", "held-unbind", "in-use",
                              "sriov", "no-iommu", "unsupported", "identity", "run"}),
            ("in_use kinds", kinds, {"net", "mount", "swap", "holder", "display", "devnode"}),
            ("plan steps", steps, {"load-module", "set-override", "unbind", "bind", "wait-vfio",
                                   "check-viable", "set-owner", "restore-owner"})):
        c.check(want <= got, "the documents cover every %s: missing %s" % (name, sorted(want - got)))


def case_documents(c, devown):
    d = Docs(c, devown)
    with fxlib.TempTrees() as tt:
        os.chmod(tt.dir, 0o755)
        gen_trees(d, tt)
        apply_trees(d, tt.dir)
        inuse_trees(d, tt.dir)
    coverage(c, d.docs)
    c.check(len(d.docs) >= 55, "at least 55 documents (%d)" % len(d.docs))
    print("%d documents from devown validated" % len(d.docs))


def objects(node, path="$"):
    """Every object in a document, with its path."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from objects(v, "%s.%s" % (path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from objects(v, "%s[%d]" % (path, i))


def case_unknown_key(c, devown):
    d = Docs(c, devown)
    with fxlib.TempTrees() as tt:
        os.chmod(tt.dir, 0o755)
        gen_trees(d, tt)
        apply_trees(d, tt.dir)
        inuse_trees(d, tt.dir)
    positions = 0
    seen = set()
    for what, doc in d.docs:
        for path, obj in objects(doc):
            # One mutation per kind of position (path without indices) and document kind.
            shape = (schemalib.definition_for(doc), doc.get("command"),
                     "".join(ch for ch in path if not ch.isdigit()), obj.get("kind"),
                     obj.get("step"))
            if shape in seen:
                continue
            seen.add(shape)
            obj["x_unknown"] = 1
            problems = schemalib.errors(doc)
            top = schemalib.errors(doc, whole=True)
            del obj["x_unknown"]
            positions += 1
            c.check(any("x_unknown" in p for p in problems),
                    "%s: an unknown key at %s is rejected (%s)" % (what, path, problems[:3]))
            c.check(top != [], "%s: the schema's top level rejects an unknown key at %s" % (what, path))
            # A missing key and a wrong type fail too.
            if obj:
                k = sorted(obj)[0]
                v = obj.pop(k)
                c.check(schemalib.errors(doc) != [], "%s: %s without %s is rejected" % (what, path, k))
                obj[k] = {"wrong": "type"}
                c.check(schemalib.errors(doc) != [], "%s: %s.%s of the wrong type is rejected" % (what, path, k))
                obj[k] = v
        c.equal(schemalib.errors(doc), [], "%s: unchanged after the mutations" % what)
    c.check(positions >= 40, "unknown keys tried at %d kinds of position" % positions)
    print("unknown keys rejected at %d kinds of position" % positions)

    # Each command's report is its own: a bind report is neither a run nor an sriov report.
    change = next(doc for _, doc in d.docs if doc.get("command") == "bind")
    c.check(schemalib.errors(dict(copy.deepcopy(change), command="run")) != [],
            "a bind report is not a run report (no run, restore, exit_code)")
    for cmd in ("sriov", "run"):
        doc = dict(copy.deepcopy(change), command=cmd)
        c.check(schemalib.definition_for(doc) == cmd, "%s reports have their own definition" % cmd)
    doc = dict(copy.deepcopy(change), command="sriov")
    c.check(schemalib.errors(dict(doc, sriov={"address": "0000:01:00.0"})) != [],
            "an sriov report with an incomplete sriov object is rejected")
    c.check(any(doc.get("command") == "sriov" for _, doc in d.docs), "sriov reports were checked")
    c.check(schemalib.errors(dict(change, sriov=[])) != [], "bind reports have no sriov key")
    # A command the schema does not know is rejected, and one known command's shape is not
    # another's: apply's keys are not bind's.
    c.check(schemalib.errors(dict(change, command="frobnicate")) != [], "an unknown command")
    apply_doc = next(doc for _, doc in d.docs if doc.get("command") == "apply")
    c.check(schemalib.errors(dict(apply_doc, command="bind")) != [], "apply's keys in a bind report")
    try:
        schemalib.validate(dict(change, extra=True))
        c.check(False, "validate() raises on an invalid document")
    except schemalib.Invalid as e:
        c.check("extra" in str(e), "validate() names the unknown key: %s" % e)


CASES = {"documents": case_documents, "unknown-key": case_unknown_key}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: test-schema.py DEVOWN documents|unknown-key", file=sys.stderr)
        return 2
    if not schemalib.available():
        if os.environ.get("CI"):
            print("FAIL: python3-jsonschema is not installed (tests/setup.sh installs it)")
            return 1
        print("SKIP: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
        return 77
    c = fxlib.Checker("schema " + sys.argv[2])
    schemalib.schema()  # checked against the 2020-12 meta-schema
    CASES[sys.argv[2]](c, fxlib.devown_path())
    c.exit()


if __name__ == "__main__":
    sys.exit(main())
