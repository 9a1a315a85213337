#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 096-qmgr-dest.t: a destination's concurrency, as the queue manager
# learns it.  A stand-in agent notes how many of its jobs run at once;
# with initial_destination_concurrency = 1 the first job runs alone and
# the window grows with each success up to the destination limit.  A
# second stand-in says "!" (the destination failed as a whole) and
# defers its recipients: after one such job the destination is dead, its
# other messages are deferred without being tried ("delivery
# temporarily suspended: ..." in their defer logs), while another
# destination of the same transport is still delivered.  A third
# stand-in notes how many jobs were already in its pipe when it
# finished one: for a transport of one recipient per job at concurrency
# 1, the jobs to one recipient after the first success are written
# ahead to the one busy agent, seven at most, and only as many as fit
# into 4096 bytes together; when that agent dies, the jobs ahead of it
# go to the next agent and are delivered once; a transport that groups
# recipients by next hop gets no jobs ahead.
. "$(dirname "$0")/../lib.sh"

tap_plan 15

Q=$(postlet_bin qmgr) || tap_bail "$Q"
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip 15 "python3 not installed"
	tap_done
fi
QD=$TAP_TMP/queue
LX=$TAP_TMP/libexec
LOG=$TAP_TMP/log
RUN=$TAP_TMP/running
export QD
for d in incoming active deferred hold corrupt defer bounce public tmp; do
	mkdir -p "$QD/$d"
done
mkdir -p "$LX" "$RUN"
cat > "$TAP_TMP/main.cf" <<EOF
queue_directory = $QD
daemon_directory = $LX
maillog_file = $LOG
mail_owner = $(id -un)
default_transport = slow
default_process_limit = 50
initial_destination_concurrency = 1
slow_destination_concurrency_limit = 3
ahead_destination_concurrency_limit = 1
ahead_destination_recipient_limit = 1
hop_destination_concurrency_limit = 1
EOF
cat > "$TAP_TMP/master.cf" <<'EOF'
slow      unix  -       -       n       -       10      slow-agent
down      unix  -       -       n       -       10      down-agent
ahead     unix  -       -       n       -       10      ahead-agent
hop       unix  -       -       n       -       10      ahead-agent
EOF

# slow-agent: per job "conc N" (its jobs running now), then every
# recipient delivered.
cat > "$LX/slow-agent" <<EOF
#!/bin/sh
PATH=/usr/bin:/bin
export PATH
idx=
while IFS= read -r line; do
	case \$line in
	"R "*)
		set -- \$line
		idx="\$idx \$2"
		;;
	G)
		m=$RUN/\$\$.\$(date +%s%N)
		: > "\$m"
		echo "conc \$(ls "$RUN" | wc -l)" >> "$TAP_TMP/conc"
		sleep 0.3
		rm -f "\$m"
		for r in \$idx; do echo "\$r D 2.0.0 delivered"; done
		echo .
		idx=
		;;
	esac
done
exit 0
EOF
# down-agent: next hop dead.test cannot be reached ("!", then each
# recipient deferred); any other next hop is delivered.
cat > "$LX/down-agent" <<EOF
#!/bin/sh
PATH=/usr/bin:/bin
export PATH
idx=
while IFS= read -r line; do
	case \$line in
	"N "*) hop=\${line#N } ;;
	"R "*)
		set -- \$line
		idx="\$idx \$2"
		;;
	G)
		echo "job \$hop" >> "$TAP_TMP/jobs"
		if [ "\$hop" = dead.test ]; then
			echo "!"
			for r in \$idx; do
				echo "\$r T 4.4.1 connect to mx.dead.test[192.0.2.9]:25: Connection refused"
			done
		else
			for r in \$idx; do echo "\$r D 2.0.0 delivered"; done
		fi
		echo .
		idx=
		;;
	esac
done
exit 0
EOF
# ahead-agent: per job, after its work, "QUEUEID PID N", N the jobs
# already in its pipe (all of their lines there); the message whose
# queue ID is in the file die-id makes it exit at once, reporting
# nothing ("die PID N").
cat > "$LX/ahead-agent" <<EOF
#!/usr/bin/env python3
import os, select, sys, time
log = open("$TAP_TMP/ahead", "a")
buf, idx, qid = b"", [], ""
try:
    die = open("$TAP_TMP/die-id").read().strip()
