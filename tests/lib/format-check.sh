#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The tree is clean under its own .clang-format: one TAP line per C file
# that clang-format would change.  SKIP without clang-format or outside a
# git checkout (a release tarball has no file list to trust).
# usage: format-check.sh SOURCE-ROOT
set -u
root=$1
echo "TAP version 13"
if ! command -v clang-format >/dev/null 2>&1; then
	echo "1..0 # SKIP clang-format is not installed"
	exit 0
fi
if ! git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	echo "1..0 # SKIP $root is not a git checkout"
	exit 0
fi
cd "$root" || exit 1
# One clang-format run over the whole list; it names each file it would change.
list=$(git ls-files '*.c' '*.h')
# shellcheck disable=SC2086 # the list is file names without spaces
changed=$(clang-format --style=file --dry-run $list 2>&1 | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: warning: code should be clang-formatted.*/\1/p' | sort -u)
n=0
bad=0
for f in $list; do
	n=$((n + 1))
	if printf '%s\n' "$changed" | grep -qxF "$f"; then
		bad=$((bad + 1))
		echo "not ok $n $f"
		clang-format --style=file "$f" | diff -u "$f" - | head -20 | sed 's/^/# /'
	else
		echo "ok $n $f"
	fi
done
echo "1..$n"
[ "$bad" -eq 0 ]
