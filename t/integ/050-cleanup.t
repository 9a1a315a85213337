#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 050-cleanup.t: cleanup(8) run directly on a temporary queue, fed the
# submission protocol (submit.h) with printf, its reply line checked, and
# the queue file it leaves in incoming/ read back byte for byte (the
# arrival time line and the queue ID, which vary, are replaced first):
# a plain message; -t extraction with Bcc removed and header plus
# envelope recipients; the headers a local submission gets; Resent-;
# canonical and virtual alias tables, a loop, the expansion limit; and
# the refusals, each leaving nothing in incoming/ or tmp/: size limit,
# garbage, "-oops", too many hops, no recipients.  F early-id: the
# "ID queue-id" line after S, before any content, byte for byte, with
# its refusals, and the answer unchanged without the flag.  Several
# messages on one input (smtpd's session): one answer and one queue file
# each, nothing carried over, and a broken one ends cleanup.  Last, the
# qmgr FIFO gets its wake-up byte.

. "$(dirname "$0")/../lib.sh"

tap_plan 66

CLEANUP=$(postlet_bin cleanup) || tap_bail "$CLEANUP"
POSTLET=$(postlet_bin postlet) || tap_bail "$POSTLET"
unset MAIL_CONFIG
T=$TAP_TMP
[ -n "$T" ] && [ -d "$T" ] || tap_bail "no temporary directory"
Q=$T/q
mkdir -p "$Q/incoming" "$Q/tmp" "$Q/public" "$Q/corrupt" "$T/etc"
cat > "$T/etc/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $POSTLET_BUILD/bin
mail_owner = $(id -un)
setgid_group = $(id -gn)
maillog_file = $T/maillog
myhostname = host.example.org
mydomain = example.org
EOF

# submit ENVELOPE CONTENTFILE [CONFIG]: run cleanup with the envelope
# records (printf format), the content of CONTENTFILE as one D record and
# E; the reply goes to $T/reply, the exit status to $rc.
submit() {
	{
		# shellcheck disable=SC2059
		printf "$1"
		n=$(wc -c < "$2")
		if [ "$n" -gt 0 ]; then
			printf 'D %d\n' "$n"
			cat "$2"
		fi
		printf 'E\n'
	} | timeout 20 "$CLEANUP" -c "${3:-$T/etc}" > "$T/reply" 2>"$T/err"
	rc=$?
}
# queued: the one file in incoming/ into $T/got, removed from there, with
# its T record and queue ID replaced by "T X" and "QID"; fails unless
# exactly one file is there.
queued() {
	set -- "$Q"/incoming/*
	if [ $# -ne 1 ] || [ ! -f "$1" ]; then
		echo "# incoming/ holds: $*"
		: > "$T/got"
		return 1
	fi
	id=${1##*/}
	sed -e '2s/^T .*/T X/' -e "s/$id/QID/g" "$1" > "$T/got"
	rm -f "$1"
}
# empty_queue: nothing in incoming/ or tmp/.
empty_queue() {
	[ -z "$(ls -A "$Q/incoming" "$Q/tmp" | grep -v ':$' | grep -v '^$')" ]
}
# reply_is TEXT NAME
reply_is() {
	tap_is "$(cat "$T/reply")" "$1" "$2"
}

# --- 1-4: a plain message, not local: nothing added ---------------------
printf 'Subject: hi\nFrom: a@example.org\n\nHello.\n' > "$T/m1"
submit 'S alice@example.org\nA protocol=esmtp\nR - - bob@example.net\n' \
    "$T/m1"
tap_ok "$rc" "plain: exit 0"
case $(cat "$T/reply") in
"OK "[0-9A-F]*) tap_ok 0 "plain: OK and a queue ID" ;;
*) tap_ok 1 "plain: OK and a queue ID"; tap_diag "$(cat "$T/reply")" ;;
esac
queued
tap_ok $? "plain: one file in incoming/"
printf 'postlet-queue 1\nT X\nS alice@example.org\nA protocol=esmtp\nR P - - bob@example.net\nE 00000000000000000040 00000000000000000033\nSubject: hi\nFrom: a@example.org\n\nHello.\nEND\n' > "$T/want"
tap_file_is "$T/got" "$T/want" "plain: the queue file, byte for byte"

