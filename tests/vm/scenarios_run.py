# SPDX-License-Identifier: GPL-2.0-or-later
"""`devown run` around real clients and `--owner` with an unprivileged user.

run: the devices are bound as `bind` would, COMMAND runs, and whatever way it ends (exits, is
killed, devown gets SIGTERM), every device is back exactly as before and devown exits with the
documented status; a refusal runs nothing; a grandchild that keeps the group held past
--timeout is named and the restore refused, not hung.

owner: the group's node belongs to an unprivileged user, whose own QEMU opens the group; another
user cannot; restore gives the node back its owner and mode."""

from scenarios import scenario
from scenarios_change import PRELUDE, refused, states, doc, journal

USERS = r'''
    grep -q '^alice:' /etc/passwd 2> /dev/null || echo 'alice:x:1000:1000:alice:/tmp:/bin/sh' >> /etc/passwd
    grep -q '^bob:' /etc/passwd 2> /dev/null || echo 'bob:x:1001:1001:bob:/tmp:/bin/sh' >> /etc/passwd
    grep -q '^alice:' /etc/group 2> /dev/null || echo 'alice:x:1000:' >> /etc/group
    grep -q '^bob:' /etc/group 2> /dev/null || echo 'bob:x:1001:' >> /etc/group
    SETPRIV=/clients/usr/bin/setpriv
    PRLIMIT=/clients/usr/bin/prlimit
    node() { if [ -e "/dev/vfio/$2" ]; then recs "$1" "$(stat -c '%u %g %a %F' "/dev/vfio/$2")"; else recs "$1" none; fi; }
    # qemu_of PID: the QEMU that PID (devown run) started. Not just any child: devown forks a
    # short-lived child for each sysfs write (sysfs.h), which a scan can catch first.
    qemu_of() {
        _parent=$1
        _i=0
        while [ $_i -lt 150 ]; do
            for _s in /proc/[0-9]*/stat; do
                { read -r _l < "$_s"; } 2> /dev/null || continue
                set -- $_l
                [ "$4" = "$_parent" ] && [ "$2" = "(qemu-system-x86)" ] && { echo "$1"; return 0; }
            done
            sleep 0.1; _i=$((_i + 1))
        done
        return 1
    }
    # Any QEMU left behind by a failed step: it would hold the group for the next one.
    kill_qemus() {
        for _s in /proc/[0-9]*/stat; do
            { read -r _l < "$_s"; } 2> /dev/null || continue
            set -- $_l
            [ "$2" = "(qemu-system-x86)" ] && kill -9 "$1" 2> /dev/null
        done
        sleep 0.5
    }
'''

# The group of $MF0 holds the two functions of the dual-port e1000e and nothing else.
RUN_QEMU = r'''"$QEMU" $QEMU_VM -device vfio-pci,host=$MF0,rombar=0 -device vfio-pci,host=$MF1,rombar=0'''


