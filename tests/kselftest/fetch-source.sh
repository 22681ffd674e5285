#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fetch-source.sh OUTDIR
#
# Fetches Debian sid's newest linux-source (7.2 or newer) with a private apt
# configuration (its own sources list, lists and cache under
# ~/.cache/migcheck/apt-sid; the system's apt sources are never touched),
# keeps the .deb in ~/.cache/migcheck/debs like the guest kernel, and unpacks
# only what the iommufd and VFIO selftests need into a per-version cache:
#   tools/testing/selftests/{iommu,vfio,kselftest*}, tools/include,
#   drivers/iommu/iommufd/iommufd_test.h, include/uapi/linux/{iommufd,vfio}.h
# OUTDIR/source then points at it.  Exit status 77 with the reason on stdout
# when the source cannot be had (no network, no apt).
set -eu

out=$1
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/migcheck
apt=$cache/apt-sid
debs=$cache/debs

skip() {
	echo "$*"
	exit 77
}

command -v apt-get >/dev/null 2>&1 || skip "apt-get is not available"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc" "$debs" "$out"
echo "deb http://deb.debian.org/debian sid main" >"$apt/etc/sources.list"
set -- -o "Dir::Etc::sourcelist=$apt/etc/sources.list" -o Dir::Etc::sourceparts=- \
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" \
	-o Dir::State::status=/var/lib/dpkg/status -q

# The candidate of the linux-source metapackage names linux-source-X.Y.
pick() {
	apt-cache "$@" show --no-all-versions linux-source 2>/dev/null |
		sed -n 's/^Depends:.*\(linux-source-[0-9]*\.[0-9]*\).*/\1/p' | head -n 1
}

# Lists older than a day are refreshed; a refresh failure with usable lists is fine.
stamp=$apt/lists/.updated
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mtime +0 2>/dev/null)" ]; then
	if apt-get "$@" update >"$apt/update.log" 2>&1; then
		touch "$stamp"
	elif [ -z "$(pick "$@")" ]; then
		skip "cannot reach Debian sid: $(grep -m1 -E '^(E|W):' "$apt/update.log" || echo 'apt-get update failed')"
	fi
fi
name=$(pick "$@")
[ -n "$name" ] || skip "Debian sid has no linux-source metapackage"
ver=$(apt-cache "$@" show --no-all-versions "$name" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
major=${name#linux-source-}
case $major in
[0-6].* | 7.[01]) skip "sid's $name is older than 7.2" ;;
esac
deb=$debs/${name}_$(printf %s "$ver" | sed 's/:/%3a/g')_all.deb
if [ ! -s "$deb" ]; then
	tmp=$(mktemp -d "$debs/.dl.XXXXXX")
	chmod 755 "$tmp"
	if ! (cd "$tmp" && apt-get "$@" download "$name=$ver" >"$tmp/log" 2>&1); then
		msg=$(grep -m1 -E '^(E|W):' "$tmp/log" || true)
		rm -rf "$tmp"
		skip "cannot download $name $ver${msg:+: $msg}"
	fi
	mv "$tmp"/*.deb "$deb"
	rm -rf "$tmp"
fi

src=$cache/linux-source/$ver
if [ ! -f "$src/.complete" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	top=linux-source-$major
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$top.tar.xz" |
		tar -xJ -C "$src" --strip-components=1 --wildcards \
			"$top/tools/testing/selftests/iommu/*" "$top/tools/testing/selftests/vfio/*" \
			"$top/tools/testing/selftests/kselftest*" "$top/tools/include/*" \
			"$top/drivers/iommu/iommufd/iommufd_test.h" \
			"$top/include/uapi/linux/iommufd.h" "$top/include/uapi/linux/vfio.h" ||
		{
			rm -rf "$src"
			echo "fetch-source: cannot unpack $deb (corrupt? delete it)" >&2
			exit 1
		}
	echo "$name $ver" >"$src/.complete"
fi
ln -sfn "$src" "$out/source"
echo "$name $ver"
