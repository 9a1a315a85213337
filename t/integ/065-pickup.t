#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 065-pickup.t: pickup(8) against a fake cleanup (a script that saves
# what it is sent and answers as told): the exact submission stream it
# replays from a maildrop file, OK removes the file, TEMP keeps it, PERM
# and garbage and a wrong owner go to corrupt/ with a log line, -t files
# without recipients, the daemon woken through its FIFO; and, when the
# real cleanup is built, sendmail -> postdrop -> pickup -> cleanup ->
# incoming/, and the files of one scan through one cleanup.

. "$(dirname "$0")/../lib.sh"

SM=$(postlet_bin sendmail) || tap_bail "$SM"
PD=$(postlet_bin postdrop) || tap_bail "$PD"
PU=$(postlet_bin pickup) || tap_bail "$PU"
unset MAIL_CONFIG
C=$TAP_TMP/etc
Q=$TAP_TMP/q
L=$TAP_TMP/libexec
mkdir -p "$C" "$L"
for d in maildrop public corrupt incoming tmp; do
	mkdir -p "$Q/$d"
done
ln -s "$PD" "$L/postdrop"
# The fake cleanup: saves its input up to the E record (no message here
# has a line "E" in its content), answers with the line in answer, and
# ends (pickup then starts a fresh one for the next file).
cat > "$L/cleanup" <<EOS
#!/bin/sh
while IFS= read -r l; do
	printf '%s\\n' "\$l"
	[ "\$l" = E ] && break
done > "$TAP_TMP/stream"
cat "$TAP_TMP/answer"
EOS
chmod 755 "$L/cleanup"
me=$(id -un)
uid=$(id -u)
cat > "$C/main.cf" <<EOS
queue_directory = $Q
daemon_directory = $L
command_directory = $L
maillog_file = $TAP_TMP/maillog
mail_owner = $me
EOS
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; fi; tap_cleanup' EXIT

# submit ARGS...: one message through sendmail with the input in $TAP_TMP/in.
submit() {
	"$SM" -C "$C" "$@" < "$TAP_TMP/in" > "$TAP_TMP/out" 2>&1 ||
	    tap_diag "sendmail failed: $(cat "$TAP_TMP/out")"
}
count() {
	find "$Q/$1" -mindepth 1 | wc -l | tr -d ' '
}
# logged TEXT: the maillog holds a line containing TEXT.
logged() {
	grep -F -q -- "$1" "$TAP_TMP/maillog"
}

tap_plan 29

# 1-5: the replayed stream, byte for byte; OK removes the file.
printf 'Subject: x\n\nhello\n' > "$TAP_TMP/in"
submit -F 'Joe Q' -N success -V id1 -R full -f s@example.org \
    a@example.org 'B <b@example.org>'
echo 'OK 0123456789ABCDE' > "$TAP_TMP/answer"
"$PU" -c "$C" -x
tap_is "$?" 0 "pickup -x: exit 0"
printf 'S s@example.org\nA submit_uid=%s\nA submit_user=%s\nA full_name=Joe Q\nA envid=id1\nA ret=FULL\nR SUCCESS - a@example.org\nR SUCCESS - b@example.org\nD 18\nSubject: x\n\nhello\nE\n' \
    "$uid" "$me" > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/stream" "$TAP_TMP/want" \
    "the stream to cleanup: envelope, D records, E"
tap_is "$(count maildrop)" 0 "OK: the maildrop file is removed"
logged "0123456789ABCDE: uid=$uid from=<s@example.org>"
tap_ok $? "OK: logged as ID: uid=N from=<sender>"
tap_is "$(count corrupt)" 0 "OK: nothing in corrupt/"

# 6-9: TEMP keeps the file, a later scan delivers it.
submit user
echo 'TEMP 4.3.0 try later' > "$TAP_TMP/answer"
"$PU" -c "$C" -x
tap_is "$(count maildrop)" 1 "TEMP: the file stays"
logged "cleanup: 4.3.0 try later; will try again"
tap_ok $? "TEMP: logged"
echo 'OK 0123456789ABCDF' > "$TAP_TMP/answer"
"$PU" -c "$C" -x
tap_is "$(count maildrop)" 0 "TEMP, then OK: removed"
logged "0123456789ABCDF: uid=$uid from=<$me>"
tap_ok $? "TEMP, then OK: logged"

# 10-12: PERM moves the file to corrupt/.
submit user
f=$(ls "$Q/maildrop")
echo 'PERM 5.3.4 message too big' > "$TAP_TMP/answer"
"$PU" -c "$C" -x
tap_is "$(count maildrop)" 0 "PERM: not in maildrop/"
tap_ok "$([ -f "$Q/corrupt/$f" ]; echo $?)" "PERM: moved to corrupt/"
logged "$f: queue file maildrop/$f is corrupt, moved to corrupt/$f: refused by cleanup: 5.3.4 message too big"
tap_ok $? "PERM: logged with cleanup's reason"

# 13-15: garbage with a queue ID's name; other names are left alone.
printf 'garbage\n' > "$Q/maildrop/0655000000000A1"
printf 'x' > "$Q/maildrop/README"
echo 'OK 0123456789ABCDE' > "$TAP_TMP/answer"
: > "$TAP_TMP/stream"
"$PU" -c "$C" -x
tap_ok "$([ -f "$Q/corrupt/0655000000000A1" ] &&
    [ -f "$Q/maildrop/README" ]; echo $?)" \
    "garbage: moved to corrupt/, other names skipped"
