# SPDX-License-Identifier: GPL-2.0-or-later
"""Small fake roots (DEVOWN_ROOT) for the host-use findings of devown status.

Lays files out the way the kernel does (docs/kernel.md, "Host use"): sysfs below a PCI device
(net/IFACE, nvme/nvme0/nvme0n1/nvme0n1p1, host0/.../block/sda, drm/card0, sound/card0/...),
the class directories that link to it (class/net, class/block, class/graphics), and the
procfs files devown reads (self/mountinfo, swaps, net/if_inet6, net/route, net/ipv6_route,
PID/comm and PID/fd/N). IPv4 addresses have no procfs file: devown asks rtnetlink on a real
host and reads ROOT/netlink/RTM_GETADDR under DEVOWN_ROOT, the reply's bytes, built here with
struct.pack exactly as the kernel lays them out.

Python standard library only; everything is written as the calling user.
"""

import ipaddress
import json
import os
import shlex
import socket
import struct
import subprocess

RTM_NEWADDR = 20
NLMSG_DONE = 3
NLM_F_MULTI = 2
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL = 1, 2, 3
IFF_UP = 0x1


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(path, mode) as f:
        f.write(text)


def symlink(target, link):
    """A relative symlink as sysfs writes them: up to the common ancestor, then down, always
    ending in the target's name (fb0/device -> ../../../0000:00:02.0, never ../..)."""
    here = os.path.dirname(link)
    os.makedirs(here, exist_ok=True)
    rel = os.path.relpath(target, here)
    if os.path.basename(rel) in ("..", "."):
        rel = os.path.join(os.path.relpath(os.path.dirname(target), here),
                           os.path.basename(target))
    os.symlink(rel, link)


def hex_host_order(ip):
    """An IPv4 address as /proc/net/route prints it: the __be32 value in host order."""
    return "%08X" % struct.unpack("=I", socket.inet_aton(ip))[0]


def hex_v6(ip):
    return ipaddress.IPv6Address(ip).packed.hex()


def nlattr(kind, data):
    length = 4 + len(data)
    return struct.pack("=HH", length, kind) + data + b"\0" * ((4 - length % 4) % 4)


def nlmsg(kind, payload, seq=1, flags=NLM_F_MULTI):
    length = 16 + len(payload)
    return struct.pack("=IHHII", length, kind, flags, seq, 4242) + payload + \
        b"\0" * ((4 - length % 4) % 4)


