// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tap_sample: emits, through the harness's TAP writer, every result kind
 * that does not fail a run, so that meson's TAP parser reads the harness's
 * dialect (registered as a protocol 'tap' test; it must pass).
 */
#include "tap.h"

int main(void)
{
	struct tap t;

	tap_begin(&t, stdout, 5);
	tap_diag(&t, "migcheck run sample: 5 cases\nreport: /dev/null");
	tap_result(&t, "sample.default.pass", MC_PASS, NULL);
	tap_result(&t, "sample.default.skip", MC_SKIP,
		   "QEMU 10.0 blocks VFIO migration # with a vIOMMU");
	tap_result(&t, "sample.default.skip_noreason", MC_SKIP, NULL);
	tap_result(&t, "sample.default.xfail", MC_XFAIL, "known defect\nsecond line");
	tap_result(&t, "sample.default.xpass", MC_XPASS, "known defect");
	tap_totals(&t);
	return tap_exit_code(&t);
}
