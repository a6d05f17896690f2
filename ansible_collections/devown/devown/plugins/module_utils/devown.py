# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the devown modules share: running `devown ... --json` and turning its report (devown(8),
JSON OUTPUT, "bind, unbind, restore and apply") into the module's result.

devown's exit statuses: 0 done or nothing to do, 1 failed and undone, 2 usage error or unknown
target or driver (no JSON), 3 refused by a safety rule or, for apply, a device that no longer
matches its entry, 4 failed and not fully undone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

EXIT_MEANING = {
    1: "failed and undone (the host is as it was)",
    2: "usage error",
    3: "refused",
    4: "failed and not fully undone (run devown restore once the cause is fixed)",
}


def find_devown(module):
    """The devown binary: the executable option, else PATH, /usr/sbin and /usr/local/sbin."""
    exe = module.params.get("executable")
    if exe:
        return exe
    return module.get_bin_path("devown", required=True, opt_dirs=["/usr/sbin", "/usr/local/sbin"])


def common_args(module, names=("force", "timeout", "owner")):
    """devown options from the module's parameters, --dry-run in check mode, and --json."""
    p = module.params
    args = ["--json"]
    if module.check_mode:
        args.append("--dry-run")
    if "force" in names and p.get("force"):
        args.append("--force")
    if "timeout" in names and p.get("timeout") is not None:
        args += ["--timeout", str(p["timeout"])]
    if "owner" in names and p.get("owner"):
        args += ["--owner", p["owner"]]
    return args


def first_line(text):
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            return line[len("devown: "):] if line.startswith("devown: ") else line
    return ""


def diff_of(report):
    """before/after: the driver and driver_override of every device the report names."""
    before, after = {}, {}
    for d in report.get("devices", []):
        frm = d.get("from") or {}
        to = d.get("to") or frm
        before[d["address"]] = {"driver": frm.get("driver"),
                                "driver_override": frm.get("driver_override")}
        after[d["address"]] = {"driver": to.get("driver"),
                               "driver_override": to.get("driver_override")}
    return {"before": before, "after": after}


def refusal_message(report, stderr):
    """devown's one-line message for each refusal, with its rule; for apply also every
    mismatch (a device that no longer matches its entry)."""
    parts = ["%s (rule %s)" % (r.get("message"), r.get("rule"))
             for r in report.get("refusals", [])]
    for m in report.get("mismatches", []) or []:
        parts.append("entry '%s' (%s:%s): %s holds %s, not %s" % (
            m.get("entry"), m.get("file"), m.get("line"), m.get("address"), m.get("found"),
            m.get("expected")))
    return "; ".join(parts) or first_line(stderr) or "refused"


def run(module, argv):
    """Runs devown and exits the module with the result (never returns)."""
    rc, out, err = module.run_command(argv, environ_update={"NO_COLOR": "1", "LC_ALL": "C.UTF-8"})
    result = {"cmd": argv, "rc": rc, "stderr": err, "changed": False}
    report = None
    if out.strip():
        try:
            report = json.loads(out)
        except ValueError:
            module.fail_json(msg="devown printed something that is not JSON: %s" % out[:500],
                             **result)
    if report is None:
        # Usage errors (exit 2: unknown option, target or driver, bad configuration) print
        # no JSON, only their line on standard error.
        module.fail_json(msg=first_line(err) or "devown exited %d without a report" % rc,
                         **result)
    result.update(
        report=report,
        result=report.get("result"),
        devices=report.get("devices", []),
        plan=report.get("plan", []),
        refusals=report.get("refusals", []),
        notes=report.get("notes", []),
        rules=sorted(set(r.get("rule") for r in report.get("refusals", []))),
    )
    if "mismatches" in report:
        result["mismatches"] = report["mismatches"]
    if module._diff:
        result["diff"] = diff_of(report)
    # Changed exactly when devown changed a device, failed or not: apply exits 3 for an entry
    # whose place holds another device after applying the rest.
    if module.check_mode:
        result["changed"] = report.get("result") == "would-change"
    else:
        result["changed"] = bool(report.get("changed"))
    if rc == 3:
        module.fail_json(msg=refusal_message(report, err), **result)
    if rc != 0:
        module.fail_json(msg="%s: %s" % (EXIT_MEANING.get(rc, "devown exited %d" % rc),
                                         report.get("error") or first_line(err)), **result)
    module.exit_json(**result)