class Tree:
    def __init__(self, root):
        self.root = root
        self.mounts = []      # mountinfo lines
        self.swaps = []
        self.addr4 = []       # (ifindex, "a.b.c.d/len", label)
        self.addr6 = []       # (ifindex, ifname, "x::y/len")
        self.routes4 = []     # (ifname, dst, mask_len, gateway)
        self.routes6 = []     # (ifname, dst, len, flags)
        self.procs = {}       # pid -> (comm, {fd: target})
        self.stats = {}       # "self" or pid -> (pid, comm, ppid)
        self.tcp = []         # (local, lport, remote, rport, state, inode)
        self.ifindex = 1
        write(self.p("proc/sys/kernel/osrelease"), "6.1.0-26-amd64\n")

    def p(self, *parts):
        return os.path.join(self.root, *parts)

    # -- PCI devices --------------------------------------------------------------------------
    def pci(self, addr, vendor=0x8086, device=0x1234, cls=0x020000, driver=None, boot_vga=None):
        d = self.p("sys/devices/pci0000:00", addr)
        for name, value in (("vendor", "0x%04x" % vendor), ("device", "0x%04x" % device),
                            ("class", "0x%06x" % cls), ("subsystem_vendor", "0x0000"),
                            ("subsystem_device", "0x0000"), ("revision", "0x01")):
            write(os.path.join(d, name), value + "\n")
        if boot_vga is not None:
            write(os.path.join(d, "boot_vga"), "%d\n" % boot_vga)
        # Directories every real device has and devown must not wander into.
        write(os.path.join(d, "power", "control"), "on\n")
        os.makedirs(os.path.join(d, "msi_irqs"), exist_ok=True)
        if driver:
            drv = self.p("sys/bus/pci/drivers", driver)
            os.makedirs(drv, exist_ok=True)
            symlink(drv, os.path.join(d, "driver"))
        symlink(d, self.p("sys/bus/pci/devices", addr))
        return d

    def class_dev(self, cls, parent, name, dev=None, devname=None, extra=None):
        """A class device directory below parent (a path), linked from sys/class/CLS."""
        d = os.path.join(parent, name)
        os.makedirs(d, exist_ok=True)
        symlink(self.p("sys/class", cls), os.path.join(d, "subsystem"))
        os.makedirs(self.p("sys/class", cls), exist_ok=True)
        symlink(d, self.p("sys/class", cls, name))
        uevent = ""
        if dev:
            write(os.path.join(d, "dev"), dev + "\n")
            symlink(d, self.p("sys/dev", "block" if cls == "block" else "char", dev))
            major, minor = dev.split(":")
            uevent = "MAJOR=%s\nMINOR=%s\nDEVNAME=%s\n" % (major, minor, devname or name)
        write(os.path.join(d, "uevent"), uevent)
        for k, v in (extra or {}).items():
            write(os.path.join(d, k), v)
        return d

    # -- network ------------------------------------------------------------------------------
    def netif(self, parent, name, up=True, master=None):
        """An interface below parent (the PCI device or a virtio child) or, with parent None,
        a virtual one (bond, bridge). Returns its ifindex."""
        self.ifindex += 1
        base = os.path.join(parent, "net") if parent else self.p("sys/devices/virtual/net")
        d = self.class_dev("net", base, name, extra={
            "ifindex": "%d\n" % self.ifindex,
            "flags": "0x%x\n" % (0x1002 | (IFF_UP if up else 0)),
            "operstate": "up\n" if up else "down\n"})
        # Interfaces have queues/ and statistics/ directories devown must skip.
        write(os.path.join(d, "queues", "rx-0", "rps_cpus"), "0\n")
        write(os.path.join(d, "statistics", "rx_bytes"), "0\n")
        if master:
            self.enslave(name, master)
        return self.ifindex

    def enslave(self, lower, upper):
        lo = os.path.realpath(self.p("sys/class/net", lower))
        up = os.path.realpath(self.p("sys/class/net", upper))
        symlink(up, os.path.join(lo, "master"))
        symlink(up, os.path.join(lo, "upper_" + upper))
        symlink(lo, os.path.join(up, "lower_" + lower))

    def ipv4(self, ifindex, cidr, label):
        self.addr4.append((ifindex, cidr, label))

    def ipv6(self, ifindex, ifname, cidr):
        self.addr6.append((ifindex, ifname, cidr))

    def route4(self, ifname, dst, length, gateway="0.0.0.0"):
        self.routes4.append((ifname, dst, length, gateway))

    def route6(self, ifname, dst, length, flags=0x1):
        self.routes6.append((ifname, dst, length, flags))

    # -- storage ------------------------------------------------------------------------------
    def block(self, parent, name, dev, partitions=(), holders=(), dm_name=None,
              devname=None):
        """A disk (or dm device with parent None) and its partitions [(name, dev)]."""
        if parent is None:
            parent = self.p("sys/devices/virtual/block")
        d = self.class_dev("block", parent, name, dev=dev, devname=devname,
                           extra={"size": "2048\n"})
        write(os.path.join(d, "queue", "rotational"), "0\n")
        os.makedirs(os.path.join(d, "holders"), exist_ok=True)
        os.makedirs(os.path.join(d, "mq", "0"), exist_ok=True)
        if dm_name:
            write(os.path.join(d, "dm", "name"), dm_name + "\n")
        for pname, pdev in partitions:
            pd = self.class_dev("block", d, pname, dev=pdev, extra={"partition": "1\n"})
            os.makedirs(os.path.join(pd, "holders"), exist_ok=True)
        return d

    def hold(self, lower, holder):
        """holder (dm-0, md0) holds lower: lower/holders/HOLDER and holder/slaves/LOWER."""
        lo = os.path.realpath(self.p("sys/class/block", lower))
        up = os.path.realpath(self.p("sys/class/block", holder))
        symlink(up, os.path.join(lo, "holders", holder))
        symlink(lo, os.path.join(up, "slaves", lower))

    def mount(self, dev, fsroot, mountpoint, fstype, source):
        n = len(self.mounts) + 20
        self.mounts.append("%d 1 %s %s %s rw,relatime shared:%d - %s %s rw" %
                           (n, dev, fsroot, mountpoint.replace(" ", "\\040"), n, fstype, source))

    def swap(self, name, kind="partition"):
        self.swaps.append("%s\t\t\t\t%s\t\t1048572\t\t0\t\t-2" % (name, kind))

    # -- processes ----------------------------------------------------------------------------
    def process(self, pid, comm, fds):
        self.procs[pid] = (comm, fds)

    def ancestry(self, chain):
        """devown's ancestors, nearest first: [(pid, comm)]; written as proc/self/stat and
        proc/PID/stat, the last one a child of init."""
        me = ("self", 5000, "devown")
        for (key, pid, comm), (ppid, _) in zip([me] + [(p, p, c) for p, c in chain[:-1]], chain):
            self.stats[key] = (pid, comm, ppid)
        last_pid, last_comm = chain[-1]
        self.stats[last_pid] = (last_pid, last_comm, 1)

    def tcp_socket(self, local, lport, remote, rport, inode, state=0x01):
        self.tcp.append((local, lport, remote, rport, state, inode))

    # -- writing ------------------------------------------------------------------------------
    def build(self):
        write(self.p("proc/self/mountinfo"), "".join(l + "\n" for l in self.mounts))
        write(self.p("proc/swaps"), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" +
              "".join(l + "\n" for l in self.swaps))
        msgs = b""
        for ifindex, cidr, label in self.addr4:
            net = ipaddress.IPv4Interface(cidr)
            payload = struct.pack("=BBBBI", socket.AF_INET, net.network.prefixlen, 0x80, 0,
                                  ifindex)
            payload += nlattr(IFA_ADDRESS, net.ip.packed) + nlattr(IFA_LOCAL, net.ip.packed)
            payload += nlattr(IFA_LABEL, label.encode() + b"\0")
            msgs += nlmsg(RTM_NEWADDR, payload)
        msgs += nlmsg(NLMSG_DONE, struct.pack("=i", 0))
        write(self.p("netlink/RTM_GETADDR"), msgs)
        write(self.p("proc/net/if_inet6"), "".join(
            "%s %02x %02x %02x %02x %8s\n" % (hex_v6(str(ipaddress.IPv6Interface(c).ip)), i,
                                             ipaddress.IPv6Interface(c).network.prefixlen,
                                             0, 0x80, n)
            for i, n, c in self.addr6))
        lines = ["Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t"
                 "Window\tIRTT"]
        for ifname, dst, length, gw in self.routes4:
            mask = str(ipaddress.IPv4Network("0.0.0.0/%d" % length).netmask)
            flags = 0x1 | (0x2 if gw != "0.0.0.0" else 0)
            lines.append("%s\t%s\t%s\t%04X\t0\t0\t0\t%s\t0\t0\t0" % (
                ifname, hex_host_order(dst), hex_host_order(gw), flags, hex_host_order(mask)))
        write(self.p("proc/net/route"), "\n".join(lines) + "\n")
        write(self.p("proc/net/ipv6_route"), "".join(
            "%s %02x %s 00 %s %08x 00000001 00000000 %08x %8s\n" % (
                hex_v6(dst), length, "0" * 32, "0" * 32, 256, flags, ifname)
            for ifname, dst, length, flags in self.routes6))
        for key, (pid, comm, ppid) in self.stats.items():
            write(self.p("proc", str(key), "stat"), "%d (%s) S %d %d %d 0 -1 4194560 0 0 0\n" %
                  (pid, comm, ppid, ppid, ppid))
        tcp4 = ["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
                "   uid  timeout inode"]
        tcp6 = list(tcp4)
        for i, (local, lport, remote, rport, state, inode) in enumerate(self.tcp):
            v6 = ":" in local
            enc = (lambda a: "".join("%08X" % w for w in struct.unpack(
                "=4I", ipaddress.IPv6Address(a).packed))) if v6 else hex_host_order
            (tcp6 if v6 else tcp4).append(
                "%4d: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 00000000     0        0"
                " %d 1 0000000000000000 20 4 30 10 -1" % (i, enc(local), lport, enc(remote),
                                                         rport, state, inode))
        write(self.p("proc/net/tcp"), "\n".join(tcp4) + "\n")
        write(self.p("proc/net/tcp6"), "\n".join(tcp6) + "\n")
        for pid, (comm, fds) in self.procs.items():
            write(self.p("proc", str(pid), "comm"), comm + "\n")
            os.makedirs(self.p("proc", str(pid), "fd"), exist_ok=True)
            for fd, target in fds.items():
                os.symlink(target, self.p("proc", str(pid), "fd", str(fd)))


def run_status(devown, root, env_extra=None, args=()):
    """Runs devown status --json on the tree; returns (parsed JSON, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_CONNECTION", "DEVOWN_DEBUG")}
    env["DEVOWN_ROOT"] = root
    env["NO_COLOR"] = "1"
    env.update(env_extra or {})
    wrapper = shlex.split(os.environ.get("DEVOWN_TEST_WRAPPER", ""))
    p = subprocess.run(wrapper + [devown, "status", "--json"] + list(args), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("devown status exited %d: %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout), p.stderr


def run_text(devown, root, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "SSH_CONNECTION"}
    env["DEVOWN_ROOT"] = root
    env["NO_COLOR"] = "1"
    env.update(env_extra or {})
    wrapper = shlex.split(os.environ.get("DEVOWN_TEST_WRAPPER", ""))
    p = subprocess.run(wrapper + [devown, "status"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("devown status exited %d: %s" % (p.returncode, p.stderr))
    return p.stdout


def devices(status):
    for g in status["groups"]:
        yield from g["devices"]
    yield from status["devices_without_group"]


def device(status, addr):
    for d in devices(status):
        if d["address"] == addr:
            return d
    raise AssertionError("no device %s in the status" % addr)
