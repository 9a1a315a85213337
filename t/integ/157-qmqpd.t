#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 157-qmqpd.t: qmqpd(8) in a real instance (master, cleanup, qmgr,
# local), run as the test user (as root: a throwaway user, as in
# 120-e2e.t).  master.cf has two qmqpd services on free ports of
# 127.0.0.1: one whose clients are authorized (main.cf), one with
# -o qmqpd_authorized_clients=192.0.2.0/24.  The client nobody here
# wrote is nullmailer's QMQP module (/usr/lib/nullmailer/qmqp, fetched
# by mk/testtools.sh with apt-get download; skipped without it); raw
# requests come from a small Python client.  Checked: a message lands in
# the Maildir byte for byte (our Received field "with QMQP id ID", the
# ID of the reply and of the log, then the content unchanged) with
# Postfix's log lines; two recipients (Received without "for"); an
# unauthorized client gets Postfix's "D" text (raw and through
# nullmailer); malformed requests (too many digits, a non-digit, a
# missing comma, a missing colon, a netstring running past the request,
# a length over message_size_limit, a message over it, no recipient, a
# client that goes away) are each answered byte for byte and logged,
# nothing is queued, no qmqpd crashes, and the service still works
# afterwards.  A list that cannot be matched gives "Z"; a
# client over master's per-client connection limit gets master's "Z"
# netstring (not an SMTP 421 line).
. "$(dirname "$0")/../lib.sh"

PLAN=37
tap_plan $PLAN

NM=$POSTLET_SRC/build/src/debs/nullmailer/usr/lib/nullmailer/qmqp
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $PLAN "python3 not installed"
	tap_done
fi
if [ ! -x "$NM" ]; then
	tap_skip $PLAN "no nullmailer qmqp in build/src/debs (make testtools as root)"
	tap_done
fi
for p in postlet master cleanup qmgr local qmqpd; do
	[ -x "$POSTLET_BUILD/bin/$p" ] || tap_bail "no $p: run make first"
done
unset MAIL_CONFIG

postlet_as_user plq $PLAN
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

stop_all() {
	if [ -f "$I/queue/pid/master.pid" ]; then
		as_me "$B/postlet" -c "$C" stop >/dev/null 2>&1
		mp=$(cat "$I/queue/pid/master.pid" 2>/dev/null)
		[ -z "$mp" ] || kill -9 "$mp" 2>/dev/null
	fi
	postlet_user_end "$I/queue"
}
trap 'stop_all; tap_cleanup' EXIT

