#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined) against devown's
# layer sources and runs each for FUZZ_SECONDS (default 30) from its seed corpus in
# corpus/NAME. Fails on any finding (the reproducer is left in $FUZZ_OUT). Prints each
# harness's executions. Usage: run-fuzzers.sh [HARNESS...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d /tmp/devown-fuzz.XXXXXX)}
secs=${FUZZ_SECONDS:-30}
cc=${CLANG:-clang}
command -v "$cc" >/dev/null || { echo "run-fuzzers: $cc not found (apt-get install clang)"; exit 77; }
mkdir -p "$out/obj"
cat >"$out/config.h" <<H
#pragma once
#define DEVOWN_RUNDIR "/run/devown"
#define DEVOWN_SYSCONFDIR "/etc"
#define DEVOWN_VERSION "fuzz"
H
cflags="-g -O1 -D_GNU_SOURCE -std=gnu11 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -I$out"
for d in basic model host probe output change; do cflags="$cflags -I$top/src/$d"; done
pkgs="libudev libkmod libpci json-c"
cflags="$cflags $(pkg-config --cflags $pkgs)"
objs=""
for src in "$top"/src/basic/*.c "$top"/src/model/*.c "$top"/src/host/*.c "$top"/src/output/*.c \
	   "$top"/src/change/*.c "$top"/src/probe/*.c; do
	o="$out/obj/$(basename "$(dirname "$src")")-$(basename "$src" .c).o"
	$cc $cflags -c "$src" -o "$o"
	objs="$objs $o"
done
harnesses=${*:-"config journal target mountinfo holder_name proc_text bootconf kernel_text"}
failed=0
for h in $harnesses; do
	$cc $cflags -fsanitize=fuzzer "$here/fuzz-$h.c" $objs $(pkg-config --libs $pkgs) -lpthread \
		-o "$out/fuzz-$h"
	mkdir -p "$out/corpus-$h"
	if "$out/fuzz-$h" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$out/$h-" "$out/corpus-$h" "$here/corpus/$h" \
		>"$out/$h.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log")
		echo "fuzz-$h: ok, $execs executions in ${secs}s"
	else
		echo "fuzz-$h: FAILED (log $out/$h.log, reproducer $out/$h-*)"
		grep -m5 -E 'ERROR|runtime error|SUMMARY' "$out/$h.log" || true
		failed=1
	fi
done
exit $failed