# --- 5-7: -t: header recipients added, Bcc and Return-Path removed ------
printf 'To: a@example.com, "B b" <b@example.com>\nCc: bob\nBcc: hidden@example.net\nReturn-Path: <x@y>\nSubject: s\n  folded\n\nBody.\n' > "$T/m2"
submit 'F extract\nS \nR NEVER rfc822;c+40x carol@example.com\nR - - a@example.com\n' "$T/m2"
reply_is "OK $(ls "$Q/incoming")" "-t: OK with the ID of the file"
queued
tap_ok $? "-t: one file"
printf 'postlet-queue 1\nT X\nS \nR P NEVER rfc822;c+40x carol@example.com\nR P - - a@example.com\nR P - - b@example.com\nR P - - bob@host.example.org\nR P - - hidden@example.net\nE 00000000000000000076 00000000000000000070\nTo: a@example.com, "B b" <b@example.com>\nCc: bob\nSubject: s\n  folded\n\nBody.\nEND\n' > "$T/want"
tap_file_is "$T/got" "$T/want" "-t: envelope and header recipients, Bcc gone"

# --- 8-14: a local submission gets Received, Message-ID, Date, From ----
printf 'Subject: local\n\nHi.\n' > "$T/m3"
submit 'S alice\nA submit_uid=1000\nA full_name=Alice "Al" Smith\nR - - bob\n' "$T/m3"
queued
tap_ok $? "local: queued"
sed -n '3,5p' "$T/got" > "$T/env"
printf 'S alice@host.example.org\nA submit_uid=1000\nR P - - bob@host.example.org\n' > "$T/want"
tap_file_is "$T/env" "$T/want" "local: envelope canonical, full_name not kept"
sed -n '7,8p' "$T/got" > "$T/rcvd"
grep -Eq '^Received: by host\.example\.org \(postlet, from userid 1000\)$' "$T/rcvd" &&
    sed -n 2p "$T/rcvd" | grep -Eq "^	id QID; [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}( \([A-Za-z0-9+-]+\))?\$"
tap_ok $? "local: Received first, with uid, queue ID and date"
tap_is "$(sed -n 9p "$T/got")" "Subject: local" "local: the headers as received"
sed -n 10p "$T/got" | grep -Eq '^Message-ID: <[0-9]{14}\.QID@host\.example\.org>$'
tap_ok $? "local: Message-ID added"
sed -n 11p "$T/got" | grep -Eq '^Date: [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}'
tap_ok $? "local: Date added"
tap_is "$(sed -n 12p "$T/got")" 'From: "Alice \"Al\" Smith" <alice@host.example.org>' \
    "local: From with the full name, quoted"
tap_is "$(sed -n '13,$p' "$T/got" | tr '\n' '|')" '|Hi.|END|' \
    "local: then the empty line and the body"

# --- 15-17: Resent-: the Resent- forms are added; -t uses Resent-To ----
printf 'From: orig@example.com\nTo: orig-rcpt@example.com\nMessage-ID: <m1@example.com>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nResent-From: fwd@example.org\nResent-To: new@example.net\n\nText.\n' > "$T/m4"
submit 'F extract\nS fwd@example.org\nA submit_uid=7\n' "$T/m4"
queued
tap_ok $? "resent: queued"
tap_is "$(sed -n '/^R /p' "$T/got")" "R P - - new@example.net" \
    "resent: -t takes Resent-To, not To"
tap_is "$(grep -c '^Resent-Message-ID: <[0-9]*\.QID@host.example.org>$' "$T/got")/$(grep -c '^Resent-Date: ' "$T/got")/$(grep -c '^Message-ID: ' "$T/got")/$(grep -c '^Date: ' "$T/got")/$(grep -c 'From: ' "$T/got")" \
    "1/1/1/1/2" "resent: Resent-Message-ID and Resent-Date added, nothing else"

