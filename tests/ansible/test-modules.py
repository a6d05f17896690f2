#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Ansible collection ansible_collections/devown/devown with ansible-core, against the real
devown and fake trees (tests/apply/fakeroot.py, DEVOWN_ROOT):

    test-modules.py DEVOWN SOURCE_DIR doc         ansible-doc renders both modules; their
                                                  documented options are their argument specs;
                                                  the examples use documented options only
    test-modules.py DEVOWN SOURCE_DIR playbooks   playbooks against localhost: check mode with
                                                  diff on a fresh tree (changed, nothing
                                                  written), real runs on a configured tree
                                                  (changed=false, twice), refusals fail the task
                                                  with devown's message and rule, a failed real
                                                  run fails it with devown's error

A real change that succeeds needs a kernel (the vm suite); in a fake tree the kernel's side of
a bind never happens, so devown undoes it and says so, which is what the failure case checks.
Exit 77 without ansible-core, PyYAML or root where needed; in CI ($CI) missing tools fail."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "apply"))
from fakeroot import Root  # noqa: E402

SYSCONFDIR = os.environ.get("DEVOWN_SYSCONFDIR", "/usr/local/etc")
MODULES = ("device", "apply")
FAILURES = []
CHECKS = [0]

NIC, GPU, AUDIO = "0000:03:00.0", "0000:04:00.0", "0000:04:00.1"
CONF = """\
[device dpdk-port]
path=0000:00:1c.0/00.0
vendor=8086
device=10d3
driver=vfio

[device vm-gpu]
vendor=10de
device=1eb8
subsystem=10de:12a2
driver=vfio
group=yes
"""


def check(cond, what):
    CHECKS[0] += 1
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def eq(got, want, what):
    return check(got == want, "%s: got %r, want %r" % (what, got, want))


def unavailable(reason):
    if os.environ.get("CI"):
        print("FAIL: %s (in CI it must be there: tests/setup.sh)" % reason)
        sys.exit(1)
    print("SKIP: " + reason)
    sys.exit(77)


def tree(path, configured):
    r = Root(path)
    r.add("0000:00:1c.0", 0x8086, 0xa110, 0x060400, driver="pcieport", group=1)
    r.add("0000:00:1d.0", 0x8086, 0xa110, 0x060400, driver="pcieport", group=2)
    v = "vfio-pci" if configured else None
    r.add(NIC, 0x8086, 0x10d3, 0x020000, driver=v or "e1000e", override=v, group=11,
          parent="0000:00:1c.0")
    r.add(GPU, 0x10de, 0x1eb8, 0x030000, driver=v or "nouveau", override=v, group=12,
          parent="0000:00:1d.0", subsys=(0x10de, 0x12a2))
    r.add(AUDIO, 0x10de, 0x10f8, 0x040300, driver=v or "snd_hda_intel", override=v,
          group=12, parent="0000:00:1d.0", subsys=(0x10de, 0x12a2))
    r.build()
    d = os.path.join(r.root, SYSCONFDIR.lstrip("/"), "devown")
    os.makedirs(d)
    with open(os.path.join(d, "50-passthrough.conf"), "w") as f:
        f.write(CONF)
    return r.root


def snapshot(root):
    out = {}
    for top in ("sys", "run", "dev"):
        for dirpath, dirs, files in os.walk(os.path.join(root, top)):
            for n in dirs + files:
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, root)
                if rel in ("run/devown/names", "run/devown/kernel-checks"):
                    continue
                if os.path.islink(p):
                    out[rel] = "-> " + os.readlink(p)
                elif os.path.isfile(p):
                    with open(p, "rb") as f:
                        out[rel] = f.read()
    return out


