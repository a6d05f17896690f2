#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixture tests of devown's host-use findings (the in_use array of `devown status --json`).

Usage: test-inuse.py DEVOWN CASE   (meson registers one test per CASE, suite "fixture")

Each case builds a small fake root in a temporary directory (inuse_tree.py), runs the real
devown binary with DEVOWN_ROOT pointing at it, and asserts the exact in_use entries of the
devices concerned (every key but the free-text detail, which is checked for its key words)
and that the unrelated devices have none.
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inuse_tree  # noqa: E402
from inuse_tree import Tree, device, devices, run_status, run_text  # noqa: E402

NIC, NIC2, NIC3, NIC4 = "0000:03:00.0", "0000:04:00.0", "0000:05:00.0", "0000:06:00.0"
NVME, AHCI, VIRTIO_BLK = "0000:01:00.0", "0000:00:17.0", "0000:00:07.0"
GPU, GPU2, AUDIO, OTHER = "0000:00:02.0", "0000:02:00.0", "0000:00:1f.3", "0000:00:1f.4"

NO_NET = {"addresses": [], "routes": [], "up": False, "default_route": False,
          "master": None, "uppers": [], "own_connection": False}


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def entries(status, addr, keep_detail=False):
    """The in_use entries of a device without their detail text."""
    out = []
    for u in device(status, addr)["in_use"]:
        u = dict(u)
        check("detail" in u, "%s: entry without detail: %r" % (addr, u))
        if not keep_detail:
            u.pop("detail")
        out.append(u)
    return out


def expect(status, addr, want):
    got = entries(status, addr)
    check(got == want, "%s in_use:\n  got  %r\n  want %r" % (addr, got, want))


def expect_none(status, *addrs):
    for a in addrs:
        d = device(status, a)
        check(d["in_use"] == [], "%s should have no in_use entry, has %r" % (a, d["in_use"]))
        check(d["in_use_unknown"] == [], "%s should have no in_use_unknown note, has %r" %
              (a, d["in_use_unknown"]))


def detail(status, addr, i):
    return device(status, addr)["in_use"][i]["detail"]


def expect_words(text, *words):
    for w in words:
        check(w in text, "%r not in %r" % (w, text))


def unrelated(t):
    """A device that uses nothing: a SMBus controller."""
    t.pci(OTHER, cls=0x0c0500, driver="i801_smbus")


# ---- network --------------------------------------------------------------------------------

def net_tree(t):
    """eth0: up, IPv4 and IPv6, both default routes. eth1: down, nothing. eth2: down but with
    an IPv4 address. A NIC with an interface below a virtio child."""
    nic = t.pci(NIC, driver="e1000e")
    i0 = t.netif(nic, "eth0", up=True)
    t.ipv4(i0, "192.0.2.10/24", "eth0")
    t.ipv6(i0, "eth0", "2001:db8::10/64")
    t.ipv6(i0, "eth0", "fe80::1/64")
    t.route4("eth0", "0.0.0.0", 0, gateway="192.0.2.1")
    t.route4("eth0", "192.0.2.0", 24)
    t.route6("eth0", "2001:db8::", 64)
    t.route6("eth0", "fe80::", 64)
    t.route6("eth0", "::", 0, flags=0x3)
    t.route6("eth0", "2001:db8::10", 128, flags=0x80200001)  # local table: not a route
    t.route6("eth0", "ff00::", 8)                             # multicast: not a route
    nic2 = t.pci(NIC2, driver="igb")
    t.netif(nic2, "eth1", up=False)
    nic3 = t.pci(NIC3, driver="igb")
    i2 = t.netif(nic3, "eth2", up=False)
    t.ipv4(i2, "10.9.9.9/8", "eth2")
    virtio = t.pci(NIC4, vendor=0x1af4, device=0x1041, driver="virtio-pci")
    i3 = t.netif(os.path.join(virtio, "virtio3"), "ens4", up=True)
    t.ipv4(i3, "198.51.100.4/25", "ens4")
    t.ipv4(i3, "198.51.100.5/25", "ens4:1")  # an alias label
    unrelated(t)


