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
want openssl openssl
# dnsmasq-base: the program without the package that starts a system
# daemon on port 53 (t/integ/045-dns.t)
want dnsmasq dnsmasq-base
# swaks --tls needs Perl's Net::SSLeay (t/integ/155-smtpd-tls.t)
perl -MNet::SSLeay -e 1 >/dev/null 2>&1 || need="$need libnet-ssleay-perl"

# deb_tool PKG FILE: programs from a Debian package that must not be
# installed (its maintainer scripts would start a daemon), unpacked with
# `apt-get download` and `dpkg -x` into build/src/debs/PKG/ (kept by make
# clean), where tests look for FILE.  The shared libraries the package
# depends on (its lib* dependencies: libraries only, no daemon) are
# installed with the other tools, and remembered in PKG.libs so that a
# later run installs them again when they went missing.  Only as root
# with apt-get.
# want_pkgs PKG...: the packages not installed yet are needed.
want_pkgs() {
	for p; do
		dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
	done
}
deb_tool() {
	dir=build/src/debs/$1
	if [ -e "$dir/$2" ]; then
		[ ! -f "$dir.libs" ] || want_pkgs $(cat "$dir.libs")
		return 0
	fi
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "testtools: not fetching $1 (not root): tests needing it will skip" >&2
		return 0
	fi
	echo "testtools: fetching $1 (apt-get download, dpkg -x)" >&2
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/deb" || return 0
	if (cd "$dir.tmp/deb" && { apt-get -q download "$1" >&2 ||
	    { apt-get -q update >&2 && apt-get -q download "$1" >&2; }; }) &&
	    dpkg -x "$dir.tmp/deb/"*.deb "$dir.tmp/root" &&
	    [ -e "$dir.tmp/root/$2" ]; then
		rm -rf "$dir" && mv "$dir.tmp/root" "$dir"
		dpkg-deb -f "$dir.tmp/deb/"*.deb Depends | tr ',' '\n' |
		    sed 's/[(|].*//' | awk '$1 ~ /^lib/ { print $1 }' |
		    tr '\n' ' ' > "$dir.libs"
		want_pkgs $(cat "$dir.libs")
	else
		echo "testtools: cannot fetch $1: tests needing it will skip" >&2
	fi
	rm -rf "$dir.tmp"
}
# nullmailer's QMQP client (t/integ/157-qmqpd.t)
deb_tool nullmailer usr/lib/nullmailer/qmqp
# Postfix's smtp-sink, a server for the smtp and lmtp clients
# (t/integ/160-smtp.t, 165-lmtp.t); it needs LD_LIBRARY_PATH=.../usr/lib/postfix
deb_tool postfix usr/sbin/smtp-sink
# Dovecot's LMTP server (t/integ/166-lmtp-dovecot.t): dovecot-core (the
# master, auth, config, ... and libdovecot) and dovecot-lmtpd (the lmtp
# service), each in its own directory; nothing installed or started
deb_tool dovecot-core usr/sbin/dovecot
deb_tool dovecot-lmtpd usr/lib/dovecot/lmtp
# aiosmtpd, a second server (160-smtp.t, 165-lmtp.t)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 ||
    need="$need python3-aiosmtpd"

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
