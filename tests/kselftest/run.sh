#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh MOCKLIB SRCDIR OUTDIR
#
# Runs the kernel's own iommufd and VFIO selftests (from Debian sid's
# linux-source, fetched and built on first use) with vfiomock preloaded, and
# reports every kernel test as a TAP line: pass, fail, SKIP with the
# kernel's or limits.txt's reason, or an expected failure (TODO) for what the
# model does not have yet.  Per-fixture counts go to the log as comments.
# The VFIO tests find their device under /sys/bus/pci, so they run in a
# private mount namespace with a fake tree mounted there.
set -u

lib=$1
here=$2
out=$3
mkdir -p "$out"
work=$(mktemp -d /tmp/migcheck-kselftest.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

reason=$("$here/fetch-source.sh" "$out" 2>"$work/fetch.err")
rc=$?
if [ $rc -eq 77 ]; then
	echo "1..0 # SKIP kernel selftests: $reason"
	exit 0
elif [ $rc -ne 0 ]; then
	cat "$work/fetch.err" >&2
	echo "1..0 # SKIP kernel selftests: fetching linux-source failed"
	exit 1
fi
echo "# kernel selftests from $reason" >&2
"$here/build.sh" "$out/source" "$out/bin" "$here" || exit 1
bin=$out/bin

cat >"$work/mock.json" <<EOC
{"version":1,"test_ops":true,"kernel":"7.2","iommu":{"page_sizes":["4K","2M","1G"]},
 "devices":[{"name":"0000:01:00.0","group":42,"cdev":"vfio0","devt":"511:0"}]}
EOC
run_mock() {
	LD_PRELOAD=$lib VFIOMOCK_CONFIG=$work/mock.json timeout 1200 "$@"
}

# selftests/iommu
run_mock "$bin/iommufd" >"$work/iommufd.tap" 2>&1

# selftests/vfio, in a mount namespace with /sys/bus/pci/devices/0000:01:00.0
cat >"$work/vfio.sh" <<'EOS'
set -e
mount -t tmpfs migcheck-sysfs /sys/bus/pci
d=/sys/bus/pci/devices/0000:01:00.0
mkdir -p "$d/vfio-dev/vfio0"
ln -s ../../../../kernel/iommu_groups/42 "$d/iommu_group"
echo 511:0 >"$d/vfio-dev/vfio0/dev"
echo 0x1b36 >"$d/vendor"
echo 0x0099 >"$d/device"
export VFIO_SELFTESTS_BDF=0000:01:00.0
for t in vfio_iommufd_setup_test vfio_dma_mapping_test vfio_pci_device_test; do
	LD_PRELOAD=$LIB VFIOMOCK_CONFIG=$CFG timeout 600 "$BIN/$t" >"$WORK/$t.tap" 2>&1 || true
done
# iommufd_fail_nth drives the kernel's fault injection: an empty debugfs keeps it off.
if [ -d /sys/kernel/debug ]; then
	mount -t tmpfs migcheck-debugfs /sys/kernel/debug
	LD_PRELOAD=$LIB VFIOMOCK_CONFIG=$CFG timeout 600 "$BIN/iommufd_fail_nth" \
		>"$WORK/iommufd_fail_nth.tap" 2>&1 || true
fi
EOS
ns=""
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	ns="unshare -m"
elif unshare -rm true 2>/dev/null; then
	ns="unshare -rm"
fi
if [ -n "$ns" ]; then
	LIB=$lib CFG=$work/mock.json BIN=$bin WORK=$work $ns bash "$work/vfio.sh" ||
		echo "# the VFIO selftests' namespace setup failed" >&2
else
	vfio_skip="no private mount namespace for the fake /sys/bus/pci (unshare -m and -rm refused)"
fi

hugepages=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
[ -n "$hugepages" ] || hugepages=0

# Results: "binary fixture.variant.test result reason" lines.
parse() { # parse BINARY FILE
	sed -n -E 's/^(ok|not ok) [0-9]+ ([^ #]+)( # (SKIP|skip) ?(.*))?$/\1\t\2\t\5\t\4/p' "$2" |
		while IFS=$'\t' read -r res name why skipword; do
			if [ -n "$skipword" ]; then
				printf '%s\t%s\tskip\t%s\n' "$1" "$name" "$why"
			elif [ "$res" = ok ]; then
				printf '%s\t%s\tpass\t\n' "$1" "$name"
			else
				printf '%s\t%s\tfail\t\n' "$1" "$name"
			fi
		done
}
{
	parse iommufd "$work/iommufd.tap"
	if [ -s "$work/iommufd_fail_nth.tap" ]; then
		parse iommufd_fail_nth "$work/iommufd_fail_nth.tap" | sed 's/\tskip\t.*/\tfail\t/'
	else
		printf 'iommufd_fail_nth\t*\tfail\t\n'
	fi
	for t in vfio_iommufd_setup_test vfio_dma_mapping_test vfio_pci_device_test; do
		if [ -n "${vfio_skip:-}" ]; then
			printf '%s\t*\tskip\t%s\n' "$t" "$vfio_skip"
		elif [ -s "$work/$t.tap" ] && grep -q '^# Totals' "$work/$t.tap"; then
			parse "$t" "$work/$t.tap"
		else
			printf '%s\t(did not run)\tfail\t\n' "$t"
			sed 's/^/# /' "$work/$t.tap" 2>/dev/null | tail -n 20 >&2
		fi
	done
} >"$work/results"
grep -q . "$work/results" || {
	echo "1..0 # SKIP kernel selftests produced no results"
	exit 1
}

# Apply limits.txt and print TAP.
n=0
declare -A count
while IFS=$'\t' read -r b name res why; do
	full="$b:$name"
	kind="" lreason=""
	while IFS=$'\t' read -r glob k r; do
		case $glob in '#'* | '') continue ;; esac
		# shellcheck disable=SC2254
		case $full in $glob)
			kind=$k lreason=$r
			break
			;;
		esac
	done <"$here/limits.txt"
	if [ "$res" = fail ]; then
		case $kind in
		skip) res=skip why=$lreason ;;
		hugetlb) [ "$hugepages" = 0 ] && res=skip why="$lreason; the host has no free hugetlb pages (HugePages_Free 0)" ;;
		xfail) res=xfail why=$lreason ;;
		esac
	elif [ "$res" = pass ] && [ "$kind" = xfail ]; then
		res=xpass why="expected to fail ($lreason) but passed: update limits.txt"
	fi
	n=$((n + 1))
	fixture=${name%%.*}
	key="$b $fixture"
	count[$key $res]=$(( ${count[$key $res]:-0} + 1 ))
	keys[$n]=$key
	case $res in
	pass) echo "ok $n $full" ;;
	skip) echo "ok $n $full # SKIP $why" ;;
	xfail) echo "not ok $n $full # TODO $why" ;;
	xpass) echo "ok $n $full # TODO $why" ;;
	*) echo "not ok $n $full" ;;
	esac
done <"$work/results"
echo "1..$n"
# Per-fixture counts for the log (and the mock's README).
printf '%s\n' "${keys[@]}" | awk '!seen[$0]++' | while read -r b f; do
	printf '# %-26s %-28s pass %3d  fail %3d  skip %3d  xfail %3d\n' "$b" "$f" \
		"${count[$b $f pass]:-0}" "${count[$b $f fail]:-0}" "${count[$b $f skip]:-0}" \
		"${count[$b $f xfail]:-0}"
done
for r in pass fail skip xfail xpass; do
	t=0
	for k in "${!count[@]}"; do
		case $k in *" $r") t=$((t + count[$k])) ;; esac
	done
	printf '%s %d  ' "$r" "$t"
done | sed 's/^/# kernel selftests total: /; s/ *$//'
echo
# Keep the kernel's own output for a look at failures.
cp "$work"/*.tap "$out/" 2>/dev/null
exit 0