class Ansible:
    def __init__(self, src, tmp):
        self.src, self.tmp = src, tmp
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=src,
                        ANSIBLE_HOME=os.path.join(tmp, "ansible"),
                        ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "ansible-tmp"),
                        ANSIBLE_REMOTE_TMP=os.path.join(tmp, "ansible-remote"),
                        ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1",
                        ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCALHOST_WARNING="false",
                        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                        ANSIBLE_PYTHON_INTERPRETER=shutil.which("python3", path="/usr/bin") or
                        sys.executable,
                        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")

    def doc(self, *args):
        return subprocess.run(["ansible-doc"] + list(args), env=self.env, capture_output=True,
                              text=True)

    def play(self, name, tasks, root, exe, check=False, diff=False):
        """Runs one play of tasks against localhost with DEVOWN_ROOT=root; every task's
        registered result is written to a file (also in check mode). Returns (exit status,
        stdout, {task name: result})."""
        out = os.path.join(self.tmp, name + ".results.json")
        regs = []
        body = []
        for i, t in enumerate(tasks):
            t = dict(t)
            t["register"] = "r%d" % i
            regs.append((t["name"], "r%d" % i))
            body.append(t)
        body.append({"name": "results", "check_mode": False, "ansible.builtin.copy": {
            "dest": out, "mode": "0644",
            "content": "{{ {%s} | to_json }}" % ", ".join(
                "%s: %s | default(None)" % (json.dumps(n), r) for n, r in regs)}})
        play = [{"name": name, "hosts": "localhost", "gather_facts": False,
                 "environment": {"DEVOWN_ROOT": root}, "vars": {"devown": exe},
                 "tasks": body}]
        pb = os.path.join(self.tmp, name + ".yml")
        with open(pb, "w") as f:
            json.dump(play, f, indent=1)  # JSON is YAML
        cmd = ["ansible-playbook", "-i", "localhost,", "-c", "local", pb]
        if check:
            cmd.insert(1, "--check")
        if diff:
            cmd.insert(1, "--diff")
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=600)
        results = {}
        if os.path.exists(out):
            with open(out) as f:
                results = json.load(f)
            os.remove(out)
        if p.returncode not in (0, 2) or (p.returncode == 0 and not results):
            print(p.stdout[-3000:], p.stderr[-2000:], file=sys.stderr)
        return p.returncode, p.stdout, results


def argument_spec(path):
    """ARGUMENT_SPEC of a module file, read without importing Ansible."""
    with open(path) as f:
        tree_ = ast.parse(f.read())
    for node in tree_.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ARGUMENT_SPEC":
            return eval(compile(ast.Expression(node.value), path, "eval"),  # noqa: S307
                        {"__builtins__": {}, "dict": dict})
    raise AssertionError("no ARGUMENT_SPEC in " + path)


def case_doc(a, exe, tmp):
    import yaml
    coll = os.path.join(a.src, "ansible_collections", "devown", "devown")
    p = a.doc("-l", "devown.devown")
    eq(sorted(l.split()[0] for l in p.stdout.splitlines() if l.strip()),
       ["devown.devown.apply", "devown.devown.device"], "ansible-doc -l lists the two modules")
    for m in MODULES:
        fq = "devown.devown." + m
        p = a.doc("-t", "module", fq)
        check(p.returncode == 0 and ("> " + fq.upper()) in p.stdout,
              "ansible-doc %s renders (%d: %s)" % (fq, p.returncode, p.stderr[-500:]))
        check("WARNING" not in p.stderr and "ERROR" not in p.stderr,
              "ansible-doc %s: no warning (%r)" % (fq, p.stderr[-500:]))
        p = a.doc("--json", "-t", "module", fq)
        try:
            d = json.loads(p.stdout)[fq]
        except (ValueError, KeyError) as e:
            check(False, "ansible-doc --json %s: %s %s" % (fq, e, p.stderr[-300:]))
            continue
        doc, spec = d["doc"], argument_spec(os.path.join(coll, "plugins", "modules", m + ".py"))
        eq(sorted(doc["options"]), sorted(spec), "%s: documented options are the argument spec" % m)
        for k, s in spec.items():
            o = doc["options"].get(k, {})
            for attr, default in (("type", "str"), ("elements", None), ("choices", None),
                                  ("required", False), ("default", None)):
                eq(o.get(attr, default), s.get(attr, default), "%s: option %s: %s" % (m, k, attr))
            check(o.get("description"), "%s: option %s has a description" % (m, k))
        eq(doc.get("attributes", {}).get("check_mode", {}).get("support"), "full",
           "%s: check mode documented" % m)
        check(d.get("return"), "%s: RETURN is documented" % m)
        for ex in yaml.safe_load(d["examples"]):
            args = ex.get(fq)
            if args is None:
                continue
            check(set(args or {}) <= set(spec), "%s example '%s' uses documented options only"
                  % (m, ex["name"]))


