#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 070-queue.t: the queue tools: `postlet queue` (mailq's listing, and -j
# JSON lines read back with Python's json module), `show` (like postcat
# -q), `hold`, `release`, `requeue` and `delete`, on queue files written
# byte for byte as docs/queue.5 describes them.
. "$(dirname "$0")/../lib.sh"

tap_plan 22

P=$(postlet_bin postlet) || tap_bail "$P"
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip 22 "python3 not installed"
	tap_done
fi
Q=$TAP_TMP/queue
export Q
mkdir -p "$Q/incoming" "$Q/active" "$Q/deferred" "$Q/hold" "$Q/defer" \
    "$Q/public"
printf 'queue_directory = %s\nmaillog_file = %s/log\n' "$Q" "$TAP_TMP" \
    > "$TAP_TMP/main.cf"
TZ=UTC
export TZ
pl() { "$P" -c "$TAP_TMP" "$@"; }

# mkq QUEUE ID SECONDS SENDER CONTENT RCPT...: a queue file by the book
# (a recipient "D:addr" is already delivered).
cat > "$TAP_TMP/mkq.py" <<'PY'
import os, sys
q, qid, sec, sender, content = sys.argv[1:6]
env = b"postlet-queue 1\n" + b"T %s.000000\n" % sec.encode()
env += b"S " + sender.encode() + b"\n" + b"A protocol=local\n"
for r in sys.argv[6:]:
    st = b"D" if r.startswith("D:") else b"P"
    env += b"R " + st + b" - - " + r.removeprefix("D:").encode() + b"\n"
body = content.encode().decode("unicode_escape").encode("latin-1")
hl = body.find(b"\n\n")
hl = len(body) if hl < 0 else hl + 2
env += b"E %020d %020d\n" % (len(body), hl)
with open(os.path.join(os.environ["Q"], q, qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
mkq() { python3 "$TAP_TMP/mkq.py" "$@"; }

tap_run pl queue
tap_is "$(cat "$TAP_TMP/out")" "Mail queue is empty" "an empty queue"

A=06553F100000000A1
B=06553F17000000002B
C=06553F1E000000003C
mkq deferred "$A" 1700000000 alice@example.org \
    'Subject: one\n\nhello\n' bob@example.org D:carol@example.org \
    dave@example.org
mkq hold "$B" 1700000007 "" 'Subject: two\n\nbody\n' root@example.org
mkq active "$C" 1700000014 eve@example.org 'x\n' frank@example.org
printf 'bob@example.org\t4.4.1 connect to mx.example.org: %s\n' \
    'Connection refused' > "$Q/defer/$A"
printf 'garbage' > "$Q/deferred/06553F200000000FF"

tap_run pl queue
pad=$(printf '%51s' '')
{
	echo '-Queue ID-           --Size-- ----Arrival Time----' \
	    '-Sender/Recipient-------'
	echo "$C*         2 Tue Nov 14 22:13:34  eve@example.org"
	echo "${pad}frank@example.org"
	echo
	echo "$A          20 Tue Nov 14 22:13:20  alice@example.org"
	echo "(4.4.1 connect to mx.example.org: Connection refused)"
	echo "${pad}bob@example.org"
	echo "${pad}dave@example.org"
	echo
	echo "$B!        19 Tue Nov 14 22:13:27  MAILER-DAEMON"
	echo "${pad}root@example.org"
	echo
	echo "-- 1 Kbytes in 3 Requests."
} > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" \
    "queue: mailq's listing, active first, hold marked, reasons shown"
tap_is "$tap_status" 0 "queue: exit 0"
grep -q 'warning: deferred/06553F200000000FF: offset' "$TAP_TMP/err"
tap_ok $? "queue: a corrupt file is reported, not listed"

tap_run pl queue -j
cat > "$TAP_TMP/qjson.py" <<'PY'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
m = [x for x in msgs if x["queue_id"] == sys.argv[2]][0]
print(len(msgs), m["queue_name"], m["arrival_time"], m["message_size"],
      m["sender"], [r["address"] for r in m["recipients"]],
      m["recipients"][0]["delay_reason"])
PY
python3 "$TAP_TMP/qjson.py" "$TAP_TMP/out" "$A" > "$TAP_TMP/json" 2>&1
tap_is "$(cat "$TAP_TMP/json")" "3 deferred 1700000000 20 alice@example.org \
['bob@example.org', 'dave@example.org'] 4.4.1 connect to mx.example.org: \
Connection refused" "queue -j: JSON lines with postqueue -j's fields"

tap_run pl show "$A"
{
	echo "*** ENVELOPE RECORDS deferred/$A ***"
	echo "message_size: 20"
	echo "arrival_time: Tue Nov 14 22:13:20 (1700000000.000000)"
	echo "sender: alice@example.org"
	echo "named_attribute: protocol=local"
	echo "recipient: bob@example.org (pending)"
	echo "recipient: carol@example.org (delivered)"
	echo "recipient: dave@example.org (pending)"
	echo "*** MESSAGE CONTENTS deferred/$A ***"
	echo "Subject: one"
	echo
	echo "hello"
	echo "*** MESSAGE FILE END deferred/$A ***"
} > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "show: envelope and content"
tap_run pl show 06553F1000000FFFF
tap_is "$tap_status" 66 "show: an unknown ID exits 66"
tap_run pl show ../../etc
tap_is "$tap_status" 66 "show: a path is not an ID"

tap_run pl hold "$A"
tap_is "$tap_status" 0 "hold: exit 0"
[ -f "$Q/hold/$A" ] && [ ! -e "$Q/deferred/$A" ]
tap_ok $? "hold: the file moved to hold/"
grep -q "postlet\[[0-9]*\]: $A: placed on hold" "$TAP_TMP/log"
tap_ok $? "hold: logged"

tap_run pl release ALL
[ -f "$Q/deferred/$A" ] && [ -f "$Q/deferred/$B" ] && [ ! -e "$Q/hold/$A" ]
tap_ok $? "release ALL: hold/ back to deferred/"
age=$(( $(date +%s) - $(stat -c %Y "$Q/deferred/$B") ))
[ "$age" -le 60 ]
tap_ok $? "release: due at once (modification time now)"

tap_run pl requeue ALL deferred
[ -f "$Q/incoming/$A" ] && [ -f "$Q/incoming/$B" ] && [ -f "$Q/active/$C" ]
tap_ok $? "requeue ALL deferred: to incoming/, others untouched"
[ -f "$Q/incoming/06553F200000000FF" ]
tap_ok $? "requeue: a corrupt file is moved like any other"

tap_run pl delete "$A"
[ ! -e "$Q/incoming/$A" ] && [ ! -e "$Q/defer/$A" ]
tap_ok $? "delete ID: the file and its defer log are gone"
grep -q "$A: removed" "$TAP_TMP/log"
tap_ok $? "delete: logged"
tap_run pl delete ALL incoming
tap_is "$(ls "$Q/incoming")" "" "delete ALL incoming: empties it"
[ -f "$Q/active/$C" ]
tap_ok $? "delete ALL incoming: other queues untouched"

tap_run pl delete "$A" bogus
tap_is "$tap_status" 64 "delete with a bad queue name: exit 64"
tap_run pl queue extra
tap_is "$tap_status" 64 "queue with an operand: exit 64"
tap_run pl delete ALL
tap_run pl queue
tap_is "$(cat "$TAP_TMP/out")" "Mail queue is empty" \
    "delete ALL empties the queue"

tap_done
