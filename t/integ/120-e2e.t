#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 120-e2e.t: whole instances, end to end, in non-root mode (as the user
# running the test; as root, as a test user made with useradd, random
# name, removed at exit, every command run under it with setpriv).
# Mailboxes are Maildirs read back with Python's mailbox module.
#
# With master (postlet start): five messages (one with -t and Bcc), cron's
# exact command line, kill -9 of qmgr and pickup while twenty messages are
# submitted (every accepted one delivered at least once), postlet stop.
# Daemonless (no master): sendmail delivers by itself, byte for byte with
# the header fix-ups of cleanup and local; an unknown user bounces (5.1.1);
# a transport that defers shows its reason in `postlet queue', and after
# the fix `postlet flush' delivers; garbage in maildrop/ and incoming/
# goes to corrupt/ and is logged.  Every wait is bounded; a trap stops
# master and removes the test user.
. "$(dirname "$0")/../lib.sh"

tap_plan 37

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip 37 "python3 not installed"
	tap_done
fi
B=$POSTLET_BUILD/bin
for p in postlet sendmail postdrop master pickup cleanup qmgr local error; do
	[ -x "$B/$p" ] || tap_bail "no $B/$p: run make first"
done
unset MAIL_CONFIG

postlet_as_user ple 37
HOST=host.example.test

# The instance: everything in $I, owned by $ME, run from a copy of the
# programs that $ME can reach.
chmod 755 "$TAP_TMP"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
I=$TAP_TMP/i
C=$I/conf
mkdir -p "$I"
[ -z "$TU" ] || chown "$TU:$GROUP" "$I"
as_me mkdir -p "$C" "$I/mail" || tap_bail "mkdir as $ME"
MB=$I/mail/$ME
LOG=$I/maillog

stop_all() {
	if [ -f "$I/queue/pid/master.pid" ]; then
		as_me "$B/postlet" -c "$C" stop >/dev/null 2>&1
		mp=$(cat "$I/queue/pid/master.pid" 2>/dev/null)
		[ -z "$mp" ] || kill -9 "$mp" 2>/dev/null
	fi
	postlet_user_end "$I/queue"
}
trap 'stop_all; tap_cleanup' EXIT

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
service_throttle_time = 1s
minimal_backoff_time = 1s
queue_run_delay = 1s
EOS
as_me sh -c "cat > '$C/master.cf'" <<EOS
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
error     unix  -  -  n  -    -  error
flaky     unix  -  -  n  -    -  error
EOS
as_me sh -c ": > '$C/transport'"

# Python's view of the Maildir.  count: messages; ids PREFIX: unique
# Message-IDs beginning with PREFIX; show SUBJECT: one message, as
# "headers | body" checks; bcc SUBJECT: Bcc header present?; from
# SUBJECT: the From display name and address.
cat > "$TAP_TMP/mb.py" <<'PY'
import email.utils, mailbox, re, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
mode = sys.argv[2]
def raw(key):
    return box.get_bytes(key)
def by_subject(s):
    return [k for k in box.keys() if box[k]["Subject"] == s]
if mode == "count":
    print(len(box))
elif mode == "ids":
    ids = set(box[k]["Message-ID"] for k in box.keys())
    print(len([i for i in ids if i and i.startswith(sys.argv[3])]))
elif mode == "exact":
    # exact SUBJECT ME HOST BODY: the whole file against the pattern of
    # what local and cleanup write
    ks = by_subject(sys.argv[3])
    me, host = sys.argv[4], re.escape(sys.argv[5])
    body = sys.argv[6].encode()
    if len(ks) != 1:
        print("found %d" % len(ks))
        sys.exit()
    me = re.escape(me)
    pat = (rb"Return-Path: <" + me.encode() + rb"@" + host.encode() +
           rb">\nX-Original-To: " + me.encode() + rb"@" + host.encode() +
           rb"\nDelivered-To: " + me.encode() + rb"@" + host.encode() +
           rb"\nReceived: by " + host.encode() +
           rb" \(postlet, from userid \d+\)\n\tid [0-9A-F]+; "
           rb"[A-Z][a-z]{2}, \d+ [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d "
           rb"[+-]\d{4}( \([A-Za-z]+\))?\n"
           rb"Subject: " + re.escape(sys.argv[3]).encode() + rb"\n"
           rb"Message-ID: <[0-9A-F.]+@" + host.encode() + rb">\n"
           rb"Date: [A-Z][a-z]{2}, \d+ [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d "
           rb"[+-]\d{4}( \([A-Za-z]+\))?\n"
           rb"From: " + me.encode() + rb"@" + host.encode() + rb"\n"
           rb"\n" + re.escape(body))
    data = raw(ks[0])
    print("same" if re.fullmatch(pat, data, re.S) else
          "differs: %r" % data)
