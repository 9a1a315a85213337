#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 175-pipe.t: the pipe delivery agent, driven directly through the
# delivery agent protocol (lib/agent.h) on queue files written by the book
# (docs/queue.5), with a test command that writes its arguments (NUL
# separated), its standard input, its uid and its working directory to
# files that are compared byte for byte:
#  - argv= words expanded one by one: hostile addresses (blanks, quotes,
#    $(...), backquotes, ';', a leading '-') arrive as single literal
#    arguments, never through a shell; ${recipient} gives one argument
#    per recipient; the other macros;
#  - exit status: 0 delivered, 75 deferred, 67 bounced with the output in
#    the text, a leading 5.x.x in the output; the time limit
#    (TRANSPORT_time_limit); size=; flags D R F O . > B, eol=,
#    null_sender=; D with two recipients and D's loop detection;
#  - user=root refused (fatal, exit 78).
# Not root, pipe runs as ourselves with user= ourselves.  As root, pipe
# runs as root with user= a test user made with useradd, and the command
# must run as that user; a last part then runs the real pipeline (as
# 110-root-delivery.t does) with a test mail_owner: qmgr gets pipe from
# its privileged spawner, and the command runs as user=.
. "$(dirname "$0")/../lib.sh"

ROOTN=5
N=$((35 + ROOTN))
tap_plan $N

P=$(postlet_bin pipe) || tap_bail "$P"
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $N "python3 not installed"
	tap_done
fi
unset MAIL_CONFIG
T=$TAP_TMP
chmod 755 "$T"
if [ "$(id -u)" -eq 0 ]; then
	if ! command -v useradd >/dev/null 2>&1; then
		tap_skip $N "useradd missing"
		tap_done
	fi
	TU=plp$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	if ! useradd -M -U -d /nonexistent -s /bin/false "$TU" \
	    >/dev/null 2>&1; then
		tap_skip $N "useradd failed"
		tap_done
	fi
	trap 'userdel "$TU" >/dev/null 2>&1; tap_cleanup' EXIT
	RUSER=$TU
	cp "$P" "$T/pipe" && chmod 755 "$T/pipe"
	P=$T/pipe
else
	RUSER=$(id -un)
fi
RUID=$(id -u "$RUSER")
Q=$T/q
C=$T/etc
O=$T/out
mkdir -p "$Q/active" "$C" "$O"
chmod 755 "$Q"
chmod 777 "$O"
cat > "$C/main.cf" <<EOF
queue_directory = $Q
maillog_file = $T/log
recipient_delimiter = +
mypipe_time_limit = 2s
EOF

# The command: its argv (NUL separated), stdin, uid and working
# directory into $O; it prints $O/say and exits with $O/exit (0).
cat > "$T/cmd.sh" <<EOF
#!/bin/sh
for a in "\$@"; do printf '%s\\0' "\$a"; done > "$O/argv"
cat > "$O/stdin"
id -u > "$O/uid"
pwd > "$O/cwd"
[ -f "$O/sleep" ] && sleep "\$(cat "$O/sleep")"
[ -f "$O/say" ] && cat "$O/say"
[ -f "$O/exit" ] && exit "\$(cat "$O/exit")"
exit 0
EOF
chmod 755 "$T/cmd.sh"

# mkq ID SENDER CONTENTFILE RCPT...: a queue file in active/ID, with
# client attributes.
cat > "$T/mkq.py" <<'PY'
import os, sys
d, qid, sender, content = sys.argv[1:5]
env = b"postlet-queue 1\nT 1700000000.000000\n"
env += b"S " + sender.encode() + b"\n"
env += b"A client_address=192.0.2.7\nA client_name=c.example\n"
for r in sys.argv[5:]:
    env += b"R P - - " + r.encode() + b"\n"