def case_net_up(devown, root):
    t = Tree(root)
    net_tree(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, NIC, [dict(NO_NET, kind="net", name="eth0", up=True, default_route=True,
                         addresses=["192.0.2.10/24", "2001:db8::10/64", "fe80::1/64"],
                         routes=["0.0.0.0/0", "192.0.2.0/24", "2001:db8::/64", "::/0"])])
    expect_words(detail(s, NIC, 0), "up", "default route", "192.0.2.10/24", "2001:db8::10/64")
    # Down and without addresses: nothing to protect.
    expect_none(s, NIC2, OTHER)
    # Down, but configured: a use.
    expect(s, NIC3, [dict(NO_NET, kind="net", name="eth2", addresses=["10.9.9.9/8"])])
    expect_words(detail(s, NIC3, 0), "down", "10.9.9.9/8")
    # Interfaces below a child device (virtio) belong to the PCI device too.
    expect(s, NIC4, [dict(NO_NET, kind="net", name="ens4", up=True,
                          addresses=["198.51.100.4/25", "198.51.100.5/25"])])


def case_net_enslaved(devown, root):
    """eth0 (NIC) and eth1 (NIC2, down) are bond0's slaves; bond0 is a port of bridge br0,
    which carries the address and the default route."""
    t = Tree(root)
    t.pci(NIC, driver="e1000e")
    t.netif(t.p("sys/devices/pci0000:00", NIC), "eth0", up=True)
    t.pci(NIC2, driver="e1000e")
    t.netif(t.p("sys/devices/pci0000:00", NIC2), "eth1", up=False)
    t.netif(None, "bond0", up=True)
    br = t.netif(None, "br0", up=True)
    t.enslave("eth0", "bond0")
    t.enslave("eth1", "bond0")
    t.enslave("bond0", "br0")
    t.ipv4(br, "192.0.2.20/24", "br0")
    t.route4("br0", "0.0.0.0", 0, gateway="192.0.2.1")
    t.route4("br0", "192.0.2.0", 24)
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    common = dict(NO_NET, kind="net", master="bond0", uppers=["bond0", "br0"],
                  addresses=["192.0.2.20/24"], routes=["0.0.0.0/0", "192.0.2.0/24"],
                  default_route=True)
    expect(s, NIC, [dict(common, name="eth0", up=True)])
    expect(s, NIC2, [dict(common, name="eth1", up=False)])
    expect_words(detail(s, NIC, 0), "enslaved to bond0", "below br0", "default route")
    expect_none(s, OTHER)


def case_net_own_connection(devown, root):
    """SSH_CONNECTION's local address is on eth0; over IPv6 the address is on eth1, and a
    connection whose server address sits on a non-PCI interface is found by the route to the
    client."""
    t = Tree(root)
    net_tree(t)
    i = t.netif(t.p("sys/devices/pci0000:00", NIC2), "eth9", up=True)
    t.ipv6(i, "eth9", "2001:db8:9::1/64")
    t.route6("eth9", "2001:db8:9::", 64)
    t.build()

    s, _ = run_status(devown, root, {"SSH_CONNECTION": "203.0.113.7 50022 192.0.2.10 22"})
    [eth0] = entries(s, NIC)
    check(eth0["own_connection"] is True, "eth0 carries the SSH connection: %r" % eth0)
    expect_words(detail(s, NIC, 0), "SSH connection from 203.0.113.7")
    for a in (NIC2, NIC3, NIC4):
        check(all(u["own_connection"] is False for u in entries(s, a)),
              "%s does not carry the connection: %r" % (a, entries(s, a)))
    text = run_text(devown, root, {"SSH_CONNECTION": "203.0.113.7 50022 192.0.2.10 22"})
    check("your own connection" in text, "text view names the own connection:\n" + text)

    s, _ = run_status(devown, root, {"SSH_CONNECTION": "2001:db8:9::77 50022 2001:db8:9::1 22"})
    check([u["own_connection"] for u in entries(s, NIC2)] == [True], "IPv6: eth9 is own")
    check([u["own_connection"] for u in entries(s, NIC)] == [False], "IPv6: eth0 is not")

    # The server address is elsewhere (a loopback alias); the client is reached by the
    # default route, through eth0.
    s, _ = run_status(devown, root, {"SSH_CONNECTION": "203.0.113.7 50022 10.255.0.1 22"})
    check([u["own_connection"] for u in entries(s, NIC)] == [True], "route to the client")
    check([u["own_connection"] for u in entries(s, NIC2)] == [False], "not eth9")
    expect_none(s, OTHER)


