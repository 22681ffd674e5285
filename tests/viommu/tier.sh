#!/bin/sh
# The vIOMMU tier: migration with a vIOMMU and guest domain switches, a
# reduced set run against every QEMU in MIGCHECK_QEMUS (colon-separated),
# as one TAP stream whose case names carry the QEMU's version.  A QEMU that
# blocks VFIO migration behind a vIOMMU (migcheck probe says so) is one
# SKIP; an empty list is one SKIP.
#
# usage: tier.sh MIGCHECK REPORTS-DIR
set -u
mc=$1
reports=$2

# Each switch kind once per backend and vIOMMU mode, after dirty sync 2;
# the high-memory cases; the unmap negative control (iommufd: with type1 it
# cannot decide); the dirty cells that migrate behind a vIOMMU; the bare
# guest's migrations: each way of taking a buffer away once per backend and
# once per mode, the three phases spread over them, the buffer above 4 GiB
# unmapped and blocked once each, and the write through a live mapping with
# its negative control.  type1 re-reports every mapped page at each sync, so
# its cases here are those that decide whatever the pass under way does
# (setup, after the first pass sent the page; pre-switchover; coherence);
# a Linux type1 case whose event page arrived after a dirty read re-reported
# it SKIPs as inconclusive rather than XPASS, which is why the pass-through
# high-memory case here is the iommufd one (it decides every run).
SELECTION="
domain.linux_legacy_pt_strict_type1.mig_bind_open_sync2
domain.linux_legacy_pt_strict_iommufd.mig_bind_open_sync2
domain.linux_sm_pt_strict_type1.mig_bind_open_sync2
domain.linux_sm_pt_strict_iommufd.mig_bind_open_sync2
domain.linux_legacy_nopt_strict_type1.mig_close_sync2
domain.linux_legacy_nopt_strict_iommufd.mig_close_sync2
domain.linux_sm_nopt_strict_type1.mig_close_sync2
domain.linux_sm_nopt_strict_iommufd.mig_close_sync2
domain.linux_legacy_pt_strict_type1.mig_group_type_sync2
domain.linux_legacy_pt_strict_iommufd.mig_group_type_sync2
domain.linux_sm_pt_strict_type1.mig_group_type_sync2
domain.linux_sm_pt_strict_iommufd.mig_group_type_sync2
domain.linux_legacy_nopt_strict_type1.mig_storm_sync2
domain.linux_legacy_nopt_strict_iommufd.mig_storm_sync2
domain.linux_sm_nopt_strict_type1.mig_storm_sync2
domain.linux_sm_nopt_strict_iommufd.mig_storm_sync2
domain.linux_legacy_pt_strict_iommufd.mig_highmem
domain.linux_legacy_nopt_strict_iommufd.mig_highmem
domain.linux_legacy_nopt_strict_iommufd.mig_drop_dirty_unmap
dirty.type1_perpetual_on_vtd_precopy_1dev.migrate
dirty.type1_perpetual_on_vtdsm_precopy_1dev.migrate
dirty.iommufd_hwpt_auto_vtd_precopy_1dev.migrate
dirty.iommufd_hwpt_auto_vtdsm_precopy_1dev.migrate
domain.bare_legacy_type1.mig_psi_setup
domain.bare_scalable_iommufd.mig_psi_preswitch
domain.bare_legacy_iommufd.mig_dsi_setup
domain.bare_scalable_type1.mig_dsi_preswitch
domain.bare_legacy_type1.mig_global_setup
domain.bare_scalable_iommufd.mig_global_sync2
domain.bare_legacy_iommufd.mig_huge2m_preswitch
domain.bare_scalable_type1.mig_huge2m_setup
domain.bare_legacy_iommufd.mig_huge1g_sync2
domain.bare_legacy_type1.mig_readonly_preswitch
domain.bare_scalable_iommufd.mig_readonly_setup
domain.bare_legacy_iommufd.mig_passthrough_sync2
domain.bare_scalable_type1.mig_passthrough_preswitch
domain.bare_legacy_type1.mig_blocked_setup
domain.bare_scalable_iommufd.mig_blocked_preswitch
domain.bare_legacy_iommufd.mig_highmem_psi_sync2
domain.bare_scalable_type1.mig_highmem_blocked_setup
domain.bare_legacy_type1.mig_write_sync2
domain.bare_legacy_iommufd.mig_write_drop
domain.bare_scalable_iommufd.mig_write_sync2
domain.bare_scalable_iommufd.mig_write_drop
"

echo "TAP version 13"
if [ -z "${MIGCHECK_QEMUS:-}" ]; then
	echo "1..0 # SKIP MIGCHECK_QEMUS is empty: no QEMU to run migration with a vIOMMU against"
	exit 0
fi

n=0
bad=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
old_ifs=$IFS
IFS=:
set -f
# shellcheck disable=SC2086 # split the list on colons
set -- $MIGCHECK_QEMUS
set +f
IFS=$old_ifs
for qemu in "$@"; do
	[ -n "$qemu" ] || continue
	if ! probe=$("$mc" probe --json --qemu "$qemu" 2>"$out"); then
		n=$((n + 1))
		bad=1
		echo "not ok $n $qemu"
		echo "# cannot probe $qemu: $(tail -n 1 "$out")"
		continue
	fi
	version=$(echo "$probe" | jq -r '.identity.version // "?"')
	# The probe decides: QEMU must let a VFIO device behind a vIOMMU migrate.
	allowed=$(echo "$probe" |
		jq -r '[.identity.vfio_behind_viommu[]? | select(.verdict == "allowed")] | length')
	if [ "${allowed:-0}" -eq 0 ]; then
		n=$((n + 1))
		why=$(echo "$probe" | jq -r '[.identity.vfio_behind_viommu[]? |
			"\(.config): \(.verdict)"] | join("; ")')
		echo "ok $n [$version] $qemu # SKIP QEMU $version blocks VFIO migration behind a vIOMMU ($why)"
		continue
	fi
	echo "# QEMU $version ($qemu), release $(echo "$probe" | jq -r '.identity.release')"
	# The selection is a list of words, globs for migcheck (not for the shell).
	set -f
	# shellcheck disable=SC2086
	"$mc" run -j 2 --no-progress --qemu "$qemu" --reports "$reports" $SELECTION >"$out" 2>&1
	rc=$?
	set +f
	[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || bad=1
	# One stream: renumber the cases and name the QEMU in each.
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]* | "not ok "[0-9]*)
			n=$((n + 1))
			status=${line%%ok *}ok
			rest=${line#"$status "}
			rest=${rest#* }
			echo "$status $n [$version] $rest"
			;;
		"TAP version"* | 1..*) ;;
		*) echo "$line" ;;
		esac
	done <"$out"
done
echo "1..$n"
exit $bad
