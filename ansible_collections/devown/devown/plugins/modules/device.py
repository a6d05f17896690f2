#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: device
short_description: Bind, unbind or restore PCI devices and IOMMU groups with devown
version_added: "0.1.0"
description:
  - Moves PCI devices, or whole IOMMU groups, to a driver (C(devown bind)), detaches them
    (C(devown unbind)), or gives them back the driver and C(driver_override) they had before
    devown first touched them (C(devown restore)).
  - devown plans the change in full and checks it against its safety rules before it writes
    anything; a refusal fails the task with devown's one-line message and the rule's
    identifier, and changes nothing. Otherwise the change is one transaction that is either
    completed and verified or undone.
  - The task is changed exactly when devown moved a device; in check mode, when devown's dry
    run says it would.
  - Runs C(devown ... --json) on the managed host, which must have devown installed.
author:
  - devown developers (devown@example.org)
options:
  target:
    description:
      - The devices, as PCI addresses (C(0000:03:00.0), or C(03:00.0) for domain 0000), or
        IOMMU group numbers.
      - With I(state=restored) an empty list means every device devown has changed.
    type: list
    elements: str
    required: true
  driver:
    description:
      - The driver for I(state=bound) (required then).
      - C(vfio) picks the VFIO variant driver that matches each device, else C(vfio-pci);
        C(none) unbinds the devices and parks them; any other name is a PCI driver or a module
        that provides one.
    type: str
  state:
    description:
      - C(bound) binds the targets to I(driver), C(unbound) detaches them and keeps them
        unbound, C(restored) gives them back what they had before devown.
    type: str
    choices: [bound, unbound, restored]
    default: bound
  group:
    description:
      - Act on every non-bridge member of each target's IOMMU group (C(--group)). Without
        it, binding VFIO into a group whose other members stay on kernel drivers is refused
        (rule C(partial-group)).
      - Not for I(state=restored) (give a group number as target instead).
    type: bool
    default: false
  force:
    description:
      - Take devices the host is using, give up the VFs of an SR-IOV physical function, or
        bind a driver that does not claim the device (C(--force)). Never overrides a group
        that a VM or program holds.
      - Not for I(state=restored).
    type: bool
    default: false
  owner:
    description:
      - Hand the VFIO group nodes (and VFIO device nodes) of the bound devices to
        C(USER[:GROUP]) (C(--owner)), mode 0600, or 0660 with a group, for an unprivileged VM
        or DPDK program. I(state=restored) gives them back their previous owner and mode.
        Only with I(state=bound); an unknown user or group fails the task (devown's usage
        error, rc 2).
    type: str
  timeout:
    description:
      - Bound in seconds for blocking sysfs writes, waits and the lock (C(--timeout)); devown's
        default is 10.
    type: int
  executable:
    description:
      - The devown binary. By default C(devown) on C(PATH), in C(/usr/sbin) or
        C(/usr/local/sbin).
    type: path
notes:
  - Check mode runs devown's C(--dry-run), which needs no root (as another user devown cannot
    see every process, so run it as root for an exact answer).
  - Diff mode shows the driver and C(driver_override) of each device before and after.
  - devown's exit statuses map to the task so; 0 ok or changed, 3 refused (failed, with
    I(refusals)), 1 failed and undone, 4 failed and not fully undone, 2 usage error (failed,
    devown printed no report).
  - The report is described in devown(8), section JSON OUTPUT, and by the JSON Schema in
    C(/usr/share/devown/schema/devown.schema.json).
seealso:
  - module: devown.devown.apply
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Give a network card to DPDK
  devown.devown.device:
    target: ["0000:03:00.0", "0000:03:00.1"]
    driver: vfio

- name: Give a GPU and its audio function (its IOMMU group) to a VM
  devown.devown.device:
    target: ["0000:01:00.0"]
    driver: vfio
    group: true

- name: Put them back
  devown.devown.device:
    target: ["0000:03:00.0", "0000:03:00.1", "14"]
    state: restored

- name: Would anything change? (a dry run)
  devown.devown.device:
    target: ["0000:03:00.0"]
    driver: vfio
  check_mode: true
  register: plan
"""

RETURN = r"""
result:
  description: devown's verdict.
  returned: when devown printed a report
  type: str
  sample: would-change
  choices: [done, unchanged, would-change, refused, failed, undo-failed]
devices:
  description: Every device devown looked at, with C(address), C(group), C(action), C(from),
    C(to) and C(note) (devown(8), JSON OUTPUT).
  returned: when devown printed a report
  type: list
  elements: dict
plan:
  description: The steps in the order they run (or would run).
  returned: when devown printed a report
  type: list
  elements: dict
refusals:
  description: One per refusal, with C(address), C(driver), C(group), C(rule) and C(message).
  returned: when devown printed a report
  type: list
  elements: dict
rules:
  description: The identifiers of the safety rules that refused.
  returned: when devown printed a report
  type: list
  elements: str
  sample: [partial-group]
notes:
  description: devown's informational lines.
  returned: when devown printed a report
  type: list
  elements: str
report:
  description: The whole JSON report of devown (schema 1).
  returned: when devown printed a report
  type: dict
cmd:
  description: The devown command line.
  returned: always
  type: list
  elements: str
rc:
  description: devown's exit status.
  returned: always
  type: int
stderr:
  description: What devown printed on standard error.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.devown.devown.plugins.module_utils.devown import (
    common_args,
    find_devown,
    run,
)

ARGUMENT_SPEC = dict(
    target=dict(type="list", elements="str", required=True),
    driver=dict(type="str"),
    state=dict(type="str", choices=["bound", "unbound", "restored"], default="bound"),
    group=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
    owner=dict(type="str"),
    timeout=dict(type="int"),
    executable=dict(type="path"),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_if=[("state", "bound", ["driver"])])
    p = module.params
    state = p["state"]
    if state != "bound" and p["driver"]:
        module.fail_json(msg="driver is only for state=bound (state is %s)" % state)
    if state != "bound" and p["owner"]:
        module.fail_json(msg="owner is only for state=bound")
    if state == "restored" and (p["group"] or p["force"]):
        module.fail_json(msg="group and force are not for state=restored "
                             "(give the group number as target)")
    if state != "restored" and not p["target"]:
        module.fail_json(msg="target must name at least one device or group")
    command = {"bound": "bind", "unbound": "unbind", "restored": "restore"}[state]
    argv = [find_devown(module), command]
    argv += common_args(module, ("force", "timeout", "owner") if state != "restored" else ("timeout",))
    if p["group"]:
        argv.append("--group")
    argv.append("--")
    argv += p["target"]
    if state == "bound":
        argv.append(p["driver"])
    run(module, argv)


if __name__ == "__main__":
    main()
