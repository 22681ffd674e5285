# SPDX-License-Identifier: GPL-2.0-or-later
# TAP for the shell tests: `check NAME GOT EXPECTED` prints one numbered
# line; a mismatch shows both values and sets tap_failed=1.
n=0
tap_failed=0
check() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n $1"
	else
		echo "# expected: $3"
		echo "# got:      $2"
		echo "not ok $n $1"
		tap_failed=1
	fi
}