# Four free ports of 127.0.0.1 (bound and released: a tiny race only).
set -- $(python3 -c '
import socket
ss = [socket.socket() for i in range(4)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
P1=$1
P2=$2
P3=$3
P4=$4

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
alias_maps =
service_throttle_time = 1s
queue_run_delay = 1s
message_size_limit = 4000
qmqpd_authorized_clients = 127.0.0.0/8
qmqpd_error_delay = 0s
qmqpd_timeout = 5s
EOS
as_me sh -c "cat > '$C/master.cf'" <<EOS
127.0.0.1:$P1 inet n - n - - qmqpd
127.0.0.1:$P2 inet n - n - - qmqpd
  -o qmqpd_authorized_clients=192.0.2.0/24
127.0.0.1:$P3 inet n - n - - qmqpd
  -o qmqpd_authorized_clients=mail.example.com
127.0.0.1:$P4 inet n - n - - qmqpd
  -o smtpd_client_connection_count_limit=1
  -o smtpd_client_event_limit_exceptions=192.0.2.1
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
EOS

# raw PORT HEX: send the bytes (hex), half-close, print the reply as
# Python's repr of the bytes (b'...'), "EOF" when there was none.
cat > "$TAP_TMP/raw.py" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(bytes.fromhex(sys.argv[2]))
if sys.argv[3:] != ["keep"]:
    s.shutdown(socket.SHUT_WR)
data = b""
while len(data) < 10000:
    try:
        d = s.recv(4096)
    except OSError:
        break
    if not d:
        break
    data += d
print(repr(data) if data else "EOF")
PY
raw() {
	python3 "$TAP_TMP/raw.py" "$@"
}
# ns TEXT: TEXT as a netstring; hex STRING: the hex of STRING's bytes.
ns() {
	printf '%d:%s,' "${#1}" "$1"
}
hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
}
# request MESSAGE SENDER RCPT...: a whole QMQP request.
request() {
	rq_body=$(ns "$1")$(ns "$2")
	shift 2
	for r in "$@"; do
		rq_body=$rq_body$(ns "$r")
	done
	ns "$rq_body"
}

cat > "$TAP_TMP/mb.py" <<'PY'
import mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
if sys.argv[2] == "count":
    print(len(box))
else:
    for k in box.keys():
        data = box.get_bytes(k)
        if sys.argv[2].encode() in data:
            sys.stdout.buffer.write(data)
PY
mb() {
	if [ -d "$MB/new" ]; then
		python3 "$TAP_TMP/mb.py" "$MB" "$@"
	else
		echo 0
	fi
}
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
count_is() {
	[ "$(mb count)" = "$1" ]
}
# nm PORT: nullmailer's qmqp (its options on standard input, the
# message file on descriptor 3) with $TAP_TMP/in; output and status.
nm() {
	printf 'host=127.0.0.1\nport=%s\n' "$1" |
	    "$NM" 3< "$TAP_TMP/in" > "$TAP_TMP/nm.out" 2>&1
	rc=$?
}
# Dates and queue IDs vary.
norm() {
	sed -e 's/\([;	] \{0,1\}\)[A-Z][a-z][a-z], [0-9]* [A-Z][a-z][a-z] [0-9]* [0-9:]* [+-][0-9]*\( ([A-Za-z]*)\)\{0,1\}$/\1DATE/' \
	    -e 's/[0-9A-F]\{10,\}/ID/g'
}

# 1: start.
as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"
# master binds before it forks: wait for the listener.
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $P1), timeout=2).close()" 2>/dev/null

# 2-7: nullmailer sends one message; it lands byte for byte.
printf 'sender@example.org\n%s@%s\n\n' "$ME" "$HOST" > "$TAP_TMP/in"
printf 'From: sender@example.org\nSubject: qmqp one\nMessage-ID: <q1@example.org>\n\nline 1\n  indented\n.dot\n\nlast\n' \
    > "$TAP_TMP/content"
cat "$TAP_TMP/content" >> "$TAP_TMP/in"
nm "$P1"
tap_is "$rc" 0 "nullmailer qmqp: exit 0" || tap_diag "$(cat "$TAP_TMP/nm.out")"
tap_is "$(norm < "$TAP_TMP/nm.out")" "$(printf 'Ok: queued as ID\nqmqp: Succeeded: Ok: queued as ID')" \
    "nullmailer qmqp: the K reply it printed"
wait_for 10 count_is 1
{
	printf 'Return-Path: <sender@example.org>\nX-Original-To: %s@%s\nDelivered-To: %s@%s\n' \
	    "$ME" "$HOST" "$ME" "$HOST"
	printf 'Received: from unknown (unknown [127.0.0.1])\n\tby %s (postlet) with QMQP id ID\n\tfor <%s@%s>; DATE\n' \
	    "$HOST" "$ME" "$HOST"
	cat "$TAP_TMP/content"
} > "$TAP_TMP/want"
mb "qmqp one" | norm > "$TAP_TMP/got"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" \
    "Maildir: Received with QMQP, then the content byte for byte"
ID1=$(sed -n 's/.*qmqpd\[[0-9]*\]: \([0-9A-F]*\): client=unknown\[127\.0\.0\.1\]$/\1/p' "$LOG" | head -n 1)
RID=$(mb "qmqp one" | sed -n 's/^	by .* with QMQP id \([0-9A-F]*\)$/\1/p')
tap_ok "$([ -n "$ID1" ] && [ "$RID" = "$ID1" ] &&
    grep -q "^Ok: queued as $ID1\$" "$TAP_TMP/nm.out"; echo $?)" \
    "log: ID: client=unknown[127.0.0.1], the ID of the reply and of Received" ||
    tap_diag "Received: $RID; $(cat "$TAP_TMP/nm.out" "$LOG")"
