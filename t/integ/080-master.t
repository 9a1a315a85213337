#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 080-master.t: master and `postlet start`, `start-fg`, `stop`, `status`,
# `reload`.  The real master runs stand-in pickup and qmgr daemons (shell
# scripts in a temporary daemon_directory that record each start: pid,
# uid, arguments), so this test depends on master alone.  Checked: the
# queue directories and FIFOs with their documented modes (and owners, as
# root, with a test user as mail_owner), master.pid and its lock,
# restarts after kill -9 and the throttle of a daemon that fails at once,
# wake-ups, reload of a changed service, stale tmp/ files, refusal of a
# second master, a clean stop, and start-fg under a supervisor.  When the
# real pickup and qmgr are built, master runs them too.  Every wait is
# bounded, and every process started here is killed at exit.
. "$(dirname "$0")/../lib.sh"

tap_plan 55

P=$(postlet_bin postlet) || tap_bail "$P"
M=$(postlet_bin master) || tap_bail "$M"
unset MAIL_CONFIG
T=$TAP_TMP
D=$T/etc
Q=$T/queue
L=$T/libexec
R=$T/rec
LOG=$T/log
mkdir -p "$D" "$L" "$R" "$Q/tmp" "$Q/incoming"
# The daemons may run as another user: they must reach their scripts and
# write their records.
chmod 755 "$T" "$L"
chmod 1777 "$R"
ln -s "$M" "$L/master"

TU=
if [ "$(id -u)" = 0 ]; then
	TU=plt$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	if ! useradd -M -U -d /nonexistent -s /bin/sh "$TU" 2>"$T/useradd"
	then
		tap_bail "useradd $TU: $(cat "$T/useradd")"
	fi
	OWNER=$TU
	GROUP=$TU
	OWNER_UID=$(id -u "$TU")
else
	OWNER=$(id -un)
	GROUP=$(id -gn)
	OWNER_UID=$(id -u)
fi

