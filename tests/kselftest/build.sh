#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build.sh SOURCE OUTDIR STUBDIR
#
# Builds the kernel's iommufd and VFIO selftests from an unpacked
# linux-source tree as ordinary userspace programs: the tree's own uapi
# headers come first (they are newer than the system's), the VFIO library is
# linked with stubs.c.  Rebuilds only when the source changed.
set -eu

src=$1
out=$2
stubs=$3
cc=${CC:-cc}
st=$src/tools/testing/selftests
mkdir -p "$out/inc/linux" "$out/obj"
ver=$(cat "$src/.complete" 2>/dev/null || echo unknown)
if [ -f "$out/.built" ] && [ "$(cat "$out/.built")" = "$ver" ]; then
	exit 0
fi
cp "$src/include/uapi/linux/iommufd.h" "$src/include/uapi/linux/vfio.h" "$out/inc/linux/"
log=$out/build.log
: >"$log"
run() {
	echo "$*" >>"$log"
	"$@" >>"$log" 2>&1 || {
		cat "$log" >&2
		echo "kselftest build: failed: $*" >&2
		exit 1
	}
}

# The harness's 30 s per-test timeout is a speed target, not a rule: on a
# loaded machine a test must not fail for being slow.  Same header, longer wait.
mkdir -p "$out/override"
sed 's/^#define TEST_TIMEOUT_DEFAULT 30$/#define TEST_TIMEOUT_DEFAULT 900/' \
	"$st/kselftest_harness.h" >"$out/override/kselftest_harness.h"
grep -q 'TEST_TIMEOUT_DEFAULT 900' "$out/override/kselftest_harness.h" || {
	echo "kselftest build: kselftest_harness.h has no TEST_TIMEOUT_DEFAULT 30 to lengthen" >&2
	exit 1
}
common="-O2 -g -D_GNU_SOURCE -Wno-unused-function -w -I$out/inc -I$out/override -I$src/tools/include"
# selftests/iommu: iommufd and iommufd_fail_nth
for t in iommufd iommufd_fail_nth; do
	run $cc $common -I"$st" -I"$st/iommu" -o "$out/$t" "$st/iommu/$t.c" -lcap -lpthread
done
# selftests/vfio: its library, then each test
vinc="-include $stubs/stubs.h -I$st/vfio/lib/include -I$st -I$st/vfio"
for f in iommu iova_allocator libvfio sysfs vfio_pci_device vfio_pci_driver; do
	run $cc $common $vinc -c -o "$out/obj/$f.o" "$st/vfio/lib/$f.c"
done
run $cc $common $vinc -c -o "$out/obj/stubs.o" "$stubs/stubs.c"
for t in vfio_iommufd_setup_test vfio_dma_mapping_test vfio_pci_device_test; do
	run $cc $common $vinc -o "$out/$t" "$st/vfio/$t.c" "$out"/obj/*.o -luuid -lpthread
done
echo "$ver" >"$out/.built"
