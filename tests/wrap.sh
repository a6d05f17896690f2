#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs a test binary under $DEVOWN_TEST_WRAPPER (set by `meson test --setup valgrind`), so
# that the valgrind setup wraps devown and the unit tests, never python.
exec ${DEVOWN_TEST_WRAPPER:-} "$@"
