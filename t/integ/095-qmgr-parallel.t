#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 095-qmgr-parallel.t: the queue manager runs deliveries in parallel
# within its limits.  A stand-in agent notes, at each job, how many jobs
# run at that moment (a marker file per running job), the job's next hop
# and its number of recipients, then sleeps a little and reports every
# recipient delivered.  Checked: the transport's process limit (the
# master.cf maxproc column), TRANSPORT_destination_concurrency_limit,
# TRANSPORT_destination_recipient_limit (jobs cut to that size), and that
# everything is delivered and removed.  Then the notices qmgr asks the
# bounce program for: a success line in bounce/ID for NOTIFY=SUCCESS, and
# one delay notice (bounce -d) once delay_warning_time has passed, with
# the recipients' status bytes W afterwards, so that the next attempt
# sends none.
. "$(dirname "$0")/../lib.sh"

tap_plan 16

Q=$(postlet_bin qmgr) || tap_bail "$Q"
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip 16 "python3 not installed"
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
EOF
cat > "$TAP_TMP/master.cf" <<'EOF'
slow      unix  -       -       n       -       3       slow-agent
EOF

# The stand-in agent.  Per job: "conc N" (jobs running now, this one
# included), "job NEXTHOP NRCPT"; every recipient delivered, or deferred
# when its address starts with "t".
cat > "$LX/slow-agent" <<EOF
#!/bin/sh
PATH=/usr/bin:/bin
export PATH
n=0
idx=
while IFS= read -r line; do
	case \$line in
	"N "*)
		hop=\${line#N }
		;;
	"R "*)
		set -- \$line
		n=\$((n + 1))
		idx="\$idx \$2:\$3"
		;;
	G)
		m=$RUN/\$\$.\$n.\$(date +%s%N)
		: > "\$m"
		echo "conc \$(ls "$RUN" | wc -l)" >> "$TAP_TMP/conc"
		echo "job \$hop \$n" >> "$TAP_TMP/jobs"
		sleep 0.4
		rm -f "\$m"
		for r in \$idx; do
			case \${r#*:} in
			t*) echo "\${r%%:*} T 4.2.0 try later" ;;
			*) echo "\${r%%:*} D 2.0.0 delivered" ;;
			esac
		done
		echo .
		n=0
		idx=
		;;
	esac
done
exit 0
EOF
chmod 755 "$LX/slow-agent"
# The stand-in bounce program: notes its arguments and the bounce log.
cat > "$LX/bounce" <<EOF
#!/bin/sh
echo "\$*" >> "$TAP_TMP/bounced"
for a; do id=\$a; done
cat "$QD/bounce/\$id" >> "$TAP_TMP/bounce-log" 2>/dev/null
exit 0
EOF
chmod 755 "$LX/bounce"

# mkq QUEUE ID SECONDS SENDER RCPT[=NOTIFY]...: a queue file by the book.
cat > "$TAP_TMP/mkq.py" <<'PY'
import os, sys
q, qid, sec, sender = sys.argv[1:5]
env = b"postlet-queue 1\n" + b"T %s.000000\n" % sec.encode()
env += b"S " + sender.encode() + b"\n" + b"A protocol=local\n"
for r in sys.argv[5:]:
    addr, _, notify = r.partition("=")
    env += b"R P %s - %s\n" % ((notify or "-").encode(), addr.encode())
