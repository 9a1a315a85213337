#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 090-qmgr.t: the queue manager with stand-in delivery agents (shell
# scripts that speak the agent protocol and answer per recipient from a
# file the test writes) and the real error and discard agents: one-shot
# passes (-x) that deliver, defer with the backoff time as mtime, bounce
# and expire; recipient status bytes checked in place; defer/ and
# bounce/ logs; an agent that dies; a corrupt file; a crash leftover in
# active/; the daemon woken through public/qmgr; and, under strace, the
# order that makes a delivery's record durable, and a burst of files
# moved into active/ in batches with jobs between them, from one listing
# of incoming/ rather than one per batch.
. "$(dirname "$0")/../lib.sh"

PLAN=54
tap_plan $PLAN

Q=$(postlet_bin qmgr) || tap_bail "$Q"
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $PLAN "python3 not installed"
	tap_done
fi
QD=$TAP_TMP/queue
LX=$TAP_TMP/libexec
LOG=$TAP_TMP/log
export QD
for d in incoming active deferred hold corrupt defer bounce public tmp; do
	mkdir -p "$QD/$d"
done
mkdir -p "$LX"
cp "$POSTLET_BUILD/bin/error" "$POSTLET_BUILD/bin/discard" "$LX/"
cat > "$TAP_TMP/main.cf" <<EOF
queue_directory = $QD
daemon_directory = $LX
maillog_file = $LOG
mail_owner = $(id -un)
default_transport = fake
transport_maps = texthash:$TAP_TMP/transport
EOF
cat > "$TAP_TMP/transport" <<'EOF'
err.example	error:5.1.1 user unknown
later.example	error:4.7.1 try again later
dis.example	discard:
EOF
# master.cf: "fake" runs the script fake-agent; no service: the default.
cat > "$TAP_TMP/master.cf" <<'EOF'
fake      unix  -       -       n       -       -       fake-agent
EOF

# The stand-in agent: per recipient the first word of its line in
# answers: D, T, P, or DIE (exit 3 before answering).  Like the real
# agents (lib/agent_main.c), it writes a job's results and its "." in
# one write; one that dies writes the results it has first.
cat > "$LX/fake-agent" <<EOF
#!/bin/sh
PATH=/usr/bin:/bin
export PATH
out=
nl='
'
while IFS= read -r line; do
	case \$line in
	"R "*)
		set -- \$line
		a=\$(sed -n "s/^\$3 //p" "$TAP_TMP/answers" | head -n 1)
		case \$a in
		D) out="\$out\$2 D 2.0.0 delivered to \$3\$nl" ;;
		T) out="\$out\$2 T 4.2.0 mailbox busy\$nl" ;;
		P) out="\$out\$2 P 5.1.1 no such user\$nl" ;;
		DIE) printf '%s' "\$out"; exit 3 ;;
		SLOW) exec sleep 30 ;;
		*) out="\$out\$2 T 4.0.0 no answer for \$3\$nl" ;;
		esac
		;;
	G) printf '%s.\n' "\$out"; out= ;;
	esac
done
exit 0
EOF
chmod 755 "$LX/fake-agent"
answer() { printf '%s %s\n' "$1" "$2" >> "$TAP_TMP/answers"; }
: > "$TAP_TMP/answers"

# mkq QUEUE ID SECONDS SENDER RCPT...: a queue file by the book.
cat > "$TAP_TMP/mkq.py" <<'PY'
import os, sys
q, qid, sec, sender = sys.argv[1:5]
env = b"postlet-queue 1\n" + b"T %s.000000\n" % sec.encode()
env += b"S " + sender.encode() + b"\n" + b"A protocol=local\n"
for r in sys.argv[5:]:
    env += b"R P - - " + r.encode() + b"\n"
