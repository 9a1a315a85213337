#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 100-local.t: the local delivery agent, driven directly through the
# delivery agent protocol (lib/agent.h) on queue files written by the book
# (docs/queue.5).  Mailboxes are read back with Python's mailbox module
# and byte for byte: mbox (From_ line, >From quoting, appending), Maildir
# (new/, unique names), unknown users, recipient_delimiter, loop
# detection, locks held by others, mailbox_size_limit, mailboxes that
# are symbolic links, hard links or not writable, which are refused with
# nothing written, and jobs at once (jobs ahead) committed together,
# eight jobs at most.
#
# The first part runs local in non-root mode, delivering to the user it
# runs as.  As root, that user is a test user made with useradd (random
# name, home under $TAP_TMP, removed at exit) and local runs under it with
# setpriv; the second part then runs local as root, which must switch to
# the test user: mailboxes it creates belong to that user, mode 0600, and
# jobs at once for two users are committed each with its own user's ids.
. "$(dirname "$0")/../lib.sh"

NONROOT=46
ROOTN=18
tap_plan $((NONROOT + ROOTN))

L=$(postlet_bin local) || tap_bail "$L"
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $((NONROOT + ROOTN)) "python3 not installed"
	tap_done
fi

TU=
if [ "$(id -u)" -eq 0 ]; then
	if ! command -v useradd >/dev/null 2>&1 ||
	    ! command -v setpriv >/dev/null 2>&1; then
		tap_skip $((NONROOT + ROOTN)) "useradd or setpriv missing"
		tap_done
	fi
	TU=plt$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	chmod 755 "$TAP_TMP"
	mkdir "$TAP_TMP/home"
	if ! useradd -M -d "$TAP_TMP/home/$TU" -s /bin/false "$TU" \
	    >/dev/null 2>&1; then
		tap_skip $((NONROOT + ROOTN)) "useradd failed"
		tap_done
	fi
	trap 'userdel "$TU" >/dev/null 2>&1; tap_cleanup' EXIT
	mkdir -m 700 "$TAP_TMP/home/$TU"
	chown "$TU:$(id -g "$TU")" "$TAP_TMP/home/$TU"
	cp "$L" "$TAP_TMP/local" && chmod 755 "$TAP_TMP/local"
	L=$TAP_TMP/local
	ME=$TU
	as_me() {
		setpriv --reuid="$TU" --regid="$(id -g "$TU")" \
		    --clear-groups "$@"
	}
else
	ME=$(id -un)
	as_me() { "$@"; }
fi
UC=$(printf '%s' "$ME" | tr 'a-z' 'A-Z')

# mkq DIR ID SENDER CONTENTFILE RCPT...: a queue file by the book in
# DIR/active/ID.
cat > "$TAP_TMP/mkq.py" <<'PY'
import os, sys
d, qid, sender, content = sys.argv[1:5]
env = b"postlet-queue 1\nT 1700000000.000000\n"
env += b"S " + sender.encode() + b"\nA protocol=local\n"
for r in sys.argv[5:]:
    env += b"R P - - " + r.encode() + b"\n"
body = open(content, "rb").read()
hl = body.find(b"\n\n")
hl = len(body) if hl < 0 else hl + 2
env += b"E %020d %020d\n" % (len(body), hl)
with open(os.path.join(d, "active", qid), "wb") as f:
    f.write(env + body + b"END\n")
PY

# chk.py MODE ARGS: read mailboxes back; prints what the test compares.
cat > "$TAP_TMP/chk.py" <<'PY'
import mailbox, os, re, sys
mode = sys.argv[1]
FROM = re.compile(rb"^From (\S+)  [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d "
                  rb"\d\d:\d\d:\d\d \d{4}\n")
if mode == "mbox":
    # mbox PATH N: N messages; for each the From_ sender, and the raw
    # bytes after the From_ line must be the expected file's bytes
    path, n = sys.argv[2], int(sys.argv[3])
    box = mailbox.mbox(path, create=False)
    msgs = list(box)
    print(len(msgs), " ".join(m.get_from().split()[0] for m in msgs))
elif mode == "raw":
    # raw PATH WANT...: the file is a From_ line and WANT, repeated
    path = sys.argv[2]
    data = open(path, "rb").read()
    ok = True
    for want in sys.argv[3:]:
        w = open(want, "rb").read()
        m = FROM.match(data)
        if not m or not data[m.end():].startswith(w):
            ok = False
            break
        data = data[m.end() + len(w):]
    print("same" if ok and data == b"" else "differs")
