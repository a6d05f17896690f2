#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark of devown's /proc pass on a busy host, against `fuser /dev/null`.

Not a test: it prints a table and whether devown meets its target (at most half of fuser's
wall time), and exits 0 unless --strict is given and the target is missed.

    python3 tests/bench/bench-holders.py [--devown build/devown] [--baseline OLD/devown]
                                         [--procs 2000] [--fds 128] [--reps 11]
                                         [--mix mixed|files] [--strict]

Both sides run on this machine's real /proc, as root, with --procs extra processes that each
hold --fds descriptors (a quarter each /dev/null, a regular file, pipe ends, socket ends; see
busy-host.c):
  devown  devown status --json: the one pass over every process's descriptors that finds who
          holds a VFIO group and who has a device node of a PCI device open (by device number,
          stat'ing only descriptors on a device filesystem). It runs whenever a device has nodes
          (a disk, a GPU) or a VFIO driver is bound; the benchmark checks that it did.
  fuser   fuser /dev/null (psmisc): stats every descriptor of every process (and its cwd, root,
          executable and mappings) to find who has /dev/null open.
Each side's answer is checked: fuser must name the busy processes, devown's device-node
findings must equal an independent walk's (with a planted process holding one of this host's
PCI block devices open, where the machine lets root open one).
Needs: python3, psmisc (fuser), a C compiler, and root.
"""

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, env=None):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, p


def watched_nodes(devown):
    """The /dev paths of the block devices below this host's PCI devices (what devown's pass
    watches, besides VFIO nodes)."""
    out = []
    for d in os.listdir("/sys/block"):
        real = os.path.realpath("/sys/block/" + d)
        if "/pci" in real and os.path.exists("/dev/" + d):
            out.append("/dev/" + d)
    return out


def holders_of(paths):
    """{pid} that have one of paths open, by device number: the truth devown must match."""
    want = {os.stat(p).st_rdev for p in paths}
    pids = set()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % d)
        except OSError:
            continue
        for f in fds:
            try:
                st = os.stat("/proc/%s/fd/%s" % (d, f))
            except OSError:
                continue
            if (st.st_mode & 0o170000) in (0o060000, 0o020000) and st.st_rdev in want:
                pids.add(int(d))
    return pids


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devown", default=os.path.join(HERE, "..", "..", "build", "devown"))
    ap.add_argument("--baseline", help="another devown binary, timed in the same runs")
    ap.add_argument("--procs", type=int, default=2000)
    ap.add_argument("--fds", type=int, default=128)
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("--mix", choices=("mixed", "files"), default="mixed",
                    help="what the busy processes hold: a mix of kinds (default), or regular files only")
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench-holders: run as root (both sides must see every process)")
    devown = os.path.abspath(a.devown)
    tmp = tempfile.mkdtemp(prefix="devown-bench-holders.")
    exe = os.path.join(tmp, "busy-host")
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "busy-host.c")], check=True)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(a.fds + 16, 1024),) * 2)

    # Which device nodes does devown watch here? Hold one open to prove the pass finds it.
    r = subprocess.run([devown, "status"], env=dict(os.environ, DEVOWN_DEBUG="1"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    scan = [l for l in r.stderr.splitlines() if "scanning /proc" in l]
    if not scan:
        sys.exit("bench-holders: devown does not walk /proc on this host (no PCI device has "
                 "device nodes and no VFIO driver is bound): nothing to measure")
    watched = watched_nodes(devown)
    if not watched:
        sys.exit("bench-holders: devown reports no device nodes to watch")
    # Hold one open, where the machine lets root open it (a sandbox may not).
    planted = None
    for path in watched:
        try:
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            continue
        planted = subprocess.Popen(["sh", "-c", "exec 9<%s; exec sleep 3600" % path])
        break

    busy = subprocess.Popen([exe, str(a.procs), str(a.fds), "/etc/hostname", a.mix], stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        if busy.stdout.readline().strip() != "ready":
            sys.exit("bench-holders: busy-host did not start")
        nprocs = len([d for d in os.listdir("/proc") if d.isdigit()])
        nfds = 0
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    nfds += len(os.listdir("/proc/%s/fd" % d))
                except OSError:
                    pass

        sides = [("devown", [devown, "status", "--json"])]
        if a.baseline:
            sides.append(("baseline", [os.path.abspath(a.baseline), "status", "--json"]))
        sides.append(("fuser", ["fuser", "/dev/null"]))
        # Check the answers once.
        _, _, p = timed(sides[0][1])
        doc = json.loads(p.stdout)
        devs = [d for g in doc["groups"] for d in g["devices"]] + doc["devices_without_group"]
        found = {u["pid"] for d in devs for u in d["in_use"] if u.get("kind") == "devnode"}
        truth = holders_of(watched)
        if found != truth or (planted and planted.pid not in found):
            sys.exit("bench-holders: devown found %s holding %s, the truth is %s" %
                     (sorted(found), ", ".join(watched), sorted(truth)))
        print("bench-holders: devown found the holders of %s: %s%s" % (
            ", ".join(watched), sorted(found) or "none",
            "" if planted else " (this machine lets nobody open them, so none was planted)"))
        _, _, p = timed(["fuser", "/dev/null"])
        if len(p.stdout.split()) < a.procs:
            sys.exit("bench-holders: fuser named %d processes, fewer than %d" % (len(p.stdout.split()), a.procs))

        res = {n: ([], []) for n, _ in sides}
        for i in range(a.reps):
            order = sides[i % len(sides):] + sides[:i % len(sides)]
            for n, cmd in order:
                w, c, _ = timed(cmd)
                res[n][0].append(w)
                res[n][1].append(c)
        print("bench-holders: %d processes, %d descriptors in all (%d busy processes x %d, "
              "%s), load %.2f, %d reps" % (nprocs, nfds, a.procs, a.fds, a.mix, os.getloadavg()[0], a.reps))
        print("%-9s %10s %10s %8s %8s" % ("side", "wall ms", "cpu ms", "wall/f", "cpu/f"))
        fw, fc = statistics.median(res["fuser"][0]), statistics.median(res["fuser"][1])
        for n, _ in sides:
            w, c = statistics.median(res[n][0]), statistics.median(res[n][1])
            print("%-9s %10.1f %10.1f %8.2f %8.2f" % (n, w * 1000, c * 1000, w / fw, c / fc))
        ratio = statistics.median(res["devown"][0]) / fw
        ok = ratio <= 0.5
        print("target: devown at most 0.5 of fuser's wall time: %.2f %s" % (ratio, "MET" if ok else "MISS"))
        return 0 if ok or not a.strict else 1
    finally:
        # The whole process group, and wait until it is gone: a next run must not count it.
        os.killpg(busy.pid, signal.SIGKILL)
        busy.wait()
        while subprocess.run(["pgrep", "-g", str(busy.pid)], stdout=subprocess.DEVNULL).returncode == 0:
            time.sleep(0.1)
        if planted:
            planted.kill()
            planted.wait()


if __name__ == "__main__":
    sys.exit(main())