def case_net_own_connection_sudo(devown, root):
    """sudo drops SSH_CONNECTION: the connection is found on devown's ancestors instead, the
    sshd session process that holds the socket (IPv4 on eth0, IPv6 on eth9). A listening
    socket and another process's connection are not ours."""
    t = Tree(root)
    net_tree(t)
    i = t.netif(t.p("sys/devices/pci0000:00", NIC2), "eth9", up=True)
    t.ipv6(i, "eth9", "2001:db8:9::1/64")
    t.route6("eth9", "2001:db8:9::", 64)
    t.ancestry([(4999, "sudo"), (4990, "bash"), (4980, "sshd")])
    t.process(4980, "sshd", {3: "socket:[31337]", 4: "socket:[31338]", 5: "/dev/null"})
    t.process(700, "sshd", {3: "socket:[100]", 4: "socket:[101]"})
    t.tcp_socket("0.0.0.0", 22, "0.0.0.0", 0, 100, state=0x0A)           # the listener
    t.tcp_socket("198.51.100.4", 22, "203.0.113.99", 40000, 101)         # someone else
    t.tcp_socket("192.0.2.10", 22, "203.0.113.7", 50022, 31337)          # ours, IPv4
    t.tcp_socket("2001:db8:9::1", 22, "2001:db8:9::77", 50023, 31338)    # ours, IPv6
    t.build()
    s, _ = run_status(devown, root)
    check([u["own_connection"] for u in entries(s, NIC)] == [True], "eth0 is own")
    check([u["own_connection"] for u in entries(s, NIC2)] == [True], "eth9 is own")
    check([u["own_connection"] for u in entries(s, NIC4)] == [False], "ens4 is not own")
    expect_words(detail(s, NIC, 0), "connection from 203.0.113.7 held by sshd (pid 4980)")
    expect_words(detail(s, NIC2, 0), "connection from 2001:db8:9::77 held by sshd (pid 4980)")


# ---- storage --------------------------------------------------------------------------------

def nvme_tree(t):
    nvme = t.pci(NVME, cls=0x010802, driver="nvme")
    ctrl = t.class_dev("nvme", os.path.join(nvme, "nvme"), "nvme0", dev="241:0")
    t.block(ctrl, "nvme0n1", "259:0",
            partitions=[("nvme0n1p1", "259:1"), ("nvme0n1p2", "259:2"), ("nvme0n1p3", "259:3")])
    return nvme


def case_mount_nvme(devown, root):
    t = Tree(root)
    nvme_tree(t)
    t.mount("259:1", "/", "/data", "ext4", "/dev/nvme0n1p1")
    t.mount("259:1", "/www", "/srv/www", "ext4", "/dev/nvme0n1p1")  # a bind mount of a dir
    t.mount("0:25", "/", "/tmp", "tmpfs", "tmpfs")
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, NVME, [{"kind": "mount", "name": "/data", "source": "/dev/nvme0n1p1",
                      "mountpoint": "/data", "mountpoints": ["/data", "/srv/www"],
                      "fstype": "ext4", "root": False}])
    expect_words(detail(s, NVME, 0), "mounted on /data", "1 more")
    expect_none(s, OTHER)