# --- 18-24: canonical and virtual alias tables ---------------------------
printf 'alice@host.example.org Alice.Smith@example.org\n@old.example.org @new.example.org\n' > "$T/canonical"
printf 'list@example.org x@example.org, y@example.org\nx@example.org xx@example.org\nme@example.org me@example.org, other@example.org\nl1@example.org l2@example.org\nl2@example.org l1@example.org\nbig@example.org a1@example.org, a2@example.org, a3@example.org\nrcpt@new.example.org final@example.net\n' > "$T/virtual"
"$POSTLET" -c "$T/etc" map "$T/canonical" && "$POSTLET" -c "$T/etc" map "$T/virtual"
tap_ok $? "tables built with postlet map"
mkdir "$T/etc2"
cp "$T/etc/main.cf" "$T/etc2/main.cf"
cat >> "$T/etc2/main.cf" <<EOF
canonical_maps = cdb:$T/canonical
virtual_alias_maps = cdb:$T/virtual
masquerade_domains = !keep.example.org, example.org
EOF
printf 'Subject: t\n\nx\n' > "$T/m5"
submit 'S alice\nR - - list@example.org\nR - - me@example.org\nR - - rcpt@old.example.org\nR - - y@example.org\nR - - u@a.b.example.org\nR - - v@keep.example.org\n' "$T/m5" "$T/etc2"
queued
tap_ok $? "maps: queued"
tap_is "$(sed -n '/^[SR] /p' "$T/got" | tr '\n' '|')" \
    "S Alice.Smith@example.org|R P - - xx@example.org|R P - - y@example.org|R P - - me@example.org|R P - - other@example.org|R P - - final@example.net|R P - - u@a.b.example.org|R P - - v@keep.example.org|" \
    "maps: canonical, virtual recursion, self-mapping, duplicates removed"
submit 'S x@a.b.example.org\nR - - l1@example.org\n' "$T/m5" "$T/etc2"
queued
tap_is "$(sed -n '/^[SR] /p' "$T/got" | tr '\n' '|')" \
    "S x@example.org|R P - - l1@example.org|" \
    "maps: a loop keeps the address that closes it; sender masqueraded"
grep -q 'virtual alias loop for l1@example.org' "$T/maillog"
tap_ok $? "maps: the loop is logged"
echo "virtual_alias_expansion_limit = 2" >> "$T/etc2/main.cf"
submit 'S a\nR - - big@example.org\n' "$T/m5" "$T/etc2"
reply_is "TEMP 4.3.0 unreasonable virtual_alias_maps map expansion size for big@example.org: try again later" \
    "expansion limit: TEMP"
empty_queue
tap_ok $? "expansion limit: nothing left in incoming/ or tmp/"

# --- 48-51: header addresses of a local submission ----------------------
printf 'From: Alice <alice>\nTo: "Bob B." <bob@old.example.org>, carol@a.b.example.org (Carol),\n\tv@keep.example.org\nCc: undisclosed-recipients:;\nReply-To: alice@host.example.org\nX-Note: alice@old.example.org\nSubject: t\n\nalice@old.example.org\n' > "$T/m7"
submit 'S alice\nA submit_uid=7\nR - - b@example.org\n' "$T/m7" "$T/etc2"
queued
tap_is "$(sed -n '/^From: Alice/,/^Subject/p' "$T/got" | tr '\n' '|')" \
    'From: Alice <Alice.Smith@example.org>|To: "Bob B." <bob@example.org>, carol@example.org (Carol),|	v@keep.example.org|Cc: undisclosed-recipients:;|Reply-To: Alice.Smith@example.org|X-Note: alice@old.example.org|Subject: t|' \
    "local submission: sender and recipient fields rewritten in place (canonical, masquerade), others kept"
tap_is "$(tail -n 2 "$T/got" | head -n 1)" "alice@old.example.org" \
    "local submission: the body is not rewritten"
submit 'S alice@host.example.org\nR - - b@example.org\n' "$T/m7" "$T/etc2"
queued
tap_is "$(sed -n '/^From: Alice/,/^Reply-To/p' "$T/got" | tr '\n' '|')" \
    'From: Alice <alice>|To: "Bob B." <bob@old.example.org>, carol@a.b.example.org (Carol),|	v@keep.example.org|Cc: undisclosed-recipients:;|Reply-To: alice@host.example.org|' \
    "not a local submission: header addresses as written"
