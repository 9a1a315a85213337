#!/bin/sh
# SPDX-License-Identifier: ISC
#
# mk/deps.sh: fetch the sources of postlet's two dependencies, BearSSL and
# tinycdb, from the system's package manager, and build them with $CC into
# build/deps/ (static libraries and headers).  Nothing else is ever fetched.
#
#	mk/deps.sh CC CFLAGS DEPSDIR SRCDIR [BEARSSL_SRC] [TINYCDB_SRC]
#
# Sources are unpacked once into SRCDIR (shared by every build flavour);
# libraries and headers go to DEPSDIR/lib and DEPSDIR/include.
#
# When BEARSSL_SRC / TINYCDB_SRC name an unpacked source tree (Alpine,
# FreeBSD, a tarball you trust), that tree is used and nothing is fetched.
# Otherwise, on Debian and Ubuntu, the sources come from `apt-get source`.
# As root the script installs what that needs (dpkg-dev, xz-utils and a
# deb-src entry for the Debian suites already configured); as another user
# it stops with one line saying what to install.
set -eu

cc=$1
cflags=$2
depsdir=$3
srcdir=$4
bearssl_src=${5:-}
tinycdb_src=${6:-}

say() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
	is_root || die "missing $*: run 'apt-get install $*' as root, or set the source paths in config.mk"
	say "installing $*"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
	    install -y -q --no-install-recommends "$@" >&2 ||
	    { apt-get -q update >&2 && DEBIAN_FRONTEND=noninteractive \
	    apt-get -o DPkg::Lock::Timeout=600 install -y -q \
	    --no-install-recommends "$@" >&2; } ||
	    die "apt-get install $* failed"
}

# Print a deb-src version of every Debian entry apt already has: deb822
# stanzas (*.sources) and one-line entries (sources.list, *.list).
debian_src_entries() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (isdeb && isdebian) { printf "%s\n", stanza }
			stanza = ""; isdeb = 0; isdebian = 0
		}
		/^[ \t]*$/ { flush(); next }
		/^[ \t]*#/ { next }
		/^Types:/ {
			for (i = 2; i <= NF; i++) { if ($i == "deb") { isdeb = 1 } }
			stanza = stanza "Types: deb-src\n"; next
		}
		/^URIs:/ { if ($0 ~ /debian/) { isdebian = 1 } }
		{ stanza = stanza $0 "\n" }
		END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" && /debian/ { $1 = "deb-src"; print; print "" }' "$f"
	done
}

have_deb_src() {
	grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list \
	    /etc/apt/sources.list.d/ 2>/dev/null
}

# Unpack Debian source package $1 into $depsdir/src and print its directory.
debian_source() {
	pkg=$1
	dir=$(ls -d "$srcdir/$pkg"-*/ 2>/dev/null | head -n 1 || true)
	if [ -n "$dir" ]; then
		printf '%s\n' "${dir%/}"
		return
	fi
	command -v apt-get >/dev/null 2>&1 ||
	    die "no apt-get: set BEARSSL_SRC and TINYCDB_SRC in config.mk (see README)"
	command -v dpkg-source >/dev/null 2>&1 || apt_install dpkg-dev
	command -v xz >/dev/null 2>&1 || apt_install xz-utils
	if ! have_deb_src; then
		is_root || die "no deb-src entry in apt's sources: add one, or set BEARSSL_SRC and TINYCDB_SRC in config.mk"
		entries=$(debian_src_entries)
		[ -n "$entries" ] || die "no Debian entry in apt's sources to derive a deb-src entry from"
		say "adding deb-src entries to /etc/apt/sources.list.d/postlet-src.sources"
		printf '%s\n' "$entries" > /etc/apt/sources.list.d/postlet-src.sources
		apt-get -q update >&2 || die "apt-get update failed"
	fi
	mkdir -p "$srcdir"
	say "apt-get source $pkg"
	if ! (cd "$srcdir" && apt-get source -q "$pkg" >&2); then
		is_root || die "apt-get source $pkg failed"
		apt-get -q update >&2 || die "apt-get update failed"
		(cd "$srcdir" && apt-get source -q "$pkg" >&2) ||
		    die "apt-get source $pkg failed"
	fi
	dir=$(ls -d "$srcdir/$pkg"-*/ 2>/dev/null | head -n 1 || true)
	[ -n "$dir" ] || die "apt-get source $pkg left no source tree"
	printf '%s\n' "${dir%/}"
}

mkdir -p "$depsdir/lib" "$depsdir/include"

if [ ! -f "$depsdir/lib/libbearssl.a" ]; then
	[ -n "$bearssl_src" ] || bearssl_src=$(debian_source bearssl)
	say "building BearSSL from $bearssl_src"
	obj="$depsdir/obj/bearssl"
	rm -rf "$obj"
	mkdir -p "$obj"
	# BearSSL's own Makefile builds tools and a shared library too; we need
	# only the static library, so compile src/**/*.c ourselves.
	jobs=$(nproc 2>/dev/null || echo 2)
	find "$bearssl_src/src" -name '*.c' | sort | awk '{ print NR, $0 }' |
	    cc=$cc cflags=$cflags inc=$bearssl_src obj=$obj xargs -P "$jobs" -L 1 \
	    sh -c 'exec $cc $cflags -I"$inc/inc" -I"$inc/src" -c "$2" -o "$obj/$1.o"' sh ||
	    die "compiling BearSSL failed"
	rm -f "$depsdir/lib/libbearssl.a.tmp"
	ar rcs "$depsdir/lib/libbearssl.a.tmp" "$obj"/*.o
	cp "$bearssl_src"/inc/*.h "$depsdir/include/"
	mv "$depsdir/lib/libbearssl.a.tmp" "$depsdir/lib/libbearssl.a"
	rm -rf "$obj"
fi

if [ ! -f "$depsdir/lib/libcdb.a" ]; then
	[ -n "$tinycdb_src" ] || tinycdb_src=$(debian_source tinycdb)
	say "building tinycdb from $tinycdb_src"
	obj="$depsdir/obj/tinycdb"
	rm -rf "$obj"
	mkdir -p "$obj"
	for c in cdb_init cdb_find cdb_findnext cdb_seq cdb_seek cdb_unpack \
	    cdb_make_add cdb_make_put cdb_make cdb_hash; do
		# shellcheck disable=SC2086
		$cc $cflags -I"$tinycdb_src" -c "$tinycdb_src/$c.c" \
		    -o "$obj/$c.o" || die "compiling $tinycdb_src/$c.c failed"
	done
	rm -f "$depsdir/lib/libcdb.a.tmp"
	ar rcs "$depsdir/lib/libcdb.a.tmp" "$obj"/*.o
	cp "$tinycdb_src/cdb.h" "$depsdir/include/"
	mv "$depsdir/lib/libcdb.a.tmp" "$depsdir/lib/libcdb.a"
	rm -rf "$obj"
fi
