#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 130-crash.t: kill -9 of cleanup, the local delivery agent, pickup and
# qmgr, at random, while a batch of messages is submitted and delivered
# by a whole instance run by master (as the user running the test; as
# root, as a test user made with useradd, random name, removed at exit,
# every command run under it with setpriv).
#
# Forty messages, each with its own Message-ID, go in through sendmail
# (every fifth of 300 KB); meanwhile a killer kill -9s one of cleanup,
# local, pickup and qmgr of this instance at a time, with short random
# sleeps, and every third submission a hunter looks for cleanup while
# sendmail runs (at most 60 kills in all, 30 s).  cleanup gets its input
# through a wrapper that slows it down, or it would be gone before
# anyone could find it (pickup starts it on a pipe: the cleanup line of
# master.cf is private, so master does not run it).  Then `postlet flush' and a bounded wait.
# Checked: every submission sendmail accepted is in the Maildir at least
# once (copies are reported: a message in flight at a kill may come
# twice); nothing
# went to corrupt/; the queue is empty; master logged the death of every
# pickup and qmgr killed and restarted them; after `postlet stop', the
# files killed writers left in the queue's tmp/ are counted, and master's
# next start removes those older than its threshold (aged here with
# touch) and keeps a fresh one.  A trap stops master, ends every process
# of the instance by pid, and removes the test user.
. "$(dirname "$0")/../lib.sh"

NCHECK=14
tap_plan $NCHECK

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $NCHECK "python3 not installed"
	tap_done
fi
B=$POSTLET_BUILD/bin
for p in postlet sendmail postdrop master pickup cleanup qmgr local; do
	[ -x "$B/$p" ] || tap_bail "no $B/$p: run make first"
done
unset MAIL_CONFIG

postlet_as_user plc $NCHECK
HOST=host.example.test
N=40
RUN=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
T0=$(date +%s)

chmod 755 "$TAP_TMP"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
# cleanup lives for a millisecond or so, too short to be caught by
# looking for it: pickup runs it through a wrapper (in place of the
# link $B/cleanup) that feeds it its input in slices, 20 ms apart.
# The real cleanup, a link named cleanup elsewhere, is what gets killed,
# in the middle of a message; the protocol and the files are unchanged.
# The wrapper (python, exec'ed by the script) starts the real cleanup
# with the reply pipe as its standard output and does not keep that
# pipe itself: when the real cleanup dies, pickup sees the end of its
# answer at once, as without a wrapper (a shell pipeline here kept it
# open, and pickup waited for its 300 s timeout when the kill came
# after the whole message had gone through).
mkdir "$TAP_TMP/real" &&
    ln "$B/postlet-multicall" "$TAP_TMP/real/cleanup" &&
    chmod 755 "$TAP_TMP/real" || tap_bail "cannot link the real cleanup"
cat > "$TAP_TMP/slow.py" <<'PY'
import os, sys, time
real = sys.argv[1]
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.dup2(r, 0)
    os.close(r)
    os.close(w)
    os.execv(real, [real] + sys.argv[2:])
os.close(r)
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 1)        # the reply pipe is the real cleanup's only
os.close(null)
rc = 0
try:
    while True:
        b = os.read(0, 16384)
        if not b:
            break
        while b:
            b = b[os.write(w, b):]
        time.sleep(0.02)
except OSError:
    rc = 1
os.close(w)
_, st = os.waitpid(pid, 0)
sys.exit(rc or (os.WEXITSTATUS(st) if os.WIFEXITED(st) else 1))
PY
rm -f "$B/cleanup"
printf '#!/bin/sh\nexec python3 %s %s "$@"\n' "$TAP_TMP/slow.py" \
    "$TAP_TMP/real/cleanup" > "$B/cleanup"
chmod 755 "$B/cleanup" "$TAP_TMP/slow.py"
I=$TAP_TMP/i
C=$I/conf
Q=$I/queue
mkdir -p "$I"
[ -z "$TU" ] || chown "$TU:$GROUP" "$I"
as_me mkdir -p "$C" "$I/mail" || tap_bail "mkdir as $ME"
MB=$I/mail/$ME
LOG=$I/maillog
STOP=$TAP_TMP/killer.stop
KPID=
HPID=

# ours: "PID PPID COMM" of every process of $ME that runs a program of
# this instance (its arguments name our configuration directory).
ours() {
	ps -u "$ME" -o pid=,ppid=,comm=,args= 2>/dev/null |
	    awk -v c=" -c $C" 'index($0, c) { print $1, $2, $3 }'
}