body = b"Subject: test\n\nhello\n"
env += b"E %020d %020d\n" % (len(body), 15)
with open(os.path.join(os.environ["QD"], q, qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
mkq() { python3 "$TAP_TMP/mkq.py" "$@"; }
statuses()
{
	sed -n 's/^R \(.\) .*/\1/p' "$QD/$1/$2" | tr -d '\n'
}
qmgr() { "$Q" -c "$TAP_TMP" "$@"; }
qid() { printf '%09X%05X%X\n' "$1" "$2" "$3"; }
maxconc() { sort -n -k2 "$TAP_TMP/conc" | tail -n 1 | cut -d' ' -f2; }
left() { find "$QD/incoming" "$QD/active" "$QD/deferred" -type f | wc -l; }
now=$(date +%s)

# 1-3. Nine messages to nine domains: at most maxproc (3) at once.
i=1
while [ $i -le 9 ]; do
	mkq incoming "$(qid "$now" 1 $i)" "$now" s@example.org "u@d$i.test"
	i=$((i + 1))
done
tap_run qmgr -x
tap_is "$(left)" 0 "process limit: all nine delivered and removed"
tap_is "$(maxconc)" 3 "process limit: never more than maxproc (3) at once"
tap_is "$(grep -c 'status=sent' "$LOG")" 9 "process limit: nine status=sent"

# 4-5. Six messages to one domain, with a destination concurrency limit
# of 2 (and a process limit of 3): at most 2 at once.
: > "$TAP_TMP/conc"
i=1
while [ $i -le 6 ]; do
	mkq incoming "$(qid "$now" 2 $i)" "$now" s@example.org "u$i@one.test"
	i=$((i + 1))
done
tap_run qmgr -x -o slow_destination_concurrency_limit=2
tap_is "$(left)" 0 "destination limit: all six delivered"
tap_is "$(maxconc)" 2 "destination limit: never more than 2 at once"

# 6-8. One message, five recipients in one domain, two per job.
: > "$TAP_TMP/jobs"
M=$(qid "$now" 3 1)
mkq incoming "$M" "$now" s@example.org a@two.test b@two.test c@two.test \
    d@two.test e@two.test
tap_run qmgr -x -o slow_destination_recipient_limit=2
tap_is "$(sort "$TAP_TMP/jobs" | tr '\n' ' ')" \
    "job two.test 1 job two.test 2 job two.test 2 " \
    "recipient limit: jobs of 2, 2 and 1 recipients"
tap_is "$(grep -c "$M: to=<.*@two.test>.*status=sent" "$LOG")" 5 \
    "recipient limit: all five delivered"
grep -q "$M: removed" "$LOG"
tap_ok $? "recipient limit: the message removed"

# 9-11. NOTIFY=SUCCESS: a 2.x.x line in bounce/ID, then bounce.
: > "$TAP_TMP/bounced"
: > "$TAP_TMP/bounce-log"
M=$(qid "$now" 4 1)
mkq incoming "$M" "$now" s@example.org ok@three.test=SUCCESS \
    plain@three.test
tap_run qmgr -x
tap_is "$(cat "$TAP_TMP/bounced")" "-c $TAP_TMP $M" \
    "NOTIFY=SUCCESS: the bounce program is run"
printf 'ok@three.test\t2.0.0 delivered\n' > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/bounce-log" "$TAP_TMP/want" \
    "NOTIFY=SUCCESS: bounce/ID has the success line, only for it"
tap_ok "$([ ! -e "$QD/active/$M" ] && [ ! -e "$QD/bounce/$M" ]; echo $?)" \
    "NOTIFY=SUCCESS: message and log removed afterwards"

# 12-16. Delay notice: two hours old, delay_warning_time 1h, one
# recipient still deferred, one delivered.
: > "$TAP_TMP/bounced"
M=$(qid $((now - 7200)) 5 1)
mkq incoming "$M" $((now - 7200)) s@example.org try@four.test \
    done@four.test
tap_run qmgr -x -o delay_warning_time=1h
tap_is "$(cat "$TAP_TMP/bounced")" "-d -c $TAP_TMP $M" \
    "delay: bounce -d is run once the message is older than the delay"
tap_is "$(statuses deferred "$M")" WD \
    "delay: the pending recipient's status byte is now W"
grep -q "^try@four.test	4.2.0 try later$" "$QD/defer/$M"
tap_ok $? "delay: the defer log was written before"
touch -d "@$((now - 60))" "$QD/deferred/$M"
tap_run qmgr -x -o delay_warning_time=1h
tap_is "$(wc -l < "$TAP_TMP/bounced" | tr -d ' ')" 1 \
    "delay: the next attempt sends no second notice"
tap_is "$(statuses deferred "$M")" WD "delay: W stays pending, and W"
tap_done
