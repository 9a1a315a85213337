#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 140-bounce.t: bounce(8), the delivery status notifications.
#
# First part: bounce run directly, as qmgr runs it, on queue files made by
# cleanup (the submission protocol) and moved into active/, with status
# bytes set and bounce/ID or defer/ID logs written as qmgr writes them.
# The notice it submits is read back from incoming/ (the queue file's
# envelope and content) and parsed with Python's email package:
# multipart/report; report-type=delivery-status, per-recipient Status,
# Diagnostic-Code and Original-Recipient, RET=HDRS against RET=FULL and
# bounce_size_limit, NOTIFY=NEVER (no notice) and SUCCESS (a success
# notice), the delay warning (-d), the null sender (dropped by default,
# to the postmaster with notify_classes=2bounce), double_bounce_sender
# (nothing), the postmaster copy of notify_classes=bounce, 8-bit
# originals, lines over 998 bytes, and the exit statuses (75 when cleanup
# cannot run).
#
# Second part, end to end and daemonless, as in 120-e2e.t: sendmail to an
# unknown local user; qmgr, local and bounce return it to the sender's
# Maildir.
. "$(dirname "$0")/../lib.sh"

DIRECT=38
E2E=5
tap_plan $((DIRECT + E2E))

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $((DIRECT + E2E)) "python3 not installed"
	tap_done
fi
B=$POSTLET_BUILD/bin
for p in bounce cleanup postlet sendmail postdrop qmgr local; do
	[ -x "$B/$p" ] || tap_bail "no $B/$p: run make first"
done
unset MAIL_CONFIG
T=$TAP_TMP
Q=$T/q
C=$T/etc
LOG=$T/maillog
HOST=host.example.org
mkdir -p "$C" "$Q/incoming" "$Q/active" "$Q/tmp" "$Q/public" "$Q/corrupt" \
    "$Q/bounce" "$Q/defer"
cat > "$C/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $B
mail_owner = $(id -un)
setgid_group = $(id -gn)
maillog_file = $LOG
myhostname = $HOST
mydomain = example.org
EOF

# The notice reader: "dsn.py FILE" prints a summary of the queue file
# FILE (a notice in incoming/), one fact a line; "dsn.py -m FILE" the
# same for a message file (a Maildir's).
cat > "$T/dsn.py" <<'PY'
import email, email.policy, re, sys

def queue_file(path):
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    env = {"R": [], "A": []}
    off = len(lines[0]) + 1
    for l in lines[1:]:
        off += len(l) + 1
        t, v = l[:1].decode(), l[2:].decode("utf-8", "replace")
        if t == "S":
            env["S"] = v
        elif t == "R":
            env["R"].append(v.split(" ", 3)[3])
        elif t == "A":
            env["A"].append(v)
        elif t == "E":
            clen = int(v.split()[0])
            break
    return env, data[off:off + clen]

def fields(m, names):
    out = []
    for n in names:
        v = m.get(n)
        if v is not None:
            out.append("%s=%s" % (n, " ".join(str(v).split())))
    return " | ".join(out)

args = sys.argv[1:]
if args[0] == "-m":
    env, content = None, open(args[1], "rb").read()
else:
    env, content = queue_file(args[0])
    print("envelope: <%s> -> %s" % (env["S"], ",".join(env["R"])))
    print("attrs: %s" % ",".join(env["A"]))
maxlen = max(len(l) for l in content.split(b"\n"))
print("longest line ok" if maxlen <= 998 else "line of %d bytes" % maxlen)
m = email.message_from_bytes(content)
print("subject: %s" % m["Subject"])
print("from: %s" % m["From"])
print("to: %s" % m["To"])
print("auto-submitted: %s" % m["Auto-Submitted"])
print("type: %s; report-type=%s" % (m.get_content_type(),
      m.get_param("report-type")))
