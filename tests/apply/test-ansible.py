#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Ansible example (data/examples/ansible/devown.yml), written on the devown.devown
collection (ansible_collections/devown/devown), against the real devown and fake trees:

1. the playbook is valid YAML, and its tasks install the configuration and run
   devown.devown.apply with the playbook's devown binary (no shell or command tasks);
2. what the apply module reads, devown apply --dry-run --json on the trees, matches the schema
   and says what the runs below must show (would-change, unchanged, refused);
3. with ansible-core: --syntax-check, then the playbook against localhost with DEVOWN_ROOT
   pointing at a fake tree: check mode with --diff on a fresh tree (apply changed, the drivers
   before and after in the diff, the devices listed) and on a configured tree (apply ok); as
   root, for real on the configured tree (ok, not changed, twice) and with a configuration a
   safety rule refuses (the play fails with devown's message and the rule).

    test-ansible.py DEVOWN EXAMPLE_DIR
Exit 77 without PyYAML or ansible-playbook, except in CI ($CI set), where that fails."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from fakeroot import Root  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "schema"))
import schemalib  # noqa: E402

SYSCONFDIR = os.environ.get("DEVOWN_SYSCONFDIR", "/usr/local/etc")
FAILURES = []
APPLY, MOVED, INSTALL = "Apply (devown apply)", "Devices devown moved", "Install the devown configuration"


def eq(got, want, what):
    if got != want:
        FAILURES.append(what)
        print("FAIL: %s: got %r, want %r" % (what, got, want), file=sys.stderr)


def unavailable(reason):
    if os.environ.get("CI"):
        print("FAIL: %s (in CI it must be installed: tests/setup.sh)" % reason)
        sys.exit(1)
    print("SKIP: " + reason)
    sys.exit(77)


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
        # What the playbook's module reads must match schema/devown.schema.json.
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
    except ImportError as e:
        unavailable("%s (apt-get install python3-yaml)" % e)

    # 1. YAML and shape.
    with open(os.path.join(example, "devown.yml")) as f:
        plays = yaml.safe_load(f)
    eq(isinstance(plays, list) and len(plays), 1, "one play")
    tasks = {t["name"]: t for t in plays[0]["tasks"]}
    eq(list(tasks), [INSTALL, APPLY, MOVED], "the play's tasks")
    eq(tasks.get(APPLY, {}).get("devown.devown.apply"), {"executable": "{{ devown }}"},
       "the apply task runs the devown.devown.apply module with the playbook's binary")
    eq([t for t in tasks.values() if set(t) & {"ansible.builtin.command", "ansible.builtin.shell",
                                               "command", "shell"}], [],
       "no command or shell tasks")
    eq(tasks.get(MOVED, {}).get("when"), "devown_apply is changed", "the list task's condition")

    with tempfile.TemporaryDirectory(prefix="devown-ansible-") as tmp:
        os.chmod(tmp, 0o755)
        fresh, done = tree(os.path.join(tmp, "fresh"), False), tree(os.path.join(tmp, "done"), True)
        conf = os.path.join(example, "files", "50-passthrough.conf")
        for root in (fresh, done):
            d = os.path.join(root, SYSCONFDIR.lstrip("/"), "devown")
            os.makedirs(d)
            shutil.copy(conf, os.path.join(d, "50-passthrough.conf"))
        partial = os.path.join(tmp, "partial.conf")
        with open(partial, "w") as f:
            f.write("[device g]\naddress=0000:04:00.0\ndriver=vfio\n")

        # 2. What the module will read.
        would = devown(exe, fresh, "apply", "--dry-run", "--json")
        same = devown(exe, done, "apply", "--dry-run", "--json")
        refused = devown(exe, fresh, "apply", "--dry-run", "--json", partial)
        eq((would["rc"], json.loads(would["stdout"])["result"]), (0, "would-change"), "fresh tree: plan")
        eq((same["rc"], json.loads(same["stdout"])["result"]), (0, "unchanged"), "configured tree: plan")
        eq((refused["rc"], json.loads(refused["stdout"])["result"]), (3, "refused"), "partial group")

        # 3. The playbook itself.
        ap = shutil.which("ansible-playbook")
        if not ap:
            unavailable("ansible-playbook is not installed (apt-get install ansible-core)")
        run_playbook(ap, example, exe, fresh, done, partial, tmp)
    print("%d failed" % len(FAILURES))
    return 1 if FAILURES else 0


def run_playbook(ap, example, exe, fresh, done, partial, tmp):
    pb = os.path.join(example, "devown.yml")
    # ansible-core has no JSON callback (that is ansible.posix's): read the default one,
    # "TASK [name] ***" followed by "ok|changed|skipping|fatal: [localhost]".
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_HOME=os.path.join(tmp, "ansible"),
               ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "ansible-tmp"),
               ANSIBLE_REMOTE_TMP=os.path.join(tmp, "ansible-remote"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_COLLECTIONS_PATH=SOURCE,
               ANSIBLE_PYTHON_INTERPRETER=shutil.which("python3", path="/usr/bin") or sys.executable)
    p = subprocess.run([ap, "--syntax-check", "-i", "localhost,", pb], env=env, capture_output=True,
                       text=True)
    eq(p.returncode, 0, "ansible-playbook --syntax-check (%s)" % p.stderr.strip()[-300:])

    def play(root, check, conf=None, diff=False):
        extra = {"devown": exe, "devown_hosts": "localhost", "ansible_become": False,
                 "devown_conf_dir": os.path.join(root, SYSCONFDIR.lstrip("/"), "devown"),
                 "devown_env": {"DEVOWN_ROOT": root}}
        if conf:
            extra["devown_conf"] = conf
        cmd = [ap, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra), pb]
        if check:
            cmd.insert(1, "--check")
        if diff:
            cmd.insert(1, "--diff")
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
        if p.returncode not in (0, 2):
            print(p.stdout[-2000:], p.stderr[-1000:], file=sys.stderr)
        return p.returncode, res, p.stdout

    rc, res, out = play(fresh, True, diff=True)
    eq(rc, 0, "check mode on a fresh tree: exit status")
    eq((res.get(INSTALL), res.get(APPLY), res.get(MOVED)), ("ok", "changed", "ok"),
       "check mode on a fresh tree: apply changed, the devices listed")
    eq(bool(re.search(r'-\s+"driver": "e1000e"', out) and
            re.search(r'\+\s+"driver": "vfio-pci"', out)), True,
       "check mode --diff: the NIC's driver before and after")
    eq('"0000:03:00.0",' in out.split("TASK [%s]" % MOVED)[-1], True,
       "check mode: the devices that would move are listed")
    rc, res, out = play(done, True)
    eq((rc, res.get(APPLY), res.get(MOVED)), (0, "ok", "skipped"), "check mode on a configured tree")
    if os.geteuid() == 0:
        for i in (1, 2):
            rc, res, out = play(done, False)
            eq(rc, 0, "real run %d on a configured tree: exit status" % i)
            eq((res.get(INSTALL), res.get(APPLY), res.get(MOVED)), ("ok", "ok", "skipped"),
               "real run %d on a configured tree: nothing changed" % i)
        # A refused configuration (a GPU without its audio function): the play fails and says
        # why; the refusal comes before any write.
        rc, res, out = play(fresh, False, conf=partial)
        eq((rc, res.get(INSTALL), res.get(APPLY)), (2, "changed", "failed"),
           "a refused configuration fails the apply task")
        eq(bool(re.search(r"refusing to bind 0000:04:00\.0 .*\(rule partial-group\)", out)), True,
           "with devown's message and the rule")
    else:
        print("note: real runs take devown's lock and need root; skipped as another user")


if __name__ == "__main__":
    sys.exit(main())