@scenario("run-qemu", timeout=360, guest=PRELUDE + USERS + r'''
    G=$(group_of "$MF0")
    state before "$MF0" "$MF1"
    run dry devown run --dry-run --group "$MF0" vfio -- ''' + RUN_QEMU + r'''
    state after-dry "$MF0" "$MF1"
    for how in exit kill term; do
        devown run --group "$MF0" vfio -- ''' + RUN_QEMU + r''' > "$T/run-$how.out" 2> "$T/run-$how.err" 7>&- &
        RPID=$!
        QPID=$(qemu_of "$RPID")
        recs qpid-$how "$QPID"
        vm_started client-$how "$T/run-$how.err" "$QPID"
        recs started-$how $?
        state during-$how "$MF0" "$MF1"
        run status-$how devown status --json "$G"
        run restore-during-$how devown restore "$MF0"
        case $how in
        exit) kill -TERM "$QPID" ;;
        kill) kill -KILL "$QPID" ;;
        term) kill -TERM "$RPID" ;;
        esac
        [ -n "$QPID" ] || kill -TERM "$RPID"
        # Bounded: a devown that never returns fails this step, not the whole scenario.
        gone() { ! kill -0 "$1" 2> /dev/null || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2> /dev/null)" = Z ]; }
        wait_for 60 gone "$RPID" || kill -KILL "$RPID"
        wait "$RPID"
        recs rc-$how $?
        rec run-$how.err "$T/run-$how.err"
        state after-$how "$MF0" "$MF1"
        recj journal-$how
        stop_pid "$QPID"
        kill_qemus
    done
    # A command that ends by itself, with its own status, and the environment it gets.
    run status5 devown run "$LONE" vfio -- sh -c 'echo "$DEVOWN_DEVICES|$DEVOWN_GROUPS"; exit 5'
    run selfkill devown run "$LONE" vfio -- sh -c 'kill -9 $$'
    run notfound devown run "$LONE" vfio -- /nonexistent/command
    state lone-after "$LONE"
    recs lone-group "$(group_of "$LONE")"
    recj journal-end
''')
def _(t):
    e = t.env
    t.eq(t.rc("dry"), 0, "run --dry-run: exit status (%s)" % (t.err("dry") or "").strip()[:300])
    t.expect("qemu-system-x86_64" in (t.out("dry") or "") + (t.err("dry") or ""), "run --dry-run names the command")
    t.eq(states(t, "after-dry"), states(t, "before"), "run --dry-run changes nothing")
    expect_rc = {"exit": 0, "kill": 128 + 9, "term": 0}
    for how in ("exit", "kill", "term"):
        what = "run --group around QEMU (%s)" % {"exit": "QEMU exits on SIGTERM", "kill": "QEMU gets SIGKILL",
                                                 "term": "devown gets SIGTERM"}[how]
        if not t.eq(t.text("started-" + how), "0", "%s: QEMU opened the group" % what):
            t.note("QEMU output:\n" + (t.text("client-%s.qemu" % how) or "")[-1500:])
            continue
        t.eq({a: s[0] for a, s in states(t, "during-" + how).items()},
             {e.get("MF0"): "vfio-pci", e.get("MF1"): "vfio-pci"}, "%s: drivers during the run" % what)
        pid = int(t.text("qpid-" + how) or 0)
        s = t.json("status-" + how, "%s: status --json GROUP" % what)
        if s:
            hs = (s.get("groups") or [{}])[0].get("holders", [])
            t.expect(any(h.get("pid") == pid and h.get("command") == "qemu-system-x86" for h in hs),
                     "%s: status names QEMU (pid %d) as the holder: %r" % (what, pid, hs))
        refused(t, "restore-during-" + how, "%s: restore by another devown during the run" % what, None)
        t.eq(t.text("rc-" + how), str(expect_rc[how]), "%s: exit status of devown run" % what)
        t.eq(states(t, "after-" + how), states(t, "before"), "%s: every device back as before" % what)
        t.eq(journal(t, "journal-" + how), None, "%s: journal after the run" % what)
    t.eq(t.rc("status5"), 5, "run -- sh -c 'exit 5': the command's status")
    t.eq([x for x in (t.out("status5") or "").splitlines() if "|" in x], ["%s|%s" % (e.get("LONE"), t.text("lone-group"))],
         "run: DEVOWN_DEVICES|DEVOWN_GROUPS in the command's environment")
    t.eq(t.rc("selfkill"), 128 + 9, "run -- a command killed by SIGKILL: 128+9")
    t.eq(t.rc("notfound"), 127, "run -- a command that does not exist: 127")
    t.eq(states(t, "lone-after").get(e.get("LONE"), (None,))[0], "e1000e", "LONE back on e1000e")
    t.eq(journal(t, "journal-end"), None, "journal at the end")


