#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 190-diskfull.t: a full disk loses nothing.  As root, the test mounts
# two small tmpfs file systems, one for the queue and one for the
# mailboxes, and runs a whole instance (master, SMTP on a loopback port)
# as a throwaway user.  With the queue full: sendmail exits 75
# (EX_TEMPFAIL) and leaves nothing behind; SMTP DATA is answered 451
# with no partial queue file anywhere; below queue_minfree, MAIL FROM is
# answered 452 4.3.1.  With the mailbox file system full: local delivery
# defers (4.3.x) and the mailbox keeps its exact bytes.  When space
# returns, everything is delivered.  Not root, or no tmpfs: skipped.
. "$(dirname "$0")/../lib.sh"

tap_plan 14

if [ "$(id -u)" -ne 0 ]; then
	tap_skip 14 "needs root (mounts tmpfs)"
	tap_done
fi
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip 14 "python3 not installed"
	tap_done
fi
unset MAIL_CONFIG
postlet_as_user pldf 14
chmod 755 "$TAP_TMP"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
I=$TAP_TMP/i
C=$I/conf
mkdir -p "$C" "$I/queue" "$I/mail"
if ! mount -t tmpfs -o size=1m,mode=755 tmpfs "$I/queue" 2>/dev/null; then
	tap_skip 14 "cannot mount a tmpfs here"
	tap_done
fi
if ! mount -t tmpfs -o size=512k,mode=755 tmpfs "$I/mail" 2>/dev/null; then
	umount "$I/queue"
	tap_skip 14 "cannot mount a tmpfs here"
	tap_done
fi
chown -R "$ME:$GROUP" "$I"
LOG=$I/maillog
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop_all() {
	as_me "$B/postlet" -c "$C" stop >/dev/null 2>&1
	postlet_user_end "$I/queue"
	umount "$I/queue" 2>/dev/null
	umount "$I/mail" 2>/dev/null
}
trap 'stop_all; tap_cleanup' EXIT

cat > "$C/main.cf" <<EOS
queue_directory = $I/queue
command_directory = $B
daemon_directory = $B
mail_owner = $ME
setgid_group = $GROUP
maillog_file = $LOG
mail_spool_directory = $I/mail
myhostname = host.example.test
mydestination = \$myhostname
alias_maps =
service_throttle_time = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
queue_run_delay = 1s
smtpd_peername_lookup = no
EOS
cat > "$C/master.cf" <<EOS
127.0.0.1:$PORT inet n - n - - smtpd
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
bounce    unix  -  -  n  -    0  bounce
EOS
chown -R "$ME:$GROUP" "$C"

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# free_kb DIR: free space of DIR's file system, in KiB.
free_kb() { df -Pk "$1" | awk 'NR == 2 { print $4 }'; }
# fill DIR FILE KEEP_KB: a file that leaves about KEEP_KB free.
fill() {
	kb=$(($(free_kb "$1") - $3))
	[ "$kb" -gt 0 ] || return 0
	as_me dd if=/dev/zero of="$1/$2" bs=1k count="$kb" 2>/dev/null
	return 0
}
# A message of about KB kilobytes with Subject SUBJECT.
bigmsg() {
	python3 -c 'import sys
kb, subj = int(sys.argv[1]), sys.argv[2]
sys.stdout.write("Subject: %s\n\n" % subj)
for i in range(kb * 16):
    sys.stdout.write("line %06d of a big message ..........................\n" % i)' "$1" "$2"
}
files_in() { find "$I/queue/$1" -type f | wc -l | tr -d ' '; }

as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1 ||
    tap_bail "postlet start: $(cat "$TAP_TMP/out")"
wait_for 10 test -S "$I/queue/public/qmgr" -o -p "$I/queue/public/qmgr"

# 1-3: the queue file system nearly full: sendmail with 200 KB.
fill "$I/queue" filler 60
bigmsg 200 "too big now" > "$TAP_TMP/big"
as_me "$B/sendmail" -C "$C" "$ME" < "$TAP_TMP/big" > "$TAP_TMP/sm.out" 2>&1
tap_is $? 75 "queue full: sendmail exits 75 (EX_TEMPFAIL)" ||
    tap_diag "$(cat "$TAP_TMP/sm.out")"
tap_is "$(files_in maildrop)$(files_in tmp)" 00 \
    "queue full: nothing left in maildrop/ or tmp/"
grep -q "No space left on device" "$TAP_TMP/sm.out"
tap_ok $? "queue full: sendmail says why" "$(cat "$TAP_TMP/sm.out")"