cp "$T/etc2/main.cf" "$T/etc2/main.cf.save"
printf 'canonical_classes = envelope_sender, envelope_recipient\nmasquerade_classes = envelope_sender\n' >> "$T/etc2/main.cf"
submit 'S alice\nA submit_uid=7\nR - - b@example.org\n' "$T/m7" "$T/etc2"
queued
tap_is "$(sed -n '/^From: Alice/,/^To/p' "$T/got" | tr '\n' '|')" \
    'From: Alice <alice@host.example.org>|To: "Bob B." <bob@old.example.org>, carol@a.b.example.org (Carol),|' \
    "canonical_classes, masquerade_classes without header classes: only @myorigin appended"
mv "$T/etc2/main.cf.save" "$T/etc2/main.cf"

# --- 25-35: refusals leave nothing behind -------------------------------
mkdir "$T/etc3"
cp "$T/etc/main.cf" "$T/etc3/main.cf"
echo "message_size_limit = 100" >> "$T/etc3/main.cf"
awk 'BEGIN { print "Subject: big\n"; for (i = 0; i < 20; i++) print "0123456789" }' > "$T/m6"
submit 'S a\nR - - b\n' "$T/m6" "$T/etc3"
reply_is "PERM 5.3.4 Message size exceeds fixed limit" "size limit: PERM 5.3.4"
empty_queue
tap_ok $? "size limit: nothing left"
printf 'garbage\n' | timeout 20 "$CLEANUP" -c "$T/etc" > "$T/reply"
tap_ok $? "garbage: exit 0"
reply_is "TEMP 4.3.0 protocol error: malformed record (record g)" \
    "garbage: TEMP protocol error"
empty_queue
tap_ok $? "garbage: nothing left"
printf 'S a\nR - - b\nD 100\nshort\n' | timeout 20 "$CLEANUP" -c "$T/etc" > "$T/reply"
reply_is "TEMP 4.3.0 protocol error: end of input inside content (record D)" \
    "truncated input: TEMP"
submit 'S a\nR - - -oops\n' "$T/m1"
reply_is "PERM 5.1.3 recipient address begins with '-': -oops" \
    "-oops: PERM 5.1.3"
empty_queue
tap_ok $? "-oops: nothing left"
awk 'BEGIN { for (i = 0; i < 60; i++) print "Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000"; print ""; print "loop" }' > "$T/m7"
submit 'S a\nR - - b\n' "$T/m7"
reply_is "PERM 5.4.6 too many hops (60 Received headers)" "60 Received: PERM 5.4.6"
empty_queue
tap_ok $? "too many hops: nothing left"
submit 'S a\n' "$T/m1"
reply_is "PERM 5.1.3 No recipients specified" "no recipients: PERM 5.1.3"

# --- 36-39: header section edge cases -----------------------------------
printf 'Subject: x\nthis is not a header\n\nbody\n' > "$T/m8"
submit 'S a@example.org\nR - - b@example.org\n' "$T/m8"
queued
tap_is "$(sed -n '/^E /,$p' "$T/got" | tr '\n' '|')" \
    "E 00000000000000000038 00000000000000000033|Subject: x|this is not a header||body|END|" \
    "a non-header line starts the body; nothing is inserted"
mkdir "$T/etc4"
cp "$T/etc/main.cf" "$T/etc4/main.cf"
echo "header_size_limit = 20" >> "$T/etc4/main.cf"
printf 'Subject: 0123456789abcdefghij\n  more\nX: y\n\nb\n' > "$T/m9"
submit 'S a@example.org\nR - - b@example.org\n' "$T/m9" "$T/etc4"
queued
tap_is "$(sed -n '/^E /,$p' "$T/got" | sed 1d | tr '\n' '|')" \
    "Subject: 0123456789a|X: y||b|END|" \
    "header_size_limit: the excess of a field is discarded"
printf 'Subject: no newline at the end' > "$T/m10"
submit 'S a@example.org\nR - - b@example.org\nA submit_uid=0\n' "$T/m10"
queued
tap_is "$(sed -n '/^Subject/,/^Message-ID/p' "$T/got" | sed 's/<.*//' | tr '\n' '|')" \
    "Subject: no newline at the end|Message-ID: |" \
    "a last field without a newline gets one before the added headers"