elif mode == "maildir":
    # maildir DIR WANT: every message in new/ equals WANT; count, names
    d, want = sys.argv[2], open(sys.argv[3], "rb").read()
    box = mailbox.Maildir(d, factory=None, create=False)
    keys = list(box.keys())
    same = all(open(os.path.join(d, "new", k), "rb").read() == want
               for k in os.listdir(os.path.join(d, "new")))
    print(len(keys), len(set(keys)), "same" if same else "differs",
          len(os.listdir(os.path.join(d, "tmp"))))
PY

# The message: a "From " line in the body, a line "Fro", one already
# quoted, no final newline.
printf 'Subject: test\nFrom: a@example.org\n\nFrom here\nFro\n>From x\nend' \
    > "$TAP_TMP/msg"
# want1: what the mbox holds after the From_ line (X-Original-To as
# given, lowercased Delivered-To)
{
	printf 'Return-Path: <alice@example.org>\n'
	printf 'X-Original-To: %s@localhost\n' "$ME"
	printf 'Delivered-To: %s@localhost\n' "$ME"
	printf 'Subject: test\nFrom: a@example.org\n\n>From here\nFro\n'
	printf '>From x\nend\n\n'
} > "$TAP_TMP/want1"

# ---- part 1: non-root mode ----------------------------------------------

N=$TAP_TMP/nr
mkdir -p "$N/q/active" "$N/spool" "$N/cf"
cat > "$N/cf/main.cf" <<EOF
queue_directory = $N/q
mail_spool_directory = $N/spool
maillog_file = $N/log
recipient_delimiter = +
deliver_lock_attempts = 2
deliver_lock_delay = 1s
# hermetic: no alias table, no ~/.forward of whoever runs the test
alias_maps =
forward_path =
EOF
mkq() { python3 "$TAP_TMP/mkq.py" "$N/q" "$@"; }
ID=06553F100000000A1
mkq "$ID" alice@example.org "$TAP_TMP/msg" "$ME@localhost" \
    "nosuchuser9x@localhost" "$UC+Ext@LocalHost"
[ -n "$TU" ] && chown -R "$TU" "$N"
chk() { python3 "$TAP_TMP/chk.py" "$@"; }
# job RCPTLINE...: one job for $ID on local's stdin (config $CF),
# answers in out
CF=$N/cf
job() {
	{
		printf 'J %s active/%s\nN localhost\n' "$ID" "$ID"
		for r in "$@"; do
			printf 'R %s\n' "$r"
		done
		printf 'G\n'
	} > "$TAP_TMP/job"
	as_me "$L" -v -c "$CF" < "$TAP_TMP/job" > "$TAP_TMP/out" \
	    2> "$TAP_TMP/err"
	tap_status=$?
}
# The reason in the first answer, after "for user NAME. ".
reason() { sed -n '1s/^.*for user [^ ]*\. //p' "$TAP_TMP/out"; }
size_of() { wc -c < "$1" | tr -d ' '; }

job "0 $ME@localhost"
tap_is "$(cat "$TAP_TMP/out")" "0 D 2.0.0 delivered to mailbox
." "mbox: the answer line and the end of the job"
tap_is "$tap_status" 0 "mbox: exit 0 at the end of input"
tap_is "$(chk raw "$N/spool/$ME" "$TAP_TMP/want1")" same \
    "mbox: From_ line, Return-Path, X-Original-To, Delivered-To, content with >From quoting"
tap_is "$(chk mbox "$N/spool/$ME" 1)" "1 alice@example.org" \
    "mbox: Python's mailbox.mbox reads one message from alice"
tap_is "$(stat -c %a "$N/spool/$ME")" 600 "mbox: created mode 0600"
grep -q "$ID: to=<$ME@localhost>, relay=local, delay=[0-9.]*, dsn=2.0.0, status=sent (delivered to mailbox)" "$N/log"
tap_ok $? "mbox: logged in Postfix's shape"

job "0 $ME@localhost" "2 $UC+Ext@LocalHost"
tap_is "$(cat "$TAP_TMP/out")" "0 D 2.0.0 delivered to mailbox
2 D 2.0.0 delivered to mailbox
." "two recipients: two answers"
sed -e "s/^Delivered-To: .*/Delivered-To: $ME+ext@localhost/" \
    -e "s/^X-Original-To: .*/X-Original-To: $UC+Ext@LocalHost/" \
    "$TAP_TMP/want1" > "$TAP_TMP/want2"