tap_is "$(grep -c "qmqpd\[[0-9]*\]: connect from unknown\[127\.0\.0\.1\]$" "$LOG"):$(grep -c "qmqpd\[[0-9]*\]: disconnect from unknown\[127\.0\.0\.1\]$" "$LOG")" \
    "2:2" "log: connect from and disconnect from (the probe and nullmailer)"
grep -q "cleanup\[[0-9]*\]: $ID1: message-id=<q1@example.org>" "$LOG"
tap_ok $? "log: cleanup's line for the same queue ID"

# 8-9: two recipients: one message, no "for" in Received.
printf 'sender@example.org\n%s@%s\n%s+x@%s\n\nSubject: qmqp two\n\nbody\n' \
    "$ME" "$HOST" "$ME" "$HOST" > "$TAP_TMP/in"
nm "$P1"
tap_is "$rc" 0 "two recipients: exit 0" || tap_diag "$(cat "$TAP_TMP/nm.out")"
wait_for 10 count_is 3
tap_is "$(mb "qmqp two" | norm | grep -A2 '^Received: from unknown' | head -n 3)" \
    "$(printf 'Received: from unknown (unknown [127.0.0.1])\n\tby %s (postlet) with QMQP id ID;\n\tDATE' "$HOST")" \
    "two recipients: Received without for, both delivered"

# 10-14: not authorized: Postfix's D text, raw and through nullmailer;
# a list that cannot be matched: Z.
REQ=$(request "$(printf 'Subject: x\n\ny\n')" "s@example.org" "$ME@$HOST")
tap_is "$(raw "$P2" "$(hex "$REQ")")" \
    "b'$(ns "DError: unknown[127.0.0.1] is not authorized to use this service")'" \
    "unauthorized client: D reply"
printf 'sender@example.org\n%s@%s\n\nSubject: no\n\nno\n' "$ME" "$HOST" > "$TAP_TMP/in"
nm "$P2"
tap_is "$rc:$(cat "$TAP_TMP/nm.out")" \
    "$(printf '35:Error: unknown[127.0.0.1] is not authorized to use this service\nqmqp: Failed: Error: unknown[127.0.0.1] is not authorized to use this service')" \
    "unauthorized client: nullmailer sees a permanent failure (35)"
grep -q "qmqpd\[[0-9]*\]: NOQUEUE: unknown\[127\.0\.0\.1\]: not authorized to use this service (qmqpd_authorized_clients)$" "$LOG"
tap_ok $? "unauthorized client: logged"
nm "$P3"
tap_is "$rc:$(cat "$TAP_TMP/nm.out")" \
    "$(printf '16:Error: server configuration error\nqmqp: Failed: Error: server configuration error')" \
    "a host name in qmqpd_authorized_clients: Z, a temporary failure for nullmailer (16)"
grep -q "qmqpd\[[0-9]*\]: warning: qmqpd_authorized_clients: " "$LOG"
tap_ok $? "a host name in qmqpd_authorized_clients: a warning logged"

# 15-30: malformed requests, each answered and logged.
# bad NAME HEX WANT-REPLY WANT-LOG-TAIL
bad() {
	got=$(raw "$P1" "$2")
	tap_is "$got" "$3" "$1: reply"
	wait_for 5 grep -q "NOQUEUE: unknown\[127\.0\.0\.1\]: $4$" "$LOG"
	tap_ok $? "$1: logged" || tap_diag "$(tail -n 3 "$LOG")"
}
bad "too many digits" "$(hex 00000000000000000000001:x,)" \
    "b'$(ns "Dnetstring format error while receiving QMQP packet header")'" \
    "netstring format error while receiving QMQP packet header"
bad "non-digit in a length" "$(hex '20:1x:abc,')" \
    "b'$(ns "Dnetstring format error while receiving message content")'" \
    "netstring format error while receiving message content"