elif mode == "notice":
    # notice SUBJECT: the failure notices with that Subject, and the
    # address each reports as failed
    ks = by_subject(sys.argv[3])
    out = []
    for k in ks:
        m = box[k]
        for part in m.walk():
            if part.get_content_type() == "message/delivery-status":
                for block in part.get_payload()[1:]:
                    out.append(block["Final-Recipient"] + " " +
                               block["Action"])
    print(len(ks), " ".join(out))
elif mode == "bcc":
    ks = by_subject(sys.argv[3])
    print(len(ks), "bcc" if any(box[k]["Bcc"] for k in ks) else "nobcc")
elif mode == "from":
    ks = by_subject(sys.argv[3])
    if len(ks) != 1:
        print("found %d" % len(ks))
    else:
        name, addr = email.utils.parseaddr(box[ks[0]]["From"])
        print(name, addr)
PY
mb() {
	if [ -d "$MB/new" ]; then
		python3 "$TAP_TMP/mb.py" "$MB" "$@"
	else
		echo "no Maildir"
	fi
}

# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s until it
# succeeds or SECONDS have passed.
wait_for() {
	wf_n=$(($1 * 10))
	shift
	while [ "$wf_n" -gt 0 ]; do
		if "$@"; then
			return 0
		fi
		sleep 0.1
		wf_n=$((wf_n - 1))
	done
	"$@"
}
# count_is N: the Maildir holds N messages.
count_is() {
	[ "$(mb count)" = "$1" ]
}
# queue_empty: `postlet queue' says so.
queue_empty() {
	as_me "$B/postlet" -c "$C" queue 2>/dev/null |
	    grep -q 'Mail queue is empty'
}
# msg PRINTF-ARGS...: the next message, into $TAP_TMP/in.
msg() {
	# shellcheck disable=SC2059
	printf "$@" > "$TAP_TMP/in"
}
# sm ARGS...: sendmail as $ME with $TAP_TMP/in; status in $rc.
sm() {
	as_me "$B/sendmail" -C "$C" "$@" < "$TAP_TMP/in" \
	    > "$TAP_TMP/sm.out" 2>&1
	rc=$?
}

### With master.

# 1-2: start.
as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"
as_me "$B/postlet" -c "$C" status > /dev/null 2>&1
tap_ok $? "postlet status: running"

# 3-7: five messages, one with -t and Bcc to an unknown To: user.
n=1
fails=0
while [ $n -le 4 ]; do
	msg 'Subject: master %d\n\nbody %d\n' $n $n
	sm "$ME"
	[ "$rc" -eq 0 ] || fails=$((fails + 1))
	n=$((n + 1))
done
msg 'To: nosuchuser-to@%s\nBcc: %s@%s\nSubject: bcc\n\nsecret\n' \
    "$HOST" "$ME" "$HOST"
sm -t -f "$ME"
[ "$rc" -eq 0 ] || fails=$((fails + 1))
tap_is "$fails" 0 "five submissions exit 0"
wait_for 10 count_is 6
tap_is "$(mb count)" 6 "all five delivered, and a notice" ||
    tap_diag "$(tail -n 20 "$LOG")"
tap_is "$(mb bcc bcc)" "1 nobcc" "-t: the Bcc recipient got it, without Bcc:"
tap_is "$(mb notice 'Undelivered Mail Returned to Sender')" \
    "1 rfc822; nosuchuser-to@$HOST failed" \
    "-t: the unknown To: recipient came back to the sender, as RFC 3464"
wait_for 10 queue_empty
tap_ok $? "postlet queue: empty after delivery" ||
    tap_diag "$(as_me "$B/postlet" -c "$C" queue 2>&1 | head)"

