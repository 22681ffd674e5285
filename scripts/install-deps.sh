#!/bin/sh
# Installs what migcheck needs from Debian's packages, and nothing else.
# On bookworm it enables bookworm-backports for QEMU >= 10.0, linux-libc-dev
# 6.12, the guest kernel and libvirt >= 10.6.  Quiet when everything is
# already there.
# Not root and something missing: prints the exact commands and fails.
set -eu

# package[:minimum version[:target release]]
# chromium and libxml2-utils: the report tests (HTML in a headless browser, JUnit schema);
# python3-jsonschema: certificates checked against their schema;
# libcap-dev and uuid-dev: building the kernel's VFIO selftests.
BASE_PKGS="gcc make meson ninja-build pkg-config libc6-dev libjansson-dev jq xz-utils zstd strace iproute2 util-linux chromium libxml2-utils python3-jsonschema libcap-dev uuid-dev"
BPO_PKGS="qemu-system-x86:1:10.0 linux-libc-dev:6.12"
# libvirt for `migcheck run --via libvirt`: named one by one from backports
# (pkg/bookworm-backports) so that the rest, systemd above all, stays
# bookworm's; without recommends, so libvirtd carries only the QEMU driver.
LV_PKGS="libvirt-daemon-driver-qemu:10.6 libvirt-daemon:10.6 libvirt-clients:10.6 libvirt-dev:10.6 libvirt0:10.6 libvirt-common:10.6 libvirt-daemon-common:10.6 libvirt-daemon-log:10.6"

. /etc/os-release 2>/dev/null || true
codename=${VERSION_CODENAME:-}
bpo=""
[ "$codename" = bookworm ] && bpo="bookworm-backports"

# "pkg" or "pkg:minver" -> prints pkg if not installed at (at least) that version.
missing() {
	spec=$1
	pkg=${spec%%:*}
	min=""
	[ "$spec" != "$pkg" ] && min=${spec#*:}
	ver=$(dpkg-query -W -f '${db:Status-Abbrev} ${Version}' "$pkg" 2>/dev/null || true)
	case "$ver" in
	"ii "*) ;;
	*) echo "$pkg"; return ;;
	esac
	ver=${ver#ii }
	ver=$(echo "$ver" | tr -d ' ')
	if [ -n "$min" ] && dpkg --compare-versions "$ver" lt "$min"; then
		echo "$pkg"
	fi
}

need_base=""
for p in $BASE_PKGS; do need_base="$need_base $(missing "$p")"; done
need_bpo=""
for p in $BPO_PKGS; do need_bpo="$need_bpo $(missing "$p")"; done
need_base=$(echo $need_base)
need_bpo=$(echo $need_bpo)
need_lv=""
for p in $LV_PKGS; do need_lv="$need_lv $(missing "$p")"; done
need_lv=$(echo $need_lv)
# "pkg" -> "pkg/bookworm-backports" on bookworm
lv_targets() {
	for p in $need_lv; do
		if [ -n "$bpo" ]; then printf '%s/%s ' "$p" "$bpo"; else printf '%s ' "$p"; fi
	done
}

has_bpo_source() {
	grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}

# The guest kernel is fetched at build time from backports: its lists must exist.
need_lists=""
if [ -n "$bpo" ] && ! has_bpo_source; then
	need_lists=yes
fi

[ -z "$need_base$need_bpo$need_lv$need_lists" ] && exit 0

bpo_src=/etc/apt/sources.list.d/bookworm-backports.sources
if [ "$(id -u)" != 0 ]; then
	echo "migcheck: missing Debian packages:${need_base:+ $need_base}${need_bpo:+ $need_bpo}${need_lv:+ $need_lv}" >&2
	echo "migcheck: run as root:" >&2
	if [ -n "$bpo" ] && ! has_bpo_source; then
		echo "  printf 'Types: deb\\nURIs: http://deb.debian.org/debian\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > $bpo_src" >&2
	fi
	echo "  apt-get update" >&2
	[ -n "$need_base" ] && echo "  apt-get install -y $need_base" >&2
	if [ -n "$need_bpo" ]; then
		if [ -n "$bpo" ]; then
			echo "  apt-get install -y -t $bpo $need_bpo" >&2
		else
			echo "  apt-get install -y $need_bpo" >&2
		fi
	fi
	[ -n "$need_lv" ] && echo "  apt-get install -y --no-install-recommends $(lv_targets)" >&2
	exit 1
fi

echo "migcheck: installing Debian packages:${need_base:+ $need_base}${need_bpo:+ $need_bpo}${need_lv:+ $need_lv}" >&2
if [ -n "$bpo" ] && ! has_bpo_source; then
	cat > "$bpo_src" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
[ -n "$need_base" ] && apt-get install -y -qq $need_base >/dev/null
if [ -n "$need_bpo" ]; then
	if [ -n "$bpo" ]; then
		apt-get install -y -qq -t "$bpo" $need_bpo >/dev/null
	else
		apt-get install -y -qq $need_bpo >/dev/null
	fi
fi
if [ -n "$need_lv" ]; then
	# shellcheck disable=SC2046
	apt-get install -y -qq --no-install-recommends $(lv_targets) >/dev/null
fi
for p in $BASE_PKGS $BPO_PKGS $LV_PKGS; do
	if [ -n "$(missing "$p")" ]; then
		echo "migcheck: $p is still missing or too old after installing" >&2
		exit 1
	fi
done