body = b"Subject: test\n\nhello\n"
env += b"E %020d %020d\n" % (len(body), 15)
with open(os.path.join(os.environ["QD"], q, qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
mkq() { python3 "$TAP_TMP/mkq.py" "$@"; }
# statuses QUEUE ID: the status bytes of the R records, in order.
statuses()
{
	sed -n 's/^R \(.\) .*/\1/p' "$QD/$1/$2" | tr -d '\n'
}
qmgr() { "$Q" -c "$TAP_TMP" "$@"; }
now=$(date +%s)
# logged PATTERN: a line of the log matches (basic regular expression).
logged() { grep -q "$1" "$LOG"; }
D='delay=[0-9.]*'
# A queue ID for second $1 (the inode part is arbitrary here).
qid() { printf '%09X%05X%X\n' "$1" "$2" "$3"; }

# 1. Three recipients: delivered, deferred, bounced.
M1=$(qid "$now" 1 1)
answer a@example.org D
answer b@example.org T
answer c@example.org P
mkq incoming "$M1" "$now" s@example.org a@example.org b@example.org \
    c@example.org
tap_run qmgr -x
tap_is "$tap_status" 0 "-x: exit 0"
[ -f "$QD/deferred/$M1" ] && [ ! -e "$QD/incoming/$M1" ] &&
    [ ! -e "$QD/active/$M1" ]
tap_ok $? "a message with a deferred recipient is in deferred/"
tap_is "$(statuses deferred "$M1")" DPF \
    "status bytes changed in place: delivered, pending, failed"
wait=$(( $(stat -c %Y "$QD/deferred/$M1") - $(date +%s) ))
[ "$wait" -ge 290 ] && [ "$wait" -le 300 ]
tap_ok $? "next attempt: minimal_backoff_time from now (mtime +$wait s)"
printf 'b@example.org\t4.2.0 mailbox busy\n' > "$TAP_TMP/want"
tap_file_is "$QD/defer/$M1" "$TAP_TMP/want" "defer log line"
printf 'c@example.org\t5.1.1 no such user\n' > "$TAP_TMP/want"
tap_file_is "$QD/bounce/$M1" "$TAP_TMP/want" "bounce log line"
logged "qmgr\[[0-9]*\]: $M1: from=<s@example.org>, size=21, nrcpt=3 \
(queue active)$"
tap_ok $? "log: from=, size=, nrcpt= (queue active)"
logged "$M1: to=<a@example.org>, relay=fake, $D, dsn=2.0.0, \
status=sent (delivered to a@example.org)$"
tap_ok $? "log: status=sent"
logged "$M1: to=<b@example.org>, relay=fake, $D, dsn=4.2.0, \
status=deferred (mailbox busy)$"
tap_ok $? "log: status=deferred"
logged "$M1: to=<c@example.org>, relay=fake, $D, dsn=5.1.1, \
status=bounced (no such user)$"
tap_ok $? "log: status=bounced"

# 2. Not due: untouched.
tap_run qmgr -x
[ -f "$QD/deferred/$M1" ] &&
    [ "$(grep -c "$M1: from=" "$LOG")" = 1 ]
tap_ok $? "a deferred message is not tried before its time"

# 3. Due: retried; now delivered; the bounce program gets the failure.
cat > "$LX/bounce" <<EOF
#!/bin/sh
echo "\$@" >> "$TAP_TMP/bounced"
exit 0
EOF
chmod 755 "$LX/bounce"
touch -d '@'"$((now - 60))" "$QD/deferred/$M1"
sed -i 's/^b@example.org T$/b@example.org D/' "$TAP_TMP/answers"
tap_run qmgr -x
[ ! -e "$QD/deferred/$M1" ] && [ ! -e "$QD/active/$M1" ] &&
    [ ! -e "$QD/defer/$M1" ] && [ ! -e "$QD/bounce/$M1" ]
tap_ok $? "due: retried, then removed with its logs"
tap_is "$(grep -c "$M1: to=<b@example.org>.*status=sent" "$LOG")" 1 \
    "the retry delivers only the pending recipient"
tap_is "$(grep -c "$M1: to=<a@example.org>" "$LOG")" 1 \
    "a delivered recipient is not delivered again"
tap_is "$(cat "$TAP_TMP/bounced" 2>/dev/null)" "-c $TAP_TMP $M1" \
    "the bounce program is run for the failed recipient"
grep -q "$M1: removed$" "$LOG"
tap_ok $? "log: removed"

# 4. A bounce program that fails: the message waits in deferred/.
M2=$(qid "$now" 2 2)
answer p2@example.org P
mkq incoming "$M2" "$now" s@example.org p2@example.org
printf '#!/bin/sh\nexit 75\n' > "$LX/bounce"
tap_run qmgr -x
[ -f "$QD/deferred/$M2" ] && [ -f "$QD/bounce/$M2" ] &&
    [ "$(statuses deferred "$M2")" = F ]
tap_ok $? "bounce program fails: the message stays, with its bounce log"
grep -q "warning: $M2: bounce program failed: exit status 75" "$LOG"
tap_ok $? "log: bounce program failed"
rm -f "$LX/bounce"
touch -d '@'"$((now - 60))" "$QD/deferred/$M2"
tap_run qmgr -x
[ ! -e "$QD/deferred/$M2" ] && [ ! -e "$QD/bounce/$M2" ]
tap_ok $? "no bounce program: removed"
grep -q "warning: $M2: .*/bounce not installed: no delivery status notice sent" "$LOG"
tap_ok $? "log: bounce program not installed"

# 5. An agent that dies in the middle of a job.
M3=$(qid "$now" 3 3)
answer d1@example.org D
answer die@example.org DIE
answer d3@example.org D
mkq incoming "$M3" "$now" s@example.org d1@example.org die@example.org \
    d3@example.org
tap_run qmgr -x
tap_is "$(statuses deferred "$M3")" DPP \
    "agent died: reported recipient done, the others pending"
[ ! -e "$QD/bounce/$M3" ]
tap_ok $? "agent died: nothing bounced"
printf '%s\t4.3.0 delivery agent fake failed (exit status 3)\n' \
    die@example.org d3@example.org > "$TAP_TMP/want"
tap_file_is "$QD/defer/$M3" "$TAP_TMP/want" \
    "agent died: unreported recipients deferred with 4.3.0"
rm -f "$QD/deferred/$M3" "$QD/defer/$M3"

# 6. Expiry: maximal_queue_lifetime, and bounce_queue_lifetime for the
# null sender, given with -o.
old=$((now - 7200))
M4=$(qid "$old" 4 4)
M5=$(qid "$old" 5 5)
answer slow@example.org T
mkq incoming "$M4" "$old" s@example.org slow@example.org
mkq incoming "$M5" "$old" "" slow@example.org
tap_run qmgr -x -o maximal_queue_lifetime=1d -o bounce_queue_lifetime=1h
tap_is "$tap_status" 0 "-o overrides accepted"
[ -f "$QD/deferred/$M4" ] && [ "$(statuses deferred "$M4")" = P ]
tap_ok $? "younger than maximal_queue_lifetime: deferred"
wait=$(( $(stat -c %Y "$QD/deferred/$M4") - $(date +%s) ))
[ "$wait" -ge 3990 ] && [ "$wait" -le 4000 ]
tap_ok $? "backoff: clamped to maximal_backoff_time (+$wait s)"
[ ! -e "$QD/deferred/$M5" ] && [ ! -e "$QD/active/$M5" ]
tap_ok $? "null sender older than bounce_queue_lifetime: expired, removed"
logged "$M5: to=<slow@example.org>, relay=none, $D, dsn=5.4.7, \
status=bounced (message expired after [0-9]* seconds in the queue \
(4.2.0 mailbox busy))$"
tap_ok $? "log: the expired recipient, with the last reason"
grep -q "$M5: from=<>, status=expired, returned to sender$" "$LOG"
tap_ok $? "log: status=expired, returned to sender"
# Keep a copy of the bounce log as it was: the bounce program is absent,
# so the message (and its logs) went away; check through a rerun.
mkq incoming "$M5" "$old" "" slow@example.org
printf '#!/bin/sh\ncp "%s/queue/bounce/$3" "%s/bounce-log"\n' \
    "$TAP_TMP" "$TAP_TMP" > "$LX/bounce"
chmod 755 "$LX/bounce"
tap_run qmgr -x -o bounce_queue_lifetime=1h
grep -q "^slow@example.org	5.4.7 message expired after [0-9]* seconds \
in the queue (4.2.0 mailbox busy)$" "$TAP_TMP/bounce-log"
tap_ok $? "expiry: bounce log line 5.4.7 with the last reason"
rm -f "$LX/bounce" "$QD/deferred/$M4" "$QD/defer/$M4"

# 7. error and discard through transport_maps.
M6=$(qid "$now" 6 6)
mkq incoming "$M6" "$now" s@example.org u@err.example v@dis.example \
    w@later.example
cat > "$LX/bounce" <<EOF
#!/bin/sh
echo "\$@" >> "$TAP_TMP/bounced"
exit 0
EOF
chmod 755 "$LX/bounce"
tap_run qmgr -x
rm -f "$LX/bounce"
tap_is "$(statuses deferred "$M6")" FDP "error, discard, error 4.x.x"
logged "$M6: to=<u@err.example>, relay=error, $D, dsn=5.1.1, \
status=bounced (user unknown)$"
tap_ok $? "error: bounced with the next hop's code and text"
logged "$M6: to=<v@dis.example>, relay=discard, $D, dsn=2.0.0, \
status=sent (dis.example)$"
tap_ok $? "discard: sent, the next hop as the reason"
logged "$M6: to=<w@later.example>, relay=error, $D, dsn=4.7.1, \
status=deferred (try again later)$"
tap_ok $? "error with a 4.x.x next hop: deferred"
# as Postfix, the failure is returned at the end of this attempt,
# although a recipient is still pending: bounce ran, its log is gone
tap_ok "$(grep -qx -- "-c $TAP_TMP $M6" "$TAP_TMP/bounced" &&
    [ ! -e "$QD/bounce/$M6" ]; echo $?)" \
    "error: bounced at the end of the attempt, a recipient still pending"
rm -f "$QD/deferred/$M6" "$QD/defer/$M6" "$QD/bounce/$M6"

# 8. A corrupt file in incoming/.
M7=$(qid "$now" 7 7)
printf 'postlet-queue 1\nT garbage\n' > "$QD/incoming/$M7"
tap_run qmgr -x
[ -f "$QD/corrupt/$M7" ] && [ ! -e "$QD/incoming/$M7" ] &&
    [ ! -e "$QD/active/$M7" ]
tap_ok $? "corrupt file: moved to corrupt/"
grep -q "warning: .*$M7.*offset" "$LOG"
tap_ok $? "corrupt file: logged with the reason"

# 9. A crash left a message in active/ with one recipient done.
M8=$(qid "$now" 8 8)
answer e1@example.org D
answer e2@example.org D
mkq active "$M8" "$now" s@example.org e1@example.org e2@example.org
sed -i 's/^R P - - e1@/R D - - e1@/' "$QD/active/$M8"
tap_run qmgr -x
[ ! -e "$QD/active/$M8" ]
tap_ok $? "crash leftover in active/: delivered and removed"
tap_is "$(grep -c "$M8: to=<e1@example.org>" "$LOG")" 0 \
    "crash leftover: only the pending recipient is delivered"
tap_is "$(grep -c "$M8: to=<e2@example.org>.*status=sent" "$LOG")" 1 \
    "crash leftover: the pending recipient is delivered"

# 10. A recipient whose transport has no agent.
M9=$(qid "$now" 9 9)
printf 'nope.example\tnoagent:\n' >> "$TAP_TMP/transport"
mkq incoming "$M9" "$now" s@example.org x@nope.example
tap_run qmgr -x
tap_is "$(statuses deferred "$M9")" P "no agent program: deferred"
logged "$M9: to=<x@nope.example>, relay=noagent, $D, dsn=4.3.0, \
status=deferred (mail transport unavailable: execve $LX/noagent: \
No such file or directory)$"
tap_ok $? "no agent program: logged as mail transport unavailable"
rm -f "$QD/deferred/$M9" "$QD/defer/$M9"

# 11. The daemon: woken by a byte in public/qmgr, stopped by SIGTERM.
"$Q" -c "$TAP_TMP" > "$TAP_TMP/daemon.out" 2>&1 &
daemon=$!
trap 'kill "$daemon" 2>/dev/null; tap_cleanup' EXIT
i=0
while [ ! -p "$QD/public/qmgr" ] && [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -p "$QD/public/qmgr" ]
tap_ok $? "daemon: public/qmgr created"
sleep 0.3
M10=$(qid "$now" 10 10)
answer f@example.org D
mkq incoming "$M10" "$now" s@example.org f@example.org
printf W > "$QD/public/qmgr"
i=0
while [ -e "$QD/incoming/$M10" ] || [ -e "$QD/active/$M10" ]; do
	[ "$i" -ge 20 ] && break
	sleep 0.1
	i=$((i + 1))
done
grep -q "$M10: removed$" "$LOG"
tap_ok $? "daemon: a wake-up delivers within two seconds"
# SIGTERM while an agent is slow: qmgr gives it 2 seconds to finish its
# job, then kills it and stops.
M11=$(qid "$now" 11 11)
answer slow2@example.org SLOW
mkq incoming "$M11" "$now" s@example.org slow2@example.org
printf W > "$QD/public/qmgr"
i=0
while [ ! -e "$QD/active/$M11" ] && [ "$i" -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.3
t0=$(date +%s)
kill -TERM "$daemon"
wait "$daemon"
tap_is "$?" 0 "daemon: SIGTERM ends it with exit 0"
[ $(( $(date +%s) - t0 )) -le 4 ]
tap_ok $? "daemon: SIGTERM does not wait long for a slow agent"
[ -f "$QD/active/$M11" ] && [ "$(statuses active "$M11")" = P ] &&
    ! logged "$M11: to=<slow2"
tap_ok $? "SIGTERM: the message stays in active/, pending, nothing logged"
tap_is "$(cat "$TAP_TMP/daemon.out")" "" "daemon: nothing on stderr"

# The durable record of a delivery, seen in qmgr's system calls.  M12
# is delivered and removed: its status byte D is not fsync'ed, the
# removal is, by an fsync of active/ after the unlink.  M13 stays (one
# recipient deferred): its D byte is fsync'ed before the file leaves
# active/.  (Not in the sanitizer build: its leak checker cannot run
# under strace.)
M12=$(qid "$now" 12 12)
M13=$(qid "$now" 13 13)
answer d12@example.org D
answer d13@example.org D
mkq incoming "$M12" "$now" s@example.org d12@example.org
mkq incoming "$M13" "$now" s@example.org d13@example.org t13@later.example
if [ -n "${POSTLET_SANITIZE:-}" ] || ! command -v strace >/dev/null 2>&1
then
	# the checks below, all under strace
	tap_skip 6 "no strace, or the sanitizer build"
	tap_done
fi
strace -qq -o "$TAP_TMP/trace" -e trace=open,openat,close,pwrite64,fsync,rename,unlink \
    "$Q" -c "$TAP_TMP" -x > "$TAP_TMP/x.out" 2>&1
tap_is "$(statuses deferred "$M13")" DP \
    "strace run: $M12 removed, $M13 deferred" ||
    tap_diag "$(cat "$TAP_TMP/x.out")"
# order.py TRACE ID: what happened to ID's file, in one word.
cat > "$TAP_TMP/order.py" <<'PY'
import re, sys
trace, qid = sys.argv[1], sys.argv[2]
fds = {}                    # fd -> path
d_written = synced_d = removed = dir_synced_after = False
moved = None
for line in open(trace):
    m = re.match(r'(open|openat)\((?:AT_FDCWD, )?"([^"]*)".*\) = (\d+)', line)
    if m:
        fds[m.group(3)] = m.group(2)
        continue
    m = re.match(r'close\((\d+)\)', line)
    if m:
        fds.pop(m.group(1), None)
        continue
    m = re.match(r'pwrite64\((\d+), "D", 1,', line)
    if m and fds.get(m.group(1), "").endswith("/active/" + qid):
        d_written = True
        continue
    m = re.match(r'fsync\((\d+)\)', line)
    if m:
        path = fds.get(m.group(1), "")
        if path.endswith("/active/" + qid) and d_written:
            synced_d = True
        if path.endswith("/active") and removed:
            dir_synced_after = True
        continue
    if re.match(r'unlink\("[^"]*/active/' + qid + '"', line):
        removed = True
    m = re.match(r'rename\("[^"]*/active/' + qid + '", "[^"]*/deferred/', line)
    if m:
        moved = "deferred-synced" if synced_d else "deferred-unsynced"
        synced_d = False
if moved:
    # an fsync of the file after the move would be one too many
    print(moved + ("-and-again" if synced_d else ""))
elif removed:
    print(("removed-" if not synced_d else "removed-after-file-fsync-") +
          ("dir-synced" if dir_synced_after else "dir-unsynced"))
else:
    print("nothing")
PY
tap_is "$(python3 "$TAP_TMP/order.py" "$TAP_TMP/trace" "$M12")" \
    removed-dir-synced \
    "a removed message: no fsync of its D byte, active/ fsync'ed after the unlink"
tap_is "$(python3 "$TAP_TMP/order.py" "$TAP_TMP/trace" "$M13")" \
    deferred-synced \
    "a message that stays: its D byte fsync'ed before it leaves active/, once"

# A burst: 300 messages in incoming/ at once.  qmgr moves them into
# active/ 50 at a time and gives the agents their jobs between two
# batches, so its first job goes out before its 51st move; and it lists
# incoming/ once for the whole backlog (then once more when it is used
# up, for what came since, and once at the end of the -x pass), not once
# per batch.
burst=$(printf '%09X%05X' "$now" 200)
NB=300
i=0
while [ $i -lt $NB ]; do
	answer "burst$i@example.org" D
	i=$((i + 1))
done
python3 - "$TAP_TMP/mkq.py" "$now" $NB <<'PY'
import subprocess, sys
mkq, now, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# mkq.py's format, one process for all
src = open(mkq).read()
for i in range(n):
    qid = "%09X%05X%X" % (now, 200, i)
    sys.argv = [mkq, "incoming", qid, str(now), "s@example.org",
        "burst%d@example.org" % i]
    exec(src)
PY
strace -qq -o "$TAP_TMP/trace2" -e trace=rename,write,open,openat,getdents64,close,lseek \
    -s 8 "$Q" -c "$TAP_TMP" -x > "$TAP_TMP/x2.out" 2>&1
left=$(ls "$QD/incoming" "$QD/active" "$QD/deferred" | grep -c "^$burst")
sent=$(grep -c "qmgr\[[0-9]*\]: $burst[0-9A-F]*: to=<burst[0-9]*@example.org>, relay=fake, .*status=sent" "$LOG")
tap_is "$left $sent" "0 $NB" "a burst of $NB in incoming/: all delivered" ||
    tap_diag "$(cat "$TAP_TMP/x2.out")"
moves=$(awk '/^rename\(".*\/incoming\// { n++ }
    /^write\([0-9]+, "J / { print n + 0; exit }' "$TAP_TMP/trace2")
tap_is "$moves" 50 "the burst: the first job goes out after the first 50 moves, before the others"
# listings: an open of incoming/, or a rewind of the descriptor that
# qmgr keeps open for its scans (lseek to 0), that is then read with
# getdents64 (the other opens of incoming/ are for its fsync)
listings=$(python3 - "$TAP_TMP/trace2" <<'PY'
import re, sys
opened, fresh, n = set(), set(), 0
for l in open(sys.argv[1]):
    m = re.match(r'open(?:at\(AT_FDCWD, |\()"[^"]*/incoming", .*\) = (\d+)', l)
    if m:
        opened.add(m.group(1))
        fresh.add(m.group(1))
    m = re.match(r'lseek\((\d+), 0, SEEK_SET\)', l)
    if m and m.group(1) in opened:
        fresh.add(m.group(1))
    m = re.match(r'getdents64\((\d+),', l)
    if m and m.group(1) in fresh:
        n += 1
        fresh.discard(m.group(1))
    m = re.match(r'close\((\d+)\)', l)
    if m:
        opened.discard(m.group(1))
        fresh.discard(m.group(1))
print(n)
PY
)
tap_is "$listings" 3 "the burst: incoming/ listed 3 times for $NB files in batches of 50, not once per batch"

tap_done