# 7-8: cron's exact command line.
msg 'Subject: cron\n\nfrom cron\n'
sm -i -FCronDaemon -B8BITMIME -oem "$ME"
tap_is "$rc" 0 "cron's command line: exit 0" ||
    tap_diag "$(cat "$TAP_TMP/sm.out")"
wait_for 10 count_is 7
tap_is "$(mb from cron)" "CronDaemon $ME@$HOST" \
    "cron: delivered, From: CronDaemon <$ME@$HOST>"

# 9-12: kill -9 of qmgr and pickup while twenty messages go through.
# child NAME: the pid of master's child NAME.
MPID=$(cat "$I/queue/pid/master.pid")
child() {
	ps -o pid=,comm= --ppid "$MPID" 2>/dev/null |
	    awk -v n="$1" '$2 == n { print $1; exit }'
}
# kill_child NAME: kill -9 master's child NAME once it runs (master may
# still be restarting it); counted in $kills.
kill_child() {
	wait_for 5 has_child "$1"
	kc=$(child "$1")
	if [ -n "$kc" ] && kill -9 "$kc"; then
		kills=$((kills + 1))
	fi
}
has_child() {
	[ -n "$(child "$1")" ]
}
: > "$TAP_TMP/accepted"
n=1
kills=0
while [ $n -le 20 ]; do
	msg 'Message-ID: <kill-%d@e2e.test>\nSubject: kill %d\n\nx\n' \
	    $n $n
	sm "$ME"
	[ "$rc" -ne 0 ] || echo $n >> "$TAP_TMP/accepted"
	case $n in
	4|12)
		kill_child qmgr
		;;
	8|16)
		kill_child pickup
		;;
	esac
	n=$((n + 1))
done
accepted=$(wc -l < "$TAP_TMP/accepted" | tr -d ' ')
tap_is "$kills" 4 "kill -9: qmgr and pickup killed twice each"
ids_are() {
	[ "$(mb ids '<kill-')" = "$accepted" ]
}
wait_for 20 ids_are
tap_is "$(mb ids '<kill-')" "$accepted" \
    "kill -9: every accepted message ($accepted) delivered at least once" ||
    tap_diag "$(grep -E 'warning|fatal|panic' "$LOG" | tail -n 10)"
tap_ok "$([ -n "$(child qmgr)" ] && [ -n "$(child pickup)" ]; echo $?)" \
    "kill -9: master restarted both"
grep -q "process $B/qmgr pid [0-9]* killed by signal 9" "$LOG"
tap_ok $? "kill -9: master logged the crash"

# 13-14: stop.
as_me "$B/postlet" -c "$C" stop > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet stop" || tap_diag "$(cat "$TAP_TMP/out")"
as_me "$B/postlet" -c "$C" status > /dev/null 2>&1
tap_is $? 1 "postlet status: not running"

### Daemonless: no master.

# 15-18: sendmail delivers by itself, byte for byte.
before=$(mb count)
msg 'Subject: hi\n\nbody\n'
sm "$ME"
tap_is "$rc" 0 "daemonless: sendmail exits 0" ||
    tap_diag "$(cat "$TAP_TMP/sm.out")"
wait_for 10 count_is $((before + 1))
tap_is "$(mb count)" $((before + 1)) "daemonless: delivered without master"
tap_is "$(mb exact hi "$ME" "$HOST" 'body
')" same \
    "daemonless: the bytes (local's and cleanup's headers, the body)"
tap_ok "$([ ! -f "$I/queue/pid/master.pid" ] ||
    ! as_me "$B/postlet" -c "$C" status >/dev/null 2>&1; echo $?)" \
    "daemonless: no master was started"

# 19-21: an unknown local user bounces.
msg 'Subject: unknown\n\nx\n'
sm "nosuchuser-e2e@$HOST"
tap_is "$rc" 0 "unknown user: sendmail exits 0"
bounced() {
	grep -q "to=<nosuchuser-e2e@$HOST>.*dsn=5\.1\.1, status=bounced" \
	    "$LOG"
}
wait_for 10 bounced
tap_ok $? "unknown user: logged status=bounced with 5.1.1" ||
    tap_diag "$(grep nosuchuser "$LOG" | tail -n 3)"
