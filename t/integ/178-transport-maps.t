#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 178-transport-maps.t: the transport(5) forms that route to the delivery
# agents, first as trivial-rewrite resolves them (one exact line each:
# error:CODE text, error:, discard:, discard:reason, smtp:[host]:port,
# lmtp:unix:/path, local:, virtual:, a pipe service name), then end to
# end and daemonless (as 140-bounce.t): messages to five recipients
# routed by transport_maps to error (bounced with the table's code and
# text in the notice), error with a 4.x.x code (deferred), discard (sent,
# nothing delivered), virtual (a virtual Maildir) and a pipe service (the
# command's arguments and input).  The deferred recipient goes in a
# message of its own, so that the other's notice is not held back.
. "$(dirname "$0")/../lib.sh"

RES=10
E2E=8
tap_plan $((RES + E2E))

TR=$(postlet_bin trivial-rewrite) || tap_bail "$TR"
unset MAIL_CONFIG
T=$TAP_TMP
chmod 755 "$T"
D=$T/etc
mkdir -p "$D"
TMAP='inline:{{err@t.example=error:5.1.1 no such user here},
    {soft@t.example=error:4.7.1 try again later}, bare@t.example=error:,
    drop@t.example=discard:, quiet@t.example=discard:silently,
    relay@t.example=smtp:[relay.example]:2525,
    lmtp@t.example=lmtp:unix:/run/dovecot/lmtp, loc@t.example=local:,
    vm@t.example=virtual:, pp@t.example=mypipe:}'
cat > "$D/main.cf" <<EOF
myhostname = host.example.org
transport_maps = $TMAP
EOF

# --- 1-10: resolution ------------------------------------------------------
resolve()
{
	tap_run "$TR" -c "$D" "$2"
	tap_is "$tap_status:$(cat "$T/out")$(cat "$T/err")" "0:$1" \
	    "resolve $2"
}
resolve "default error 5.1.1 no such user here err@t.example" err@t.example
resolve "default error 4.7.1 try again later soft@t.example" soft@t.example
resolve "default error t.example bare@t.example" bare@t.example
resolve "default discard t.example drop@t.example" drop@t.example
resolve "default discard silently quiet@t.example" quiet@t.example
resolve "default smtp [relay.example]:2525 relay@t.example" relay@t.example
resolve "default lmtp unix:/run/dovecot/lmtp lmtp@t.example" \
    lmtp@t.example
resolve "default local t.example loc@t.example" loc@t.example
resolve "default virtual t.example vm@t.example" vm@t.example
resolve "default mypipe t.example pp@t.example" pp@t.example

# --- 11-18: end to end --------------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $E2E "python3 not installed"
	tap_done
fi
postlet_as_user plt "$E2E"
BC=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
I=$T/i
O=$T/out.d
mkdir -p "$I" "$O"
chmod 777 "$O"
[ -z "$TU" ] || chown "$TU:$GROUP" "$I"
as_me mkdir -p "$I/conf" "$I/mail" "$I/vmail" || tap_bail "mkdir as $ME"
for d in maildrop tmp incoming active deferred hold corrupt defer bounce \
    public pid; do
	as_me mkdir -p "$I/queue/$d" || tap_bail "mkdir as $ME"
done
trap 'postlet_user_end "$I/queue"; tap_cleanup' EXIT
cat > "$T/cmd.sh" <<EOF
#!/bin/sh
for a in "\$@"; do printf '%s\\0' "\$a"; done > "$O/argv"
cat > "$O/stdin"
EOF
chmod 755 "$T/cmd.sh"
as_me sh -c "cat > '$I/conf/main.cf'" <<EOS
queue_directory = $I/queue
command_directory = $BC
daemon_directory = $BC
mail_owner = $ME
setgid_group = $GROUP
maillog_file = $I/maillog
mail_spool_directory = $I/mail/
myhostname = host.example.org
minimal_backoff_time = 1s
queue_run_delay = 1s
transport_maps = $TMAP
virtual_mailbox_base = $I/vmail
virtual_mailbox_maps = inline:{vm@t.example=vm/}
virtual_uid_maps = static:$(id -u "$ME")
virtual_gid_maps = static:$(id -g "$ME")
virtual_minimum_uid = 1
EOS
as_me sh -c "cat > '$I/conf/master.cf'" <<EOS
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
error     unix  -  -  n  -    -  error
discard   unix  -  -  n  -    -  discard
virtual   unix  -  -  n  -    -  virtual
mypipe    unix  -  n  n  -    -  pipe flags=R user=$ME
    argv=$T/cmd.sh -f \${sender} -- \${recipient}
EOS
printf 'Subject: routed\n\nhello\n' > "$T/in"
as_me "$BC/sendmail" -C "$I/conf" -f "$ME@host.example.org" \
    err@t.example quiet@t.example vm@t.example pp@t.example \
    < "$T/in" > "$T/sm.out" 2>&1 &&
    as_me "$BC/sendmail" -C "$I/conf" -f "$ME@host.example.org" \
    soft@t.example < "$T/in" >> "$T/sm.out" 2>&1
tap_is "$?" 0 "sendmail to four routed recipients, then to one, exits 0" ||
    tap_diag "$(cat "$T/sm.out")"
MB=$I/mail/$ME
done_yet() {
	[ -d "$MB/new" ] && [ -n "$(ls "$MB/new")" ] && [ -s "$O/stdin" ] &&
	    [ -d "$I/vmail/vm/new" ] && [ -n "$(ls "$I/vmail/vm/new")" ] &&
	    grep -q "to=<soft@t.example>.*status=deferred" "$I/maillog"
}
n=150
while [ $n -gt 0 ] && ! done_yet; do
	sleep 0.1
	n=$((n - 1))
done
L=$I/maillog
grep -q "to=<soft@t.example>, relay=error, .*dsn=4\.7\.1, status=deferred (try again later)" "$L"
tap_ok $? "error:4.7.1 try again later: deferred with that text" ||
    tap_diag "$(tail -n 20 "$L")"
grep -q "to=<quiet@t.example>, relay=discard, .*dsn=2\.0\.0, status=sent (silently)" "$L"
tap_ok $? "discard:silently: sent, the reason logged" ||
    tap_diag "$(tail -n 20 "$L")"
set -- "$I"/vmail/vm/new/*
grep -q '^Delivered-To: vm@t.example$' "$1" 2>/dev/null
tap_ok $? "virtual: delivered into the virtual Maildir" ||
    tap_diag "$(tail -n 20 "$L")"
printf -- '-f\0%s\0--\0pp@t.example\0' "$ME@host.example.org" > "$T/want"
tap_file_is "$O/argv" "$T/want" "mypipe: the command's arguments"
grep -q "^Return-Path: <$ME@host.example.org>\$" "$O/stdin" &&
    grep -q '^hello$' "$O/stdin"
tap_ok $? "mypipe: its input, with the Return-Path of flags=R"
set -- "$MB"/new/*
f=$1
grep -q '^Status: 5\.1\.1$' "$f" 2>/dev/null &&
    tr -d '\n' < "$f" | grep -q 'no such user here'
tap_ok $? "error:5.1.1 text: a notice with Status 5.1.1 and the text" ||
    tap_diag "$(tail -n 20 "$L")"
! grep -q 'quiet@t\.example\|vm@t\.example\|pp@t\.example' "$f"
tap_ok $? "only the error recipient is in the notice"

tap_done