def case_mount_root(devown, root):
    """A SATA disk behind AHCI: sda2 is the root filesystem; sda3 is btrfs, whose mountinfo
    entry has an anonymous device number, so the source names it. An NVMe namespace with
    native multipath (nvme0c0n1 below the controller, the nvme0n1 head elsewhere)."""
    t = Tree(root)
    ahci = t.pci(AHCI, cls=0x010601, driver="ahci")
    sdev = os.path.join(ahci, "ata1", "host0", "target0:0:0", "0:0:0:0")
    t.class_dev("scsi_generic", os.path.join(sdev, "scsi_generic"), "sg0", dev="21:0")
    t.block(os.path.join(sdev, "block"), "sda", "8:0",
            partitions=[("sda1", "8:1"), ("sda2", "8:2"), ("sda3", "8:3")])
    nvme = t.pci(NVME, cls=0x010802, driver="nvme")
    ctrl = t.class_dev("nvme", os.path.join(nvme, "nvme"), "nvme0", dev="241:0")
    t.block(ctrl, "nvme0c0n1", None)
    head = t.p("sys/devices/virtual/nvme-subsystem/nvme-subsys0")
    t.block(head, "nvme0n1", "259:0", partitions=[("nvme0n1p1", "259:1")])
    t.mount("8:2", "/", "/", "ext4", "/dev/sda2")
    t.mount("0:33", "/", "/home", "btrfs", "/dev/sda3")
    t.mount("259:1", "/", "/var/lib/vm", "xfs", "/dev/nvme0n1p1")
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, AHCI, [
        {"kind": "mount", "name": "/", "source": "/dev/sda2", "mountpoint": "/",
         "mountpoints": ["/"], "fstype": "ext4", "root": True},
        {"kind": "mount", "name": "/home", "source": "/dev/sda3", "mountpoint": "/home",
         "mountpoints": ["/home"], "fstype": "btrfs", "root": False}])
    expect_words(detail(s, AHCI, 0), "mounted on /", "the root filesystem")
    expect(s, NVME, [{"kind": "mount", "name": "/var/lib/vm", "source": "/dev/nvme0n1p1",
                      "mountpoint": "/var/lib/vm", "mountpoints": ["/var/lib/vm"],
                      "fstype": "xfs", "root": False}])
    expect_none(s, OTHER)


def case_swap(devown, root):
    t = Tree(root)
    vblk = t.pci(VIRTIO_BLK, vendor=0x1af4, device=0x1042, cls=0x010000, driver="virtio-pci")
    t.block(os.path.join(vblk, "virtio2", "block"), "vda", "254:0",
            partitions=[("vda1", "254:1"), ("vda2", "254:2")])
    t.swap("/dev/vda2")
    t.swap("/swapfile", kind="file")
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, VIRTIO_BLK, [{"kind": "swap", "name": "/dev/vda2", "source": "/dev/vda2"}])
    expect_words(detail(s, VIRTIO_BLK, 0), "swap")
    expect_none(s, OTHER)


def case_dm_holder(devown, root):
    """nvme0n1p3 -> dm-0 (LUKS) -> dm-1 (vg-root, mounted on / by its /dev/mapper name) and
    dm-2 (vg-swap, swap). A qemu holds dm-3, an LV on nvme0n1p2. nvme0n1p1 is free."""
    t = Tree(root)
    nvme_tree(t)
    t.block(None, "dm-0", "253:0", dm_name="luks-abc")
    t.block(None, "dm-1", "253:1", dm_name="vg-root")
    t.block(None, "dm-2", "253:2", dm_name="vg-swap")
    t.block(None, "dm-3", "253:3", dm_name="vg2-disk")
    t.hold("nvme0n1p3", "dm-0")
    t.hold("dm-0", "dm-1")
    t.hold("dm-0", "dm-2")
    t.hold("nvme0n1p2", "dm-3")
    t.mount("253:1", "/", "/", "ext4", "/dev/mapper/vg-root")
    t.swap("/dev/dm-2")
    t.process(4100, "qemu-system-x86", {3: "/dev/dm-3", 4: "/dev/null"})
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, NVME, [
        {"kind": "holder", "name": "nvme0n1p2", "chain": ["dm-3"], "mountpoint": None,
         "mountpoints": [], "fstype": None, "root": False, "swap": False},
        {"kind": "holder", "name": "nvme0n1p3", "chain": ["dm-0", "dm-1", "dm-2"],
         "mountpoint": "/", "mountpoints": ["/"], "fstype": "ext4", "root": True, "swap": True},
        {"kind": "devnode", "name": "/dev/dm-3", "pid": 4100, "command": "qemu-system-x86",
         "path": "/dev/dm-3", "subsystem": "block"}])
    expect_words(detail(s, NVME, 1), "dm-0 (luks-abc)", "dm-1 (vg-root)", "the root filesystem",
                 "swap")
    expect_words(detail(s, NVME, 2), "holding nvme0n1p2", "qemu-system-x86", "4100")
    expect_none(s, OTHER)