stop_all() {
	touch "$STOP" 2>/dev/null
	for p in $KPID $HPID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -f "$Q/pid/master.pid" ]; then
		as_me "$B/postlet" -c "$C" stop >/dev/null 2>&1
		mp=$(cat "$Q/pid/master.pid" 2>/dev/null)
		[ -z "$mp" ] || kill -9 "$mp" 2>/dev/null
	fi
	# What is left of this instance (an agent orphaned by a killed
	# qmgr, a cleanup by a killed pickup): by pid.
	for p in $(ours | awk '{ print $1 }'); do
		kill -9 "$p" 2>/dev/null
	done
	if [ -n "$TU" ]; then
		for p in $(ps -u "$TU" -o pid= 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		userdel "$TU" >/dev/null 2>&1
	fi
}
trap 'stop_all; tap_cleanup' EXIT

# Retries come fast: a message deferred after a killed agent is tried
# again a second later, and a maildrop file whose hand-off to cleanup
# failed at pickup's next scan (wakeup column: 5 s here, not 60).
as_me sh -c "cat > '$C/main.cf'" <<EOS
queue_directory = $Q
command_directory = $B
daemon_directory = $B
mail_owner = $ME
setgid_group = $GROUP
maillog_file = $LOG
mail_spool_directory = $I/mail/
myhostname = $HOST
service_throttle_time = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
queue_run_delay = 1s
EOS
# cleanup is private here: master does not listen on public/cleanup,
# so pickup starts each cleanup itself, on a pipe, through the slow
# wrapper above.  The cleanup that master reuses for the connections to
# public/cleanup is what 135-crash-smtp kills.
as_me sh -c "cat > '$C/master.cf'" <<EOS
pickup    unix  n  -  n  5    1  pickup
cleanup   unix  -  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
EOS

# ids.py MAILDIR ACCEPTED: "DELIVERED MISSING DUPS EXTRA" (accepted
# Message-IDs found, not found, found more than once, surplus copies),
# then one line per missing ID and per duplicate.
cat > "$TAP_TMP/ids.py" <<'PY'
import collections, mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
seen = collections.Counter()
for key in box.keys():
    try:
        seen[box[key]["Message-ID"]] += 1
    except KeyError:
        pass
want = [l.strip() for l in open(sys.argv[2]) if l.strip()]
missing = [i for i in want if seen[i] == 0]
dups = [i for i in want if seen[i] > 1]
print(len(want) - len(missing), len(missing), len(dups),
      sum(seen[i] - 1 for i in dups))
for i in missing:
    print("missing", i)
for i in dups:
    print("copies", seen[i], i)
PY
ids() {
	if [ -d "$MB/new" ]; then
		python3 "$TAP_TMP/ids.py" "$MB" "$TAP_TMP/accepted"
	else
		echo "0 $(wc -l < "$TAP_TMP/accepted" | tr -d ' ') 0 0"
	fi
}
all_in() {
	[ "$(ids | awk 'NR == 1 { print $2 }')" = 0 ]
}
queue_empty() {
	as_me "$B/postlet" -c "$C" queue 2>/dev/null |
	    grep -q 'Mail queue is empty'
}
# wait_for SECONDS COMMAND...: poll COMMAND every 0.2 s, bounded.
wait_for() {
	wf_n=$(($1 * 5))
	shift
	while [ "$wf_n" -gt 0 ]; do
		if "$@"; then
			return 0
		fi
		sleep 0.2
		wf_n=$((wf_n - 1))
	done
	"$@"
}
# rnd N: a random number in 0..N-1.
rnd() {
	echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}

# 1: start.
as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"
MPID=$(cat "$Q/pid/master.pid" 2>/dev/null)