bad "missing comma" "$(hex '14:3:abc;')" \
    "b'$(ns "Dnetstring format error while receiving message content")'" \
    "netstring format error while receiving message content"
bad "missing colon" "$(hex '14:3:abc,13xyz')" \
    "b'$(ns "Dnetstring format error while receiving sender address")'" \
    "netstring format error while receiving sender address"
bad "netstring past the request" "$(hex '10:3:abc,3:s@x,2:r@x,')" \
    "b'$(ns "Dnetstring format error while receiving sender address")'" \
    "netstring format error while receiving sender address"
bad "length over message_size_limit" "$(hex '100010:100000:')" \
    "b'$(ns "Dnetstring length exceeds storage limit while receiving message content")'" \
    "netstring length exceeds storage limit while receiving message content"
bad "no recipient" "$(hex "$(ns "$(ns x)$(ns s@x)")")" \
    "b'$(ns "DError: no recipients specified")'" \
    "no recipients specified"
# cleanup refuses the sender at once: its early answer instead of the ID
bad "a sender cleanup refuses" \
    "$(hex "$(request "$(printf 'Subject: x\n\ny\n')" "-x@example.org" "$ME@$HOST")")" \
    "b\"$(ns "DError: 5.1.7 sender address begins with '-': -x@example.org")\"" \
    "Error: 5\\.1\\.7 sender address begins with '-': -x@example\\.org"

# 29: a client that goes away after a length: logged, no reply.
raw "$P1" "$(hex '100:5:hel')" > /dev/null
wait_for 5 grep -q "NOQUEUE: unknown\[127\.0\.0\.1\]: lost connection while receiving message content$" "$LOG"
tap_ok $? "client gone mid-request: lost connection logged"

# 30-31: a message over message_size_limit through nullmailer.
{
	printf 'sender@example.org\n%s@%s\n\nSubject: big\n\n' "$ME" "$HOST"
	python3 -c 'print("x" * 70 + "\n", end="" ) ; [print("y" * 70) for i in range(80)]'
} > "$TAP_TMP/in"
nm "$P1"
tap_is "$rc:$(cat "$TAP_TMP/nm.out")" \
    "$(printf '35:netstring length exceeds storage limit while receiving message content\nqmqp: Failed: netstring length exceeds storage limit while receiving message content')" \
    "oversize message: nullmailer sees the D reply"
tap_is "$(mb count)" 3 "nothing queued by the refused requests"

# 32-33: over master's per-client connection limit: QMQP's Z, not an
# SMTP 421 line.
python3 - "$P4" > "$TAP_TMP/limit" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=20)
time.sleep(1)
b = socket.create_connection(("127.0.0.1", port), timeout=20)
data = b""
while len(data) < 1000:
    d = b.recv(1000)
    if not d:
        break
    data += d
print(repr(data))
PY
tap_is "$(cat "$TAP_TMP/limit")" \
    "b'$(ns "ZError: too many connections from 127.0.0.1")'" \
    "over the connection count limit: a Z netstring from master"
grep -q "master\[[0-9]*\]: warning: Connection concurrency limit exceeded: 2 from unknown\[127\.0\.0\.1\] for service 127\.0\.0\.1:$P4$" "$LOG"
tap_ok $? "over the connection count limit: logged as Postfix" ||
    tap_diag "$(grep master "$LOG" | tail -n 3)"

# 34-35: no crash, and the service still works.
tap_is "$(grep -c 'qmqpd\[[0-9]*\]: \(fatal\|panic\)' "$LOG")" 0 \
    "no qmqpd fatal or panic in the log" ||
    tap_diag "$(grep 'qmqpd' "$LOG" | grep 'fatal\|panic')"
printf 'sender@example.org\n%s@%s\n\nSubject: qmqp after\n\nafter\n' "$ME" "$HOST" > "$TAP_TMP/in"
nm "$P1"
wait_for 10 count_is 4
tap_is "$rc:$(mb count)" "0:4" "a good message after all that is delivered"

tap_done