def case_storage_unknown(devown, root):
    """mountinfo that cannot be read leaves a note, not an error, and only on devices with
    block devices."""
    t = Tree(root)
    nvme_tree(t)
    unrelated(t)
    t.build()
    os.unlink(t.p("proc/self/mountinfo"))
    os.makedirs(t.p("proc/self/mountinfo"))
    s, _ = run_status(devown, root)
    check(device(s, NVME)["in_use"] == [], "nothing found")
    unknown = device(s, NVME)["in_use_unknown"]
    check(len(unknown) == 1 and "/proc/self/mountinfo" in unknown[0], "note: %r" % unknown)
    expect_none(s, OTHER)


# ---- display and device nodes ---------------------------------------------------------------

def gpu_tree(t, fbcon=True, cmdline="root=/dev/sda2 quiet"):
    gpu = t.pci(GPU, cls=0x030000, driver="i915", boot_vga=1)
    gpu2 = t.pci(GPU2, vendor=0x10de, cls=0x030000, driver="nouveau", boot_vga=0)
    for dev, n in ((gpu, 0), (gpu2, 1)):
        d = t.class_dev("graphics", os.path.join(dev, "graphics"), "fb%d" % n, dev="29:%d" % n)
        inuse_tree.symlink(dev, os.path.join(d, "device"))
        t.class_dev("drm", os.path.join(dev, "drm"), "card%d" % n, dev="226:%d" % n,
                    devname="dri/card%d" % n)
        t.class_dev("drm", os.path.join(dev, "drm"), "renderD%d" % (128 + n),
                    dev="226:%d" % (128 + n), devname="dri/renderD%d" % (128 + n))
        os.makedirs(os.path.join(dev, "drm", "card%d" % n, "card%d-HDMI-A-1" % n))
    vt = t.p("sys/class/vtconsole")
    inuse_tree.write(os.path.join(vt, "vtcon0", "name"), "(S) dummy device\n")
    inuse_tree.write(os.path.join(vt, "vtcon0", "bind"), "0\n")
    inuse_tree.write(os.path.join(vt, "vtcon1", "name"), "(M) frame buffer device\n")
    inuse_tree.write(os.path.join(vt, "vtcon1", "bind"), "1\n" if fbcon else "0\n")
    inuse_tree.write(t.p("proc/cmdline"), cmdline + "\n")


def case_boot_vga(devown, root):
    t = Tree(root)
    t.pci(GPU, cls=0x030000, driver="i915", boot_vga=1)
    t.pci(GPU2, vendor=0x10de, cls=0x030000, driver="nouveau", boot_vga=0)
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, GPU, [{"kind": "display", "name": "boot_vga"}])
    expect_none(s, GPU2, OTHER)


def case_fbcon(devown, root):
    t = Tree(root)
    gpu_tree(t)
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, GPU, [{"kind": "display", "name": "boot_vga"}, {"kind": "display", "name": "fb0"}])
    expect_words(detail(s, GPU, 1), "fbcon")
    expect_none(s, GPU2, OTHER)  # fb1 exists, but no console is mapped to it


