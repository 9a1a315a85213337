#!/bin/sh
# SPDX-License-Identifier: ISC
#
# mk/testtools.sh: install the programs the tests talk to, which nobody
# here wrote (the cdb tool from tinycdb, mandoc, file, ...).  Only as root
# and only with apt-get; otherwise the tests that need a missing tool skip
# with a reason.
set -u
need=""
want() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
want cdb tinycdb
want mandoc mandoc
want file file
want python3 python3
want strace strace
[ -n "$need" ] || exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "testtools: not installing$need (not root): tests needing them will skip" >&2
	exit 0
fi
echo "testtools: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $need >&2 ||
    { apt-get -q update >&2 &&
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $need >&2; } ||
    echo "testtools: apt-get install$need failed: tests needing them will skip" >&2
exit 0