submit 'S a\nR - - b\n' /dev/null
queued
tap_is "$(grep -c '^R P - - b@host.example.org$' "$T/got")" 1 \
    "no content at all: accepted"

# --- 45-47: F verify (sendmail -bv) ---------------------------------------
submit 'F verify\nS a@example.org\nR - - b@example.org\n' "$T/m1"
queued
tap_is "$(grep -c '^A flags=verify$' "$T/got")" 1 \
    "F verify: the queue file has the attribute flags=verify"
submit 'F extract,verify\nS a@example.org\n' "$T/m4"
queued
tap_is "$(grep -c '^A flags=verify$' "$T/got")/$(sed -n '/^R /p' "$T/got")" \
    "1/R P - - new@example.net" "F extract,verify: both"
submit 'S a@example.org\nA flags=verify\nR - - b@example.org\n' "$T/m1"
tap_is "$(cut -c1-5 "$T/reply")/$(empty_queue && echo empty)" "TEMP /empty" \
    "an A flags= record from a submitter is refused"

# --- 48-58: F early-id: "ID queue-id" after S, then the final answer -----
# reply_bytes_are WANT NAME: $T/reply is exactly WANT (printf format).
reply_bytes_are() {
	# shellcheck disable=SC2059
	printf "$1" > "$T/want"
	tap_file_is "$T/reply" "$T/want" "$2"
}
submit 'F early-id\nS alice@example.org\nA protocol=esmtp\nR - - bob@example.net\n' \
    "$T/m1"
id=$(ls "$Q/incoming")
reply_bytes_are "ID $id\nOK $id\n" \
    "early-id: \"ID queue-id\", then \"OK queue-id\", the file's name"