logged "0655000000000A1: queue file maildrop/0655000000000A1 is corrupt, moved to corrupt/0655000000000A1: offset 0: not a postlet queue file"
tap_ok $? "garbage: logged with the reason"
tap_is "$(cat "$TAP_TMP/stream")" "" "garbage: cleanup never saw it"
rm -f "$Q/maildrop/README"

# 16-17: a file whose owner is not its submit_uid (root only: chown).
if [ "$uid" -eq 0 ]; then
	submit user
	f=$(ls "$Q/maildrop")
	chown 1 "$Q/maildrop/$f"
	"$PU" -c "$C" -x
	tap_ok "$([ -f "$Q/corrupt/$f" ]; echo $?)" \
	    "wrong owner: moved to corrupt/"
	logged "moved to corrupt/$f: file owner uid=1 is not submit_uid=0"
	tap_ok $? "wrong owner: logged"
else
	tap_skip 2 "changing a file's owner needs root"
fi

# 18-19: sendmail -t without recipients.
printf 'To: a@example.org\n\nx\n' > "$TAP_TMP/in"
submit -t
"$PU" -c "$C" -x
printf 'F extract\nS %s\nA submit_uid=%s\nA submit_user=%s\nD 21\nTo: a@example.org\n\nx\nE\n' \
    "$me" "$uid" "$me" > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/stream" "$TAP_TMP/want" "-t: F extract, no R records"
tap_is "$(count maildrop)" 0 "-t: removed after OK"

# 20-22: the daemon wakes on a FIFO byte (the timer is an hour).
"$PU" -c "$C" -t 3600 &
pid=$!
i=0
while [ ! -p "$Q/public/pickup" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
tap_ok "$([ -p "$Q/public/pickup" ]; echo $?)" "daemon: creates its FIFO"
sleep 0.2
: > "$TAP_TMP/stream"
printf 'Subject: woken\n\nx\n' > "$TAP_TMP/in"
submit user
i=0
while [ "$(count maildrop)" -ne 0 ] && [ $i -lt 20 ]; do
	sleep 0.05
	i=$((i + 1))
done
tap_is "$(count maildrop)" 0 "daemon: the file is taken within a second"
tap_ok "$(grep -q '^Subject: woken$' "$TAP_TMP/stream"; echo $?)" \
    "daemon: cleanup got it"
kill "$pid"
wait "$pid" 2>/dev/null
pid=

# 23-25: -o name=value overrides main.cf (as master passes master.cf's
# -o settings); a bad one is a usage error.
printf 'Subject: o\n\nx\n' > "$TAP_TMP/in"
submit user
echo 'OK 0123456789ABCE0' > "$TAP_TMP/answer"
"$PU" -c "$C" -x -o "maillog_file=$TAP_TMP/maillog2"
tap_is "$?/$(count maildrop)" 0/0 "-x -o name=value: exit 0, file taken"
grep -F -q "0123456789ABCE0: uid=$uid" "$TAP_TMP/maillog2"
tap_ok $? "-o maillog_file: the log went to the overriding file"
"$PU" -c "$C" -x -o nonsense 2>/dev/null
tap_is "$?" 64 "-o without '=': exit 64"

# 26-27: the real cleanup, end to end.
CL=$POSTLET_BUILD/bin/cleanup
if [ -x "$CL" ]; then
	ln -sf "$CL" "$L/cleanup"
	printf 'myhostname = host.example.org\n' >> "$C/main.cf"
	printf 'Subject: e2e\n\nend to end\n' > "$TAP_TMP/in"
	submit user@example.org
	"$PU" -c "$C" -x
	tap_is "$(count maildrop)/$(count incoming)" 0/1 \
	    "sendmail, postdrop, pickup, cleanup: one file in incoming/" ||
	    tap_diag "$(tail -5 "$TAP_TMP/maillog")"
	tap_ok "$(grep -q 'user@example.org' "$Q"/incoming/* 2>/dev/null &&
	    grep -q '^end to end$' "$Q"/incoming/* 2>/dev/null; echo $?)" \
	    "end to end: recipient and body in the queue file"
	# 28-29: five files, one scan, one cleanup.
	rm -f "$Q"/incoming/*
	: > "$TAP_TMP/maillog"
	for i in 1 2 3 4 5; do
		printf 'Subject: burst %s\n\nx\n' "$i" > "$TAP_TMP/in"
		submit "user$i@example.org"
	done
	"$PU" -c "$C" -x
	tap_is "$(count maildrop)/$(count incoming)" 0/5 \
	    "five files in maildrop/: five queue files after one scan" ||
	    tap_diag "$(tail -5 "$TAP_TMP/maillog")"
	tap_is "$(sed -n 's/.*cleanup\[\([0-9]*\)\]: [0-9A-F]*: message-id=.*/\1/p' \
	    "$TAP_TMP/maillog" | sort -u | wc -l | tr -d ' ')" 1 \
	    "... all through one cleanup process"
else
	tap_skip 4 "cleanup is not built"
fi

tap_done
