#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fetch-kernel.sh PACKAGE SUITE OUTDIR MODULE...
#
# Fetches a Debian kernel image package (or a metapackage that depends on
# one) with apt-get download, keeps the .deb in a per-user cache so later
# builds are offline and quick, and installs into OUTDIR:
#   vmlinuz         the kernel image
#   vmlinux         the same kernel uncompressed when it has a PVH entry,
#                   else empty
#   kernel-release  its uname -r
#   modules/        the named modules and everything they depend on,
#                   decompressed, laid out as under /lib/modules/<release>/
#   modules.load    load order, one path per line relative to modules/
#   modules.spec    mkcpio spec lines placing the modules in an initramfs
#
# Only messages on failure: a build that reuses the cache prints nothing.
set -eu

die() {
	echo "fetch-kernel: error: $*" >&2
	exit 1
}

[ $# -ge 3 ] || die "usage: fetch-kernel.sh PACKAGE SUITE OUTDIR [MODULE...]"
pkg=$1
suite=$2
outdir=$3
shift 3
modules=$*

cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/migcheck/debs
mkdir -p "$cache" "$outdir" || die "cannot create $cache or $outdir"

# An empty suite means apt's default candidate.
aptsel="${suite:+-t $suite }"

# Prints "VERSION DEPENDS" for the candidate of $1 in the chosen suite.
pkg_info() {
	# shellcheck disable=SC2086
	apt-cache ${aptsel} show --no-all-versions "$1" 2>/dev/null |
		awk '/^Version:/ { v = $2 } /^Depends:/ { sub(/^Depends: */, ""); d = $0 }
		     /^$/ { exit } END { if (v != "") print v, d }'
}

# A metapackage depends on exactly one versioned linux-image-*: follow it.
name=$pkg
depth=0
while :; do
	info=$(pkg_info "$name")
	[ -n "$info" ] ||
		die "'apt-cache ${aptsel}show $name' found no such package; run 'apt-get update'" \
			"and check that apt's sources enable ${suite:-the right suite}"
	version=${info%% *}
	next=$(printf '%s\n' "${info#* }" | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[^ |]*\) *(= *[^)]*).*/\1/p' | head -n 1)
	[ -n "$next" ] || break
	depth=$((depth + 1))
	[ $depth -lt 4 ] || die "$pkg: too many levels of metapackages"
	name=$next
done

# apt-get download escapes ':' (epochs) in file names.
deb="$cache/${name}_$(printf %s "$version" | sed 's/:/%3a/g')_amd64.deb"
if [ ! -s "$deb" ]; then
	tmp=$(mktemp -d "$cache/.dl.XXXXXX")
	# The _apt sandbox user must be able to write the download directory.
	chmod 755 "$tmp"
	if ! (cd "$tmp" &&
	      apt-get ${aptsel} download "$name=$version" >"$tmp/log" 2>&1); then
		# apt's first error says why; its sandbox warnings do not.
		msg=$( (grep '^E:' "$tmp/log" || grep '^W:' "$tmp/log") | head -n 1)
		rm -rf "$tmp"
		die "'apt-get ${aptsel}download $name=$version' failed${msg:+ ($msg)};" \
			"run 'apt-get update' and check that ${suite:-the suite} is enabled" \
			"(e.g. bookworm-backports in /etc/apt/sources.list.d)"
	fi
	set -- "$tmp"/*.deb
	[ -s "$1" ] || { rm -rf "$tmp"; die "apt-get download produced no .deb for $name"; }
	mv "$1" "$deb"
	rm -rf "$tmp"
fi

# Unpack into a scratch tree inside the build directory; only the kernel
# and the selected modules are kept.
root=$(mktemp -d "$outdir/.unpack.XXXXXX")
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root" || die "dpkg-deb -x $deb failed (corrupt cache? delete it)"

set -- "$root"/boot/vmlinuz-*
[ -f "$1" ] || die "$name has no /boot/vmlinuz-*: not a kernel image package"
release=${1##*/vmlinuz-}
moddir="$root/lib/modules/$release"
[ -d "$moddir/kernel" ] || die "$name has no modules for $release"

# Debian ships no modules.dep (depmod runs at install time) and the build
# host need not have kmod, so dependencies come from each module's
# .modinfo "depends=" string.  Names match with '-' and '_' equivalent.
index=$(mktemp "$outdir/.index.XXXXXX")
order=$(mktemp "$outdir/.order.XXXXXX")
trap 'rm -rf "$root" "$index" "$order"' EXIT
(cd "$moddir" && find kernel -name '*.ko*') |
	awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", n)
	       gsub(/-/, "_", n); print n, $0 }' >"$index"