wait_for 5 queue_empty
tap_ok $? "unknown user: not left in the queue"

# 22-27: a transport that defers, then is fixed; postlet flush delivers.
as_me sh -c "printf '%s flaky:4.2.1 stand-in says later\n' \
    '$ME+later@$HOST' > '$C/transport'"
before=$(mb count)
msg 'Subject: later\n\nlater\n'
sm "$ME+later@$HOST"
tap_is "$rc" 0 "deferral: sendmail exits 0"
deferred() {
	grep -q "to=<$ME+later@$HOST>.*status=deferred" "$LOG"
}
wait_for 10 deferred
tap_ok $? "deferral: logged status=deferred" ||
    tap_diag "$(tail -n 5 "$LOG")"
as_me "$B/postlet" -c "$C" queue > "$TAP_TMP/q" 2>&1
grep -q "stand-in says later" "$TAP_TMP/q"
tap_ok $? "deferral: postlet queue shows the reason" ||
    tap_diag "$(cat "$TAP_TMP/q")"
tap_is "$(mb count)" "$before" "deferral: nothing delivered"
as_me sh -c ": > '$C/transport'"
as_me "$B/postlet" -c "$C" flush > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet flush (daemonless): exit 0" ||
    tap_diag "$(cat "$TAP_TMP/out")"
tap_ok "$(count_is $((before + 1)) && queue_empty; echo $?)" \
    "postlet flush: delivered at once, the queue is empty" ||
    tap_diag "$(tail -n 5 "$LOG")"

# 28-32: garbage in maildrop/ and incoming/ goes to corrupt/, logged.
as_me sh -c "printf 'garbage\n' > '$I/queue/maildrop/0655000000000A1'"
as_me sh -c "printf 'more garbage\n' > '$I/queue/incoming/0655000000000B2'"
as_me "$B/postlet" -c "$C" flush > "$TAP_TMP/out" 2>&1
tap_ok $? "garbage: postlet flush exit 0" ||
    tap_diag "$(cat "$TAP_TMP/out")"
tap_ok "$([ -f "$I/queue/corrupt/0655000000000A1" ] &&
    [ ! -e "$I/queue/maildrop/0655000000000A1" ]; echo $?)" \
    "garbage in maildrop/: moved to corrupt/"
tap_ok "$([ -f "$I/queue/corrupt/0655000000000B2" ] &&
    [ ! -e "$I/queue/incoming/0655000000000B2" ] &&
    [ ! -e "$I/queue/active/0655000000000B2" ]; echo $?)" \
    "garbage in incoming/: moved to corrupt/"
grep -q "0655000000000A1.*corrupt" "$LOG"
tap_ok $? "garbage in maildrop/: logged"
grep -q "0655000000000B2.*corrupt" "$LOG"
tap_ok $? "garbage in incoming/: logged" ||
    tap_diag "$(tail -n 5 "$LOG")"

# 34-37: sendmail -bv: a report on each recipient, nothing delivered.
as_me sh -c "printf '%s error:5.7.1 no mail for blocked.test\n' \
    blocked.test > '$C/transport'"
before=$(mb count)
msg 'Subject: verify me\n\nnot to be delivered\n'
sm -bv "$ME" "x@blocked.test"
tap_is "$rc" 0 "-bv: sendmail exits 0" || tap_diag "$(cat "$TAP_TMP/sm.out")"
wait_for 10 count_is $((before + 1))
tap_is "$(mb notice 'Mail Delivery Status Report')" \
    "1 rfc822; $ME@$HOST deliverable rfc822; x@blocked.test undeliverable" \
    "-bv: one report to the sender, deliverable and undeliverable" ||
    tap_diag "$(tail -n 5 "$LOG")"
tap_is "$(mb bcc 'verify me')" "0 nobcc" "-bv: the message itself not delivered"
grep -q "to=<x@blocked.test>, relay=error.*dsn=5.7.1, status=undeliverable (delivery via error: no mail for blocked.test)" "$LOG"
tap_ok $? "-bv: logged status=undeliverable with the reason" ||
    tap_diag "$(grep blocked "$LOG" | tail -n 3)"
as_me sh -c ": > '$C/transport'"

tap_done