queued
printf 'postlet-queue 1\nT X\nS alice@example.org\nA protocol=esmtp\nR P - - bob@example.net\nE 00000000000000000040 00000000000000000033\nSubject: hi\nFrom: a@example.org\n\nHello.\nEND\n' > "$T/want"
tap_file_is "$T/got" "$T/want" "early-id: the queue file as without it"
submit 'S alice@example.org\nA protocol=esmtp\nR - - bob@example.net\n' "$T/m1"
id=$(ls "$Q/incoming")
reply_bytes_are "OK $id\n" "without early-id: the one line \"OK queue-id\""
queued
# The ID comes before any content is sent, while the file is in tmp/
# (or open without a name in tmp/'s file system, where O_TMPFILE is).
rm -f "$T/fifo"
mkfifo "$T/fifo"
: > "$T/reply"
timeout 20 "$CLEANUP" -c "$T/etc" < "$T/fifo" > "$T/reply" 2>"$T/err" &
pid=$!
exec 4> "$T/fifo"
printf 'F early-id\nS a@example.org\nR - - b@example.org\n' >&4
i=0
while [ ! -s "$T/reply" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
early=$(cat "$T/reply")
ntmp=$(ls "$Q/tmp" | wc -l | tr -d ' ')
if [ "$ntmp" = 0 ]; then
	# unnamed (O_TMPFILE): cleanup holds "tmp/#INODE (deleted)" open
	for c in $(pgrep -P $pid); do
		for f in /proc/$c/fd/*; do
			readlink "$f"
		done
	done > "$T/fds" 2>/dev/null
	ntmp=$(grep -c '/tmp/#[0-9]* (deleted)$' "$T/fds")
fi
printf 'D 3\nhi\nE\n' >&4
exec 4>&-
wait $pid
id=$(ls "$Q/incoming")
tap_is "$early/$ntmp" "ID $id/1" \
    "early-id: the ID before the content, with the file begun in tmp/"
reply_bytes_are "ID $id\nOK $id\n" "early-id: then OK with the same ID"
queued
# Refused at S: the final answer instead of the ID, the rest dropped.
: > "$T/maillog"
submit 'F early-id\nS -oops\nR - - b@example.org\n' "$T/m1"
reply_bytes_are "PERM 5.1.7 sender address begins with '-': -oops\n" \
    "early-id, a sender refused after S: the final answer, alone"
tap_is "$rc/$(empty_queue && echo empty)" "0/empty" \
    "... exit 0, nothing left"
tap_is "$(sed -n 's/.*cleanup\[[0-9]*\]: //p' "$T/maillog")" \
    "warning: NOQUEUE: reject: 5.1.7 sender address begins with '-': -oops" \
    "... one log line: the rest of the input is dropped quietly"
# ... and a submitter that then stops without E: no more lines
: > "$T/maillog"
printf 'F early-id\nS -oops\n' | timeout 20 "$CLEANUP" -c "$T/etc" > "$T/reply"
tap_is "$?/$(cat "$T/reply")/$(grep -c 'cleanup\[' "$T/maillog")" \
    "0/PERM 5.1.7 sender address begins with '-': -oops/1" \
    "early-id, no E after a refusal: exit 0, one answer, one log line"
# Refused later: the ID, then the refusal, logged with that ID.
: > "$T/maillog"
submit 'F early-id\nS a@example.org\n' "$T/m1"
id=$(sed -n '1s/^ID //p' "$T/reply")
reply_bytes_are "ID $id\nPERM 5.1.3 No recipients specified\n" \
    "early-id, no recipients: the ID, then PERM 5.1.3"
tap_is "$(empty_queue && echo empty)/$(sed -n 's/.*cleanup\[[0-9]*\]: //p' "$T/maillog")" \
    "empty/warning: $id: reject: 5.1.3 No recipients specified" \
    "... nothing left; the log line names the ID"

# --- 59-62: several messages on one input --------------------------------
: > "$T/maillog"
printf 'F early-id\nS one@example.org\nA envid=first\nR SUCCESS - b@example.org\nD 33\nSubject: 1\nBcc: c@example.org\n\nx\nE\nF early-id\nS two@example.org\nR - - d@example.org\nD 14\nSubject: 2\n\ny\nE\n' |
    timeout 20 "$CLEANUP" -c "$T/etc" > "$T/reply" 2>"$T/err"
rc=$?
set -- $(ls "$Q/incoming")
tap_is "$rc/$#/$(sed 's/ [0-9A-F]*$/ X/' "$T/reply" | tr '\n' ' ')" \
    "0/2/ID X OK X ID X OK X " \
    "two messages on one input: exit 0, two answers, two queue files"
f2=$(grep -l '^S two@' "$Q"/incoming/*)
sed -e '2s/^T .*/T X/' "$f2" > "$T/got"
printf 'postlet-queue 1\nT X\nS two@example.org\nR P - - d@example.org\nE 00000000000000000014 00000000000000000012\nSubject: 2\n\ny\nEND\n' > "$T/want"
tap_file_is "$T/got" "$T/want" \
    "... the second file has nothing of the first (DSN, recipient, Bcc)"
rm -f "$Q"/incoming/*
printf 'S one@example.org\nR - - b@example.org\nD 3\nx\n\nE\nS two@example.org\nR - - b@example.org\nD 3\nz\n' |
    timeout 20 "$CLEANUP" -c "$T/etc" > "$T/reply" 2>"$T/err"
rc=$?
tap_is "$rc/$(ls "$Q/incoming" | wc -l | tr -d ' ')/$(sed 's/ [0-9A-F]*$/ X/' "$T/reply" | tr '\n' ' ')" \
    "0/1/OK X TEMP 4.3.0 protocol error: end of input inside content (record D) " \
    "a second message cut short: the first queued, the second refused"
rm -f "$Q"/incoming/*
tap_ok "$(empty_queue; echo $?)" "... and nothing of it left in tmp/" ||
    tap_diag "$(ls -R "$Q/tmp" "$Q/incoming")"

# --- 63-66: the qmgr wake-up ---------------------------------------------
submit 'S a\nR - - b\n' "$T/m1"
tap_ok "$rc" "no FIFO: still OK, exit 0"
queued
mkfifo "$Q/public/qmgr"
# Opened read-write, the FIFO has a reader without blocking the shell.
exec 3<> "$Q/public/qmgr"
submit 'S a\nR - - b\n' "$T/m1"
tap_is "$(cut -c1-3 "$T/reply")" "OK " "FIFO: OK"
tap_is "$(timeout 5 dd bs=1 count=1 <&3 2>/dev/null | wc -c | tr -d ' ')" 1 \
    "FIFO: qmgr got one byte"
exec 3<&-
queued
tap_ok $? "FIFO: the message was queued"

tap_done