def case_fbcon_map(devown, root):
    """fbcon=map:1 puts the consoles on fb1; with fbcon unbound there is no console use."""
    t = Tree(root)
    gpu_tree(t, cmdline="quiet fbcon=map:1")
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, GPU, [{"kind": "display", "name": "boot_vga"}])
    expect(s, GPU2, [{"kind": "display", "name": "fb1"}])
    inuse_tree.write(t.p("sys/class/vtconsole/vtcon1/bind"), "0\n")
    s, _ = run_status(devown, root)
    expect(s, GPU, [{"kind": "display", "name": "boot_vga"}])
    expect_none(s, GPU2, OTHER)


def case_drm_open(devown, root):
    t = Tree(root)
    gpu_tree(t, fbcon=False)
    t.process(812, "Xorg", {0: "/dev/null", 11: "/dev/dri/card0", 12: "/dev/dri/card0",
                            13: "socket:[1234]", 14: "/var/log/Xorg.0.log"})
    t.process(2100, "firefox", {40: "/dev/dri/renderD128", 41: "anon_inode:[eventfd]"})
    t.process(2200, "bash", {0: "/dev/pts/0", 255: "/dev/tty1"})
    unrelated(t)
    t.build()
    s, _ = run_status(devown, root)
    expect(s, GPU, [
        {"kind": "display", "name": "boot_vga"},
        {"kind": "devnode", "name": "/dev/dri/card0", "pid": 812, "command": "Xorg",
         "path": "/dev/dri/card0", "subsystem": "drm"},
        {"kind": "devnode", "name": "/dev/dri/renderD128", "pid": 2100, "command": "firefox",
         "path": "/dev/dri/renderD128", "subsystem": "drm"}])
    expect_words(detail(s, GPU, 1), "/dev/dri/card0", "Xorg", "812")
    expect_none(s, GPU2, OTHER)


def case_devnode_held(devown, root):
    """Sound nodes held by pipewire, the NVMe controller's character device held by smartd,
    a whole disk held by qemu; a VFIO group node is a holder, not a devnode."""
    t = Tree(root)
    audio = t.pci(AUDIO, cls=0x040300, driver="snd_hda_intel")
    card = t.class_dev("sound", os.path.join(audio, "sound"), "card0")
    t.class_dev("sound", card, "controlC0", dev="116:2", devname="snd/controlC0")
    t.class_dev("sound", card, "pcmC0D0p", dev="116:16", devname="snd/pcmC0D0p")
    t.class_dev("sound", card, "pcmC0D0c", dev="116:24", devname="snd/pcmC0D0c")
    nvme_tree(t)
    unrelated(t)
    t.process(700, "pipewire", {30: "/dev/snd/controlC0", 31: "/dev/snd/pcmC0D0p",
                                32: "/dev/snd/controlC0"})
    t.process(701, "wireplumber", {9: "/dev/snd/controlC0"})
    t.process(650, "smartd", {5: "/dev/nvme0"})
    t.process(900, "qemu-system-x86", {12: "/dev/nvme0n1", 13: "/dev/vfio/7"})
    t.build()
    s, _ = run_status(devown, root)
    expect(s, AUDIO, [
        {"kind": "devnode", "name": "/dev/snd/controlC0", "pid": 700, "command": "pipewire",
         "path": "/dev/snd/controlC0", "subsystem": "sound"},
        {"kind": "devnode", "name": "/dev/snd/controlC0", "pid": 701, "command": "wireplumber",
         "path": "/dev/snd/controlC0", "subsystem": "sound"},
        {"kind": "devnode", "name": "/dev/snd/pcmC0D0p", "pid": 700, "command": "pipewire",
         "path": "/dev/snd/pcmC0D0p", "subsystem": "sound"}])
    expect(s, NVME, [
        {"kind": "devnode", "name": "/dev/nvme0", "pid": 650, "command": "smartd",
         "path": "/dev/nvme0", "subsystem": "nvme"},
        {"kind": "devnode", "name": "/dev/nvme0n1", "pid": 900, "command": "qemu-system-x86",
         "path": "/dev/nvme0n1", "subsystem": "block"}])
    expect_none(s, OTHER)