parts = m.get_payload()
print("parts: %s" % " ".join(p.get_content_type() for p in parts))
for p in parts:
    cte = p.get("Content-Transfer-Encoding")
    if cte:
        print("cte %s: %s" % (p.get_content_type(), cte))
    if p.get_content_type() == "text/plain":
        for l in p.get_payload(decode=True).decode("utf-8").split("\n"):
            if l.startswith("<"):
                print("text: %s" % l)
    elif p.get_content_type() == "message/delivery-status":
        blocks = p.get_payload()
        print("per-message: " + fields(blocks[0], ["Reporting-MTA",
              "X-Postlet-Queue-ID", "X-Postlet-Sender",
              "Original-Envelope-Id"]))
        print("arrival-date: %s" %
              ("yes" if blocks[0]["Arrival-Date"] else "no"))
        for b in blocks[1:]:
            print("rcpt: " + fields(b, ["Final-Recipient",
                  "Original-Recipient", "Action", "Status", "Remote-MTA",
                  "Diagnostic-Code"]) +
                  (" | will-retry" if b["Will-Retry-Until"] else ""))
    elif p.get_content_type() == "message/rfc822":
        inner = p.get_payload()[0]
        print("original: subject=%s body=%r" % (inner["Subject"],
              inner.get_payload(decode=True)))
    elif p.get_content_type() == "text/rfc822-headers":
        h = p.get_payload(decode=True)
        print("headers: %r" % h)
PY

# mkmsg ENVELOPE CONTENTFILE: a message through cleanup, moved to
# active/; its ID in $id.
mkmsg() {
	{
		# shellcheck disable=SC2059
		printf "$1"
		printf 'D %d\n' "$(wc -c < "$2")"
		cat "$2"
		printf 'E\n'
	} | "$B/cleanup" -c "$C" > "$T/reply" 2>>"$T/err"
	id=$(sed -n 's/^OK //p' "$T/reply")
	if [ -z "$id" ]; then
		tap_diag "cleanup: $(cat "$T/reply")"
		return 1
	fi
	mv "$Q/incoming/$id" "$Q/active/$id"
}
# setst ID ADDRESS STATUS: the status byte of ADDRESS's R record.
setst() {
	python3 - "$Q/active/$1" "$2" "$3" <<'PY'
import sys
p, addr, st = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
b = bytearray(open(p, "rb").read())
i = 0
while True:
    i = b.find(b"\nR ", i)
    if i < 0:
        sys.exit("no R record for " + sys.argv[2])
    nl = b.index(b"\n", i + 1)
    if b[i + 1:nl].split(b" ", 4)[4] == addr:
        b[i + 3] = st[0]
        break
    i = nl
open(p, "wb").write(b)
PY
}
# blog ID SUBDIR TEXT: write the log SUBDIR/ID (TEXT: printf format).
blog() {
	# shellcheck disable=SC2059
	printf "$3" > "$Q/$2/$1"
}
# run ARGS...: bounce with ARGS; exit status in $rc.
run() {
	"$B/bounce" "$@" > "$T/out" 2>&1
	rc=$?
}
# notices: the queue files in incoming/, in ID order; nnotice: how many.
notices() {
	ls "$Q/incoming" | sort
}
nnotice() {
	notices | wc -l | tr -d ' '
}
# show N: the summary of the Nth notice.
show() {
	python3 "$T/dsn.py" "$Q/incoming/$(notices | sed -n "${1}p")" \
	    2>&1
}
# clear: empty incoming/ and the maillog.
clear() {
	rm -f "$Q/incoming/"* "$Q/active/"* "$Q/bounce/"* "$Q/defer/"*
	: > "$LOG"
}
# has LINE: the summary in $T/s holds LINE exactly.
has() {
	grep -Fx -q -- "$1" "$T/s"
}
# logged TEXT
logged() {
	grep -F -q -- "$1" "$LOG"
}

printf 'From: alice@example.org\nSubject: hi\nMessage-ID: <hi@example.org>\n\nbody\n' \
    > "$T/m1"