except OSError:
    die = None
while True:
    while b"\n" not in buf:
        data = os.read(0, 4096)
        if not data:
            sys.exit(0)
        buf += data
    line, buf = buf.split(b"\n", 1)
    f = line.decode().split(" ")
    if f[0] == "J":
        qid = f[1]
    elif f[0] == "R":
        idx.append(f[1])
    elif f[0] == "G":
        time.sleep(0.3)
        while select.select([0], [], [], 0)[0]:
            data = os.read(0, 65536)
            if not data:
                break
            buf += data
        ahead = buf.split(b"\n")[:-1].count(b"G")
        if qid == die:
            log.write("die %d %d\n" % (os.getpid(), ahead))
            log.flush()
            os._exit(1)
        log.write("%s %d %d\n" % (qid, os.getpid(), ahead))
        log.flush()
        out = "".join("%s D 2.0.0 delivered\n" % i for i in idx) + ".\n"
        os.write(1, out.encode())
        idx = []
EOF
chmod 755 "$LX/slow-agent" "$LX/down-agent" "$LX/ahead-agent"
printf '#!/bin/sh\nexit 0\n' > "$LX/bounce"
chmod 755 "$LX/bounce"

cat > "$TAP_TMP/mkq.py" <<'PY'
import os, sys
q, qid, sec, sender = sys.argv[1:5]
env = b"postlet-queue 1\n" + b"T %s.000000\n" % sec.encode()
env += b"S " + sender.encode() + b"\n" + b"A protocol=local\n"
for r in sys.argv[5:]:
    env += b"R P - - %s\n" % r.encode()