def case_playbooks(a, exe, tmp):
    fresh = tree(os.path.join(tmp, "fresh"), False)
    done = tree(os.path.join(tmp, "done"), True)
    partial = os.path.join(tmp, "partial.conf")
    with open(partial, "w") as f:
        f.write("[device g]\naddress=%s\ndriver=vfio\n" % GPU)
    mismatch = os.path.join(tmp, "mismatch.conf")
    with open(mismatch, "w") as f:
        f.write("[device m]\naddress=%s\nvendor=10de\ndriver=vfio\n\n"
                "[device g]\nvendor=10de\ndevice=1eb8\ndriver=vfio\ngroup=yes\n" % NIC)
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("[device x]\nvendr=8086\ndriver=vfio\n")

    def dev(**kw):
        return dict(executable="{{ devown }}", **kw)

    # 1. Check mode with diff on a fresh tree: what would change, nothing written.
    before = snapshot(fresh)
    tasks = [
        {"name": "apply", "devown.devown.apply": {"executable": "{{ devown }}"}},
        {"name": "bind nic", "devown.devown.device": dev(target=[NIC], driver="vfio")},
        {"name": "bind gpu alone", "ignore_errors": True,
         "devown.devown.device": dev(target=[GPU], driver="vfio")},
        {"name": "bind gpu group", "devown.devown.device": dev(target=[GPU], driver="vfio",
                                                                group=True)},
        {"name": "unbind nic", "devown.devown.device": dev(target=[NIC], state="unbound")},
        {"name": "restore all", "devown.devown.device": dev(target=[], state="restored")},
        {"name": "apply partial", "ignore_errors": True,
         "devown.devown.apply": {"executable": "{{ devown }}", "files": [partial]}},
        {"name": "apply mismatch", "ignore_errors": True,
         "devown.devown.apply": {"executable": "{{ devown }}", "files": [mismatch]}},
        {"name": "apply bad", "ignore_errors": True,
         "devown.devown.apply": {"executable": "{{ devown }}", "files": [bad]}},
        {"name": "bind unknown target", "ignore_errors": True,
         "devown.devown.device": dev(target=["0000:99:00.0"], driver="vfio")},
    ]
    rc, out, r = a.play("check", tasks, fresh, exe, check=True, diff=True)
    eq(rc, 0, "check mode: ansible-playbook exit status")
    x = r.get("apply") or {}
    eq((x.get("changed"), x.get("result"), x.get("failed", False)), (True, "would-change", False),
       "check mode: apply would change")
    eq(x.get("diff", {}).get("before", {}).get(NIC), {"driver": "e1000e", "driver_override": None},
       "check mode: diff before of the NIC")
    eq(x.get("diff", {}).get("after", {}).get(NIC),
       {"driver": "vfio-pci", "driver_override": "vfio-pci"}, "check mode: diff after of the NIC")
    eq(sorted(x.get("diff", {}).get("after", {})), [NIC, GPU, AUDIO], "check mode: diff devices")
    check("--dry-run" in (x.get("cmd") or []), "check mode runs devown --dry-run: %s" % x.get("cmd"))
    check(re.search(r'-\s+"driver": "e1000e"', out) and re.search(r'\+\s+"driver": "vfio-pci"', out),
          "check mode: --diff prints the drivers before and after")
    x = r.get("bind nic") or {}
    eq((x.get("changed"), x.get("result")), (True, "would-change"), "check mode: bind nic")
    x = r.get("bind gpu alone") or {}
    eq((x.get("failed"), x.get("changed"), x.get("rules"), x.get("rc")),
       (True, False, ["partial-group"], 3), "check mode: a partial group is refused")
    check("refusing to bind %s" % GPU in (x.get("msg") or "") and "(rule partial-group)" in
          (x.get("msg") or ""), "the refusal fails the task with devown's message and rule: %r"
          % x.get("msg"))
    x = r.get("bind gpu group") or {}
    eq((x.get("changed"), sorted(d["address"] for d in x.get("devices", []))),
       (True, [GPU, AUDIO]), "check mode: bind --group takes the audio function too")
    x = r.get("unbind nic") or {}
    eq((x.get("changed"), x.get("result"), x.get("diff", {}).get("after", {}).get(NIC)),
       (True, "would-change", {"driver": None, "driver_override": "none"}), "check mode: unbind")
    x = r.get("restore all") or {}
    eq((x.get("changed"), x.get("result")), (False, "unchanged"),
       "check mode: restore with nothing to restore")
    x = r.get("apply partial") or {}
    eq((x.get("failed"), x.get("rules")), (True, ["partial-group"]), "check mode: apply refused")
    check("refusing" in (x.get("msg") or "") and "partial-group" in (x.get("msg") or ""),
          "apply's refusal message: %r" % x.get("msg"))
    # A device that no longer matches its entry fails the task (exit 3), while the rest would
    # still be applied: changed, too.
    x = r.get("apply mismatch") or {}
    eq((x.get("failed"), x.get("changed"), x.get("rc"), x.get("result")),
       (True, True, 3, "would-change"), "check mode: apply with a mismatch")
    check("entry 'm'" in (x.get("msg") or "") and "%s holds vendor=8086" % NIC in (x.get("msg") or ""),
          "the mismatch's message: %r" % x.get("msg"))
    x = r.get("apply bad") or {}
    eq((x.get("failed"), x.get("rc")), (True, 2), "a configuration error fails the task")
    check("unknown key 'vendr'" in (x.get("msg") or ""), "with devown's message: %r" % x.get("msg"))
    x = r.get("bind unknown target") or {}
    eq((x.get("failed"), x.get("rc")), (True, 2), "an unknown target fails the task")
    check("0000:99:00.0" in (x.get("msg") or ""), "naming it: %r" % x.get("msg"))
    m = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+).*failed=(\d+).*ignored=(\d+)", out)
    # changed: the four module tasks that would change, the mismatch (failed but changed), and
    # the task writing the results.
    eq(m and tuple(int(v) for v in m.groups()[1:]), (6, 0, 5),
       "check mode: PLAY RECAP changed=6 failed=0 ignored=5")
    eq(snapshot(fresh), before, "check mode wrote nothing to the tree")

    # 2. A refusal without ignore_errors fails the play, and says why.
    rc, out, r = a.play("refusal", [dict(tasks[6], ignore_errors=False)], fresh, exe,
                        check=True)
    eq(rc, 2, "a refused task fails ansible-playbook")
    check(re.search(r"fatal: \[localhost\]: FAILED! => .*refusing to bind %s" % GPU, out)
          and "partial-group" in out, "its output has devown's message and the rule")

    # owner: passed on as --owner; devown plans the set-owner step, and an unknown user is
    # devown's usage error (exit 2).
    tasks = [
        {"name": "bind nic owner", "devown.devown.device": dev(target=[NIC], driver="vfio",
                                                                owner="root")},
        {"name": "bind nic unknown owner", "ignore_errors": True,
         "devown.devown.device": dev(target=[NIC], driver="vfio",
                                     owner="no-such-user-devown")},
    ]
    rc, out, r = a.play("owner", tasks, fresh, exe, check=True)
    x = r.get("bind nic owner") or {}
    eq((rc, x.get("changed"), x.get("result")), (0, True, "would-change"), "check mode: owner")
    check("--owner" in (x.get("cmd") or []) and "root" in (x.get("cmd") or []),
          "owner runs devown --owner: %s" % x.get("cmd"))
    x = r.get("bind nic unknown owner") or {}
    eq((x.get("failed"), x.get("rc")), (True, 2), "an unknown owner fails the task")
    check("no-such-user-devown" in (x.get("msg") or ""), "naming the user: %r" % x.get("msg"))
    eq(snapshot(fresh), before, "check mode with owner wrote nothing to the tree")

    if os.geteuid() != 0:
        print("note: real runs take devown's lock and need root; skipped as another user")
        return
    # 3. Real runs on a tree in the configured state: nothing to do, twice; diff shows no change.
    before = snapshot(done)
    tasks = [
        {"name": "apply 1", "devown.devown.apply": {"executable": "{{ devown }}"}},
        {"name": "apply 2", "devown.devown.apply": {"executable": "{{ devown }}"}},
        {"name": "bind nic", "devown.devown.device": dev(target=[NIC], driver="vfio",
                                                          timeout=5)},
    ]
    rc, out, r = a.play("real", tasks, done, exe, diff=True)
    eq(rc, 0, "real run on a configured tree: exit status")
    for name in ("apply 1", "apply 2", "bind nic"):
        x = r.get(name) or {}
        eq((x.get("changed"), x.get("result"), x.get("failed", False)), (False, "unchanged", False),
           "real run on a configured tree: %s is not changed" % name)
        check("--dry-run" not in (x.get("cmd") or []), "a real run is not a dry run")
        eq(x.get("diff", {}).get("before"), x.get("diff", {}).get("after"),
           "real run: %s: before and after are the same" % name)
    m = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+).*failed=(\d+)", out)
    eq(m and (int(m.group(2)), int(m.group(3))), (1, 0),
       "real run: PLAY RECAP changed=1 (the results file) failed=0")
    after = snapshot(done)
    after.pop("run/devown/lock", None)
    eq(after == before, True, "a real run with nothing to do wrote nothing")

    # 4. A real change in a fake tree: the kernel never binds, devown undoes what it can and
    # says the device differs (exit 4); the task fails with devown's error.
    rc, out, r = a.play("failed", [dict(tasks[0], ignore_errors=True)], fresh, exe)
    x = r.get("apply 1") or {}
    eq((x.get("failed"), x.get("changed"), x.get("rc")), (True, False, 4),
       "a failed real apply fails the task")
    check("not fully undone" in (x.get("msg") or "") and NIC in (x.get("msg") or ""),
          "with devown's error: %r" % x.get("msg"))


CASES = {"doc": case_doc, "playbooks": case_playbooks}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        print("usage: test-modules.py DEVOWN SOURCE_DIR doc|playbooks", file=sys.stderr)
        return 2
    exe, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    for tool in ("ansible-playbook", "ansible-doc"):
        if not shutil.which(tool):
            unavailable("%s is missing (apt-get install ansible-core)" % tool)
    try:
        import yaml  # noqa: F401
    except ImportError:
        unavailable("PyYAML is missing (apt-get install python3-yaml)")
    with tempfile.TemporaryDirectory(prefix="devown-ansible-") as tmp:
        os.chmod(tmp, 0o755)
        CASES[sys.argv[3]](Ansible(src, tmp), exe, tmp)
    print("%d checks, %d failed" % (CHECKS[0], len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