# 4-6: SMTP: DATA of 200 KB gets 451, no partial queue file; MAIL FROM
# below queue_minfree gets 452 4.3.1.
cat > "$TAP_TMP/smtp.py" <<'PY'
import socket, sys
port, path, minfree, rcpt = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                              sys.argv[4].encode())
c = socket.create_connection(("127.0.0.1", port), timeout=30)
f = c.makefile("rb")
def reply():
    out = b""
    while True:
        l = f.readline()
        out += l
        if len(l) < 4 or l[3:4] != b"-":
            return out
reply()
c.sendall(b"EHLO client.test\r\n"); reply()
c.sendall(b"MAIL FROM:<a@client.test>\r\n"); m = reply()
if minfree == "check-mail":
    sys.stdout.write(m.decode())
    sys.exit(0)
c.sendall(b"RCPT TO:<" + rcpt + b">\r\n"); reply()
c.sendall(b"DATA\r\n"); reply()
data = open(path, "rb").read().replace(b"\n", b"\r\n")
c.sendall(data + b".\r\n")
sys.stdout.write(reply().decode())
c.sendall(b"QUIT\r\n"); reply()
PY
python3 "$TAP_TMP/smtp.py" "$PORT" "$TAP_TMP/big" data "$ME@host.example.test" \
    > "$TAP_TMP/reply"
tap_is "$(cut -c1-4 "$TAP_TMP/reply")" "451 " \
    "queue full: DATA answered 451 ($(tr -d '\r\n' < "$TAP_TMP/reply"))"
sleep 0.3
tap_is "$(files_in incoming)$(files_in tmp)" 00 \
    "queue full: no partial queue file in incoming/ or tmp/"
printf 'queue_minfree = 300000\n' >> "$C/main.cf"
as_me "$B/postlet" -c "$C" reload > /dev/null 2>&1
python3 "$TAP_TMP/smtp.py" "$PORT" "$TAP_TMP/big" check-mail \
    "$ME@host.example.test" > "$TAP_TMP/reply"
tap_is "$(cat "$TAP_TMP/reply")" "$(printf '452 4.3.1 Insufficient system storage\r')" \
    "below queue_minfree: MAIL FROM answered 452 4.3.1"
sed -i '/^queue_minfree/d' "$C/main.cf"
as_me "$B/postlet" -c "$C" reload > /dev/null 2>&1

# 7-11: space returns to the queue; the mailbox file system is full: the
# message is deferred, the mailbox keeps its bytes.
rm -f "$I/queue/filler"
MB=$I/mail/$ME
printf 'From old@example.test Sat Nov 28 10:00:00 2026\nSubject: old\n\nold mail\n\n' > "$MB"
chown "$ME:$GROUP" "$MB"
chmod 600 "$MB"
sum_before=$(cksum < "$MB")
size_before=$(wc -c < "$MB")
fill "$I/mail" filler 40
as_me "$B/sendmail" -C "$C" "$ME" < "$TAP_TMP/big" > "$TAP_TMP/sm.out" 2>&1
tap_is $? 0 "space back: sendmail exits 0" ||
    tap_diag "$(cat "$TAP_TMP/sm.out")"
deferred() { grep -q "to=<$ME@host.example.test>.*status=deferred" "$LOG"; }
wait_for 20 deferred
tap_ok $? "mailbox full: the delivery is deferred" "$(tail -n 5 "$LOG")"
line=$(grep "to=<$ME@host.example.test>.*status=deferred" "$LOG" | head -n 1)
case $line in
*"dsn=4.3."*) r=0 ;;
*) r=1 ;;
esac
tap_ok $r "mailbox full: dsn=4.3.x" "$line"
tap_is "$(cksum < "$MB")" "$sum_before" \
    "mailbox full: the mailbox keeps its exact bytes"
tap_is "$(files_in deferred)" 1 "mailbox full: the message waits in deferred/"

# 12-14: space returns to the mailboxes: delivered.
rm -f "$I/mail/filler"
as_me "$B/postlet" -c "$C" flush > /dev/null 2>&1
delivered() { grep -q "to=<$ME@host.example.test>.*status=sent" "$LOG"; }
wait_for 20 delivered
tap_ok $? "space back: delivered" "$(tail -n 5 "$LOG")"
tap_is "$(head -c "$size_before" "$MB" | cksum)" "$sum_before" \
    "space back: the mailbox still begins with its old bytes"
python3 - "$MB" <<'PY' > "$TAP_TMP/mbox"
import mailbox, sys
print(" | ".join(m["Subject"] for m in mailbox.mbox(sys.argv[1])))
PY
tap_is "$(cat "$TAP_TMP/mbox")" "old | too big now" \
    "space back: the old mail, then the new one"
tap_done
