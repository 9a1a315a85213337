#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 040-trivial-rewrite.t: the trivial-rewrite command on a configuration in
# a temporary directory, with a transport table built by `postlet map`:
# one exact output line per address for each address class, transport
# table entries over the classes, relayhost, external forms (quotes, <>,
# no brackets), -r canonical forms, a rebuilt table seen at once, and the
# exit statuses: 0, 64 (usage), 65 (bad address), 75 (a table that
# cannot be read), with the other addresses still answered.

. "$(dirname "$0")/../lib.sh"

TR=$(postlet_bin trivial-rewrite) || tap_bail "$TR"
POSTLET=$(postlet_bin postlet) || tap_bail "$POSTLET"
unset MAIL_CONFIG
D=$TAP_TMP/etc
mkdir "$D" || tap_bail "mkdir $D"

tap_plan 26

cat >"$D/main.cf" <<EOF
myhostname = mail.example.com
recipient_delimiter = +
relayhost = [smart.example.com]:587
relay_domains = relay.example
virtual_alias_domains = alias.example
virtual_mailbox_domains = mbox.example
transport_maps = cdb:$D/transport
EOF
cat >"$D/transport" <<'EOF'
# transport(5) entries
special.example		smtp:[mx.special.example]:2525
lists@mail.example.com	lmtp:unix:/run/lists
.corp.example		:[gw.corp.example]
direct.example		smtp:
EOF
tap_run "$POSTLET" -c "$D" map "$D/transport"
tap_ok "$tap_status" "postlet map builds the transport table"

# resolve WANT ADDRESS: one address, one exact line, exit 0.
resolve()
{
	tap_run "$TR" -c "$D" "$2"
	tap_is "$tap_status:$(cat "$TAP_TMP/out")$(cat "$TAP_TMP/err")" \
	    "0:$1" "resolve $2"
}

resolve "local local mail.example.com user@mail.example.com" \
    user@mail.example.com
resolve "local local mail.example.com User+Tag@LOCALHOST" \
    "<User+Tag@LOCALHOST>"
resolve "local local mail.example.com postmaster" "<postmaster>"
unknown="5.1.1 User unknown in virtual alias table"
resolve "virtual_alias error $unknown a@alias.example" a@alias.example
resolve "virtual_mailbox virtual mbox.example a@mbox.example" a@mbox.example
resolve "relay smtp [smart.example.com]:587 a@relay.example" a@relay.example
resolve "default smtp [smart.example.com]:587 a@Remote.Example" \
    "  <a@Remote.Example>"
resolve 'default smtp [smart.example.com]:587 "john doe"@remote.example' \
    '<"john doe"@remote.example>'
resolve "default smtp [mx.special.example]:2525 a@special.example" \
    a@special.example
resolve "local lmtp unix:/run/lists lists+owner@mail.example.com" \
    lists+owner@mail.example.com
resolve "default smtp [gw.corp.example] a@host.corp.example" \
    a@host.corp.example
resolve "default smtp direct.example a@direct.example" a@direct.example
resolve "local local mail.example.com <>" "<>"

# Several addresses: one line each, in order.
tap_run "$TR" -c "$D" a@relay.example b@mail.example.com
printf '%s\n' "relay smtp [smart.example.com]:587 a@relay.example" \
    "local local mail.example.com b@mail.example.com" >"$TAP_TMP/want"
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "one line per address, in order"

# -r: canonical forms.
tap_run "$TR" -c "$D" -r user '<"a b"@host>' '<>' x@example.org
printf '%s\n' "user@mail.example.com" '"a b"@host' "<>" x@example.org \
    >"$TAP_TMP/want"
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "-r: the canonical forms"
printf 'append_dot_mydomain = yes\n' >>"$D/main.cf"
tap_run "$TR" -c "$D" -r user@host
tap_is "$(cat "$TAP_TMP/out")" "user@host.example.com" \
    "-r: append_dot_mydomain = yes"

# A rebuilt table is used at once.
printf 'special.example\tdiscard:\n' >"$D/transport"
"$POSTLET" -c "$D" map "$D/transport"
resolve "default discard special.example a@special.example" \
    a@special.example

# Exit statuses.
tap_run "$TR" -c "$D"
tap_is "$tap_status" 64 "no address: exit 64"
tap_run "$TR" -c "$D" -x a@b
tap_is "$tap_status" 64 "unknown option: exit 64"
tap_run "$TR" -c "$D" 'a@@b' a@relay.example
tap_is "$tap_status:$(cat "$TAP_TMP/out")" \
    "65:relay smtp [smart.example.com]:587 a@relay.example" \
    "bad address: exit 65, the others answered"
tap_is "$(cat "$TAP_TMP/err")" \
    "trivial-rewrite: error: a@@b: Bad recipient address syntax" \
    "bad address: the message"

rm -f "$D/transport.cdb"
tap_run "$TR" -c "$D" a@remote.example user
tap_is "$tap_status" 75 "missing transport table: exit 75"
tap_is "$(cat "$TAP_TMP/out")" "" "missing transport table: no output"
msg="transport_maps: $D/transport.cdb: No such file or directory"
tap_is "$(sed -n 1p "$TAP_TMP/err")" \
    "trivial-rewrite: error: a@remote.example: $msg" \
    "missing transport table: the message names the table"
tap_run "$TR" -c "$D" -r a@remote.example
tap_is "$tap_status:$(cat "$TAP_TMP/out")" "0:a@remote.example" \
    "-r needs no table"

tap_done