modcat() {
	case $1 in
	*.xz) xz -dc "$moddir/$1" ;;
	*.zst) zstd -qdc "$moddir/$1" ;;
	*.gz) gzip -dc "$moddir/$1" ;;
	*) cat "$moddir/$1" ;;
	esac
}

is_builtin() {
	[ -f "$moddir/modules.builtin" ] &&
		sed 's/.*\///; s/\.ko$//; s/-/_/g' "$moddir/modules.builtin" | grep -qxF "$1"
}

# Depth-first post-order: a module's dependencies load before it.
visit() {
	want=$(printf %s "$1" | tr - _)
	f=$(awk -v w="$want" '$1 == w { print $2; exit }' "$index")
	if [ -z "$f" ]; then
		is_builtin "$want" && return 0
		die "module $1 is not in $name ($release)"
	fi
	grep -qxF "$f" "$order" && return 0
	deps=$(modcat "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
	for d in $deps; do
		visit "$d"
	done
	# Shell functions share variables: look $1 up again after recursing.
	f=$(awk -v w="$(printf %s "$1" | tr - _)" '$1 == w { print $2; exit }' "$index")
	grep -qxF "$f" "$order" || echo "$f" >>"$order"
}
for m in $modules; do
	visit "$m"
done

rm -rf "$outdir/modules"
mkdir -p "$outdir/modules"
: >"$outdir/modules.load.tmp"
{
	echo "# generated by fetch-kernel.sh from $name $version"
	echo "dir /lib/modules/$release 0755"
} >"$outdir/modules.spec.tmp"
while read -r f; do
	plain=${f%.xz}
	plain=${plain%.zst}
	plain=${plain%.gz}
	mkdir -p "$outdir/modules/$(dirname "$plain")"
	modcat "$f" >"$outdir/modules/$plain" || die "cannot decompress $f"
	echo "$plain" >>"$outdir/modules.load.tmp"
	echo "file $(cd "$outdir" && pwd)/modules/$plain /lib/modules/$release/$plain 0644" \
		>>"$outdir/modules.spec.tmp"
done <"$order"
echo "file $(cd "$outdir" && pwd)/modules.load /etc/migcheck/modules 0644" \
	>>"$outdir/modules.spec.tmp"

cp "$root/boot/vmlinuz-$release" "$outdir/vmlinuz.tmp"
echo "$release" >"$outdir/kernel-release.tmp"

# The uncompressed kernel, when it has a PVH entry (a Xen PHYS32_ENTRY ELF
# note): QEMU then loads it straight into guest memory and jumps to that
# entry, skipping the bzImage's real-mode setup and its decompressor, which
# under TCG cost about 0.8 s of a 3.4 s boot.  Otherwise vmlinux stays empty
# and the harness boots vmlinuz.  The payload's place is in the boot
# header (setup_sects at 0x1f1, payload_offset and payload_length at 0x248);
# xz and zstd payloads end in a 4-byte size that is not part of the stream.
u8() { od -An -tu1 -j "$1" -N 1 "$2" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N 4 "$2" | tr -d ' '; }
: >"$outdir/vmlinux.tmp"
img="$outdir/vmlinuz.tmp"
sects=$(u8 497 "$img")
[ "${sects:-0}" -ne 0 ] || sects=4
poff=$(u32 584 "$img")
plen=$(u32 588 "$img")
if [ "${plen:-0}" -gt 4 ]; then
	start=$(((sects + 1) * 512 + poff + 1))
	magic=$(tail -c "+$start" "$img" | head -c 4 | od -An -tx1 | tr -d ' \n')
	case $magic in
	28b52ffd) unpack="zstd -qdc" trim=4 ;;
	fd377a58) unpack="xz -dc" trim=4 ;;
	1f8b*) unpack="gzip -dc" trim=0 ;;
	*) unpack="" ;;
	esac
	if [ -n "$unpack" ] &&
		tail -c "+$start" "$img" | head -c $((plen - trim)) | $unpack >"$outdir/vmlinux.tmp" 2>/dev/null &&
		LC_ALL=C readelf -nW "$outdir/vmlinux.tmp" 2>/dev/null |
		awk '$1 == "Xen" && /0x00000012|PHYS32/ { found = 1 } END { exit !found }'; then
		:
	else
		: >"$outdir/vmlinux.tmp"
	fi
fi

for f in vmlinuz vmlinux kernel-release modules.load modules.spec; do
	mv "$outdir/$f.tmp" "$outdir/$f"
done