body = open(content, "rb").read()
hl = body.find(b"\n\n")
hl = len(body) if hl < 0 else hl + 2
env += b"E %020d %020d\n" % (len(body), hl)
with open(os.path.join(d, "active", qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
mkq() { python3 "$T/mkq.py" "$Q" "$@"; }
# nul WORD...: the words NUL terminated, as the command writes them
nul() {
	for w in "$@"; do
		printf '%s\0' "$w"
	done
}
# run ID RCPTS... -- ATTRS...: one job with recipients 0.. on pipe's
# stdin; answers in $T/ans, exit status in $rc
run() {
	id=$1
	shift
	{
		printf 'J %s active/%s\nN Next.Example\n' "$id" "$id"
		i=0
		while [ "$1" != "--" ]; do
			printf 'R %s %s\n' "$i" "$1"
			i=$((i + 1))
			shift
		done
		printf 'G\n'
	} > "$T/job"
	shift
	rm -f "$O/argv" "$O/stdin" "$O/uid" "$O/cwd"
	"$P" -c "$C" "$@" < "$T/job" > "$T/ans" 2> "$T/err"
	rc=$?
}
answers() { tr '\n' '|' < "$T/ans"; }

printf 'Subject: t\nFrom: a@example.org\n\nFrom here\n.dot\nend\n' \
    > "$T/msg"
S='we ird"snd@example.org'
R1='x y;$(touch /tmp/pwn)`id`@example.org'
R2='-rf@example.org'
R3="quo'te\"d@example.org"

# --- 1-6: hostile addresses stay single literal arguments ------------------
mkq 06553F100000000A1 "$S" "$T/msg" "$R1" "$R2" "$R3"
run 06553F100000000A1 "$R1" "$R2" "$R3" -- user="$RUSER" \
    argv="$T/cmd.sh" -f '${sender}' -- '${recipient}'
tap_is "$rc:$(answers)" "0:0 D 2.0.0 delivered via pipe service|1 D 2.0.0 delivered via pipe service|2 D 2.0.0 delivered via pipe service|.|" \
    "three recipients delivered in one run" || tap_diag "$(cat "$T/err")"
nul -f "$S" -- "$R1" "$R2" "$R3" > "$T/want"
tap_file_is "$O/argv" "$T/want" \
    "argv: sender and each recipient one literal argument"
tap_ok "$([ ! -e /tmp/pwn ]; echo $?)" "no command substitution happened"
tap_is "$(cat "$O/uid")" "$RUID" "the command ran as user= ($RUSER)"
tap_is "$(cat "$O/cwd")" "$Q" "its working directory: queue_directory"
printf 'Subject: t\nFrom: a@example.org\n\nFrom here\n.dot\nend\n' \
    > "$T/want"
tap_file_is "$O/stdin" "$T/want" "no flags: the message unchanged"

# --- 7-8: the other macros, in one word; per-recipient words ---------------
mkq 06553F100000000A2 '' "$T/msg" 'Joe+Tag@Sub.Example.ORG' 'b@x.example'
run 06553F100000000A2 'Joe+Tag@Sub.Example.ORG' 'b@x.example' -- \
    user="$RUSER" flags=hu argv="$T/cmd.sh" \
    'n=${nexthop} q=${queue_id} s=${size} c=${client_address}/${client_hostname} a=${sasl_username}.' \
    's=${sender}' 'u=${user} e=${extension} d=${domain} m=${mailbox} o=${original_recipient} $$5'
nul 'n=next.example q=06553F100000000A2 s=51 c=192.0.2.7/c.example a=.' \
    's=MAILER-DAEMON' \
    'u=joe e=tag d=sub.example.org m=joe+tag o=joe+tag@sub.example.org $5' \
    'u=b e= d=x.example m=b o=b@x.example $5' > "$T/want"
tap_file_is "$O/argv" "$T/want" \
    "macros; h and u fold case; a per-recipient word per recipient"
run 06553F100000000A2 'Joe+Tag@Sub.Example.ORG' -- user="$RUSER" \
    flags=q null_sender= argv="$T/cmd.sh" '${sender}' '${recipient}'
nul '' 'Joe+Tag@Sub.Example.ORG' > "$T/want"
tap_file_is "$O/argv" "$T/want" \
    "null_sender= gives an empty argument; no folding without h, u"

# --- 9-12: exit statuses ---------------------------------------------------
mkq 06553F100000000A3 a@example.org "$T/msg" r@example.org
echo 75 > "$O/exit"
run 06553F100000000A3 r@example.org -- user="$RUSER" argv="$T/cmd.sh"
tap_is "$(answers)" "0 T 4.3.0 command died with status 75 (temporary failure): \"$T/cmd.sh\"|.|" \
    "exit 75: deferred"
echo 67 > "$O/exit"
printf 'no such\nuser here\n' > "$O/say"
run 06553F100000000A3 r@example.org -- user="$RUSER" argv="$T/cmd.sh"
tap_is "$(answers)" "0 P 5.1.1 command died with status 67 (user unknown): \"$T/cmd.sh\". Command output: no such user here|.|" \
    "exit 67: bounced, with the command's output"
printf '5.7.1 go away\n' > "$O/say"
echo 1 > "$O/exit"
run 06553F100000000A3 r@example.org -- user="$RUSER" argv="$T/cmd.sh"
tap_is "$(answers)" "0 P 5.7.1 command died with status 1 (unknown mail system error): \"$T/cmd.sh\". Command output: 5.7.1 go away|.|" \
    "a leading 5.7.1 in the output wins"
echo 0 > "$O/exit"
printf 'queued as 42\n' > "$O/say"
run 06553F100000000A3 r@example.org -- user="$RUSER" argv="$T/cmd.sh"
tap_is "$(answers)" "0 D 2.0.0 delivered via pipe service (queued as 42)|.|" \
    "exit 0: delivered, the output shown"
rm -f "$O/say" "$O/exit"

# --- 13-14: the time limit ---------------------------------------------------
cat > "$C/master.cf" <<EOF
mypipe unix - n n - - pipe user=$RUSER argv=$T/cmd.sh
EOF
echo 30 > "$O/sleep"
t0=$(date +%s)
run 06553F100000000A3 r@example.org -- user="$RUSER" argv="$T/cmd.sh"
t1=$(date +%s)
rm -f "$O/sleep"
tap_is "$(answers)" "0 P 5.3.0 command time limit exceeded: \"$T/cmd.sh\"|.|" \
    "mypipe_time_limit = 2s: killed, bounced (5.3.0)"
tap_ok "$([ $((t1 - t0)) -lt 15 ]; echo $?)" \
    "the command was killed within the limit ($((t1 - t0))s)"

# --- 15-16: the service name from master.cf ---------------------------------
run 06553F100000000A3 r@example.org -- user="$RUSER" argv="$T/cmd.sh"
tap_is "$(answers)" "0 D 2.0.0 delivered via mypipe service|.|" \
    "the service is named as in master.cf"
run 06553F100000000A3 r@example.org -- user="$RUSER" size=51 \
    argv="$T/cmd.sh"
tap_is "$(answers)" "0 D 2.0.0 delivered via pipe service|.|" \
    "size=51: a 51-byte message goes (another service line: pipe)"

# --- 17: size= -----------------------------------------------------------
run 06553F100000000A3 r@example.org -- user="$RUSER" size=50 \
    argv="$T/cmd.sh"
tap_is "$(answers):$([ -e "$O/argv" ]; echo $?)" \
    "0 P 5.2.3 message too large|.|:1" "size=50: bounced, not run"

# --- 18-25: flags ------------------------------------------------------------
mkq 06553F100000000A4 's p@example.org' "$T/msg" 'Rcpt@Example.ORG'
run 06553F100000000A4 'Rcpt@Example.ORG' -- user="$RUSER" flags=DROF.\> \
    argv="$T/cmd.sh"
tap_is "$(answers)" "0 D 2.0.0 delivered via pipe service|.|" "flags=DROF.>"
python3 - "$O/stdin" > "$T/got" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
m = re.match(rb'From "s p"@example\.org  [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}\n', d)
sys.stdout.buffer.write(b"FROM_OK\n" + d[m.end():] if m else d)
PY
{
	printf 'FROM_OK\nReturn-Path: <"s p"@example.org>\n'
	printf 'X-Original-To: Rcpt@Example.ORG\n'
	printf 'Delivered-To: rcpt@example.org\n'
	printf 'Subject: t\nFrom: a@example.org\n\n>From here\n..dot\nend\n'
} > "$T/want"
tap_file_is "$T/got" "$T/want" \
    "F From_ line, R, O, D (lowercased), . dot-stuffed, > quoted, in order"
run 06553F100000000A4 'Rcpt@Example.ORG' -- user="$RUSER" flags=B \
    'eol=\r\n' argv="$T/cmd.sh"
printf 'Subject: t\r\nFrom: a@example.org\r\n\r\nFrom here\r\n.dot\r\nend\r\n\r\n' \
    > "$T/want"
tap_file_is "$O/stdin" "$T/want" 'eol=\r\n and B: CRLF lines, a blank line added'
run 06553F100000000A4 'Rcpt@Example.ORG' -- user="$RUSER" flags=R \
    null_sender=bounces argv="$T/cmd.sh"
head -n 1 "$O/stdin" > "$T/got"
printf 'Return-Path: <"s p"@example.org>\n' > "$T/want"
tap_file_is "$T/got" "$T/want" "null_sender= does not touch a real sender"
mkq 06553F100000000A5 "" "$T/msg" 'r@example.org' 'r2@example.org'
run 06553F100000000A5 'r@example.org' 'r2@example.org' -- user="$RUSER" \
    flags=D argv="$T/cmd.sh"
tap_is "$(answers):$([ -e "$O/argv" ]; echo $?)" \
    "0 T 4.3.5 mail system configuration error|1 T 4.3.5 mail system configuration error|.|:1" \
    "flag D with two recipients: deferred, not run"
grep -q "warning: 06553F100000000A5: flags D and O need pipe_destination_recipient_limit = 1" "$T/log"
tap_ok $? "and a warning says what to set" || tap_diag "$(tail -n 3 "$T/log")"
printf 'Delivered-To: R@example.org\nSubject: loop\n\nx\n' > "$T/msg2"
mkq 06553F100000000A6 a@example.org "$T/msg2" 'r@example.org'
run 06553F100000000A6 'r@example.org' -- user="$RUSER" flags=D \
    argv="$T/cmd.sh"
tap_is "$(answers):$([ -e "$O/argv" ]; echo $?)" \
    "0 P 5.4.6 mail forwarding loop for r@example.org|.|:1" \
    "flag D: a Delivered-To already there is a loop (5.4.6)"
run 06553F100000000A6 'r@example.org' -- user="$RUSER" flags=R \
    null_sender=bounces argv="$T/cmd.sh" '${sender}'
mkq 06553F100000000A7 "" "$T/msg" 'r@example.org'
run 06553F100000000A7 'r@example.org' -- user="$RUSER" flags=R \
    null_sender=bounces argv="$T/cmd.sh" '${sender}'
{ head -n 1 "$O/stdin"; nul bounces; } > "$T/got"
{ printf 'Return-Path: <bounces>\n'; nul bounces; } > "$T/want"
tap_file_is "$T/got" "$T/want" "null_sender=bounces: in Return-Path and \${sender}"

# --- 26-31: configuration errors are fatal ---------------------------------
run 06553F100000000A3 r@example.org -- user=root argv="$T/cmd.sh"
tap_is "$rc:$(cat "$T/ans")" "78:" "user=root: exit 78 (EX_CONFIG), no answer"
grep -q "fatal: service pipe: user= command attribute root specifies root privileges" "$T/log"
tap_ok $? "user=root: the fatal log line" || tap_diag "$(tail -n 2 "$T/log")"
run 06553F100000000A3 r@example.org -- user="$RUSER"
tap_is "$rc" 78 "no argv=: exit 78"
run 06553F100000000A3 r@example.org -- argv="$T/cmd.sh"
tap_is "$rc" 78 "no user=: exit 78"
run 06553F100000000A3 r@example.org -- user="$RUSER" argv=cmd.sh
tap_is "$rc" 78 "argv= not an absolute path: exit 78"
run 06553F100000000A3 r@example.org -- user="$RUSER" flags=Z \
    argv="$T/cmd.sh"
tap_is "$rc" 78 "an unknown flag: exit 78"

# --- 32-33: a command that does not exist; a bad working directory ----------
run 06553F100000000A3 r@example.org -- user="$RUSER" argv="$T/nosuch"
tap_is "$(answers)" "0 T 4.3.0 cannot run command \"$T/nosuch\": execve: No such file or directory|.|" \
    "a missing command defers"
run 06553F100000000A3 r@example.org -- user="$RUSER" \
    directory="$T/nodir" argv="$T/cmd.sh"
tap_is "$(answers)" "0 T 4.3.0 cannot run command \"$T/cmd.sh\": cannot change to directory $T/nodir: No such file or directory|.|" \
    "directory= that does not exist defers"

# --- 34-35: a bad job, the end of input ---------------------------------------
printf 'J 06553F100000000A3 ../etc/x\nN x\nR 0 r@example.org\nG\n' > "$T/job"
"$P" -c "$C" user="$RUSER" argv="$T/cmd.sh" < "$T/job" > "$T/ans" 2>&1
rc=$?
tap_is "$rc:$(answers)" "0:0 T 4.3.0 bad queue file name in job: ../etc/x|.|" \
    "a queue file outside the queue: deferred"
"$P" -c "$C" user="$RUSER" argv="$T/cmd.sh" < /dev/null > "$T/ans" 2>&1
tap_is "$?:$(cat "$T/ans")" "0:" "end of input: exit 0"

# --- 36-40: as root, through qmgr's privileged spawner -------------------------
# sendmail into maildrop/, pickup -x, then qmgr -x as a test mail_owner,
# which gets pipe (unpriv n) from its spawner as root; pipe must run the
# command as user= (the test user).
if [ -z "${TU:-}" ]; then
	tap_skip $ROOTN "the privileged spawner needs root"
	tap_done
fi
MO=plq$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
if ! useradd -M -U -d /nonexistent -s /bin/false "$MO" >/dev/null 2>&1
then
	tap_skip $ROOTN "useradd failed"
	tap_done
fi
trap 'userdel "$TU" >/dev/null 2>&1; userdel "$MO" >/dev/null 2>&1;
    getent group "$MO" >/dev/null 2>&1 && groupdel "$MO" >/dev/null 2>&1;
    tap_cleanup' EXIT
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
R=$T/root
mkdir -p "$R/etc" "$R/nocmd"
cat > "$R/etc/main.cf" <<EOF
queue_directory = $R/q
daemon_directory = $B
command_directory = $R/nocmd
mail_owner = $MO
setgid_group = $MO
maillog_file = $R/log
myhostname = host.example
mydestination = host.example
default_transport = mypipe
mypipe_destination_recipient_limit = 1
EOF
cat > "$R/etc/master.cf" <<EOF
mypipe unix - n n - - pipe flags=R user=$TU
    argv=$T/cmd.sh -f \${sender} -- \${recipient}
EOF
"$B/postlet" -c "$R/etc" start > /dev/null 2>&1
i=0
while [ ! -d "$R/q/maildrop" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$B/postlet" -c "$R/etc" stop > /dev/null 2>&1
i=0
while [ -s "$R/q/pid/master.pid" ] &&
    kill -0 "$(cat "$R/q/pid/master.pid")" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
rm -f "$O/argv" "$O/stdin" "$O/uid"
printf 'Subject: spawned\n\nvia the spawner\n' |
    "$B/sendmail" -C "$R/etc" -f '"a b"@host.example' -i \
    '"x;y"@remote.example' 2> "$T/sm.err"
tap_is "$?" 0 "root: sendmail to a remote address exits 0"
"$B/pickup" -c "$R/etc" -x > /dev/null 2>&1 &&
    "$B/qmgr" -c "$R/etc" -x > "$T/q.out" 2>&1
tap_is "$?" 0 "root: pickup -x and qmgr -x exit 0" ||
    tap_diag "$(cat "$T/q.out")"
tap_is "$(cat "$O/uid" 2>/dev/null)" "$RUID" \
    "root: qmgr's spawner ran pipe, which ran the command as user="
nul -f 'a b@host.example' -- 'x;y@remote.example' > "$T/want"
tap_file_is "$O/argv" "$T/want" "root: the command's arguments"
grep -q "to=<x;y@remote.example>, relay=mypipe, .*dsn=2\.0\.0, status=sent (delivered via mypipe service)" "$R/log"
tap_ok $? "root: qmgr logged status=sent (delivered via mypipe service)" ||
    tap_diag "$(tail -n 10 "$R/log")"

tap_done
