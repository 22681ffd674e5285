# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the libvirt integration tests (sourced after lib.sh; POSIX sh).
#
# A libvirt run makes two hosts: namespaces held by processes, a veth pair
# inside them, mounts inside them, a libvirtd and QEMUs in them.  "Nothing
# left" means: no network or mount namespace that was not there before the
# test, no libvirtd beyond those running before, no veth or mount of ours in
# the host's namespaces, and no process mentioning $WORK.

# Every network and mount namespace some process is in, sorted.
ns_list() {
	for p in /proc/[0-9]*; do
		readlink "$p/ns/net" "$p/ns/mnt" 2>/dev/null || true
	done | sort -u
}

lv_setup() {
	NS_BEFORE="$WORK/ns.before"
	ns_list >"$NS_BEFORE"
	LIBVIRTD_BEFORE=$(pgrep -xc libvirtd || true)
}

lv_leftovers() {
	ns=$(ns_list | comm -13 "$NS_BEFORE" -)
	[ -z "$ns" ] || echo "namespaces: $ns"
	n=$(pgrep -xc libvirtd || true)
	[ "$n" -le "$LIBVIRTD_BEFORE" ] || echo "libvirtd: $(pgrep -ax libvirtd)"
	grep -F -- "$WORK" /proc/self/mountinfo | sed 's/^/mount: /'
	ip -o link show type veth 2>/dev/null | grep -w mc0 | sed 's/^/veth: /'
	pgrep -af -- "$WORK" | grep -v "^$$ " | sed 's/^/process: /'
	return 0
}

# Nothing of a libvirt run remains; waits up to $1 s.
lv_assert_clean() {
	limit=${1:-15}
	i=0
	while [ $i -lt $((limit * 10)) ]; do
		[ -z "$(lv_leftovers)" ] && { assert_clean 1; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	fail "left behind: $(lv_leftovers | tr '\n' ';')"
}

# Root with the right to make namespaces, or the whole test skips.
lv_require_root() {
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP libvirt runs need root"; exit 77; }
	command -v setpriv >/dev/null || { echo "1..0 # SKIP setpriv is not installed"; exit 77; }
}