# find_proc NAME [LOOKS]: the pid of this instance's NAME, if one runs:
# pickup and qmgr must be master's children (not a child of theirs
# between fork and exec); cleanup, which lives for milliseconds, is
# looked for LOOKS times (default 10).
find_proc() {
	case $1 in
	pickup|qmgr)
		ours | awk -v n="$1" -v m="$MPID" \
		    '$3 == n && $2 == m { print $1; exit }'
		;;
	local)
		ours | awk '$3 == "local" { print $1; exit }'
		;;
	cleanup)
		f_try=0
		while [ $f_try -lt "${2:-10}" ]; do
			f_pid=$(pgrep -u "$ME" -f \
			    "^$TAP_TMP/real/cleanup -c $C( |\$)" |
			    head -n 1)
			if [ -n "$f_pid" ]; then
				echo "$f_pid"
				return
			fi
			f_try=$((f_try + 1))
		done
		;;
	esac
}
# hit NAME [LOOKS]: kill -9 it if it runs (see find_proc); each kill is
# recorded as "NAME PID" in $TAP_TMP/kills.
: > "$TAP_TMP/kills"
hit() {
	h_pid=$(find_proc "$@")
	if [ -n "$h_pid" ] && kill -9 "$h_pid" 2>/dev/null; then
		echo "$1 $h_pid" >> "$TAP_TMP/kills"
		return 0
	fi
	return 1
}

# The killer, in the background: one of cleanup, local, pickup and qmgr
# at random (cleanup and local three times as often: master throttles
# the restart of a daemon that dies young, and no cleanup runs while
# pickup is down), then a short random sleep.  It stops at 60 kills
# (its own and the batch's), after 30 s, or when $STOP appears.
killer() {
	k_end=$(($(date +%s) + 30))
	while [ "$(wc -l < "$TAP_TMP/kills")" -lt 60 ] &&
	    [ "$(date +%s)" -lt "$k_end" ] && [ ! -e "$STOP" ]; do
		case $(rnd 8) in
		0|1|2) k_name=cleanup ;;
		3|4|5) k_name=local ;;
		6) k_name=pickup ;;
		*) k_name=qmgr ;;
		esac
		# Until the local agent was hit once, every other try is for
		# it: a cleanup now lives as long as pickup's scan and is
		# found (and killed) often, and the 60 kills could all go by
		# before the first delivery.
		if ! grep -q '^local ' "$TAP_TMP/kills" && [ "$(rnd 2)" = 0 ]
		then
			k_name=local
		fi
		hit "$k_name"
		sleep 0.$((1 + $(rnd 4)))
	done
}
killer &
KPID=$!

# The batch: N messages, every fifth one of about 300 KB.  Accepted
# Message-IDs go to $TAP_TMP/accepted.
awk 'BEGIN { for (i = 0; i < 4000; i++)
    printf "%075d\n", i }' > "$TAP_TMP/big"
: > "$TAP_TMP/accepted"
: > "$TAP_TMP/refused"
n=1
while [ $n -le $N ]; do
	id="<crash-$n-$RUN@test>"
	{
		printf 'Message-ID: %s\nSubject: crash %d\n\n' "$id" $n
		if [ $((n % 5)) -eq 0 ]; then
			cat "$TAP_TMP/big"
		else
			printf 'body %d\n' $n
		fi
	} > "$TAP_TMP/in"
	# cleanup lives for milliseconds, right after a submission:
	# every third time, a hunter looks for it while sendmail runs.
	HPID=
	if [ "$(rnd 3)" = 0 ] &&
	    [ "$(wc -l < "$TAP_TMP/kills")" -lt 60 ]; then
		hit cleanup 30 &
		HPID=$!
	fi
	if as_me "$B/sendmail" -C "$C" "$ME" < "$TAP_TMP/in" \
	    > "$TAP_TMP/sm.out" 2>&1; then
		echo "$id" >> "$TAP_TMP/accepted"
	else
		echo "$id: $(cat "$TAP_TMP/sm.out")" >> "$TAP_TMP/refused"
	fi
	[ -z "$HPID" ] || wait "$HPID"
	HPID=
	sleep 0.$((1 + $(rnd 3)))
	n=$((n + 1))
done
# Deliveries go on after the last submission: the killer goes on a
# little too.
sleep 3
touch "$STOP"
wait "$KPID"
KPID=
accepted=$(wc -l < "$TAP_TMP/accepted" | tr -d ' ')
kills=$(wc -l < "$TAP_TMP/kills" | tr -d ' ')
tap_diag "$accepted of $N submissions accepted in $(($(date +%s) - T0)) s;" \
    "$kills kills:" \
    "$(awk '{ n[$1]++ } END { for (k in n) printf " %s %d", k, n[k] }' \
    "$TAP_TMP/kills")"

# 2: sendmail only talks to postdrop, which nobody kills.
tap_is "$accepted" $N "every submission accepted (sendmail exit 0)" ||
    tap_diag "$(cat "$TAP_TMP/refused")"