tap_is "$(chk raw "$N/spool/$ME" "$TAP_TMP/want1" "$TAP_TMP/want1" \
    "$TAP_TMP/want2")" same \
    "appended twice; USER+Ext@Domain: folded, the extension stripped (X-Original-To keeps the case)"
tap_is "$(chk mbox "$N/spool/$ME" 3)" \
    "3 alice@example.org alice@example.org alice@example.org" \
    "mailbox.mbox reads three messages"
[ ! -e "$N/spool/$ME.lock" ]
tap_ok $? "the dot lock is gone"

job "1 nosuchuser9x@localhost"
tap_is "$(cat "$TAP_TMP/out")" '1 P 5.1.1 unknown user: "nosuchuser9x"
.' "unknown user: 5.1.1, Postfix's text"

# Several jobs in one run; a bad queue file name; a missing queue file.
printf 'J %s active/%s\nN x\nR 0 %s@localhost\nG\nJ %s ../../x\nN x\nR 0 a\nG\nJ 06553F100000000FF active/06553F100000000FF\nN x\nR 0 a\nG\n' \
    "$ID" "$ID" "$ME" "$ID" > "$TAP_TMP/job"
as_me "$L" -c "$N/cf" < "$TAP_TMP/job" > "$TAP_TMP/out" 2>&1
tap_is "$(cut -c1-9 "$TAP_TMP/out" | tr '\n' '|')" \
    '0 D 2.0.0|.|0 T 4.3.0|.|0 T 4.3.0|.|' \
    "three jobs in one run: bad queue file name and missing file defer"
before=$(size_of "$N/spool/$ME")

# A master.cf "-o name=value" reaches local like every program it lists:
# here the spool directory, for this process only.
mkdir -p "$N/spool2"
[ -n "$TU" ] && chown "$TU" "$N/spool2"
printf 'J %s active/%s\nN x\nR 0 %s@localhost\nG\n' "$ID" "$ID" "$ME" \
    > "$TAP_TMP/job"
as_me "$L" -c "$N/cf" -o "mail_spool_directory=$N/spool2" \
    < "$TAP_TMP/job" > "$TAP_TMP/out" 2>&1
[ -s "$N/spool2/$ME" ] && [ "$(size_of "$N/spool/$ME")" = "$before" ]
tap_ok $? "-o mail_spool_directory=...: delivered there, not in the spool"
as_me "$L" -c "$N/cf" -o bogus < /dev/null > "$TAP_TMP/out" 2>&1
tap_is "$?" 64 "-o without '=': usage error 64"

# The null sender; a loop.
printf 'Delivered-To: %s@localhost\nSubject: loop\n\nx\n' "$ME" \
    > "$TAP_TMP/loopmsg"
mkq 06553F100000000B2 "" "$TAP_TMP/loopmsg" "$ME@localhost"
[ -n "$TU" ] && chown -R "$TU" "$N"
ID=06553F100000000B2
job "0 $ME@localhost"
tap_is "$(cat "$TAP_TMP/out")" "0 P 5.4.6 mail forwarding loop for $ME@localhost
." "Delivered-To already there: 5.4.6 mail forwarding loop"
tap_is "$(size_of "$N/spool/$ME")" "$before" "loop: nothing written"
printf 'Subject: bounce\n\nx\n' > "$TAP_TMP/nullmsg"
mkq 06553F100000000B3 "" "$TAP_TMP/nullmsg" "$ME@localhost"
[ -n "$TU" ] && chown -R "$TU" "$N"
ID=06553F100000000B3
job "0 $ME@localhost"
tail -c +"$((before + 1))" "$N/spool/$ME" | head -4 > "$TAP_TMP/nullhead"
sed -n '1s/  .*//p;2,4p' "$TAP_TMP/nullhead" > "$TAP_TMP/nullgot"
printf 'From MAILER-DAEMON\nReturn-Path: <>\nX-Original-To: %s@localhost\nDelivered-To: %s@localhost\n' \
    "$ME" "$ME" > "$TAP_TMP/nullwant"
tap_file_is "$TAP_TMP/nullgot" "$TAP_TMP/nullwant" \
    "null sender: From MAILER-DAEMON, Return-Path: <>"

# Locks held by others.
before=$(size_of "$N/spool/$ME")
as_me touch "$N/spool/$ME.lock"
job "0 $ME@localhost"
case $(cat "$TAP_TMP/out") in
"0 T 4.2.0 cannot update mailbox $N/spool/$ME for user $ME. unable to create lock file $N/spool/$ME.lock: "*) r=0 ;;
*) r=1 ;;
esac
tap_ok $r "a fresh dot lock held by another: T 4.2.0 after the attempts" ||
    tap_diag "$(cat "$TAP_TMP/out")"
