#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 060-sendmail.t: sendmail(1) and postdrop(1) into a queue in a temporary
# directory: the maildrop file they write (envelope records and content,
# byte for byte), line ends and the "." line with and without -i, cron's
# command line, -t, -f/-r, -N/-R/-V/-B, usage errors, the size limit,
# postdrop failing (the caller gets 75 and a reason, nothing is left
# half queued), and the mailq/newaliases/-bp/-q dispatch.

. "$(dirname "$0")/../lib.sh"

SM=$(postlet_bin sendmail) || tap_bail "$SM"
PD=$(postlet_bin postdrop) || tap_bail "$PD"
PL=$(postlet_bin postlet) || tap_bail "$PL"
unset MAIL_CONFIG
C=$TAP_TMP/etc
Q=$TAP_TMP/q
mkdir -p "$C" "$Q/maildrop" "$Q/public" "$TAP_TMP/cmd" "$TAP_TMP/bin"
# A postlet that records how it was called, then runs the real one.
cat > "$TAP_TMP/cmd/postlet" <<EOS
#!/bin/sh
printf '%s\n' "\$*" >> "$TAP_TMP/postlet.args"
exec "$PL" "\$@"
EOS
chmod 755 "$TAP_TMP/cmd/postlet"
cat > "$C/main.cf" <<EOS
queue_directory = $Q
daemon_directory = $POSTLET_BUILD/bin
command_directory = $TAP_TMP/cmd
maillog_file = $TAP_TMP/maillog
message_size_limit = 1000
alias_maps = cdb:$C/aliases
EOS
me=$(id -un)
uid=$(id -u)

# drop_is NAME WANT...: exactly one valid maildrop file, whose bytes
# without the T line (checked apart) are printf WANT; the file is then
# removed for the next check.
drop_is() {
	name=$1
	shift
	# shellcheck disable=SC2059
	printf "$@" > "$TAP_TMP/want"
	set -- "$Q"/maildrop/*
	if [ $# -ne 1 ] || [ ! -f "$1" ]; then
		tap_ok 1 "$name"
		tap_diag "maildrop holds: $(ls "$Q/maildrop")"
		return
	fi
	f=$1
	id=${f##*/}
	if ! printf '%s\n' "$id" | grep -Eq '^[0-9A-F]{15,30}$' ||
	    ! sed -n 2p "$f" | grep -Eq '^T [0-9]+\.[0-9]{6}$'; then
		tap_ok 1 "$name"
		tap_diag "bad name $id or T line: $(sed -n 2p "$f")"
		rm -f "$f"
		return
	fi
	sed 2d "$f" > "$TAP_TMP/got"
	tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "$name"
	rm -f "$f"
}
# empty NAME: maildrop/ holds nothing at all (no temporary file either).
empty() {
	n=$(find "$Q/maildrop" -mindepth 1 | wc -l)
	tap_is "$n" 0 "$1"
}
# sm ARGS...: sendmail -C $C ARGS with $TAP_TMP/in on stdin; status in
# $rc, stderr in $TAP_TMP/err.
sm() {
	"$SM" -C "$C" "$@" < "$TAP_TMP/in" > "$TAP_TMP/out" 2> "$TAP_TMP/err"
	rc=$?
}

tap_plan 39

# 1-3: the core path, CRLF to LF, the "." line ends the message.
printf 'Subject: t\r\n\r\nline1\r\n..two dots\r\nbare\rcr\r\n.\r\nafter\r\n' \
    > "$TAP_TMP/in"
sm user@example.org
tap_is "$rc" 0 "sendmail exits 0"
tap_is "$(cat "$TAP_TMP/err")" "" "nothing on stderr"
drop_is "maildrop file: envelope and content, CRLF to LF, '.' ends" \
    "postlet-queue 1\nS $me\nA submit_uid=$uid\nA submit_user=$me\nR P - - user@example.org\nE 00000000000000000037 00000000000000000012\nSubject: t\n\nline1\n..two dots\nbare\rcr\nEND\n"

# 4-5: -i keeps the "." line; a last line without LF gets one.
printf 'Subject: t\n\n.\nafter\n.\nlast' > "$TAP_TMP/in"
sm -i user@example.org
tap_is "$rc" 0 "-i: exit 0"
drop_is "-i: '.' lines are content, last line completed" \
    "postlet-queue 1\nS $me\nA submit_uid=$uid\nA submit_user=$me\nR P - - user@example.org\nE 00000000000000000027 00000000000000000012\nSubject: t\n\n.\nafter\n.\nlast\nEND\n"