# 3: the killer did its work: something was killed, local included
# (cleanup lives for milliseconds: its count is reported above).
tap_ok "$([ "$kills" -gt 0 ] && grep -q '^local ' "$TAP_TMP/kills";
    echo $?)" "kill -9: the local delivery agent among the killed"

# 4: master is still there and runs pickup and qmgr again.
has_both() {
	pgrep -x -P "$MPID" qmgr >/dev/null &&
	    pgrep -x -P "$MPID" pickup >/dev/null
}
wait_for 5 has_both
tap_ok $? "master runs pickup and qmgr again"

# 5: every pickup and qmgr killed is in master's log, by pid.
unlogged=
while read -r name pid; do
	case $name in
	pickup|qmgr)
		grep -q "process $B/$name pid $pid killed by signal 9" \
		    "$LOG" || unlogged="$unlogged $name:$pid"
		;;
	esac
done < "$TAP_TMP/kills"
tap_is "$unlogged" "" "master logged each pickup and qmgr killed"
# cleanup and local are not master's children: what their deaths left
# in the log is counted.
tap_diag "pickup: $(grep -c 'pickup\[.*will try again' "$LOG")" \
    "hand-off(s) to be tried again; qmgr:" \
    "$(grep -c 'qmgr\[.*status=deferred' "$LOG") deferral(s)"

# 6-7: flush, then wait for every accepted message.
as_me "$B/postlet" -c "$C" flush > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet flush" || tap_diag "$(cat "$TAP_TMP/out")"
T1=$(date +%s)
wait_for 60 all_in
tap_diag "all in after $(($(date +%s) - T1)) s"
ids > "$TAP_TMP/ids"
read -r got _ dups extra < "$TAP_TMP/ids"
tap_is "$got" "$accepted" \
    "every accepted message delivered at least once" ||
    tap_diag "$(grep '^missing' "$TAP_TMP/ids")" \
    "$(grep -E 'warning|fatal|panic|error' "$LOG" | tail -n 20)"
tap_diag "delivered $got of $accepted; $dups delivered more than once" \
    "($extra extra copies)" "$(grep '^copies' "$TAP_TMP/ids")"

# 8: nothing was taken for garbage.
# count DIR: the entries of DIR.
count() {
	find "$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l | tr -d ' '
}
tap_is "$(count "$Q/corrupt")" 0 \
    "nothing in corrupt/" || tap_diag "$(ls -l "$Q/corrupt")"

# 9: the queue is empty.
wait_for 10 queue_empty
tap_ok $? "postlet queue: Mail queue is empty" ||
    tap_diag "$(as_me "$B/postlet" -c "$C" queue 2>&1 | head -n 20)"

# 10: stop.
as_me "$B/postlet" -c "$C" stop > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet stop" || tap_diag "$(cat "$TAP_TMP/out")"
none_left() {
	[ -z "$(ours)" ]
}
wait_for 5 none_left

# 11-13: what killed writers left in tmp/; master's next start removes
# what is older than its threshold (6 hours: aged here) and keeps the
# rest.
left=$(count "$Q/tmp")
tap_diag "$left file(s) left in the queue's tmp/," \
    "$(count "$MB/tmp") in the Maildir's tmp/"
for f in "$Q"/tmp/*; do
	[ ! -f "$f" ] || as_me touch -t 200001010000 "$f"
done
as_me sh -c ": > '$Q/tmp/crash-old' && touch -t 200001010000 \
    '$Q/tmp/crash-old' && : > '$Q/tmp/crash-new'"
as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start again" || tap_diag "$(cat "$TAP_TMP/out")"
tap_is "$(find "$Q/tmp" -mindepth 1 -maxdepth 1 ! -name crash-new |
    wc -l | tr -d ' ')" 0 \
    "master's start removed the $((left + 1)) stale file(s) in tmp/" ||
    tap_diag "$(ls -l "$Q/tmp")"
tap_ok "$([ -f "$Q/tmp/crash-new" ]; echo $?)" \
    "master's start kept a fresh file in tmp/"
as_me rm -f "$Q/tmp/crash-new"

# 14: still empty after the restart, and still nothing lost.
tap_ok "$(queue_empty && all_in; echo $?)" \
    "after restart: the queue is empty, every message delivered"
as_me "$B/postlet" -c "$C" stop > /dev/null 2>&1
tap_diag "took $(($(date +%s) - T0)) s"

tap_done