# Kill everything we started: masters by their pid files and the shell's
# jobs, stand-ins by their records; then remove the test user.
FGPID=
cleanup()
{
	for f in "$Q/pid/master.pid" "$T/q2/pid/master.pid"; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	[ -n "$FGPID" ] && kill -9 "$FGPID" 2>/dev/null
	cat "$R"/*.starts 2>/dev/null | while read -r pid rest; do
		kill -9 "$pid" 2>/dev/null
	done
	[ -n "$TU" ] && userdel "$TU" 2>/dev/null
	tap_cleanup
}
trap cleanup EXIT

# A stand-in daemon: records "pid uid args", then each SIGHUP, and sleeps
# until killed; qmgr exits 1 at once while $R/qmgr.fail exists.
for n in pickup qmgr; do
	cat >"$L/$n" <<EOF
#!/bin/sh
echo "\$\$ \$(id -u) \$*" >>"$R/$n.starts"
if [ -e "$R/$n.fail" ]; then
	exit 1
fi
trap 'echo "\$\$" >>"$R/$n.hups"' HUP
while :; do
	sleep 1 &
	wait \$!
done
EOF
	chmod 755 "$L/$n"
done

cat >"$D/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $L
maillog_file = $LOG
mail_owner = $OWNER
setgid_group = $GROUP
service_throttle_time = 1s
EOF
cat >"$D/master.cf" <<'EOF'
# service type private unpriv chroot wakeup maxproc command
pickup    unix  n       -       n       1       1       pickup
  -o hopcount_limit=20
qmgr      unix  n       -       n       300     1       qmgr
cleanup   unix  n       -       n       -       0       cleanup
EOF

# wait_for SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds.
wait_for()
{
	wf_n=$(($1 * 10))
	shift
	while [ "$wf_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		wf_n=$((wf_n - 1))
	done
	return 1
}
starts() { cat "$R/$1.starts" 2>/dev/null | wc -l | tr -d ' '; }
starts_are() { [ "$(starts "$1")" -ge "$2" ]; }
last_pid() { tail -n 1 "$R/$1.starts" | cut -d ' ' -f 1; }
alive() { kill -0 "$1" 2>/dev/null; }
logged() { grep -q -- "$1" "$LOG" 2>/dev/null; }
# gone: no such process, or a zombie (an init that does not reap).
gone()
{
	! kill -0 "$1" 2>/dev/null ||
	    [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

# --- start -------------------------------------------------------------
touch -d '2 days ago' "$Q/tmp/stale"
touch "$Q/tmp/fresh"
chmod 755 "$Q/incoming"
tap_run "$P" -c "$D" start
tap_is "$tap_status" 0 "start: exit 0"
tap_is "$(cat "$T/out")" "" "start: nothing on standard output"

modes=
for d in maildrop tmp incoming active deferred hold corrupt defer bounce \
    public pid; do
	modes="$modes $d=$(stat -c %a "$Q/$d")"
done
tap_is "$modes" " maildrop=1770 tmp=700 incoming=700 active=700 \
deferred=700 hold=700 corrupt=700 defer=700 bounce=700 public=710 pid=755" \
    "start: every queue directory with its mode (incoming's fixed)"
test -p "$Q/public/qmgr" && test -p "$Q/public/pickup"
tap_ok $? "start: FIFOs public/qmgr and public/pickup"
tap_is "$(stat -c %a "$Q/public/qmgr") $(stat -c %a "$Q/public/pickup")" \
    "622 622" "start: FIFO modes 0622"
test ! -e "$Q/tmp/stale" && test -e "$Q/tmp/fresh"
tap_ok $? "start: a stale tmp/ file is removed, a fresh one kept"

MPID=$(cat "$Q/pid/master.pid")
alive "$MPID"
tap_ok $? "start: master.pid holds a live pid"
logged "postlet/master\[$MPID\]: daemon started -- version"
tap_ok $? "start: 'daemon started' logged"
tap_run "$P" -c "$D" status
tap_is "$tap_status" 0 "status: exit 0 while running"
grep -q "the postlet mail system is running: PID: $MPID" "$T/err"
tap_ok $? "status: says running, with the pid"

wait_for 5 starts_are pickup 1 && wait_for 5 starts_are qmgr 1
tap_ok $? "start: both daemons started"
tap_is "$(cut -d ' ' -f 2- "$R/pickup.starts")" \
    "$OWNER_UID -c $D -o hopcount_limit=20" \
    "pickup: run as mail_owner with -c DIR and its -o override"
# qmgr starts as root (it forks its privileged spawner, then drops).
tap_is "$(cut -d ' ' -f 2- "$R/qmgr.starts")" "$(id -u) -c $D" \
    "qmgr: run with -c DIR, as root when master is root"
grep -q "cleanup" "$R"/*.starts
tap_ok $((! $?)) "cleanup is not started before a connection needs it"

if [ -n "$TU" ]; then
	owners=
	for d in maildrop incoming public pid; do
		owners="$owners $(stat -c %U:%G "$Q/$d")"
	done
	tap_is "$owners" " $TU:$TU $TU:$TU $TU:$TU root:root" \
	    "root: directories owned by mail_owner (pid/ by root)"
	tap_is "$(stat -c %U "$Q/public/qmgr")" "$TU" \
	    "root: FIFOs owned by mail_owner"
else
	tap_skip 2 "ownership: not root"
fi

# The wakeup column: pickup's is 1 second.
timeout 5 dd if="$Q/public/pickup" of="$T/wake" bs=1 count=1 2>/dev/null
tap_is "$(wc -c <"$T/wake" | tr -d ' ')" 1 \
    "wakeup: pickup woken through its FIFO"

# --- restarts ----------------------------------------------------------
QPID=$(last_pid qmgr)
# past the start-up window, so this is an ordinary crash
sleep 2.1
kill -9 "$QPID"
wait_for 5 starts_are qmgr 2
tap_ok $? "kill -9 qmgr: restarted"
alive "$(last_pid qmgr)"
tap_ok $? "kill -9 qmgr: the new one runs"
wait_for 3 logged "warning: process $L/qmgr pid $QPID killed by signal 9"
tap_ok $? "kill -9 qmgr: death logged with the status"
logged "$L/qmgr: bad command startup"
tap_ok $((! $?)) "kill -9 qmgr: not throttled"

touch "$R/qmgr.fail"
sleep 2.1
kill -9 "$(last_pid qmgr)"
wait_for 5 logged "warning: $L/qmgr: bad command startup -- throttling"
tap_ok $? "failing qmgr: throttled"
logged "warning: process $L/qmgr pid [0-9]* exit status 1"
tap_ok $? "failing qmgr: its exit status is logged"
n=$(starts qmgr)
sleep 0.5
tap_is "$(starts qmgr)" "$n" "failing qmgr: no restart within the throttle"
rm -f "$R/qmgr.fail"
qmgr_up() { starts_are qmgr $((n + 1)) && alive "$(last_pid qmgr)"; }
wait_for 5 qmgr_up
tap_ok $? "failing qmgr: started again after service_throttle_time"

# --- reload ------------------------------------------------------------
PPID1=$(last_pid pickup)
QPID=$(last_pid qmgr)
sed -i 's/^\(qmgr .*qmgr\)$/\1 -x extra/' "$D/master.cf"
tap_run "$P" -c "$D" reload
tap_is "$tap_status" 0 "reload: exit 0"
with_extra() { tail -n 1 "$R/qmgr.starts" | grep -q -- "-c $D -x extra$"; }
wait_for 5 with_extra
tap_ok $? "reload: qmgr restarted with its new argument"
wait_for 5 gone "$QPID"
tap_ok $? "reload: the old qmgr is gone"
tap_is "$(starts pickup) $(last_pid pickup)" "1 $PPID1" \
    "reload: pickup untouched"
hupped() { grep -qx "$PPID1" "$R/pickup.hups" 2>/dev/null; }
wait_for 5 hupped
tap_ok $? "reload: pickup got SIGHUP, to reread main.cf"
wait_for 3 logged "reload -- version [^ ]*, configuration $D"
tap_ok $? "reload: logged"

# A broken master.cf is not loaded: everything keeps running.
cp "$D/master.cf" "$T/master.cf.good"
echo "bad line" >>"$D/master.cf"
QPID=$(last_pid qmgr)
kill -HUP "$MPID"
wait_for 3 logged "reload: 1 error in the configuration, keeping"
tap_ok $? "reload: errors are logged, the old configuration kept"
alive "$QPID" && alive "$MPID"
tap_ok $? "reload: with errors, nothing is restarted"
cp "$T/master.cf.good" "$D/master.cf"

# --- refusals ----------------------------------------------------------
tap_run "$P" -c "$D" start
tap_is "$tap_status" 1 "second start: exit 1"
grep -q "the postlet mail system is already running" "$T/err"
tap_ok $? "second start: says it is already running"
tap_run "$M" -c "$D" -d
tap_is "$tap_status" 75 "second master: exit 75"
grep -q "already running" "$T/err"
tap_ok $? "second master: says so"

# --- stop --------------------------------------------------------------
PPID1=$(last_pid pickup)
QPID=$(last_pid qmgr)
tap_run "$P" -c "$D" stop
tap_is "$tap_status" 0 "stop: exit 0"
wait_for 3 gone "$MPID"
tap_ok $? "stop: master is gone"
gone "$PPID1" && gone "$QPID"
tap_ok $? "stop: the daemons are gone"
test ! -e "$Q/pid/master.pid"
tap_ok $? "stop: master.pid removed"
logged "postlet/master\[$MPID\]: terminating on signal 15"
tap_ok $? "stop: logged"
tap_run "$P" -c "$D" status
tap_is "$tap_status" 1 "status: exit 1 when stopped"
tap_run "$P" -c "$D" stop
tap_is "$tap_status" 1 "stop: exit 1 when not running"
tap_run "$P" -c "$D" reload
tap_is "$tap_status" 1 "reload: exit 1 when not running"

# --- start-fg ----------------------------------------------------------
n=$(starts qmgr)
"$P" -c "$D" start-fg >"$T/fg.out" 2>"$T/fg.err" &
FGPID=$!
wait_for 5 test -s "$Q/pid/master.pid"
tap_is "$(cat "$Q/pid/master.pid" 2>/dev/null)" "$FGPID" \
    "start-fg: master is the started process itself"
wait_for 5 starts_are qmgr $((n + 1))
tap_ok $? "start-fg: the daemons run"
QPID=$(last_pid qmgr)
kill -TERM "$FGPID"
wait "$FGPID"
tap_is "$?" 0 "start-fg: SIGTERM ends it with exit 0"
FGPID=
test ! -e "$Q/pid/master.pid" && gone "$QPID"
tap_ok $? "start-fg: pid file removed, daemons stopped"

# --- configuration errors ----------------------------------------------
D3=$T/etc3
mkdir "$D3"
cp "$D/main.cf" "$D3/main.cf"
printf 'pickup unix n - n 60 1\n' >"$D3/master.cf"
tap_run "$P" -c "$D3" start
tap_is "$tap_status" 78 "start: a bad master.cf is refused (exit 78)"
tap_run "$M" -c "$D3" -d
tap_is "$tap_status" 78 "master: a bad master.cf exits 78"
grep -q "$D3/master.cf, line 1:" "$T/err"
tap_ok $? "master: the error names file and line"

# --- the real daemons --------------------------------------------------
if [ -x "$POSTLET_BUILD/bin/pickup" ] && [ -x "$POSTLET_BUILD/bin/qmgr" ]
then
	D2=$T/etc2
	# The daemons run as mail_owner, which may not be able to reach
	# the build tree (a checkout under /root): run copies from $T.
	B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
	mkdir -p "$D2"
	sed -e "s|^queue_directory = .*|queue_directory = $T/q2|" \
	    -e "s|^daemon_directory = .*|daemon_directory = $B|" \
	    -e "s|^maillog_file = .*|maillog_file = $T/log2|" \
	    "$D/main.cf" >"$D2/main.cf"
	printf '%s\n' 'pickup unix n - n 60 1 pickup' \
	    'qmgr unix n - n 300 1 qmgr' >"$D2/master.cf"
	tap_run "$P" -c "$D2" start
	tap_is "$tap_status" 0 "real daemons: start"
	sleep 3
	MP2=$(cat "$T/q2/pid/master.pid" 2>/dev/null)
	kids=$(ps -o uid=,comm= --ppid "$MP2" 2>/dev/null |
	    awk '{ print $1, $2 }' | sort)
	! grep -q "warning: process\|bad command startup" "$T/log2" &&
	    [ "$kids" = "$(printf '%s pickup\n%s qmgr' "$OWNER_UID" \
	    "$OWNER_UID")" ]
	tap_ok $? "real daemons: pickup and qmgr keep running as mail_owner"
	[ -n "$kids" ] || tap_diag "$(cat "$T/log2")"
	tap_run "$P" -c "$D2" stop
	tap_is "$tap_status" 0 "real daemons: stop"
else
	tap_skip 3 "the real pickup and qmgr are not built yet"
fi

tap_done
