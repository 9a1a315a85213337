#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 030-nonroot.t: running as an ordinary user is a first-class mode
# (containers, tests).  As root, this runs the admin tool as "nobody" on
# a directory that user owns: conf edits, map and alias builds and
# queries all work without privileges, and files get that user's
# ownership.  Run as a non-root user, the same checks run as that user.
. "$(dirname "$0")/../lib.sh"

tap_plan 7

P=$(postlet_bin postlet) || tap_bail "$P"
D=$TAP_TMP/nobody
mkdir "$D"
printf 'mail_name = postlet\n' > "$D/main.cf"
printf 'root: admin\nadmin: someone@example.org\n' > "$D/aliases"
printf 'example.org smtp:[relay.example.org]\n' > "$D/transport"
printf 'alias_maps = cdb:%s/aliases\n' "$D" >> "$D/main.cf"

if [ "$(id -u)" -eq 0 ]; then
	if ! command -v setpriv >/dev/null 2>&1; then
		tap_skip 7 "setpriv not installed"
		tap_done
	fi
	chown -R nobody "$D"
	chmod 755 "$TAP_TMP"
	# The binary must be reachable by nobody: copy it out of the tree.
	cp "$P" "$TAP_TMP/postlet" && chmod 755 "$TAP_TMP/postlet"
	P=$TAP_TMP/postlet
	as_user() {
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		    "$@"
	}
	who=nobody
else
	as_user() { "$@"; }
	who=$(id -un)
fi

as_user "$P" -c "$D" conf myhostname=box.example.org >"$TAP_TMP/out" 2>&1
tap_ok $? "conf edits main.cf as $who" || tap_diag "$(cat "$TAP_TMP/out")"
out=$(as_user "$P" -c "$D" conf -h myhostname mydomain 2>&1)
tap_is "$out" "box.example.org
example.org" "conf -h reads it back as $who"
as_user "$P" -c "$D" alias >"$TAP_TMP/out" 2>&1
tap_ok $? "alias builds alias_maps as $who" || tap_diag "$(cat "$TAP_TMP/out")"
out=$(as_user "$P" -c "$D" alias -q root 2>&1)
tap_is "$out" "admin" "alias -q finds root as $who"
as_user "$P" -c "$D" map "$D/transport" >"$TAP_TMP/out" 2>&1
tap_ok $? "map builds a table as $who" || tap_diag "$(cat "$TAP_TMP/out")"
out=$(as_user "$P" -c "$D" map -q example.org "cdb:$D/transport" 2>&1)
tap_is "$out" "smtp:[relay.example.org]" "map -q reads it as $who"
owner=$(stat -c %U "$D/main.cf" "$D/aliases.cdb" "$D/transport.cdb" | sort -u)
tap_is "$owner" "$who" "every file written belongs to $who"

tap_done
