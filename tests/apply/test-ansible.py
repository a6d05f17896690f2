#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Ansible example (data/examples/ansible/devown.yml) against the JSON devown prints:

1. the playbook is valid YAML and its devown tasks have the documented shape;
2. its changed_when/failed_when expressions, evaluated with Jinja2 as Ansible does, give the
   right verdicts on real devown output from fake trees: would-change, unchanged, refused
   (exit 3), a configuration error (exit 2, empty stdout) and a change (done);
3. where ansible-core is installed: --syntax-check, then the playbook against localhost with
   DEVOWN_ROOT pointing at a fake tree, in check mode (plan changed / ok) and for real on a
   tree already in the configured state (apply ok, not changed).

    test-ansible.py DEVOWN EXAMPLE_DIR
Exit 77 when PyYAML or Jinja2 is missing (step 3 alone is skipped without ansible)."""

import json
import os
import re
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
FAILURES = []


def eq(got, want, what):
    if got != want:
        FAILURES.append(what)
        print("FAIL: %s: got %r, want %r" % (what, got, want), file=sys.stderr)


def tree(path, configured):
    r = Root(path)
    r.add("0000:00:1c.0", 0x8086, 0xa110, 0x060400, driver="pcieport", group=1)
    r.add("0000:00:1d.0", 0x8086, 0xa110, 0x060400, driver="pcieport", group=2)
    v = "vfio-pci" if configured else None
    r.add("0000:03:00.0", 0x8086, 0x10d3, 0x020000, driver=v or "e1000e", override=v, group=11,
          parent="0000:00:1c.0")
    r.add("0000:04:00.0", 0x10de, 0x1eb8, 0x030000, driver=v or "nouveau", override=v, group=12,
          parent="0000:00:1d.0", subsys=(0x10de, 0x12a2))
    r.add("0000:04:00.1", 0x10de, 0x10f8, 0x040300, driver=v or "snd_hda_intel", override=v,
          group=12, parent="0000:00:1d.0", subsys=(0x10de, 0x12a2))
    r.build()
    return r.root


def devown(exe, root, *args):
    e = dict(os.environ, DEVOWN_ROOT=root, NO_COLOR="1")
    wrapper = shlex.split(os.environ.get("DEVOWN_TEST_WRAPPER", ""))
    p = subprocess.run(wrapper + [exe] + list(args), env=e, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if "--json" in args and p.stdout.strip():
        # What the playbook's expressions read must match schema/devown.schema.json.
        problems = schemalib.errors(json.loads(p.stdout))
        eq(problems, [], "devown %s: the JSON matches the schema" % " ".join(args))
    return {"rc": p.returncode, "stdout": p.stdout.rstrip("\n"), "stderr": p.stderr}


def main():
    if len(sys.argv) != 3:
        print("usage: test-ansible.py DEVOWN EXAMPLE_DIR", file=sys.stderr)
        return 2
    exe, example = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    try:
        import yaml
        import jinja2
    except ImportError as e:
        print("SKIP: %s (apt-get install python3-yaml python3-jinja2)" % e)
        return 77

    # 1. YAML and shape.
    with open(os.path.join(example, "devown.yml")) as f:
        plays = yaml.safe_load(f)
    eq(isinstance(plays, list) and len(plays), 1, "one play")
    tasks = {t["name"]: t for t in plays[0]["tasks"]}
    plan = tasks.get("Plan (devown apply --dry-run)", {})
    apply_ = tasks.get("Apply (devown apply)", {})
    eq(plan.get("ansible.builtin.command", {}).get("argv")[1:], ["apply", "--dry-run", "--json"],
       "plan task argv")
    eq(plan.get("check_mode"), False, "the plan runs in check mode too")
    eq(apply_.get("ansible.builtin.command", {}).get("argv")[1:], ["apply", "--json"],
       "apply task argv")
    eq(apply_.get("failed_when"), "devown_apply.rc not in [0]", "apply failed_when")
    eq(plan.get("failed_when"), "devown_plan.rc not in [0]", "plan failed_when")

    # 2. The expressions against devown's JSON, with Ansible's from_json.
    env = jinja2.Environment()
    env.filters["from_json"] = json.loads

    def verdict(task, var, result):
        ctx = {var: result}
        changed = env.compile_expression(task["changed_when"])(**ctx)
        failed = env.compile_expression(task["failed_when"])(**ctx)
        return bool(changed), bool(failed)

    with tempfile.TemporaryDirectory(prefix="devown-ansible-") as tmp:
        os.chmod(tmp, 0o755)
        fresh, done = tree(os.path.join(tmp, "fresh"), False), tree(os.path.join(tmp, "done"), True)
        conf = os.path.join(example, "files", "50-passthrough.conf")
        for root in (fresh, done):
            d = os.path.join(root, SYSCONFDIR.lstrip("/"), "devown")
            os.makedirs(d)
            shutil.copy(conf, os.path.join(d, "50-passthrough.conf"))
        would = devown(exe, fresh, "apply", "--dry-run", "--json")
        same = devown(exe, done, "apply", "--dry-run", "--json")
        bad = os.path.join(tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("[device x]\nvendr=8086\n")
        usage = devown(exe, fresh, "apply", "--dry-run", "--json", bad)
        partial = os.path.join(tmp, "partial.conf")
        with open(partial, "w") as f:
            f.write("[device g]\naddress=0000:04:00.0\ndriver=vfio\n")
        refused = devown(exe, fresh, "apply", "--dry-run", "--json", partial)
        eq((would["rc"], json.loads(would["stdout"])["result"]), (0, "would-change"), "fresh tree: plan")
        eq((same["rc"], json.loads(same["stdout"])["result"]), (0, "unchanged"), "configured tree: plan")
        eq((usage["rc"], usage["stdout"]), (2, ""), "bad configuration")
        eq((refused["rc"], json.loads(refused["stdout"])["result"]), (3, "refused"), "partial group")
        # A real run's "done" cannot happen in a fake tree: the same document as a run that
        # moved the devices would print it (result done, changed true).
        moved = json.loads(would["stdout"])
        moved.update(result="done", changed=True, dry_run=False)
        moved = {"rc": 0, "stdout": json.dumps(moved), "stderr": ""}
        unchanged = devown(exe, done, "apply", "--json") if os.geteuid() == 0 else same

        eq(verdict(plan, "devown_plan", would), (True, False), "plan verdict: would-change")
        eq(verdict(plan, "devown_plan", same), (False, False), "plan verdict: unchanged")
        eq(verdict(plan, "devown_plan", usage), (False, True), "plan verdict: bad configuration")
        eq(verdict(plan, "devown_plan", refused), (False, True), "plan verdict: refused")
        eq(verdict(apply_, "devown_apply", moved), (True, False), "apply verdict: done")
        eq(verdict(apply_, "devown_apply", unchanged), (False, False), "apply verdict: unchanged")
        eq(verdict(apply_, "devown_apply", usage), (False, True), "apply verdict: bad configuration")
        eq(verdict(apply_, "devown_apply", refused), (False, True), "apply verdict: refused")

        # 3. The playbook itself.
        ap = shutil.which("ansible-playbook")
        if not ap:
            print("note: ansible-playbook not installed (apt-get install ansible-core); "
                  "playbook run skipped")
        else:
            run_playbook(ap, example, exe, fresh, done, tmp)
    print("%d failed" % len(FAILURES))
    return 1 if FAILURES else 0


def run_playbook(ap, example, exe, fresh, done, tmp):
    pb = os.path.join(example, "devown.yml")
    # ansible-core has no JSON callback (that is ansible.posix's): read the default one,
    # "TASK [name] ***" followed by "ok|changed|skipping|fatal: [localhost]".
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_HOME=os.path.join(tmp, "ansible"),
               ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "ansible-tmp"),
               ANSIBLE_REMOTE_TMP=os.path.join(tmp, "ansible-remote"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    p = subprocess.run([ap, "--syntax-check", "-i", "localhost,", pb], env=env, capture_output=True,
                       text=True)
    eq(p.returncode, 0, "ansible-playbook --syntax-check (%s)" % p.stderr.strip()[-300:])

    def play(root, check):
        extra = {"devown": exe, "devown_hosts": "localhost", "ansible_become": False,
                 "devown_conf_dir": os.path.join(root, SYSCONFDIR.lstrip("/"), "devown"),
                 "devown_env": {"DEVOWN_ROOT": root}}
        cmd = [ap, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra), pb]
        if check:
            cmd.insert(1, "--check")
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        res, task = {}, None
        for line in p.stdout.splitlines():
            m = re.match(r"^TASK \[(.*)\] \*+$", line)
            if m:
                task = m.group(1)
                continue
            m = re.match(r"^(ok|changed|skipping|fatal): \[localhost\]", line)
            if m and task:
                res[task] = {"skipping": "skipped", "fatal": "failed"}.get(m.group(1), m.group(1))
        if p.returncode != 0:
            print(p.stdout[-2000:], p.stderr[-1000:], file=sys.stderr)
        return p.returncode, res

    rc, res = play(fresh, True)
    eq(rc, 0, "check mode on a fresh tree: exit status")
    eq((res.get("Plan (devown apply --dry-run)"), res.get("Apply (devown apply)")),
       ("changed", "skipped"), "check mode on a fresh tree: plan changed, apply skipped")
    rc, res = play(done, True)
    eq((rc, res.get("Plan (devown apply --dry-run)")), (0, "ok"), "check mode on a configured tree")
    if os.geteuid() == 0:
        rc, res = play(done, False)
        eq(rc, 0, "real run on a configured tree: exit status")
        eq((res.get("Install the devown configuration"), res.get("Plan (devown apply --dry-run)"),
            res.get("Apply (devown apply)"), res.get("Devices devown moved")),
           ("ok", "ok", "ok", "skipped"), "real run on a configured tree: nothing changed")


if __name__ == "__main__":
    sys.exit(main())
