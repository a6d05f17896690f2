# SPDX-License-Identifier: GPL-2.0-or-later
"""Small fake roots for the apply tests (DEVOWN_ROOT): just what apply, export and their
fingerprints read. sys/bus/pci/devices/ADDR are links into sys/devices/pciDDDD:BB/... so that
path= (the position below the host bridge) is what a real kernel would show, config files
carry a Device Serial Number capability where a test asks for one, and sys/bus/pci/slots
names physical slots.

    r = Root(tmpdir)
    r.add("0000:00:1c.0", 0x8086, 0xa110, 0x060400, driver="pcieport", group=1)
    r.add("0000:03:00.0", 0x8086, 0x10d3, 0x020000, driver="e1000e", group=2,
          parent="0000:00:1c.0", serial="00-1b-21-ff-ff-6b-8e-5c")
    r.slot("4", "0000:03:00")
    r.build()
"""

import os
import struct

VFIO_DRIVERS = ("vfio-pci",)


def _w(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def _link(target, link):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(os.path.relpath(target, os.path.dirname(link)), link)


class Dev:
    def __init__(self, addr, vendor, device, cls, driver=None, override=None, group=None,
                 parent=None, subsys=None, serial=None):
        self.addr, self.vendor, self.device, self.cls = addr, vendor, device, cls
        self.driver, self.override, self.group, self.parent = driver, override, group, parent
        self.subsys = subsys or (vendor, device)
        self.serial = serial

    def modalias(self):
        return "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X" % (
            self.vendor, self.device, self.subsys[0], self.subsys[1], self.cls >> 16,
            (self.cls >> 8) & 0xff, self.cls & 0xff)

    def config(self):
        """4096 bytes of PCI Express config space; a DSN capability at 0x100 when serial."""
        cfg = bytearray(4096)
        struct.pack_into("<HH", cfg, 0, self.vendor, self.device)
        struct.pack_into("<BBBB", cfg, 8, 1, self.cls & 0xff, (self.cls >> 8) & 0xff, self.cls >> 16)
        struct.pack_into("<HH", cfg, 0x2c, self.subsys[0], self.subsys[1])
        if self.serial:
            b = bytes(int(x, 16) for x in self.serial.split("-"))
            hi, lo = int.from_bytes(b[:4], "big"), int.from_bytes(b[4:], "big")
            # An unrelated capability first (AER, 0001h), so that the walk is tested.
            struct.pack_into("<I", cfg, 0x100, 0x0001 | 1 << 16 | 0x140 << 20)
            struct.pack_into("<III", cfg, 0x140, 0x0003 | 1 << 16, lo, hi)
        return bytes(cfg)


class Root:
    def __init__(self, root, release="6.1.0-26-amd64", iommu=True):
        self.root = os.path.abspath(root)
        self.release, self.iommu = release, iommu
        self.devs = {}
        self.slots = {}
        self.builtin = {"pcieport"}

    def p(self, *parts):
        return os.path.join(self.root, *parts)

    def add(self, addr, vendor, device, cls, **kw):
        self.devs[addr] = Dev(addr, vendor, device, cls, **kw)
        return self.devs[addr]

    def slot(self, name, address):
        self.slots[name] = address

    def dev_dir(self, addr):
        d = self.devs[addr]
        if d.parent:
            return os.path.join(self.dev_dir(d.parent), addr)
        dom, bus = addr.split(":")[:2]
        return self.p("sys/devices", "pci%s:%s" % (dom, bus), addr)

    def driver_dir(self, name):
        dd = self.p("sys/bus/pci/drivers", name)
        if not os.path.isdir(dd):
            os.makedirs(dd)
            _w(os.path.join(dd, "bind"), "")
            _w(os.path.join(dd, "unbind"), "")
            if name not in self.builtin:
                mod = self.p("sys/module", name.replace("-", "_"))
                os.makedirs(mod, exist_ok=True)
                _link(mod, os.path.join(dd, "module"))
        return dd

    def build(self):
        for sub in ("sys/bus/pci/devices", "sys/bus/pci/drivers", "sys/module", "run", "dev/vfio",
                    "etc"):
            os.makedirs(self.p(sub), exist_ok=True)
        _w(self.p("proc/sys/kernel/osrelease"), self.release + "\n")
        _w(self.p("proc/kallsyms"), "ffffffff81004000 T iommu_group_claim_dma_owner\n")
        _w(self.p("proc/cpuinfo"), "processor\t: 0\nvendor_id\t: GenuineIntel\n\n")
        if self.iommu:
            os.makedirs(self.p("sys/devices/virtual/iommu/dmar0"), exist_ok=True)
            _link(self.p("sys/devices/virtual/iommu/dmar0"), self.p("sys/class/iommu/dmar0"))
            os.makedirs(self.p("sys/kernel/iommu_groups"), exist_ok=True)
        # vfio-pci is registered, as on a host that loaded it (the planner then needs no module).
        self.driver_dir("vfio-pci")
        for addr in sorted(self.devs, key=lambda a: self.dev_dir(a).count("/")):
            d = self.devs[addr]
            dd = self.dev_dir(addr)
            os.makedirs(dd, exist_ok=True)
            _link(dd, self.p("sys/bus/pci/devices", addr))
            for name, value in (("vendor", d.vendor), ("device", d.device),
                                ("subsystem_vendor", d.subsys[0]), ("subsystem_device", d.subsys[1])):
                _w(os.path.join(dd, name), "0x%04x\n" % value)
            _w(os.path.join(dd, "class"), "0x%06x\n" % d.cls)
            _w(os.path.join(dd, "revision"), "0x01\n")
            _w(os.path.join(dd, "modalias"), d.modalias() + "\n")
            _w(os.path.join(dd, "driver_override"), (d.override or "(null)") + "\n")
            _w(os.path.join(dd, "numa_node"), "-1\n")
            _w(os.path.join(dd, "enable"), "1\n" if d.driver else "0\n")
            _w(os.path.join(dd, "config"), d.config(), "wb")
            if d.driver:
                drv = self.driver_dir(d.driver)
                _link(drv, os.path.join(dd, "driver"))
                _link(dd, os.path.join(drv, addr))
                if d.driver in VFIO_DRIVERS:
                    os.makedirs(os.path.join(dd, "vfio-dev", "vfio%d" % (d.group or 0)))
                    _w(self.p("dev/vfio", str(d.group)), "")
            if d.group is not None and self.iommu:
                g = self.p("sys/kernel/iommu_groups", str(d.group))
                if not os.path.isdir(g):
                    os.makedirs(os.path.join(g, "devices"))
                    _w(os.path.join(g, "type"), "DMA-FQ\n")
                _link(g, os.path.join(dd, "iommu_group"))
                _link(dd, os.path.join(g, "devices", addr))
        for name, address in self.slots.items():
            _w(self.p("sys/bus/pci/slots", name, "address"), address + "\n")
        return self