def case_no_proc_scan(devown, root):
    """Without a VFIO driver and without device nodes /proc is not read at all; with a device
    node it is read once."""
    t = Tree(root)
    net_tree(t)
    t.process(812, "Xorg", {11: "/dev/dri/card0"})
    t.build()
    _, err = run_status(devown, root, {"DEVOWN_DEBUG": "1"})
    check("no /proc scan" in err and "scanning /proc" not in err, "stderr: %r" % err)
    gpu_tree(t)
    _, err = run_status(devown, root, {"DEVOWN_DEBUG": "1"})
    check(err.count("scanning /proc") == 1, "one pass: %r" % err)


def case_text_view(devown, root):
    """Each finding is one line under its device in the text view."""
    t = Tree(root)
    net_tree(t)
    nvme_tree(t)
    t.mount("259:2", "/", "/", "ext4", "/dev/nvme0n1p2")
    t.build()
    text = run_text(devown, root)
    lines = [l.strip() for l in text.splitlines()]
    check(any(l.startswith("in use: net eth0 (up, default route") for l in lines), text)
    check(any(l.startswith("in use: mount / (mounted on / (ext4), the root") for l in
              lines), text)
    check(not any("eth1" in l for l in lines), text)


def case_hostile_strings(devown, root):
    """Process names and mount points are chosen by other users: escape sequences, bidi
    overrides and bytes that are not UTF-8 reach neither the terminal nor the JSON raw."""
    t = Tree(root)
    nvme_tree(t)
    unrelated(t)
    t.process(900, "placeholder", {12: "/dev/nvme0n1"})
    t.build()
    with open(t.p("proc", "900", "comm"), "wb") as f:
        f.write(b"\x1b]0;pwned\x07q\xff\xe2\x80\xaeexe\n")
    with open(t.p("proc/self/mountinfo"), "ab") as f:
        f.write(b"40 1 259:1 / /mnt/\x1b[2Jx\\012y\xfe rw,relatime shared:40 - ext4 /dev/nvme0n1p1 rw\n")
    env = {k: v for k, v in os.environ.items() if k != "SSH_CONNECTION"}
    env.update(DEVOWN_ROOT=root, NO_COLOR="1")
    wrapper = shlex.split(os.environ.get("DEVOWN_TEST_WRAPPER", ""))
    for args in (["status", "--json"], ["status"], ["status", "-v"]):
        p = subprocess.run(wrapper + [devown] + args, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        check(p.returncode == 0, "%s: exit %d: %r" % (args, p.returncode, p.stderr))
        out = p.stdout
        try:
            text = out.decode("utf-8")  # strict: one invalid byte fails
        except UnicodeDecodeError as e:
            check(False, "%s: output is not valid UTF-8: %s" % (args, e))
            continue
        bad = [c for c in text if (ord(c) < 0x20 and c not in "\n") or 0x7f <= ord(c) <= 0x9f
               or c in "\u202e\u2066"]
        check(not bad, "%s: control or bidi characters in the output: %r" % (args, bad[:5]))
        if args[1:] == ["--json"]:
            d = device(json.loads(text), NVME)
            uses = d["in_use"]
            cmds = [u.get("command") for u in uses if u.get("kind") == "devnode"]
            check(cmds == ["\\x1b]0;pwned\\x07q\\xff\\xe2\\x80\\xaeexe"],
                  "the process name, escaped: %r" % cmds)
            mps = [m for u in uses if u.get("kind") == "mount" for m in u.get("mountpoints", [])]
            check("/mnt/\\x1b[2Jx\\x0ay\\xfe" in mps, "the mount point, escaped: %r" % mps)
        else:
            check("\\x1b]0;pwned" in text, "text view shows the escaped name: %r" % text[-800:])


CASES = {name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: test-inuse.py DEVOWN CASE\ncases: " + " ".join(sorted(CASES)),
              file=sys.stderr)
        return 2
    devown, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="devown-inuse-") as root:
        try:
            CASES[case](devown, root)
        except AssertionError as e:
            print("FAIL %s: %s" % (case, e), file=sys.stderr)
            return 1
    print("ok %s" % case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