body = b"Subject: test\n\nhello\n"
env += b"E %020d %020d\n" % (len(body), 15)
with open(os.path.join(os.environ["QD"], q, qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
mkq() { python3 "$TAP_TMP/mkq.py" "$@"; }
qmgr() { "$Q" -c "$TAP_TMP" "$@"; }
qid() { printf '%09X%05X%X\n' "$1" "$2" "$3"; }
left() { find "$QD/incoming" "$QD/active" "$QD/deferred" -type f | wc -l; }
now=$(date +%s)

# 1-3. Eight messages to one domain: the first job alone, then more,
# never above the limit of 3.
i=1
while [ $i -le 8 ]; do
	mkq incoming "$(qid "$now" 1 $i)" "$now" s@example.org "u$i@one.test"
	i=$((i + 1))
done
tap_run qmgr -x
tap_is "$(left)" 0 "slow start: all eight delivered"
tap_is "$(head -n 1 "$TAP_TMP/conc")" "conc 1" \
    "slow start: the first job runs alone"
tap_is "$(sort -n -k2 "$TAP_TMP/conc" | tail -n 1)" "conc 3" \
    "slow start: the window grows to the limit of 3, no further"

# 4-8. Four messages to dead.test, one to live.test, transport down.
i=1
while [ $i -le 4 ]; do
	mkq incoming "$(qid "$now" 2 $i)" "$now" s@example.org "u$i@dead.test"
	i=$((i + 1))
done
mkq incoming "$(qid "$now" 3 1)" "$now" s@example.org "u@live.test"
tap_run qmgr -x -o default_transport=down
tap_is "$(grep -c '^job dead.test$' "$TAP_TMP/jobs")" 1 \
    "dead destination: tried once, not four times"
tap_is "$(grep -c '^job live.test$' "$TAP_TMP/jobs")" 1 \
    "another destination of the transport is still tried"
tap_is "$(ls "$QD/deferred" | wc -l | tr -d ' ')" 4 \
    "dead destination: its four messages deferred"
printf 'u4@dead.test\t4.4.1 delivery temporarily suspended: connect to mx.dead.test[192.0.2.9]:25: Connection refused\n' \
    > "$TAP_TMP/want"
tap_file_is "$QD/defer/$(qid "$now" 2 4)" "$TAP_TMP/want" \
    "an untried message: the reason is the destination's"
grep -q "destination dead.test of transport down is not reachable: delivery suspended for 300s" "$LOG"
tap_ok $? "the log says the destination is suspended" "$(cat "$LOG")"
# 9-10. Four messages to u@a.test at concurrency 1: the first job alone
# (nothing is written ahead to a destination before a success), then
# the next ones written ahead while the one before runs.
rm -f "$QD"/deferred/* "$QD"/defer/*
want=
i=1
for ahead in 0 2 1 0; do
	mkq incoming "$(qid "$now" 4 $i)" "$now" s@example.org u@a.test
	want="$want$(qid "$now" 4 $i) $ahead,"
	i=$((i + 1))
done
tap_run qmgr -x -o default_transport=ahead
tap_is "$(awk '{ printf "%s %s,", $1, $3 }' "$TAP_TMP/ahead")" "$want" \
    "jobs ahead: after the first success, the jobs wait in the agent's pipe" ||
    tap_diag "$(cat "$TAP_TMP/ahead")"
tap_is "$(awk '{ print $2 }' "$TAP_TMP/ahead" | sort -u | wc -l | tr -d ' ')" 1 \
    "jobs ahead: one agent at a time at concurrency 1"

# 11-12. v@b.test: a success, then a job that kills its agent while the
# next two wait ahead of it.  The dying job is tried again once (on a
# new agent, again with those jobs ahead) and deferred; the jobs ahead
# are each delivered once, in their order, by the agent after.
: > "$TAP_TMP/ahead"
i=1
while [ $i -le 4 ]; do
	mkq incoming "$(qid "$now" 5 $i)" "$now" s@example.org v@b.test
	i=$((i + 1))
done
qid "$now" 5 2 > "$TAP_TMP/die-id"
tap_run qmgr -x -o default_transport=ahead
tap_is "$(awk '{ printf "%s %s,", $1, $3 }' "$TAP_TMP/ahead")" \
    "$(qid "$now" 5 1) 0,die 2,die 2,$(qid "$now" 5 3) 1,$(qid "$now" 5 4) 0," \
    "an agent dies with jobs ahead: they go to the next agent, once" ||
    tap_diag "$(cat "$TAP_TMP/ahead")"
tap_is "$(ls "$QD/deferred")" "$(qid "$now" 5 2)" \
    "only the dying job is deferred" || tap_diag "$(tail -n 20 "$LOG")"
rm -f "$TAP_TMP/die-id"

# 13. The same agent as a transport that groups recipients by next hop,
# at concurrency 1: no job is written ahead.
: > "$TAP_TMP/ahead"
i=1
while [ $i -le 4 ]; do
	mkq incoming "$(qid "$now" 6 $i)" "$now" s@example.org "w$i@c.test"
	i=$((i + 1))
done
tap_run qmgr -x -o default_transport=hop
tap_is "$(awk '{ printf "%s,", $3 }' "$TAP_TMP/ahead")" "0,0,0,0," \
    "no jobs ahead for a next hop" || tap_diag "$(cat "$TAP_TMP/ahead")"

# 14-15. Ten messages to one recipient: seven jobs ahead at most; with
# addresses near the longest (a local part of 64 bytes, a domain of
# 248), about 650 bytes of lines per job: six (4096 bytes).
for n in 7 8; do
	: > "$TAP_TMP/ahead"
	if [ $n = 8 ]; then
		lp=$(printf '%064d' 0)
		dom=$(printf '%060d.%060d.%060d.%060d.test' 1 2 3 4)
		want="0 6 6 6 5 4 3 2 1 0"
		what="six, that fit into 4096 bytes"
	else
		lp=x dom=d.test want="0 7 7 6 5 4 3 2 1 0"
		what="seven at most"
	fi
	i=1
	while [ $i -le 10 ]; do
		mkq incoming "$(qid "$now" $n $i)" "$now" s@example.org \
		    "$lp@$dom"
		i=$((i + 1))
	done
	tap_run qmgr -x -o default_transport=ahead
	tap_is "$(awk '{ printf "%s ", $3 }' "$TAP_TMP/ahead")" "$want " \
	    "jobs ahead of one agent: $what" || tap_diag "$(cat "$TAP_TMP/ahead")"
done
tap_done
