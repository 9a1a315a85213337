#!/bin/sh
# SPDX-License-Identifier: ISC
#
# mk/tools.sh CC: make sure the compiler exists.  musl-gcc comes from
# Debian's musl-tools, which we install when we are root; otherwise one
# line says what to do.
set -eu
cc=$1
command -v "${cc%% *}" >/dev/null 2>&1 && exit 0
case $cc in
musl-gcc*)
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "tools: installing musl-tools" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		    --no-install-recommends musl-tools >&2 ||
		    { apt-get -q update >&2 &&
		    apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		    --no-install-recommends musl-tools >&2; } ||
		    { echo "tools: apt-get install musl-tools failed" >&2; exit 1; }
		exit 0
	fi
	echo "tools: musl-gcc not found: install musl-tools (Debian), musl-dev (Alpine), or build with 'make CC=cc'" >&2
	exit 1;;
*)
	echo "tools: compiler '$cc' not found" >&2
	exit 1;;
esac