ENV1='S alice@example.org\nA envid=abc+2Bdef\nR - - bob@example.net\nR NEVER - never@example.net\nR SUCCESS,FAILURE rfc822;carol+2Bdsn@example.net carol@example.net\n'
LOG1='bob@example.net\t5.1.1 host mx.example.net[192.0.2.1] said: 550 5.1.1 <bob@example.net>: no such user (in reply to RCPT TO command)\nnever@example.net\t5.1.1 unknown user: "never"\ncarol@example.net\t5.2.2 mailbox full\n'

# --- 1-14: a failure notice, RET=HDRS --------------------------------------
clear
mkmsg "${ENV1}A ret=HDRS\n" "$T/m1"
for a in bob never carol; do
	setst "$id" "$a@example.net" F
done
blog "$id" bounce "$LOG1"
run -c "$C" "$id"
tap_is "$rc" 0 "failure: exit 0" || tap_diag "$(cat "$T/out" "$LOG")"
tap_is "$(nnotice)" 1 "failure: one notice"
show 1 > "$T/s"
new=$(notices | head -n 1)
tap_ok "$(logged "$id: sender non-delivery notification: $new"; echo $?)" \
    "failure: logged as Postfix does, with the notice's ID" ||
    tap_diag "$(cat "$LOG")"
tap_ok "$(has "envelope: <> -> alice@example.org"; echo $?)" \
    "failure: from the null sender to the sender" || tap_diag "$(cat "$T/s")"
tap_ok "$(has "type: multipart/report; report-type=delivery-status" &&
    has "parts: text/plain message/delivery-status text/rfc822-headers"
    echo $?)" "failure: multipart/report, delivery-status, headers (RET=HDRS)" ||
    tap_diag "$(cat "$T/s")"
tap_ok "$(has "subject: Undelivered Mail Returned to Sender" &&
    has "from: MAILER-DAEMON@$HOST (Mail Delivery System)" &&
    has "to: alice@example.org" && has "auto-submitted: auto-replied"
    echo $?)" "failure: Subject, From, To, Auto-Submitted" ||
    tap_diag "$(cat "$T/s")"
tap_ok "$(has "per-message: Reporting-MTA=dns; $HOST | X-Postlet-Queue-ID=$id | X-Postlet-Sender=rfc822; alice@example.org | Original-Envelope-Id=abc+def" &&
    has "arrival-date: yes"; echo $?)" \
    "failure: per-message fields (ENVID decoded)" || tap_diag "$(cat "$T/s")"
tap_ok "$(has "rcpt: Final-Recipient=rfc822; bob@example.net | Action=failed | Status=5.1.1 | Remote-MTA=dns; mx.example.net | Diagnostic-Code=smtp; 550 5.1.1 <bob@example.net>: no such user"
    echo $?)" "failure: a remote server's reply is Diagnostic-Code smtp;" ||
    tap_diag "$(cat "$T/s")"
tap_ok "$(has "rcpt: Final-Recipient=rfc822; carol@example.net | Original-Recipient=rfc822; carol+dsn@example.net | Action=failed | Status=5.2.2 | Diagnostic-Code=X-Postlet; mailbox full"
    echo $?)" "failure: a local reason is X-Postlet;, ORCPT decoded" ||
    tap_diag "$(cat "$T/s")"
tap_is "$(grep -c '^rcpt:' "$T/s")" 2 "failure: NOTIFY=NEVER left out"
tap_ok "$(has "text: <carol@example.net>: mailbox full"; echo $?)" \
    "failure: the text part names each recipient with its reason"
tap_ok "$(has "headers: b'From: alice@example.org\\nSubject: hi\\nMessage-ID: <hi@example.org>\\n\\n'"
    echo $?)" "failure: RET=HDRS: the original's header section" ||
    tap_diag "$(cat "$T/s")"
tap_ok "$(has "longest line ok"; echo $?)" "failure: no line over 998 bytes"
tap_ok "$([ -f "$Q/active/$id" ] && [ -f "$Q/bounce/$id" ]; echo $?)" \
    "failure: the queue file and the log are left to qmgr"

