#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds devown warning-free and runs every test suite: unit, fixture, schema (the JSON
# Schema), docs, ansible (the collection's modules with ansible-core), package (the Debian
# package: built, checked by lintian, installed and purged in a fresh Debian 12 root) and the
# real-kernel suite (vm) in QEMU; then unit, fixture, schema and docs as an unprivileged user,
# and unit and fixture under ASan+UBSan and under valgrind; then the libFuzzer harnesses
# (tests/fuzz) for FUZZ_SECONDS each. The vm suite must run: a skip
# fails this script unless DEVOWN_SKIP_VM=1.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${DEVOWN_BUILD:-build}

step() { printf '\n==> %s\n' "$*"; }

step "format (.clang-format)"
status=0
if ! clang-format --dry-run -Werror src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h \
	tests/vm/*.c tests/apply/*.c tests/bench/*.c tests/fuzz/*.c; then
	echo "run-tests: clang-format would change the files above (run clang-format -i)"
	status=1
fi

step "build ($build) with -Werror"
if [ ! -d "$build" ]; then
	meson setup "$build" -Dwerror=true -Dtest_hooks=true
else
	meson configure "$build" -Dwerror=true -Dtest_hooks=true
fi
meson compile -C "$build"

step "unit, fixture, schema, docs, ansible, package, vm and boot suites"
meson test -C "$build" --print-errorlogs --num-processes 2 || status=1

# A skipped real-kernel suite is not a pass.
python3 - "$build/meson-logs/testlog.json" <<'PY' || status=1
import json, os, sys
# Names read "PROJECT:SUITE / TEST"; this meson has no suite key in the log.
vm = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
suite = lambda t: t['name'].split(' / ')[0].split(':')[-1]
# The boot suite (tests/vm/boottest.py) is real-kernel proof too: a skip is no pass either.
vm = [t for t in vm if suite(t) in ('vm', 'boot')]
if os.environ.get('DEVOWN_SKIP_VM') == '1':
    sys.exit(0)
for name in ('vm', 'boot'):
    if not [t for t in vm if suite(t) == name]:
        print('run-tests: the %s suite has no tests' % name); sys.exit(1)
bad = [t['name'] for t in vm if t['result'] != 'OK']
if bad:
    print('run-tests: real-kernel tests did not pass: ' + ', '.join(bad)); sys.exit(1)
PY

summary() {
	python3 - "$1" <<'PY'
import json, sys
r = [json.loads(l)['result'] for l in open(sys.argv[1]) if l.strip()]
print(sum(x == 'OK' for x in r), sum(x not in ('OK', 'SKIP') for x in r), sum(x == 'SKIP' for x in r))
PY
}
read -r ok fail skip < <(summary "$build/meson-logs/testlog.json")

step "unit, fixture, schema and docs suites as an unprivileged user"
unpriv=$(mktemp -d /tmp/devown-unpriv.XXXXXX)
mkdir "$unpriv/src"
tar -C "$top" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$unpriv/src" -xf -
chown -R 65534:65534 "$unpriv"
if setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$unpriv" \
	bash -c "cd '$unpriv/src' && rm -rf build-user && meson setup build-user -Dtest_hooks=true >/dev/null && meson compile -C build-user >/dev/null && meson test -C build-user --suite unit --suite fixture --suite schema --suite docs --print-errorlogs"; then
	read -r o f s < <(summary "$unpriv/src/build-user/meson-logs/testlog.json")
	ok=$((ok + o)); fail=$((fail + f))
else
	read -r o f s < <(summary "$unpriv/src/build-user/meson-logs/testlog.json" 2>/dev/null || echo "0 1 0")
	ok=$((ok + o)); fail=$((fail + (f > 0 ? f : 1))); status=1
fi
rm -rf "$unpriv"

step "unit and fixture suites under ASan and UBSan"
san=${build}-sanitize
[ -d "$san" ] || meson setup "$san" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true -Dtest_hooks=true >/dev/null
meson configure "$san" -Dtest_hooks=true
meson compile -C "$san" >/dev/null
if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$san" --suite unit --suite fixture --print-errorlogs; then :; else status=1; fi
read -r o f s < <(summary "$san/meson-logs/testlog.json"); ok=$((ok + o)); fail=$((fail + f))

step "unit and fixture suites under valgrind"
if meson test -C "$build" --setup valgrind --suite unit --suite fixture --print-errorlogs; then :; else status=1; fi
read -r o f s < <(summary "$build/meson-logs/testlog-valgrind.json"); ok=$((ok + o)); fail=$((fail + f))

step "fuzzers (libFuzzer, ${FUZZ_SECONDS:-30} s each)"
# One pass or failure per harness; their executions are printed.
fuzz_log=$(mktemp)
tests/fuzz/run-fuzzers.sh | tee "$fuzz_log" || status=1
ok=$((ok + $(grep -c ': ok, ' "$fuzz_log" || true)))
fail=$((fail + $(grep -c ': FAILED' "$fuzz_log" || true)))
if ! grep -q ': ok, \|: FAILED' "$fuzz_log"; then fail=$((fail + 1)); status=1; fi
rm -f "$fuzz_log"

echo
echo "$ok passed, $fail failed"
exit $status
