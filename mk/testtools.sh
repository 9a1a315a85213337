#!/bin/sh
# SPDX-License-Identifier: ISC
#
# mk/testtools.sh: install the programs the tests talk to, which nobody
# here wrote (the cdb tool from tinycdb, mandoc, file, ...).  Only as root
# and only with apt-get; otherwise the tests that need a missing tool skip
# with a reason.
#
# mk/testtools.sh fuzz [CC]: instead, what `make fuzz` needs: clang and
# its libFuzzer runtime (Debian 12: clang-14 and libclang-rt-14-dev).
# Without them and as another user, one line says so and it fails.
set -u
if [ "${1:-}" = fuzz ]; then
	cc=${2:-clang}
	# Can cc link a harness?  (The runtime is a separate package.)
	have_fuzzer() {
		command -v "$cc" >/dev/null 2>&1 &&
		    printf 'int LLVMFuzzerTestOneInput(const unsigned char *p, unsigned long n) { (void)p; (void)n; return 0; }\n' |
		    "$cc" -x c -fsanitize=fuzzer,address -o /dev/null - \
		    >/dev/null 2>&1
	}
	have_fuzzer && exit 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "testtools: make fuzz needs $cc and libFuzzer: apt-get install clang libclang-rt-dev (Debian 12: clang-14 libclang-rt-14-dev)" >&2
		exit 1
	fi
	pkgs="clang libclang-rt-dev"
	echo "testtools: installing $pkgs" >&2
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $pkgs >&2 ||
	    { apt-get -q update >&2 &&
	    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $pkgs >&2; } ||
	    { echo "testtools: apt-get install $pkgs failed" >&2; exit 1; }
	have_fuzzer && exit 0
	echo "testtools: $cc still has no libFuzzer runtime" >&2
	exit 1
fi
need=""
want() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
want cdb tinycdb
want mandoc mandoc
want file file
want python3 python3
want strace strace
want swaks swaks
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