# --- 15-17: RET=FULL (by default), and over bounce_size_limit -------------
clear
mkmsg "$ENV1" "$T/m1"
setst "$id" bob@example.net F
blog "$id" bounce "$LOG1"
run -c "$C" "$id"
show 1 > "$T/s"
tap_ok "$(has "parts: text/plain message/delivery-status message/rfc822" &&
    has "original: subject=hi body=b'body\\n'"; echo $?)" \
    "RET not given: the whole original, message/rfc822" ||
    tap_diag "$(cat "$T/s")"
tap_is "$(grep -c '^rcpt:' "$T/s")" 1 "only the F recipients are reported"
clear
mkmsg "${ENV1}A ret=FULL\n" "$T/m1"
setst "$id" bob@example.net F
blog "$id" bounce "$LOG1"
run -c "$C" -o bounce_size_limit=20 "$id"
show 1 > "$T/s"
tap_ok "$(has "parts: text/plain message/delivery-status text/rfc822-headers" &&
    logged "larger than bounce_size_limit=20"; echo $?)" \
    "RET=FULL over bounce_size_limit: headers only, logged" ||
    tap_diag "$(cat "$T/s" "$LOG")"

# --- 18-19: NOTIFY=NEVER only: no notice ----------------------------------
clear
mkmsg "$ENV1" "$T/m1"
setst "$id" never@example.net F
blog "$id" bounce "$LOG1"
run -c "$C" "$id"
tap_is "$rc/$(nnotice)" "0/0" "NOTIFY=NEVER: exit 0, no notice"
tap_ok "$(logged "$id: sender non-delivery notification: none requested"
    echo $?)" "NOTIFY=NEVER: logged why" || tap_diag "$(cat "$LOG")"

# --- 20-22: NOTIFY=SUCCESS: a success notice ------------------------------
clear
mkmsg 'S alice@example.org\nR SUCCESS - dave@example.net\nR - - erin@example.net\n' \
    "$T/m1"
setst "$id" dave@example.net D
setst "$id" erin@example.net D
blog "$id" bounce 'dave@example.net\t2.0.0 delivered to maildir\n'
run -c "$C" "$id"
tap_is "$rc/$(nnotice)" "0/1" "NOTIFY=SUCCESS: exit 0, one notice"
show 1 > "$T/s"
tap_ok "$(has "subject: Successful Mail Delivery Report" &&
    has "rcpt: Final-Recipient=rfc822; dave@example.net | Action=delivered | Status=2.0.0 | Diagnostic-Code=X-Postlet; delivered to maildir" &&
    has "parts: text/plain message/delivery-status text/rfc822-headers" &&
    [ "$(grep -c '^rcpt:' "$T/s")" = 1 ]; echo $?)" \
    "NOTIFY=SUCCESS: Action delivered, headers only, only that recipient" ||
    tap_diag "$(cat "$T/s")"
tap_ok "$(logged "$id: sender delivery status notification: $(notices)"
    echo $?)" "NOTIFY=SUCCESS: logged"

# --- 23-26: the delay warning ---------------------------------------------
clear
mkmsg 'S alice@example.org\nA ret=FULL\nR - - bob@example.net\nR NEVER - never@example.net\nR DELAY - warned@example.net\nR DELAY - frank@example.net\n' \
    "$T/m1"
setst "$id" warned@example.net W
blog "$id" defer 'bob@example.net\t4.4.1 connect to mx.example.net[192.0.2.1]:25: Connection refused\n'
run -d -c "$C" "$id"
tap_is "$rc/$(nnotice)" "0/1" "delay: exit 0, one notice"
show 1 > "$T/s"
tap_ok "$(has "subject: Delayed Mail (still being retried)" &&
    has "parts: text/plain message/delivery-status text/rfc822-headers"
    echo $?)" "delay: subject, headers only (even with RET=FULL)" ||
    tap_diag "$(cat "$T/s")"
tap_ok "$(has "rcpt: Final-Recipient=rfc822; bob@example.net | Action=delayed | Status=4.4.1 | Diagnostic-Code=X-Postlet; connect to mx.example.net[192.0.2.1]:25: Connection refused | will-retry" &&
    has "rcpt: Final-Recipient=rfc822; frank@example.net | Action=delayed | Status=4.0.0 | will-retry" &&
    [ "$(grep -c '^rcpt:' "$T/s")" = 2 ]; echo $?)" \
    "delay: P recipients with NOTIFY unset or DELAY, Will-Retry-Until" ||
    tap_diag "$(cat "$T/s")"
