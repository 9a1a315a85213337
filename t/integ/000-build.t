#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 000-build.t: what the build promises: every program is a static binary,
# all of them fit the 1 MiB budget, and `make install DESTDIR=...` lays
# out a tree whose postlet runs, without setuid files, keeping an admin's
# edited main.cf on reinstall.
. "$(dirname "$0")/../lib.sh"

tap_plan 13

progs=$(ls "$POSTLET_BUILD/bin" 2>/dev/null)
[ -n "$progs" ] || tap_bail "no programs in $POSTLET_BUILD/bin: run make"

# 1-2: static, and within the size budget (not for sanitizer builds).
if [ "${POSTLET_SANITIZE:-}" = 1 ]; then
	tap_skip 2 "sanitizer builds are dynamic and large"
elif ! command -v file >/dev/null 2>&1; then
	tap_skip 1 "file(1) not installed"
	sh "$POSTLET_SRC/mk/size.sh" "$POSTLET_BUILD/bin" > "$TAP_TMP/size"
	tap_ok $? "all binaries together fit in 1 MiB: $(tail -n 1 \
	    "$TAP_TMP/size")" || tap_diag "$(cat "$TAP_TMP/size")"
else
	bad=""
	for p in $progs; do
		file -L "$POSTLET_BUILD/bin/$p" | grep -q 'statically linked' ||
		    bad="$bad $p"
	done
	tap_is "$bad" "" "every program is statically linked"
	sh "$POSTLET_SRC/mk/size.sh" "$POSTLET_BUILD/bin" > "$TAP_TMP/size"
	tap_ok $? "all binaries together fit in 1 MiB: $(tail -n 1 \
	    "$TAP_TMP/size")" || tap_diag "$(cat "$TAP_TMP/size")"
fi

# 3: install into a staging tree.
stage=$TAP_TMP/stage
mk() {
	make -s -C "$POSTLET_SRC" SANITIZE="${POSTLET_SANITIZE:-}" \
	    BUILD="$POSTLET_BUILD" "$@"
}
sbindir=$(mk print-SBINDIR)
libexecdir=$(mk print-LIBEXECDIR)
sysconfdir=$(mk print-SYSCONFDIR)
mandir=$(mk print-MANDIR)
spooldir=$(mk print-SPOOLDIR)
mk install DESTDIR="$stage" >"$TAP_TMP/install.out" 2>&1
tap_ok $? "make install DESTDIR=... succeeds" ||
    tap_diag "$(tail -n 20 "$TAP_TMP/install.out")"

# 4-8: the layout.
[ -x "$stage$sbindir/postlet" ]
tap_ok $? "postlet is installed in SBINDIR"
[ -f "$stage$sysconfdir/main.cf" ] && [ -f "$stage$sysconfdir/master.cf" ]
tap_ok $? "main.cf and master.cf are installed in SYSCONFDIR"
[ -f "$stage$mandir/man1/postlet.1" ] &&
    [ -f "$stage$mandir/man5/postlet.cf.5" ] &&
    [ -f "$stage$mandir/man5/queue.5" ] &&
    [ -f "$stage$mandir/man7/postlet.7" ]
tap_ok $? "man pages are installed by section"
setid=$(find "$stage" -type f \( -perm -4000 -o -perm -2000 \) -print)
tap_is "$setid" "" "nothing installed is setuid or setgid (yet)"

# The installed tool reads the installed configuration, which must check.
"$stage$sbindir/postlet" -c "$stage$sysconfdir" check \
    >"$TAP_TMP/out" 2>&1
tap_ok $? "postlet check accepts the installed main.cf and master.cf" ||
    tap_diag "$(cat "$TAP_TMP/out")"
out=$("$stage$sbindir/postlet" -c "$stage$sysconfdir" conf -h mail_name \
    config_directory)
tap_is "$out" "postlet
$stage$sysconfdir" "the installed postlet runs and reads its config"

# 9-10: a reinstall keeps what the admin changed.
printf 'myhostname = edited.example.org\n' >> "$stage$sysconfdir/main.cf"
cp "$stage$sysconfdir/main.cf" "$TAP_TMP/edited.cf"
mk install DESTDIR="$stage" >"$TAP_TMP/install.out" 2>&1
tap_ok $? "a second make install succeeds"
tap_file_is "$stage$sysconfdir/main.cf" "$TAP_TMP/edited.cf" \
    "a reinstall keeps an edited main.cf"

# 11-12: the defaults compiled in follow config.mk.
out=$("$stage$sbindir/postlet" -c "$stage$sysconfdir" conf -d -h \
    command_directory daemon_directory)
tap_is "$out" "$sbindir
$libexecdir/postlet" "directory defaults come from config.mk"
out=$("$stage$sbindir/postlet" -c "$stage$sysconfdir" conf -d -h \
    queue_directory)
tap_is "$out" "$spooldir" "queue_directory defaults to SPOOLDIR"

tap_done
