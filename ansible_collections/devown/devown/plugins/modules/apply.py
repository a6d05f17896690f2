#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apply
short_description: Bring PCI devices to the state devown's configuration describes
version_added: "0.1.0"
description:
  - Runs C(devown apply), which gives every device that C(/etc/devown/*.conf) (or the files
    given) selects its configured driver, as one transaction, with the checks of
    C(devown bind).
  - The task is changed exactly when devown moved a device; in check mode, when devown's dry
    run says it would. Run it again and it is not changed.
  - A refusal by a safety rule, or a device that no longer matches its entry (another card in
    the slot; the rest is applied), fails the task with devown's one-line message and the
    rule's identifier (exit status 3). A configuration error fails it with devown's message
    (exit status 2).
  - Install the configuration with M(ansible.builtin.copy) or M(ansible.builtin.template)
    first; the format is in devown(8), section CONFIGURATION FILES.
author:
  - devown developers (devown@example.org)
options:
  files:
    description:
      - Configuration files to apply instead of C(/etc/devown/*.conf).
    type: list
    elements: path
    default: []
  device:
    description:
      - Apply only the entries that concern this device (C(--device), a PCI address), as
        the udev rule does.
    type: str
  force:
    description:
      - Take devices the host is using, or bind a driver that does not claim the device
        (C(--force)).
    type: bool
    default: false
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
  - Check mode runs C(devown apply --dry-run), which needs no root.
  - Diff mode shows the driver and C(driver_override) of each configured device before and
    after.
  - The report is described in devown(8), section JSON OUTPUT, and by the JSON Schema in
    C(/usr/share/devown/schema/devown.schema.json).
seealso:
  - module: devown.devown.device
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Install the devown configuration
  ansible.builtin.copy:
    src: files/50-passthrough.conf
    dest: /etc/devown/50-passthrough.conf
    mode: "0644"

- name: Apply it
  devown.devown.apply:
  register: applied

- name: Devices devown moved
  ansible.builtin.debug:
    msg: "{{ applied.devices | rejectattr('action', 'in', ['none', 'skip'])
             | map(attribute='address') | list }}"
  when: applied is changed

- name: A drift check, changing nothing
  devown.devown.apply:
  check_mode: true
"""

RETURN = r"""
result:
  description: devown's verdict.
  returned: when devown printed a report
  type: str
  sample: unchanged
  choices: [done, unchanged, would-change, refused, failed, undo-failed]
devices:
  description: Every device the configuration selects, with C(address), C(group), C(action),
    C(from), C(to), C(note), C(entry) and C(source) (devown(8), JSON OUTPUT).
  returned: when devown printed a report
  type: list
  elements: dict
mismatches:
  description: Entries whose place holds another device, with C(entry), C(file), C(line),
    C(address), C(expected) and C(found); those devices were left alone.
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
notes:
  description: devown's informational lines.
  returned: when devown printed a report
  type: list
  elements: str
report:
  description: The whole JSON report of devown (schema 1), with C(files), the files read.
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
    files=dict(type="list", elements="path", default=[]),
    device=dict(type="str"),
    force=dict(type="bool", default=False),
    timeout=dict(type="int"),
    executable=dict(type="path"),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    argv = [find_devown(module), "apply"] + common_args(module, ("force", "timeout"))
    if p["device"]:
        argv += ["--device", p["device"]]
    if p["files"]:
        argv.append("--")
        argv += p["files"]
    run(module, argv)


if __name__ == "__main__":
    main()