tap_ok "$(logged "$id: sender delay notification: $(notices)"; echo $?)" \
    "delay: logged"

# --- 27-29: the null sender: a double bounce -------------------------------
printf 'From: MAILER-DAEMON@example.net\nSubject: Undelivered Mail\n\nx\n' \
    > "$T/m2"
clear
mkmsg 'S \nR - - gone@example.net\n' "$T/m2"
setst "$id" gone@example.net F
blog "$id" bounce 'gone@example.net\t5.1.1 unknown user: "gone"\n'
run -c "$C" "$id"
tap_ok "$([ "$rc/$(nnotice)" = 0/0 ] &&
    logged "$id: undeliverable notification from the null sender discarded"
    echo $?)" "null sender, default notify_classes: dropped, logged" ||
    tap_diag "$rc $(cat "$LOG")"
rm -f "$Q/incoming/"*
run -c "$C" -o notify_classes=2bounce "$id"
show 1 > "$T/s"
tap_ok "$([ "$rc/$(nnotice)" = 0/1 ] &&
    has "envelope: <double-bounce@$HOST> -> postmaster@$HOST" &&
    has "subject: Postmaster Copy: Undelivered Mail" &&
    has "to: postmaster@$HOST" &&
    has "parts: text/plain message/delivery-status text/rfc822-headers"
    echo $?)" "notify_classes=2bounce: to the postmaster from double-bounce" ||
    tap_diag "$rc $(cat "$T/s")"
tap_ok "$(logged "$id: postmaster non-delivery notification: $(notices)"
    echo $?)" "double bounce: logged"

# --- 30: double_bounce_sender: never reported -------------------------------
clear
mkmsg "S double-bounce@$HOST\nR - - postmaster@example.net\n" "$T/m2"
setst "$id" postmaster@example.net F
blog "$id" bounce 'postmaster@example.net\t5.1.1 unknown user\n'
run -c "$C" -o notify_classes=bounce "$id"
tap_ok "$([ "$rc/$(nnotice)" = 0/0 ] &&
    logged "is double_bounce_sender: no notification"; echo $?)" \
    "sender double-bounce: no notice at all" || tap_diag "$(cat "$LOG")"

# --- 31-32: notify_classes=bounce: a copy for the postmaster ---------------
clear
mkmsg "$ENV1" "$T/m1"
setst "$id" bob@example.net F
setst "$id" never@example.net F
blog "$id" bounce "$LOG1"
run -c "$C" -o notify_classes=bounce -o bounce_notice_recipient=pm@example.com "$id"
tap_is "$rc/$(nnotice)" "0/2" "notify_classes=bounce: two notices"
for n in 1 2; do
	show $n
done > "$T/s"
tap_ok "$(has "envelope: <double-bounce@$HOST> -> pm@example.com" &&
    has "subject: Postmaster Copy: Undelivered Mail" &&
    has "envelope: <> -> alice@example.org" &&
    [ "$(grep -c '^rcpt:' "$T/s")" = 3 ]; echo $?)" \
    "notify_classes=bounce: the copy covers NEVER recipients too" ||
    tap_diag "$(cat "$T/s")"

# --- 33-34: 8-bit, long lines -----------------------------------------------
printf 'From: alice@example.org\nSubject: caf\303\251\n\nd\303\251j\303\240 vu\n' \
    > "$T/m3"
clear
mkmsg 'S alice@example.org\nR - - bob@example.net\n' "$T/m3"
setst "$id" bob@example.net F
long=$(head -c 3000 /dev/zero | tr '\0' 'x')
blog "$id" bounce "bob@example.net\t5.0.0 $long\n"
run -c "$C" "$id"
show 1 > "$T/s"
tap_ok "$(has "cte message/rfc822: 8bit" && has "attrs: body_type=8BITMIME"
    echo $?)" "8-bit original: part marked 8bit, submitted as 8BITMIME" ||
    tap_diag "$(cat "$T/s")"
