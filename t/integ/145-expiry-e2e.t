#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 145-expiry-e2e.t: the expiry path end to end, daemonless (each step is
# one `postlet flush'), in non-root mode (as root: as a throwaway user).
# Lifetimes are seconds here, so the steps wait a little between them.
#
#   - mail to a recipient whose transport defers: a delay notice once it
#     is older than delay_warning_time, one only; then, past
#     maximal_queue_lifetime, it is returned: 5.4.7, with the deferral
#     reason, as RFC 3464 (parsed with Python's email package);
#   - a notice (null sender) that cannot be delivered, past
#     bounce_queue_lifetime: with notify_classes = 2bounce it goes to
#     2bounce_notice_recipient, and nothing more;
#   - a sender that bounces itself: its notice fails, the double bounce
#     goes to the postmaster address once, and the queue ends empty (no
#     bounce loop).
. "$(dirname "$0")/../lib.sh"

N=12
tap_plan $N
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $N "python3 not installed"
	tap_done
fi
B=$POSTLET_BUILD/bin
for p in postlet sendmail postdrop pickup cleanup qmgr local error bounce; do
	[ -x "$B/$p" ] || tap_bail "no $B/$p: run make first"
done
unset MAIL_CONFIG

postlet_as_user plx $N
HOST=host.example.test
chmod 755 "$TAP_TMP"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
I=$TAP_TMP/i
C=$I/conf
mkdir -p "$I"
[ -z "$TU" ] || chown "$TU:$GROUP" "$I"
as_me mkdir -p "$C" "$I/mail" || tap_bail "mkdir as $ME"
MB=$I/mail/$ME
LOG=$I/maillog
trap 'postlet_user_end "$I/queue"; tap_cleanup' EXIT

# The test user is the sender and the postmaster (2bounce_notice_
# recipient) here: notices are told apart by their Subject.
as_me sh -c "cat > '$C/main.cf'" <<EOS
queue_directory = $I/queue
command_directory = $B
daemon_directory = $B
mail_owner = $ME
setgid_group = $GROUP
maillog_file = $LOG
mail_spool_directory = $I/mail/
myhostname = $HOST
recipient_delimiter = +
transport_maps = texthash:$C/transport
minimal_backoff_time = 1s
maximal_backoff_time = 1s
delay_warning_time = 1s
maximal_queue_lifetime = 6s
bounce_queue_lifetime = 4s
notify_classes = 2bounce
2bounce_notice_recipient = $ME@$HOST
alias_maps =
forward_path =
EOS
as_me sh -c "cat > '$C/master.cf'" <<EOS
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
error     unix  -  -  n  -    -  error
later     unix  -  -  n  -    -  error
EOS
# later@HOST defers for ever.
as_me sh -c "printf '%s later:4.2.1 stand-in says later\n' \
    'later@$HOST' > '$C/transport'"
as_me "$B/postlet" -c "$C" start >/dev/null 2>&1 &&
    as_me "$B/postlet" -c "$C" stop >/dev/null 2>&1

cat > "$TAP_TMP/dsn.py" <<'PY'
# dsn.py MAILDIR SUBJECT: for each message with that Subject, the
# recipients' Action and Status, and the Diagnostic-Code's text.
import mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
out = []
for k in sorted(box.keys()):
    m = box[k]
    if m["Subject"] != sys.argv[2]:
        continue
    for part in m.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for b in part.get_payload()[1:]:
            out.append("%s %s %s [%s]" % (b["Final-Recipient"],
                       b["Action"], b["Status"],
                       " ".join((b["Diagnostic-Code"] or "").split())))
print(len(out), "|".join(out))
PY
dsn() {
	if [ -d "$1/new" ]; then
		python3 "$TAP_TMP/dsn.py" "$1" "$2"
	else
		echo "0 no Maildir"
	fi
}
flush() { as_me "$B/postlet" -c "$C" flush >/dev/null 2>&1; }
queue_empty() {
	as_me "$B/postlet" -c "$C" queue 2>/dev/null |
	    grep -q 'Mail queue is empty'
}
msg() { printf "$@" > "$TAP_TMP/in"; }
sm() {
	as_me "$B/sendmail" -C "$C" "$@" < "$TAP_TMP/in" \
	    > "$TAP_TMP/sm.out" 2>&1
	rc=$?
}
# Every sendmail starts a background pass; wait for it to end.
settle() {
	flock -w 10 "$I/queue/incoming" flock -w 10 "$I/queue/active" true \
	    2>/dev/null || sleep 2
}
# retry_until SECONDS COMMAND...: flush and settle until COMMAND succeeds
# (a busy machine may need more than one pass), at most SECONDS.
retry_until() {
	ru_end=$(($(date +%s) + $1))
	shift
	while :; do
		flush
		settle
		"$@" && return 0
		[ "$(date +%s)" -lt "$ru_end" ] || return 1
		sleep 0.5
	done
}
# notices SUBJECT: how many recipients the notices with that Subject cover.
notices() { dsn "$MB" "$1" | cut -d' ' -f1; }
notices_are() { [ "$(notices "$1")" = "$2" ]; }