# 6-7: -oi is -i; "." at the very end without LF ends the message.
printf 'a\n.\nb\n' > "$TAP_TMP/in"
sm -oi user
drop_is "-oi is -i" \
    "postlet-queue 1\nS $me\nA submit_uid=$uid\nA submit_user=$me\nR P - - user\nE 00000000000000000006 00000000000000000006\na\n.\nb\nEND\n"
printf 'a\n.' > "$TAP_TMP/in"
sm user
drop_is "a final '.' without LF ends the message too" \
    "postlet-queue 1\nS $me\nA submit_uid=$uid\nA submit_user=$me\nR P - - user\nE 00000000000000000002 00000000000000000002\na\nEND\n"

# 8-9: cron's exact command line.
printf 'Subject: cron\n\nout\n' > "$TAP_TMP/in"
sm -i -FCronDaemon -B8BITMIME -oem user
tap_is "$rc" 0 "cron's command line: exit 0"
drop_is "cron: recipient, full name and body type kept" \
    "postlet-queue 1\nS $me\nA submit_uid=$uid\nA submit_user=$me\nA full_name=CronDaemon\nA body_type=8BITMIME\nR P - - user\nE 00000000000000000019 00000000000000000015\nSubject: cron\n\nout\nEND\n"

# 10-11: -t without operands; options after the operands, separate
# arguments, "--".
printf 'To: a@example.org\n\nx\n' > "$TAP_TMP/in"
sm -t
tap_is "$rc" 0 "-t without recipients: exit 0"
drop_is "-t: flags=extract and no R record" \
    "postlet-queue 1\nS $me\nA submit_uid=$uid\nA submit_user=$me\nA flags=extract\nE 00000000000000000021 00000000000000000019\nTo: a@example.org\n\nx\nEND\n"
sm -f '<sender@example.org>' -- one@example.org 'Two <two@example.org>, three' 
drop_is "-f <addr>, '--', an operand with a display name and a list" \
    "postlet-queue 1\nS sender@example.org\nA submit_uid=$uid\nA submit_user=$me\nR P - - one@example.org\nR P - - two@example.org\nR P - - three\nE 00000000000000000021 00000000000000000019\nTo: a@example.org\n\nx\nEND\n"
sm one@example.org -r '' -t
drop_is "-r '' is the null sender; options after operands; -t adds" \
    "postlet-queue 1\nS \nA submit_uid=$uid\nA submit_user=$me\nA flags=extract\nR P - - one@example.org\nE 00000000000000000021 00000000000000000019\nTo: a@example.org\n\nx\nEND\n"
sm -f x@example.org -N success,DELAY -R hdrs -V 'env id+1' -ti a@example.org
drop_is "-N, -R, -V (as xtext) land in their records" \
    "postlet-queue 1\nS x@example.org\nA submit_uid=$uid\nA submit_user=$me\nA flags=extract\nA envid=env+20id+2B1\nA ret=HDRS\nR P SUCCESS,DELAY - a@example.org\nE 00000000000000000021 00000000000000000019\nTo: a@example.org\n\nx\nEND\n"

# 15-22: usage errors, nothing queued.
sm -Z user
tap_is "$rc" 64 "unknown option: exit 64"
tap_ok "$(grep -c 'unknown option -- Z' "$TAP_TMP/err" | grep -qx 1; echo $?)" \
    "unknown option: named on stderr"
sm -N sometimes user
tap_is "$rc" 64 "bad -N value: exit 64"
sm -R body user
tap_is "$rc" 64 "bad -R value: exit 64"
sm -f
tap_is "$rc" 64 "-f without its argument: exit 64"
sm -i
tap_is "$rc" 64 "no recipients and no -t: exit 64"
sm -bz user
tap_is "$rc" 64 "unknown -b mode: exit 64"
empty "usage errors queue nothing"

# 23-25: -bs runs smtpd on standard input and output, which queues
# through postdrop as this user; -bv queues the message, flagged verify.
printf 'EHLO me\r\nMAIL FROM:<me@x.example>\r\nRCPT TO:<user@example.org>\r\nDATA\r\nSubject: s\r\n\r\n..hi\r\n.\r\nQUIT\r\n' > "$TAP_TMP/in"
sm -bs
tap_is "$rc" 0 "-bs: an SMTP session on stdin/stdout, exit 0"
set -- "$Q"/maildrop/*
id=${1##*/}
if tr -d '\r' < "$TAP_TMP/out" | grep -qx "250 2.0.0 Ok: queued as $id" &&
    sed -n '4,6p' "$1" | tr '\n' '|' | grep -qx "A submit_uid=$uid|A submit_user=$me|R P - - user@example.org|" &&
    tail -n 5 "$1" | tr '\n' '|' | grep -q "for <user@example.org>; .*|Subject: s||\.hi|END|\$"; then
	tap_ok 0 "-bs: queued as the maildrop file, with submit_uid, Received, unstuffed content"