tap_ok "$(has "longest line ok" && grep -q "Diagnostic-Code=X-Postlet; x*\.\.\." "$T/s"
    echo $?)" "a 3000-byte reason: cut, no line over 998 bytes" ||
    tap_diag "$(cut -c 1-200 "$T/s")"

# --- 35-38: exit statuses ---------------------------------------------------
run -c "$C" -o daemon_directory=/nonexistent "$id"
tap_is "$rc" 75 "cleanup cannot run: exit 75 (try again)"
tap_ok "$(logged "sender non-delivery notification not sent"; echo $?)" \
    "cleanup cannot run: logged"
run -c "$C" 0655000000000A1
tap_is "$rc" 66 "no such message in active/: exit 66"
run -c "$C" ../etc
tap_is "$rc" 64 "not a queue ID: exit 64"

# --- 39-43: end to end, daemonless ------------------------------------------
postlet_as_user plb "$E2E"
chmod 755 "$TAP_TMP"
BC=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
I=$TAP_TMP/i
mkdir -p "$I"
[ -z "$TU" ] || chown "$TU:$GROUP" "$I"
as_me mkdir -p "$I/conf" "$I/mail" || tap_bail "mkdir as $ME"
# The queue, as master would make it (no master runs here).
for d in maildrop tmp incoming active deferred hold corrupt defer bounce \
    public pid; do
	as_me mkdir -p "$I/queue/$d" || tap_bail "mkdir as $ME"
done
trap 'postlet_user_end "$I/queue"; tap_cleanup' EXIT
as_me sh -c "cat > '$I/conf/main.cf'" <<EOS
queue_directory = $I/queue
command_directory = $BC
daemon_directory = $BC
mail_owner = $ME
setgid_group = $GROUP
maillog_file = $I/maillog
mail_spool_directory = $I/mail/
myhostname = $HOST
minimal_backoff_time = 1s
queue_run_delay = 1s
EOS
as_me sh -c "cat > '$I/conf/master.cf'" <<EOS
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
EOS
MB=$I/mail/$ME
printf 'Subject: to nobody\n\nlost words\n' > "$T/in"
as_me "$BC/sendmail" -C "$I/conf" -f "$ME@$HOST" "nosuchuser-b@$HOST" \
    < "$T/in" > "$T/sm.out" 2>&1
tap_is "$?" 0 "e2e: sendmail to an unknown user exits 0" ||
    tap_diag "$(cat "$T/sm.out")"
arrived() {
	[ -d "$MB/new" ] && [ -n "$(ls "$MB/new")" ]
}
n=100
while [ $n -gt 0 ] && ! arrived; do
	sleep 0.1
	n=$((n - 1))
done
tap_ok "$(arrived; echo $?)" "e2e: a notice arrived in the sender's Maildir" ||
    tap_diag "$(tail -n 15 "$I/maillog" 2>&1)"
f=$(ls "$MB/new" 2>/dev/null | head -n 1)
python3 "$T/dsn.py" -m "$MB/new/$f" > "$T/s" 2>&1
tap_ok "$(has "subject: Undelivered Mail Returned to Sender" &&
    has "type: multipart/report; report-type=delivery-status"; echo $?)" \
    "e2e: a delivery status notification" || tap_diag "$(cat "$T/s")"
tap_ok "$(grep -q "^rcpt: Final-Recipient=rfc822; nosuchuser-b@$HOST | Action=failed | Status=5.1.1 |" "$T/s" &&
    has "original: subject=to nobody body=b'lost words\\n'"; echo $?)" \
    "e2e: Status 5.1.1 for the unknown user, the original returned" ||
    tap_diag "$(cat "$T/s")"
grep -q "sender non-delivery notification: [0-9A-F]*$" "$I/maillog"
tap_ok $? "e2e: bounce logged the notice" ||
    tap_diag "$(tail -n 15 "$I/maillog")"

tap_done