# 1-6: deferred, one delay notice, then returned.
msg 'Subject: expiring\n\nwill not arrive\n'
sm "later@$HOST"
tap_is "$rc" 0 "sendmail to a deferring address: exit 0" ||
    tap_diag "$(cat "$TAP_TMP/sm.out")"
settle
sleep 1.5
# a slow machine (the sanitizer build) may need more than one pass
retry_until 10 notices_are 'Delayed Mail (still being retried)' 1
got=$(dsn "$MB" 'Delayed Mail (still being retried)')
case $got in
"1 rfc822; later@$HOST delayed 4.2.1 ["*"stand-in says later]")
	tap_ok 0 "after delay_warning_time: a delay notice (delayed, 4.2.1)"
	;;
*)
	tap_ok 1 "after delay_warning_time: a delay notice (delayed, 4.2.1)"
	tap_diag "got: $got"
	tap_diag "$(tail -n 8 "$LOG")"
	;;
esac
sleep 1.2
flush
settle
got=$(dsn "$MB" 'Delayed Mail (still being retried)')
tap_is "$(printf '%s' "$got" | cut -c1-2)" "1 " \
    "the next attempt sends no second delay notice" || {
	tap_diag "got: $got"
	tap_diag "$(ls -l "$MB/new" 2>&1)"
	tap_diag "$(tail -n 20 "$LOG")"
}
sleep 4
retry_until 20 notices_are 'Undelivered Mail Returned to Sender' 1
got=$(dsn "$MB" 'Undelivered Mail Returned to Sender')
case $got in
"1 rfc822; later@$HOST failed 5.4.7 ["*"message expired after "*"stand-in says later)]")
	tap_ok 0 "past maximal_queue_lifetime: returned, 5.4.7 with the reason"
	;;
*)
	tap_ok 1 "past maximal_queue_lifetime: returned, 5.4.7 with the reason"
	tap_diag "got: $got"
	tap_diag "$(tail -n 8 "$LOG")"
	;;
esac
grep -q "status=expired, returned to sender" "$LOG"
tap_ok $? "log: status=expired, returned to sender"
retry_until 10 queue_empty
tap_ok $? "the queue is empty afterwards"

# 7-9: a notice that cannot be delivered expires: double bounce to the
# 2bounce_notice_recipient.
msg 'Subject: a notice\n\nfrom the null sender\n'
sm -r '' "later@$HOST"
tap_is "$rc" 0 "a null-sender message to a deferring address: exit 0"
settle
sleep 4.5
retry_until 20 notices_are 'Postmaster Copy: Undelivered Mail' 1
got=$(dsn "$MB" 'Postmaster Copy: Undelivered Mail')
case $got in
"1 rfc822; later@$HOST failed 5.4.7 "*)
	tap_ok 0 "past bounce_queue_lifetime: the double bounce to the postmaster"
	;;
*)
	tap_ok 1 "past bounce_queue_lifetime: the double bounce to the postmaster"
	tap_diag "got: $got"
	tap_diag "$(tail -n 8 "$LOG")"
	;;
esac
retry_until 10 queue_empty
tap_ok $? "the queue is empty afterwards"

# 10-12: no bounce loop: a sender that does not exist writes to a user
# that does not exist either.
before=$(notices 'Postmaster Copy: Undelivered Mail')
msg 'Subject: loop\n\nx\n'
sm -f "nosuch-sender@$HOST" "nosuch-rcpt@$HOST"
tap_is "$rc" 0 "unknown sender to unknown recipient: exit 0"
settle
retry_until 20 notices_are 'Postmaster Copy: Undelivered Mail' \
    $((before + 1))
tap_is "$(dsn "$MB" 'Postmaster Copy: Undelivered Mail' | cut -d' ' -f1)" \
    $((before + 1)) "the notice to the unknown sender bounced: one double bounce to the postmaster" ||
    tap_diag "$(grep -i 'nosuch' "$LOG" | tail -n 8)"
retry_until 10 queue_empty
tap_ok $? "the queue is empty: nothing bounces for ever"
tap_done