as_me touch -d '-1 hour' "$N/spool/$ME.lock"
job "0 $ME@localhost"
tap_is "$(head -1 "$TAP_TMP/out")" "0 D 2.0.0 delivered to mailbox" \
    "a stale dot lock is removed (stale_lock_time)"
before=$(size_of "$N/spool/$ME")
python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(8)' "$N/spool/$ME" "$TAP_TMP/locked" &
lockpid=$!
i=0
while [ ! -e "$TAP_TMP/locked" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
job "0 $ME@localhost"
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
tap_is "$(reason)" \
    "unable to lock for exclusive access: Resource temporarily unavailable" \
    "an fcntl lock held by another: T, after the attempts"
tap_is "$(size_of "$N/spool/$ME")" "$before" "locked: nothing written"

# mailbox_size_limit: EFBIG bounces, the mailbox is cut back.
mkdir -p "$N/cf2"
sed '$a\
mailbox_size_limit = '"$((before + 100))" "$N/cf/main.cf" > "$N/cf2/main.cf"
[ -n "$TU" ] && chown -R "$TU" "$N"
head -c 4000 /dev/zero | tr '\0' 'x' | fold -w 70 > "$TAP_TMP/big"
printf 'Subject: big\n\n' | cat - "$TAP_TMP/big" > "$TAP_TMP/bigmsg"
mkq 06553F100000000B4 alice@example.org "$TAP_TMP/bigmsg" "$ME@localhost"
[ -n "$TU" ] && chown -R "$TU" "$N"
ID=06553F100000000B4
CF=$N/cf2
job "0 $ME@localhost"
CF=$N/cf
tap_is "$(cut -c1-10 "$TAP_TMP/out" | head -1)" "0 P 5.2.2 " \
    "over mailbox_size_limit: 5.2.2 (File too large), as Postfix"
tap_is "$(size_of "$N/spool/$ME")" "$before" \
    "over mailbox_size_limit: the partial message was cut off again"
tap_is "$(chk mbox "$N/spool/$ME" 0 | cut -d' ' -f1)" 6 \
    "the mailbox still reads as six whole messages"

# The limit holds for the delivery only (non-root mode delivers without
# a child, under a soft limit it lifts again): with a log already larger
# than the limit, one local process refuses the big message, then
# delivers a small one, and logs both.
mkdir -p "$N/cf4"
sed '$a\
mailbox_size_limit = '"$((before + 1000))" "$N/cf/main.cf" > "$N/cf4/main.cf"
{ head -c "$((before + 1300))" /dev/zero | tr '\0' '#'; echo; } >> "$N/log"
logged=$(wc -l < "$N/log")
mkq 06553F100000000B5 alice@example.org "$TAP_TMP/msg" "$ME@localhost"
[ -n "$TU" ] && chown -R "$TU" "$N"
for id in 06553F100000000B4 06553F100000000B5; do
	printf 'J %s active/%s\nN localhost\nR 0 %s@localhost\nG\n' \
	    "$id" "$id" "$ME"
done > "$TAP_TMP/job2"
as_me "$L" -v -c "$N/cf4" < "$TAP_TMP/job2" > "$TAP_TMP/out" 2> "$TAP_TMP/err"
tap_is "$(cut -c1-10 "$TAP_TMP/out" | tr '\n' '|')" \
    "0 P 5.2.2 |.|0 D 2.0.0 |.|" \
    "one process: over the limit 5.2.2, then the next message delivered"
tap_is "$(chk mbox "$N/spool/$ME" 0 | cut -d' ' -f1)" 7 \
    "the mailbox reads as seven whole messages"
tap_is "$(tail -n "+$((logged + 1))" "$N/log" | grep -c "06553F100000000B4: to=<$ME@localhost>, .*status=bounced (cannot update mailbox")" \
    1 "a log larger than the limit: the bounced delivery is logged"
tap_is "$(tail -n "+$((logged + 1))" "$N/log" | grep -c "06553F100000000B5: to=<$ME@localhost>, .*status=sent (delivered to mailbox)")" \
    1 "a log larger than the limit: the next delivery is logged"
truncate -s "$before" "$N/spool/$ME"

# Unsafe mailboxes: a symbolic link, a hard link, not writable.
mv "$N/spool/$ME" "$N/spool/$ME.real"
as_me sh -c "printf 'target\n' > '$N/target'"
as_me ln -s "$N/target" "$N/spool/$ME"
job "0 $ME@localhost"
tap_is "$(cat "$TAP_TMP/out")" "0 T 4.2.0 cannot update mailbox $N/spool/$ME for user $ME. $ME: is a symbolic link
." "a mailbox that is a symbolic link: T, refused"
tap_is "$(cat "$N/target")" target "the link's target is untouched"
rm -f "$N/spool/$ME"
as_me ln "$N/target" "$N/spool/$ME"
job "0 $ME@localhost"
tap_is "$(reason)" "$ME: file has 2 hard links" \
    "a mailbox with two links: T, refused"
rm -f "$N/spool/$ME"
mv "$N/spool/$ME.real" "$N/spool/$ME"
before=$(size_of "$N/spool/$ME")
chmod 400 "$N/spool/$ME"
job "0 $ME@localhost"
tap_is "$(cut -c1-10 "$TAP_TMP/out" | head -1)" "0 T 4.2.0 " \
    "a mailbox that is not writable: T"
tap_is "$(size_of "$N/spool/$ME")" "$before" "not writable: size unchanged"
chmod 600 "$N/spool/$ME"
mv "$N/spool/$ME" "$N/spool/$ME.keep"
chmod 555 "$N/spool"
job "0 $ME@localhost"
tap_is "$(cut -c1-10 "$TAP_TMP/out" | head -1)" "0 T 4.2.0 " \
    "a read-only spool directory without the mailbox: T"
[ ! -e "$N/spool/$ME" ]
tap_ok $? "read-only spool: no mailbox made"
chmod 755 "$N/spool"

# Maildir: mail_spool_directory with a final '/'.
mkdir -p "$N/cf3" "$N/md"
sed "s|^mail_spool_directory = .*|mail_spool_directory = $N/md/|" \
    "$N/cf/main.cf" > "$N/cf3/main.cf"
set --
i=0
while [ $i -lt 20 ]; do
	set -- "$@" "$ME@localhost"
	i=$((i + 1))
done
mkq 06553F100000000C5 alice@example.org "$TAP_TMP/msg" "$@"
[ -n "$TU" ] && chown -R "$TU" "$N"
set --
i=0
while [ $i -lt 20 ]; do
	set -- "$@" "$i $ME@localhost"
	i=$((i + 1))
done
ID=06553F100000000C5
CF=$N/cf3
job "$@"
tap_is "$(grep -c ' D 2.0.0 delivered to maildir$' "$TAP_TMP/out")" 20 \
    "Maildir: 20 deliveries, each 2.0.0 delivered to maildir"
{
	printf 'Return-Path: <alice@example.org>\n'
	printf 'X-Original-To: %s@localhost\n' "$ME"
	printf 'Delivered-To: %s@localhost\n' "$ME"
	cat "$TAP_TMP/msg"
} > "$TAP_TMP/wantmd"
tap_is "$(chk maildir "$N/md/$ME" "$TAP_TMP/wantmd")" "20 20 same 0" \
    "Maildir: 20 files in new/, unique names, bytes as sent, tmp/ empty"
tap_is "$(stat -c %a "$N/md/$ME" "$N/md/$ME/new" | sort -u)" 700 \
    "Maildir: directories made mode 0700"

# A job ahead: two jobs on the input at once.  local holds the first
# job's answer back, writes the second message too, and commits both
# with one fsync of new/ (the files' own fsyncs first); the answers then
# come in order, each job ending with its ".".
mkq 06553F100000000C6 alice@example.org "$TAP_TMP/msg" "$ME@localhost" \
    "nosuchuser9x@localhost"
[ -n "$TU" ] && chown -R "$TU" "$N"
printf 'J %s active/%s\nN localhost\nR 0 %s@localhost\nG\n' \
    06553F100000000C5 06553F100000000C5 "$ME" > "$TAP_TMP/jobs"
printf 'J %s active/%s\nN localhost\nR 0 %s@localhost\nR 1 %s\nG\n' \
    06553F100000000C6 06553F100000000C6 "$ME" nosuchuser9x@localhost \
    >> "$TAP_TMP/jobs"
TRACE=
# (not in the sanitizer build: its leak checker cannot run under ptrace)
if [ -z "${POSTLET_SANITIZE:-}" ] && command -v strace >/dev/null 2>&1 &&
    as_me strace -qq -o /dev/null true 2>/dev/null; then
	TRACE="strace -f -qq -e trace=fsync,fdatasync -o $N/fsyncs"
fi
as_me $TRACE "$L" -c "$CF" < "$TAP_TMP/jobs" > "$TAP_TMP/out" \
    2> "$TAP_TMP/err"
tap_is "$(cat "$TAP_TMP/out")" '0 D 2.0.0 delivered to maildir
.
0 D 2.0.0 delivered to maildir
1 P 5.1.1 unknown user: "nosuchuser9x"
.' "job ahead: both jobs answered in order, each with its end"
tap_is "$(chk maildir "$N/md/$ME" "$TAP_TMP/wantmd")" "22 22 same 0" \
    "job ahead: both messages in new/, whole, tmp/ empty"
# A job of 40 recipients in one Maildir: committed in parts of at most
# 32 deliveries (each holds descriptors until its commit).
set --
i=0
while [ $i -lt 40 ]; do
	set -- "$@" "$ME@localhost"
	i=$((i + 1))
done
mkq 06553F100000000C7 alice@example.org "$TAP_TMP/msg" "$@"
[ -n "$TU" ] && chown -R "$TU" "$N"
{
	printf 'J %s active/%s\nN localhost\n' 06553F100000000C7 \
	    06553F100000000C7
	i=0
	while [ $i -lt 40 ]; do
		printf 'R %s %s@localhost\n' $i "$ME"
		i=$((i + 1))
	done
	printf 'G\n'
} > "$TAP_TMP/job40"
TRACE40=
[ -n "$TRACE" ] && TRACE40="strace -f -qq -e trace=fsync,fdatasync -o $N/fsyncs40"
as_me $TRACE40 "$L" -c "$CF" < "$TAP_TMP/job40" > "$TAP_TMP/out" \
    2> "$TAP_TMP/err"
tap_is "$(grep -c ' D 2.0.0 delivered to maildir$' "$TAP_TMP/out") $(tail -n 1 "$TAP_TMP/out")" \
    "40 ." "40 recipients: 40 answers, then the end of the job"
if [ -n "$TRACE" ]; then
	tap_is "$(grep -Ec 'f(data)?sync\(' "$N/fsyncs")" 3 \
	    "job ahead: 3 fsyncs for two messages (two files, new/ once)"
	tap_is "$(grep -Ec 'f(data)?sync\(' "$N/fsyncs40")" 42 \
	    "40 recipients: 42 fsyncs (40 files, new/ after 32 and after 8)"
else
	tap_skip 2 "strace cannot run here, or the sanitizer build"
fi
tap_is "$(chk maildir "$N/md/$ME" "$TAP_TMP/wantmd")" "62 62 same 0" \
    "40 recipients: 62 messages in new/ now, whole, tmp/ empty"
# Ten jobs waiting at once: the first eight committed together (eight
# files, new/ once), then the last two.
i=0
while [ $i -lt 10 ]; do
	printf 'J %s active/%s\nN localhost\nR 0 %s@localhost\nG\n' \
	    06553F100000000C5 06553F100000000C5 "$ME"
	i=$((i + 1))
done > "$TAP_TMP/jobs10"
TRACE10=
[ -n "$TRACE" ] && TRACE10="strace -f -qq -e trace=fsync,fdatasync -o $N/fsyncs10"
as_me $TRACE10 "$L" -c "$CF" < "$TAP_TMP/jobs10" > "$TAP_TMP/out" \
    2> "$TAP_TMP/err"
tap_is "$(grep -c '^0 D 2.0.0 delivered to maildir$' "$TAP_TMP/out") $(grep -c '^\.$' "$TAP_TMP/out") $(chk maildir "$N/md/$ME" "$TAP_TMP/wantmd")" \
    "10 10 72 72 same 0" "ten jobs at once: ten answers, ten ends, 72 messages in new/"
if [ -n "$TRACE" ]; then
	tap_is "$(grep -Ec 'f(data)?sync\(' "$N/fsyncs10")" 12 \
	    "ten jobs at once: 12 fsyncs (8 files, new/, 2 files, new/)"
else
	tap_skip 1 "strace cannot run here, or the sanitizer build"
fi

# ---- part 2: as root, switching to the recipient -------------------------

if [ -z "$TU" ]; then
	tap_skip $ROOTN "not root"
	tap_done
fi
R=$TAP_TMP/root
mkdir -p "$R/q/active" "$R/spool" "$R/cf"
chmod 755 "$R/spool"
cat > "$R/cf/main.cf" <<EOF
queue_directory = $R/q
mail_spool_directory = $R/spool
maillog_file = $R/log
alias_maps =
EOF
ID=06553F100000000D1
python3 "$TAP_TMP/mkq.py" "$R/q" "$ID" alice@example.org "$TAP_TMP/msg" \
    "$TU@localhost"
chmod 700 "$R/q" "$R/q/active"
rjob() {
	printf 'J %s active/%s\nN localhost\nR 0 %s@localhost\nG\n' \
	    "$ID" "$ID" "$TU" | "$L" -c "$1" > "$TAP_TMP/out" \
	    2> "$TAP_TMP/err"
	tap_status=$?
}
rjob "$R/cf"
tap_is "$(cat "$TAP_TMP/out")" "0 D 2.0.0 delivered to mailbox
." "root: delivered to a spool the user cannot write"
tap_is "$(stat -c '%U %a' "$R/spool/$TU")" "$TU 600" \
    "root: the mbox belongs to the user, mode 0600"
tap_is "$(chk raw "$R/spool/$TU" "$TAP_TMP/want1")" same \
    "root: the mbox holds the message"
rjob "$R/cf"
tap_is "$(chk mbox "$R/spool/$TU" 2 | cut -d' ' -f1)" 2 \
    "root: a second delivery appends"
[ ! -e "$R/spool/$TU.lock" ]
tap_ok $? "root: the dot lock is gone"
chown root "$R/spool/$TU"
chmod 666 "$R/spool/$TU"
before=$(size_of "$R/spool/$TU")
rjob "$R/cf"
tap_is "$(reason)" \
    "$TU: file owned by uid 0, not $(id -u "$TU")" \
    "root: a mailbox owned by another user is refused (T)"
tap_is "$(size_of "$R/spool/$TU")" "$before" "root: and left untouched"

# home_mailbox: Maildir/ and an mbox file in the home directory.
mkdir -p "$R/cf2" "$R/cf3"
sed '$a\
home_mailbox = Maildir/' "$R/cf/main.cf" > "$R/cf2/main.cf"
sed '$a\
home_mailbox = Mailbox' "$R/cf/main.cf" > "$R/cf3/main.cf"
rjob "$R/cf2"
H=$TAP_TMP/home/$TU
tap_is "$(cat "$TAP_TMP/out")" "0 D 2.0.0 delivered to maildir
." "root: home_mailbox = Maildir/"
tap_is "$(stat -c %U "$H/Maildir" "$H/Maildir/new" "$H/Maildir/new/"* |
    sort -u)" "$TU" "root: the Maildir and its message belong to the user"
rjob "$R/cf3"
tap_is "$(stat -c '%U %a' "$H/Mailbox") $(chk raw "$H/Mailbox" \
    "$TAP_TMP/want1")" "$TU 600 same" \
    "root: home_mailbox = Mailbox: an mbox in the home, the user's"

# jobs.py LOCAL CF QID USER ACTION...: one local process, fed the job
# (the queue file QID to USER) for each ACTION "job"; "usermod:DIR" moves
# the user's home to DIR; "ids" prints the Uid:, Gid: and Groups: lines
# of local's /proc/PID/status.  Prints each job's answer and each ids.
cat > "$TAP_TMP/jobs.py" <<'PY'
import subprocess, sys
local, cf, qid, user = sys.argv[1:5]
job = ("J %s active/%s\nN localhost\nR 0 %s@localhost\nG\n"
       % (qid, qid, user)).encode()
p = subprocess.Popen([local, "-c", cf], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)
def answer():
    lines = []
    while True:
        line = p.stdout.readline()
        if not line or line == b".\n":
            return b"".join(lines).decode().strip()
        lines.append(line)
for a in sys.argv[5:]:
    if a == "job":
        p.stdin.write(job); p.stdin.flush()
        print(answer())
    elif a.startswith("usermod:"):
        subprocess.run(["usermod", "-d", a[8:], user], check=True)
    elif a == "ids":
        with open("/proc/%d/status" % p.pid) as f:
            print(" ".join(" ".join(l.split()) for l in f
                           if l.startswith(("Uid:", "Gid:", "Groups:"))))
p.stdin.close(); p.wait(timeout=30)
PY

# One local process, two jobs, the user's home moved in between (usermod
# -d rewrites the password file): the second delivery finds the new
# home, though local keeps the last user's entry while that file stays
# the same.
H2=$TAP_TMP/home2/$TU
mkdir -p "$H2" && chmod 755 "$TAP_TMP/home2" &&
    chown "$TU:$(id -g "$TU")" "$H2" && chmod 700 "$H2"
python3 "$TAP_TMP/jobs.py" "$L" "$R/cf2" "$ID" "$TU" job "usermod:$H2" job \
    > "$TAP_TMP/out" 2> "$TAP_TMP/err"
tap_is "$(cat "$TAP_TMP/out")" "0 D 2.0.0 delivered to maildir
0 D 2.0.0 delivered to maildir" "root: one local, two deliveries, usermod -d between"
tap_is "$(ls "$H/Maildir/new" | wc -l) $(ls "$H2/Maildir/new" | wc -l)" \
    "2 1" "root: the second one went to the new home"

# A mailbox is written by local itself with the user's effective ids:
# it is root again after a delivery, and after one that failed
# (mailbox_size_limit: EFBIG, 5.2.2; one message of about 270 bytes
# fits in 400, the second does not) too.
mkdir -p "$R/cf5"
sed '$a\
home_mailbox = Mailbox5\
mailbox_size_limit = 400' "$R/cf/main.cf" > "$R/cf5/main.cf"
python3 "$TAP_TMP/jobs.py" "$L" "$R/cf5" "$ID" "$TU" ids job ids job ids \
    > "$TAP_TMP/out" 2> "$TAP_TMP/err"
sed -n 1p "$TAP_TMP/out" | sed 's/ *$//' > "$TAP_TMP/ids0"
tap_is "$(sed -n 2p "$TAP_TMP/out")" "0 D 2.0.0 delivered to mailbox" \
    "root: delivered to the home mbox"
tap_is "$(sed -n 4p "$TAP_TMP/out" | cut -c1-10)" "0 P 5.2.2 " \
    "root: over mailbox_size_limit: 5.2.2"
tap_is "$(sed -n 3p "$TAP_TMP/out") | $(sed -n 5p "$TAP_TMP/out")" \
    "$(cat "$TAP_TMP/ids0") | $(cat "$TAP_TMP/ids0")" \
    "root: local's ids after each delivery are those it started with"
tap_is "$(stat -c '%U %a' "$H2/Mailbox5")" "$TU 600" \
    "root: the home mbox is the user's, mode 0600"

# Jobs at once for two users in turn, to Maildirs in the spool: local
# writes them ahead, but a batch holds one user's deliveries only (it is
# committed with that user's ids), so each Maildir gets its own user's
# two messages, owned by that user, and every job is delivered.
TV=plu$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
if useradd -M -U -d /nonexistent -s /bin/false "$TV" >/dev/null 2>&1; then
	trap 'userdel "$TU" >/dev/null 2>&1; userdel "$TV" >/dev/null 2>&1; tap_cleanup' EXIT
	mkdir -p "$R/cf6" "$R/spool6"
	chmod 755 "$R/spool6"
	sed "s|^mail_spool_directory = .*|mail_spool_directory = $R/spool6/|" \
	    "$R/cf/main.cf" > "$R/cf6/main.cf"
	ID2=06553F100000000D2
	python3 "$TAP_TMP/mkq.py" "$R/q" "$ID2" alice@example.org \
	    "$TAP_TMP/msg" "$TV@localhost"
	python3 - "$L" "$R/cf6" "$ID" "$TU" "$ID2" "$TV" > "$TAP_TMP/out" \
	    2> "$TAP_TMP/err" <<'PY'
import subprocess, sys
local, cf = sys.argv[1:3]
pairs = [(sys.argv[3], sys.argv[4]), (sys.argv[5], sys.argv[6])] * 2
jobs = b"".join(("J %s active/%s\nN localhost\nR 0 %s@localhost\nG\n"
                 % (q, q, u)).encode() for q, u in pairs)
r = subprocess.run([local, "-c", cf], input=jobs, capture_output=True,
                   timeout=60)
print(r.stdout.decode().replace("\n", "|"))
PY
	tap_is "$(cat "$TAP_TMP/out")" \
	    "0 D 2.0.0 delivered to maildir|.|0 D 2.0.0 delivered to maildir|.|0 D 2.0.0 delivered to maildir|.|0 D 2.0.0 delivered to maildir|.|" \
	    "root: four jobs at once for two users in turn: all delivered" ||
	    tap_diag "$(tail -n 3 "$R/log")"
	tap_is "$(ls "$R/spool6/$TU/new" | wc -l) $(ls "$R/spool6/$TV/new" |
	    wc -l) $(find "$R/spool6/$TU" ! -user "$TU" | wc -l) $(find \
	    "$R/spool6/$TV" ! -user "$TV" | wc -l)" "2 2 0 0" \
	    "root: each Maildir has its user's two messages, all the user's"
else
	tap_skip 2 "useradd failed"
fi

tap_done