@scenario("run-refused-and-held", timeout=300, guest=PRELUDE + USERS + r'''
    state before "$LONE"
    G=$(group_of "$LONE")
    # In use by the host: an interface with an address (named now: apply-boot's rescan may
    # have renamed it since /init looked).
    IF=$(ls "/sys/bus/pci/devices/$LONE/net" | head -n 1)
    recs if "$IF"
    ip link set "$IF" up
    ip addr add 192.0.2.77/24 dev "$IF"
    rm -f /tmp/ran
    run refused devown run "$LONE" vfio -- touch /tmp/ran
    recs ran "$(ls /tmp/ran 2> /dev/null)"
    state after-refused "$LONE"
    ip addr flush dev "$IF"
    ip link set "$IF" down
    # A grandchild that keeps the group held after the command ended.
    run held devown run --timeout 3 "$LONE" vfio -- sh -c '"$0" $1 -device vfio-pci,host=$2,rombar=0 > /tmp/gc.log 2>&1 & echo $! > /tmp/gc.pid; i=0; while [ $i -lt 100 ] && ! ls -l /proc/$!/fd | grep -q vfio; do sleep 0.2; i=$((i+1)); done; sleep 1' "$QEMU" "$QEMU_VM" "$LONE"
    GC=$(cat /tmp/gc.pid)
    recs gc "$GC"
    state held-after "$LONE"
    recj journal-held
    stop_pid "$GC"
    run restore devown restore "$LONE"
    state restored "$LONE"
    recj journal-end
''')
def _(t):
    e = t.env
    refused(t, "refused", "run of a device in use by the host", None, mentions=(e.get("LONE"),))
    t.eq(t.text("ran"), "", "a refused run never starts its command")
    t.eq(states(t, "after-refused"), states(t, "before"), "a refused run changes nothing")
    gc = int(t.text("gc") or 0)
    t.eq(t.rc("held"), 3, "run whose grandchild keeps the group: exit status (%s)" % (t.err("held") or "")[:400])
    err = t.err("held") or ""
    t.expect(("pid %d" % gc) in err and "qemu-system-x86" in err,
             "the holder left behind is named (pid %d): %r" % (gc, err[:500]))
    t.eq(states(t, "held-after").get(e.get("LONE"), (None,))[0], "vfio-pci", "the held device stays on vfio-pci")
    j = journal(t, "journal-held")
    t.expect(j and e.get("LONE") in str(j), "the journal keeps the device for a later restore")
    t.eq(t.rc("restore"), 0, "restore once the holder is gone (%s)" % (t.err("restore") or "")[:300])
    t.eq(states(t, "restored"), states(t, "before"), "back as before")
    t.eq(journal(t, "journal-end"), None, "journal at the end")