else
	tap_ok 1 "-bs: queued as the maildrop file, with submit_uid, Received, unstuffed content"
	tap_diag "$(cat "$TAP_TMP/out" "$TAP_TMP/err" "$@")"
fi
rm -f "$Q"/maildrop/*
printf 'Subject: v\n\nx\n' > "$TAP_TMP/in"
sm -bv user
drop_is "-bv: queued with flags=verify (qmgr verifies, bounce reports)" \
    "postlet-queue 1\nS $me\nA submit_uid=$uid\nA submit_user=$me\nA flags=verify\nR P - - user\nE 00000000000000000014 00000000000000000012\nSubject: v\n\nx\nEND\n"

# 26-28: message_size_limit (1000 here): 1000 bytes pass, 1001 do not.
awk 'BEGIN { for (i = 0; i < 99; i++) print "123456789"; printf "12345678\n" }' \
    > "$TAP_TMP/in"
sm user
tap_is "$rc" 0 "a message of exactly message_size_limit bytes: exit 0"
rm -f "$Q"/maildrop/*
printf 'x\n' >> "$TAP_TMP/in"
sm user
tap_is "$rc" 65 "one byte more: exit 65 (EX_DATAERR)"
tap_ok "$(grep -q 'message file too big' "$TAP_TMP/err"; echo $?)" \
    "too big: the reason on stderr"
empty "too big: nothing left in maildrop/"

# 30-32: postdrop cannot write: the caller gets 75 and a reason.
printf 'Subject: x\n\nbody\n' > "$TAP_TMP/in"
mv "$Q/maildrop" "$Q/maildrop.away"
sm user
tap_is "$rc" 75 "maildrop missing: exit 75 (EX_TEMPFAIL)"
tap_ok "$(grep -q 'not queued: 4.3.0 cannot create a file in maildrop: No such file or directory' "$TAP_TMP/err"; echo $?)" \
    "maildrop missing: one-line reason" || tap_diag "$(cat "$TAP_TMP/err")"
mv "$Q/maildrop.away" "$Q/maildrop"
printf 'daemon_directory = %s/nowhere\n' "$TAP_TMP" > "$TAP_TMP/nopd.cf"
cat "$C/main.cf" "$TAP_TMP/nopd.cf" > "$TAP_TMP/main2.cf"
sm -C "$TAP_TMP/main2.cf" user
tap_is "$rc" 75 "postdrop missing: exit 75"
empty "postdrop failures queue nothing"

# 33-38: mailq, newaliases, -bp, -q, -bi by name and option.
ln -s "$SM" "$TAP_TMP/bin/mailq"
ln -s "$SM" "$TAP_TMP/bin/newaliases"
: > "$TAP_TMP/postlet.args"
MAIL_CONFIG=$C "$TAP_TMP/bin/mailq" > /dev/null 2>&1
"$SM" -C "$C" -bp > /dev/null 2>&1
"$SM" -C "$C" -q > /dev/null 2>&1
"$SM" -C "$C" -q30m > /dev/null 2>&1
tap_is "$(cat "$TAP_TMP/postlet.args")" "-c $C queue
-c $C queue
-c $C flush
-c $C flush" "mailq, -bp, -q, -q30m run postlet queue/flush"
printf 'root: admin\n' > "$C/aliases"
: > "$TAP_TMP/postlet.args"
MAIL_CONFIG=$C "$TAP_TMP/bin/newaliases" > "$TAP_TMP/out" 2>&1
tap_is "$?" 0 "newaliases: exit 0" || tap_diag "$(cat "$TAP_TMP/out")"
tap_is "$("$PL" -c "$C" alias -q root 2>&1)" admin \
    "newaliases built alias_maps"
printf 'root: admin2\n' > "$C/aliases"
"$SM" -C "$C" -bi > /dev/null 2>&1
tap_is "$("$PL" -c "$C" alias -q root 2>&1)" admin2 "-bi rebuilds it"
tap_is "$(cat "$TAP_TMP/postlet.args")" "-c $C alias
-c $C alias" "newaliases and -bi run postlet alias"
empty "dispatch queues nothing"

tap_done
