#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Nothing outlives a killed libvirt run: SIGKILL migcheck while libvirt
# migrates its guest (the destination QEMU exists), then no libvirtd, QEMU,
# namespace, veth link or mount of the run may remain.
#
# usage: libvirt_killed.sh MIGCHECK
set -eu

MIGCHECK=$1
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lvlib.sh
. "$(dirname "$0")/lvlib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is not installed"; exit 77; }
lv_require_root
setup
lv_setup

"$MIGCHECK" run --via libvirt smoke.dirty.migrate --timeout 600 --no-progress \
	--reports "$WORK/r" >"$WORK/tap" 2>"$WORK/err" &
harness=$!

# The migration has started once the destination host has a QEMU: its
# libvirt log of the domain appears when libvirt starts it.
i=0
while [ -z "$(ls "$WORK"/r/runs/*/cases/*/libvirt/dst/log/qemu/migcheck.log 2>/dev/null)" ]; do
	i=$((i + 1))
	if [ $i -gt 3000 ] || ! kill -0 $harness 2>/dev/null; then
		fail "no destination QEMU appeared; migcheck said: $(cat "$WORK/tap" "$WORK/err")"
	fi
	sleep 0.1
done
note "destination QEMU started; new namespaces: $(ns_list | comm -13 "$NS_BEFORE" - | tr "\n" " ")"
# The leftover check's negative control: it must see the live run.
[ -n "$(ns_list | comm -13 "$NS_BEFORE" -)" ] || fail "the run's namespaces are not visible"
[ "$(pgrep -xc libvirtd || true)" -gt "$LIBVIRTD_BEFORE" ] || fail "the run's libvirtd is not visible"

kill -KILL $harness
wait $harness 2>/dev/null || true

lv_assert_clean 15
[ "$(report '.state' "$WORK/r")" = running ] || fail "report state is not 'running'"
note "migcheck killed mid-migration; no libvirtd, QEMU, namespace, veth or mount left"