@scenario("owner-user-qemu", timeout=300, guest=PRELUDE + USERS + r'''
    G=$(group_of "$LONE")
    recs group "$G"
    state before "$LONE"
    run badowner devown bind --owner nosuchuser "$LONE" vfio
    state after-bad "$LONE"
    run bind devown bind --json --owner alice "$LONE" vfio
    node node-bound "$G"
    # alice's own QEMU, with a memlock limit that covers its 64 MiB (VFIO pins guest memory).
    $PRLIMIT --memlock=unlimited $SETPRIV --reuid=1000 --regid=1000 --clear-groups $QEMU $QEMU_VM -device vfio-pci,host="$LONE",rombar=0 > "$T/client.log" 2>&1 &
    QPID=$!
    recs qpid "$QPID"
    vm_started client "$T/client.log" "$QPID"
    recs started $?
    run status devown status --json "$G"
    run statusv devown status -v "$G"
    run bob $SETPRIV --reuid=1001 --regid=1001 --clear-groups sh -c "exec 3< /dev/vfio/$G"
    stop_pid "$QPID"
    run restore devown restore "$LONE"
    state restored "$LONE"
    node node-restored "$G"
    # A group that was on vfio-pci before devown: the node stays, and gets its owner back.
    echo vfio-pci > /sys/bus/pci/devices/$LONE/driver_override
    echo "$LONE" > /sys/bus/pci/drivers/e1000e/unbind
    echo "$LONE" > /sys/bus/pci/drivers/vfio-pci/bind
    wait_for 10 test -e /dev/vfio/$G
    node node-pre "$G"
    run owner2 devown bind --json --owner alice:alice "$LONE" vfio
    node node-owned "$G"
    run alice2 $SETPRIV --reuid=1000 --regid=1000 --clear-groups sh -c "exec 3< /dev/vfio/$G"
    run restore2 devown restore "$LONE"
    node node-back "$G"
    state vfio-kept "$LONE"
    run alice3 $SETPRIV --reuid=1000 --regid=1000 --clear-groups sh -c "exec 3< /dev/vfio/$G"
    give_back "$LONE" e1000e
    recj journal-end
''')
def _(t):
    e = t.env
    g = t.text("group")
    t.eq(t.rc("badowner"), 2, "bind --owner nosuchuser: exit status")
    t.expect("nosuchuser" in (t.err("badowner") or ""), "the unknown user is named: %r" % (t.err("badowner") or ""))
    t.eq(states(t, "after-bad"), states(t, "before"), "unknown owner: nothing changed")
    doc(t, "bind", "bind --json --owner alice")
    t.eq(t.rc("bind"), 0, "bind --owner alice: exit status (%s)" % (t.err("bind") or "")[:300])
    t.eq(t.text("node-bound"), "1000 1000 600 character special file", "/dev/vfio/%s after bind --owner alice (her group, mode 0600)" % g)
    if t.eq(t.text("started"), "0", "alice's QEMU opened the group"):
        pid = int(t.text("qpid") or 0)
        s = t.json("status", "status --json GROUP while alice's QEMU holds it")
        if s:
            grp = (s.get("groups") or [{}])[0]
            t.expect(any(h.get("pid") == pid for h in grp.get("holders", [])), "status names alice's QEMU")
            n = grp.get("node") or {}
            t.eq((n.get("uid"), n.get("user"), n.get("mode")), (1000, "alice", "0600"), "status: the node's owner and mode")
        t.expect("alice" in (t.out("statusv") or ""), "status -v shows the node's owner: %r" % (t.out("statusv") or "")[:600])
    else:
        t.note("QEMU output:\n" + (t.text("client.qemu") or "")[-1500:])
    t.expect(t.rc("bob") not in (None, 0), "bob cannot open alice's group")
    t.expect("ermission denied" in (t.err("bob") or ""), "bob: permission denied: %r" % (t.err("bob") or ""))
    t.eq(t.rc("restore"), 0, "restore: exit status (%s)" % (t.err("restore") or "")[:300])
    t.eq(states(t, "restored"), states(t, "before"), "restore: back on e1000e")
    t.eq(t.text("node-restored"), "none", "restore: the group left VFIO, no node")
    t.eq(t.text("node-pre"), "0 0 600 character special file", "node of a group bound by hand")
    t.eq(t.rc("owner2"), 0, "bind --owner alice:alice of a group already on vfio-pci (%s)" % (t.err("owner2") or "")[:300])
    d = doc(t, "owner2", "bind --owner of a bound group")
    if d:
        t.eq(d.get("changed"), True, "bind --owner of a bound group: changed (the owner)")
    t.eq(t.text("node-owned"), "1000 1000 660 character special file", "owner alice:alice: 0660")
    t.eq(t.rc("alice2"), 0, "alice can open her group (%s)" % (t.err("alice2") or ""))
    t.eq(t.rc("restore2"), 0, "restore of the owner: exit status (%s)" % (t.err("restore2") or "")[:300])
    t.eq(t.text("node-back"), "0 0 600 character special file", "restore: root's node again, mode 0600")
    t.eq(states(t, "vfio-kept").get(e.get("LONE"), (None,))[0], "vfio-pci", "restore keeps the original vfio-pci")
    t.expect(t.rc("alice3") not in (None, 0), "alice cannot open the group after restore")
    t.eq(journal(t, "journal-end"), None, "journal at the end")
