#!/bin/sh
# SPDX-License-Identifier: ISC
#
# bench/run.sh BUILD: postlet and Debian's Postfix side by side on this
# machine, in one run (issue 8, DESIGN §8); `make bench` calls it.  As
# root only: Postfix's master runs as root, and the run needs the users
# pfbench (Postfix's mail_owner), pfbenchdrop (its setgid_group) and
# mtabench (the recipient of both, and the user postlet runs as), made
# here as system users when missing and kept afterwards.
#
# Both MTAs run from a fresh directory under BENCH_DIR (by default a
# fresh ext4 of its own, BENCH_FS below), on loopback ports
# picked free, with their normal durability (nothing turns fsync off):
# postlet from a copy of BUILD/bin, Postfix from a copy of the Debian
# package unpacked by `make testtools` into build/src/debs/postfix (never
# installed; the system's Postfix, if any, is not touched).  ROUNDS
# times, alternating which MTA goes first:
#   ceiling   bench/ceiling: 2 KB file, fsync, rename, directory fsync,
#             at 1, 4 and 20 writers for CEIL_SECONDS each (rate and
#             CPU per message);
#   relay     Postfix's smtp-source (SESSIONS sessions, MESSAGES messages
#             of SIZE bytes) -> MTA -> Postfix's smtp-sink: accept rate
#             (until smtp-source ends) and end-to-end rate (until the
#             sink has counted every message); peak PSS meanwhile;
#   local     the same load to one local user's Maildir (until every
#             file is in new/);
#   sendmail  SENDMAILS sequential submissions: time per call, and the
#             time until every message is in the Maildir.
# Before each timed run, settle: sync(1), then SETTLE seconds of rest,
# so that no run pays for the disk writes its predecessor left behind.
# Then the medians, one table on standard output and in RESULTS (default
# bench/RESULTS.md) with the machine, the versions and the date; with
# PROFILE=1, also where postlet's CPU goes (PROFILE_OUT).  Every
# wait ends after TIMEOUT seconds at most; every process and file of the
# run goes at the end (KEEP=1 keeps the directory).
set -u

ROUNDS=${ROUNDS:-3}
SESSIONS=${SESSIONS:-20}
MESSAGES=${MESSAGES:-5000}
SIZE=${SIZE:-2048}
SENDMAILS=${SENDMAILS:-1000}
CEIL_SECONDS=${CEIL_SECONDS:-5}
TIMEOUT=${TIMEOUT:-300}
SETTLE=${SETTLE:-2}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
BENCH_FS=${BENCH_FS:-image}
BENCH_FS_SIZE=${BENCH_FS_SIZE:-4G}
SRC=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${RESULTS:-$SRC/bench/RESULTS.md}
NOTE=${NOTE:-}
PROFILE=${PROFILE:-0}
PROFILE_OUT=${PROFILE_OUT:-$SRC/bench/PROFILE.md}
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD;; esac
PFDEB=$SRC/build/src/debs/postfix
CC=${BENCH_CC:-cc}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] ||
    die "run as root: Postfix's master runs as root (see bench/README.md)"
# The system's Python (a pyenv shim can take a second to start).
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || die "no $PY (PYTHON=...)"
for t in timeout useradd; do
	command -v $t >/dev/null 2>&1 || die "$t missing"
done
[ "$PROFILE" != 1 ] || command -v perf >/dev/null 2>&1 ||
    die "PROFILE=1 needs perf (linux-perf)"
[ -x "$PFDEB/usr/lib/postfix/sbin/master" ] ||
    die "no Postfix in $PFDEB: run make testtools as root"
[ -x "$BUILD/bin/postlet" ] || die "no $BUILD/bin/postlet: run make first"

# The users (system users, no home, kept for the next run).
getent group pfbenchdrop >/dev/null || groupadd -r pfbenchdrop ||
    die "groupadd pfbenchdrop failed"
for u in pfbench mtabench; do
	getent passwd $u >/dev/null ||
	    useradd -r -U -M -d /nonexistent -s /usr/sbin/nologin $u ||
	    die "useradd $u failed"
done
ME=mtabench
MEG=$(id -gn $ME)

mkdir -p "$BENCH_DIR" || die "cannot make $BENCH_DIR"
W=$(mktemp -d "$BENCH_DIR/postlet-bench.XXXXXX") || die "mktemp failed"
# BENCH_FS=image: the run's directory is a fresh ext4 file system (with
# its journal, as mkfs.ext4 makes it) on a loop device over a file in
# BENCH_DIR, with direct I/O, so fsync still waits for the disk.  Both
# MTAs then start from the same empty file system, and no run pays for
# the files an earlier one deleted: on an ext4 without a journal, each
# new inode skips every inode freed in the last minute or more
# (bench/README.md).  BENCH_FS=dir: the directory as it is.
LOOP='' FSNOTE=''
if [ "$BENCH_FS" = image ]; then
	for t in losetup mkfs.ext4 mount umount truncate; do
		command -v $t >/dev/null 2>&1 ||
		    { rmdir "$W"
		      die "$t missing (BENCH_FS=dir runs without a file system of its own)"; }
	done
	truncate -s "$BENCH_FS_SIZE" "$W.img" &&
	    LOOP=$(losetup -f --show --direct-io=on "$W.img") &&
	    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$LOOP" && mount "$LOOP" "$W" ||
	    { [ -z "$LOOP" ] || losetup -d "$LOOP"; rm -f "$W.img"; rmdir "$W"
	      die "cannot make the ext4 image (BENCH_FS=dir runs without one)"; }
	FSNOTE="a fresh ext4 of $BENCH_FS_SIZE made by mkfs.ext4 on $LOOP (direct I/O) over a file on: $(findmnt -n -o SOURCE,FSTYPE,OPTIONS -T "$BENCH_DIR" 2>/dev/null)"
fi
chmod 755 "$W"
case $(findmnt -n -o FSTYPE -T "$W" 2>/dev/null) in
tmpfs|ramfs) say "warning: $BENCH_DIR is in memory: fsync costs nothing there";;
esac
PLB=$W/plbin PLC=$W/plc PLQ=$W/plq PLM=$W/plmail
PF=$W/pf PFC=$W/pfc PFQ=$W/pfq PFM=$W/pfmail
R=$W/res
PFLIB=$PF/usr/lib/postfix
SINK_PID=
PERF_PID=
PROFILING=

# kill_ours: SIGKILL every process whose program lies under $W (what is
# left of both instances, smtp-sink, smtp-source).
kill_ours() {
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in
		"$W"/*) kill -9 "${p#/proc/}" 2>/dev/null;;
		esac
	done
}
stop_all() {
	[ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null
		wait "$PERF_PID" 2>/dev/null
	fi
	if [ -d "$PLC" ]; then
		timeout 20 "$PLB/postlet" -c "$PLC" stop >/dev/null 2>&1
	fi
	if [ -d "$PFC" ]; then
		LD_LIBRARY_PATH=$PFLIB timeout 20 "$PF/usr/sbin/postfix" \
		    -c "$PFC" stop >/dev/null 2>&1
	fi
	kill_ours
	sleep 0.5
	kill_ours
	if [ "${KEEP:-}" = 1 ]; then
		say "kept $W${LOOP:+ (mounted from $LOOP: umount $W; losetup -d $LOOP; rm $W.img)}"
	elif [ -n "$LOOP" ]; then
		umount "$W" && losetup -d "$LOOP" && rm -f "$W.img" && rmdir "$W" ||
		    say "could not remove $W (mounted from $LOOP over $W.img)"
	else
		rm -rf "$W"
	fi
}
trap 'stop_all' EXIT
trap 'exit 1' INT TERM HUP
ulimit -n 4096 2>/dev/null

now() { date +%s.%N; }
# settle: what the run before left to write goes to disk now, not
# during the next measurement (Postfix fsyncs no directory, so a run
# after one of its runs otherwise waits behind its leftover writes).
settle() { sync; sleep "$SETTLE"; }
# calc EXPR: floating-point arithmetic.
calc() { awk "BEGIN { x = $1; printf \"%.6f\n\", x }"; }
free_ports() {
	$PY -c '
import socket, sys
ss = []
for i in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}
wait_port() {
	$PY -c '
import socket, sys, time
for i in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)' "$1"
}
# record METRIC MTA VALUE: one round's value ("fail" when it failed).
record() { [ -n "$PROFILING" ] || printf '%s\n' "$3" >> "$R/$1.$2"; }
note() {
	[ -n "$PROFILING" ] || printf '%s\n' "$*" >> "$R/notes"
	say "$*"
}

set -- $(free_ports 3)
PLPORT=$1 PFPORT=$2 SINKPORT=$3
mkdir -p "$R" "$PLC" "$PLQ" "$W/pllog" "$PFC" "$PFQ" "$W/pfd" \
    "$PLM/$ME/new" "$PLM/$ME/cur" "$PLM/$ME/tmp" \
    "$PFM/$ME/new" "$PFM/$ME/cur" "$PFM/$ME/tmp" || die "mkdir failed"

# The ceiling program, with the system compiler.
$CC -std=c11 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -o "$W/ceiling" \
    "$SRC/bench/ceiling.c" || die "cannot compile bench/ceiling.c"

# postlet: a copy of the build's programs (hard links kept), started as
# root like Postfix (and like a system's MTA): its daemons run as
# mail_owner $ME, local as root, writing as the recipient.
cp -a "$BUILD/bin/." "$PLB/" || die "cannot copy $BUILD/bin"
chmod 755 "$PLB"
cat > "$PLC/main.cf" <<EOF
queue_directory = $PLQ
command_directory = $PLB
daemon_directory = $PLB
mail_owner = $ME
setgid_group = $MEG
maillog_file = $W/pllog/maillog
mail_spool_directory = $PLM/
myhostname = host.example.test
mydestination = \$myhostname
alias_maps =
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
relayhost = [127.0.0.1]:$SINKPORT
EOF
cat > "$PLC/master.cf" <<EOF
127.0.0.1:$PLPORT inet n - n - 100 smtpd
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
bounce    unix  -  -  n  -    0  bounce
local     unix  -  n  n  -    -  local
smtp      unix  -  -  n  -    -  smtp
EOF
chown -R "$ME:$MEG" "$PLC" "$PLQ" "$PLM" "$W/pllog"
chmod -R go-rwx "$PLM"

# Postfix: a copy of the unpacked package.  postdrop and postqueue stay
# without their set-gid bit: the loader ignores LD_LIBRARY_PATH in a
# set-gid program, and the libraries are not where its RUNPATH says
# (/usr/lib/postfix).  sendmail runs as root, so postdrop needs no group.
# (postfix start warns about it.)
cp -a "$PFDEB" "$PF" || die "cannot copy $PFDEB"
chown pfbench "$W/pfd"
chown -R "$ME:$MEG" "$PFM"
chmod -R go-rwx "$PFM"
cat > "$PFC/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PFQ
data_directory = $W/pfd
daemon_directory = $PFLIB/sbin
command_directory = $PF/usr/sbin
meta_directory = $PF/etc/postfix
shlib_directory = $PFLIB
manpage_directory = $PF/usr/share/man
sendmail_path = $PF/usr/sbin/sendmail
newaliases_path = $PF/usr/bin/newaliases
mailq_path = $PF/usr/bin/mailq
mail_owner = pfbench
setgid_group = pfbenchdrop
import_environment = MAIL_CONFIG MAIL_DEBUG LANG=C LD_LIBRARY_PATH
export_environment = TZ MAIL_CONFIG LANG LD_LIBRARY_PATH
maillog_file = $W/postfix.log
maillog_file_prefixes = $W
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = host.example.test
mydestination = \$myhostname
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
mail_spool_directory = $PFM/
biff = no
smtpd_peername_lookup = no
relayhost = [127.0.0.1]:$SINKPORT
EOF
cat > "$PFC/master.cf" <<EOF
127.0.0.1:$PFPORT inet n - n - - smtpd
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
tlsmgr    unix  -  -  n  1000? 1 tlsmgr
rewrite   unix  -  -  n  -    -  trivial-rewrite
bounce    unix  -  -  n  -    0  bounce
defer     unix  -  -  n  -    0  bounce
trace     unix  -  -  n  -    0  bounce
verify    unix  -  -  n  -    1  verify
flush     unix  n  -  n  1000? 0 flush
proxymap  unix  -  -  n  -    -  proxymap
smtp      unix  -  -  n  -    -  smtp
relay     unix  -  -  n  -    -  smtp
showq     unix  n  -  n  -    -  showq
error     unix  -  -  n  -    -  error
retry     unix  -  -  n  -    -  error
discard   unix  -  -  n  -    -  discard
local     unix  -  n  n  -    -  local
virtual   unix  -  n  n  -    -  virtual
lmtp      unix  -  -  n  -    -  lmtp
anvil     unix  -  -  n  -    1  anvil
scache    unix  -  -  n  -    1  scache
postlog   unix-dgram n  -  n  -    1  postlogd
EOF
pf() { LD_LIBRARY_PATH=$PFLIB "$@"; }

# Start both.  Postfix's commands log to syslog unless standard error
# is a terminal: script(1) gives them one, so that errors show here.
"$PLB/postlet" -c "$PLC" start > "$W/start.out" 2>&1 ||
    die "postlet start failed: $(cat "$W/start.out")"
if command -v script >/dev/null 2>&1; then
	LD_LIBRARY_PATH=$PFLIB timeout 60 script -qec \
	    "'$PF/usr/sbin/postfix' -c '$PFC' start" /dev/null \
	    > "$W/start.out" 2>&1
else
	pf timeout 60 "$PF/usr/sbin/postfix" -c "$PFC" start \
	    > "$W/start.out" 2>&1
fi
[ $? -eq 0 ] || die "postfix start failed: $(cat "$W/start.out")"
wait_port "$PLPORT" || die "postlet's smtpd does not listen on $PLPORT"
wait_port "$PFPORT" || die "Postfix's smtpd does not listen on $PFPORT"
sleep 3

# Idle memory: every process of each, after start.
PLDIRS="$PLB"
PFDIRS="$PFLIB/sbin $PF/usr/sbin"
record pss_idle postlet "$($PY "$SRC/bench/pss.py" $PLDIRS | cut -d' ' -f1)"
record pss_idle postfix "$($PY "$SRC/bench/pss.py" $PFDIRS | cut -d' ' -f1)"

mta_port() { if [ "$1" = postlet ]; then echo $PLPORT; else echo $PFPORT; fi; }
mta_dirs() { if [ "$1" = postlet ]; then echo $PLDIRS; else echo $PFDIRS; fi; }
# cpu_of MTA: CPU seconds its processes (and the children they reaped)
# have used so far.
cpu_of() { $PY "$SRC/bench/pss.py" -t $(mta_dirs "$1"); }
mta_new() { if [ "$1" = postlet ]; then echo "$PLM/$ME/new"; else echo "$PFM/$ME/new"; fi; }
# count_new DIR: files in a Maildir's new/.
count_new() { ls -f "$1" 2>/dev/null | grep -vc '^\.'; }
# sink_count: messages smtp-sink has counted (its -c counter).
sink_count() {
	n=$(tail -c 200 "$W/sink.out" 2>/dev/null | tr '\r' '\n' |
	    sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1)
	echo "${n:-0}"
}
# commits: the journal commits (transactions) of the queues' ext4 so
# far, from the kernel's jbd2 statistics; empty without BENCH_FS=image.
JBD=
[ -z "$LOOP" ] || JBD=/proc/fs/jbd2/${LOOP##*/}-8/info
commits() { [ -z "$JBD" ] || [ ! -r "$JBD" ] || awk 'NR == 1 { print $1 }' "$JBD"; }
# record_commits KEY MTA BEFORE: journal commits per message since BEFORE.
record_commits() {
	[ -z "$3" ] || record "$1" "$2" "$(calc "($(commits) - $3) / $MESSAGES")"
}
# wait_until DEADLINE CMD...: until CMD's output is at least $WANT.
wait_until() {
	dl=$1
	shift
	while [ "$("$@")" -lt "$WANT" ]; do
		[ "$(calc "$(now) < $dl")" = 1.000000 ] || return 1
		sleep 0.1
	done
	return 0
}

source_load() { # MTA RCPT [SMTP-SOURCE-OPTION]
	pf timeout "$TIMEOUT" "$PF/usr/sbin/smtp-source" ${3:-} \
	    -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f bench@example.test \
	    -t "$2" "127.0.0.1:$(mta_port "$1")" > "$W/source.out" 2>&1
}

# PROFILE=1: after the rounds, postlet's relay load with one message per
# connection runs once more, recorded nowhere (PROFILING), under `perf
# record -a -g` (1,000 samples a second per CPU), and bench/perfsplit.py
# writes where postlet's CPU goes, by program and system call, to
# PROFILE_OUT (bench/PROFILE.md).
PROFILED="smtpd cleanup qmgr smtp master local pickup bounce"
# foreign_pids: the live processes with those names that are not
# postlet's (Postfix's, idle meanwhile), comma-separated.
foreign_pids() {
	for p in /proc/[0-9]*; do
		case " $PROFILED " in *" $(cat "$p/comm" 2>/dev/null) "*) ;;
		*) continue;; esac
		case $(readlink "$p/exe" 2>/dev/null) in
		"$PLB"/*) ;;
		*) printf '%s,' "${p#/proc/}";;
		esac
	done
}
profile_start() { # MTA KIND
	[ -n "$PROFILING" ] && [ "$1" = postlet ] && [ "$2" = relay ] ||
	    return 0
	perf record -F 1000 -a -g -o "$W/perf.data" > "$W/perf.out" 2>&1 &
	PERF_PID=$!
	sleep 1		# (perf's start, before the load)
}
profile_end() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null
	wait "$PERF_PID" 2>/dev/null
	PERF_PID=
	{
		echo "# Where postlet's CPU goes"
		echo
		echo "Written by \`PROFILE=1 make bench\` (bench/run.sh,"
		echo "bench/perfsplit.py): one more relay load with one message"
		echo "per connection after the rounds: $MESSAGES messages, $SESSIONS sessions,"
		echo "$SIZE bytes; \`perf record -F 1000 -a -g\` on $(nproc) CPUs,"
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'), postlet $(git -C "$SRC" \
		    describe --always --dirty 2>/dev/null || echo '?')."
		echo "The programs are stripped: user space is one category."
		echo
		perf script -i "$W/perf.data" -F comm,pid,ip,sym,dso \
		    2>/dev/null | $PY "$SRC/bench/perfsplit.py" \
		    -x "$(foreign_pids)" 1000 "$MESSAGES" $PROFILED
	} > "$PROFILE_OUT.tmp" && mv "$PROFILE_OUT.tmp" "$PROFILE_OUT"
	say "wrote $PROFILE_OUT"
}

relay() { # MTA [reuse]: one message per connection, or (reuse) each
	# session's messages over one connection (smtp-source -d)
	m=$1
	if [ "${2:-}" = reuse ]; then
		k=relay_reuse opt=-d
	else
		k=relay opt=
	fi
	if [ "$m" = postlet ] && [ ! -x "$PLB/smtp" ]; then
		record ${k}_accept $m fail
		record ${k}_e2e $m fail
		note "$k $m: no smtp client program in $BUILD/bin"
		return
	fi
	: > "$W/sink.out"
	pf "$PF/usr/sbin/smtp-sink" -u pfbench -c "127.0.0.1:$SINKPORT" 256 \
	    > "$W/sink.out" 2>&1 &
	SINK_PID=$!
	wait_port "$SINKPORT" || die "smtp-sink does not listen on $SINKPORT"
	# (wait_port's connection counts as a session, not a message.)
	rm -f "$W/stop" "$W/stop.ready"
	$PY "$SRC/bench/pss.py" -w "$W/stop" $(mta_dirs $m) > "$W/peak" &
	spid=$!
	i=0
	while [ ! -e "$W/stop.ready" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	settle
	profile_start $m $k
	c0=$(cpu_of $m)
	j0=$(commits)
	t0=$(now)
	source_load $m bench@relay.example.test $opt
	rc=$?
	t1=$(now)
	WANT=$MESSAGES
	wait_until "$(calc "$t0 + $TIMEOUT")" sink_count
	ok=$?
	t2=$(now)
	c1=$(cpu_of $m)
	profile_end
	touch "$W/stop"
	wait $spid
	kill $SINK_PID 2>/dev/null
	wait $SINK_PID 2>/dev/null
	SINK_PID=
	if [ $rc -ne 0 ]; then
		record ${k}_accept $m fail
		note "$k $m: smtp-source failed ($rc): $(tail -n 3 "$W/source.out")"
	else
		record ${k}_accept $m "$(calc "$MESSAGES / ($t1 - $t0)")"
	fi
	if [ $rc -ne 0 ] || [ $ok -ne 0 ]; then
		record ${k}_e2e $m fail
		note "$k $m: the sink counted $(sink_count) of $MESSAGES"
	else
		record ${k}_e2e $m "$(calc "$MESSAGES / ($t2 - $t0)")"
		record ${k}_cpu $m "$(calc "($c1 - $c0) * 1000 / $MESSAGES")"
		record_commits ${k}_commits $m "$j0"
	fi
	if [ $k = relay ]; then
		record pss_load $m "$(cut -d' ' -f1 "$W/peak")"
		record procs_load $m "$(cut -d' ' -f2 "$W/peak")"
	fi
}

clear_new() { find "$(mta_new "$1")" -type f -delete; }

local_load() { # MTA
	m=$1
	clear_new $m
	settle
	c0=$(cpu_of $m)
	j0=$(commits)
	t0=$(now)
	source_load $m $ME@host.example.test
	rc=$?
	t1=$(now)
	WANT=$MESSAGES
	wait_until "$(calc "$t0 + $TIMEOUT")" count_new "$(mta_new $m)"
	ok=$?
	t2=$(now)
	c1=$(cpu_of $m)
	if [ $rc -ne 0 ]; then
		record local_accept $m fail
		note "local $m: smtp-source failed ($rc): $(tail -n 3 "$W/source.out")"
	else
		record local_accept $m "$(calc "$MESSAGES / ($t1 - $t0)")"
	fi
	if [ $rc -ne 0 ] || [ $ok -ne 0 ]; then
		record local_e2e $m fail
		note "local $m: $(count_new "$(mta_new $m)") of $MESSAGES delivered"
	else
		record local_e2e $m "$(calc "$MESSAGES / ($t2 - $t0)")"
		record local_cpu $m "$(calc "($c1 - $c0) * 1000 / $MESSAGES")"
		record_commits local_commits $m "$j0"
	fi
	clear_new $m
}

# The sendmail message: SIZE bytes with its headers.
$PY - "$W/msg" "$SIZE" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2])
head = ("From: <bench@example.test>\nTo: <mtabench@host.example.test>\n"
        "Subject: bench\n\n")
body, i = [], len(head)
while i < size:
    line = ("%06d " % len(body)) + "x" * 70 + "\n"
    body.append(line)
    i += len(line)
open(path, "w").write(head + "".join(body))
PY

sendmail_load() { # MTA
	m=$1
	clear_new $m
	if [ $m = postlet ]; then
		sm=$PLB/sendmail cfg=$PLC lib=
	else
		sm=$PF/usr/sbin/sendmail cfg=$PFC lib=$PFLIB
	fi
	# Nothing around each call: the environment is set once, and one
	# timeout bounds the whole loop (a timeout(1) and an env(1) per
	# call cost more than postlet's sendmail itself on the machine of
	# bench/RESULTS.md).
	settle
	t0=$(now)
	MAIL_CONFIG=$cfg LD_LIBRARY_PATH=$lib timeout "$TIMEOUT" sh -c '
		i=0 fails=0
		while [ $i -lt "$1" ]; do
			"$2" -i -f bench@example.test "$3" < "$4" ||
			    fails=$((fails + 1))
			i=$((i + 1))
		done
		echo $fails' sh "$SENDMAILS" "$sm" "$ME@host.example.test" \
	    "$W/msg" > "$W/sendmail.out" 2>&1
	rc=$?
	t1=$(now)
	fails=$(tail -n 1 "$W/sendmail.out")
	if [ $rc -ne 0 ]; then
		fails=$SENDMAILS
		note "sendmail $m: the loop failed or took over $TIMEOUT s ($rc)"
	fi
	WANT=$((SENDMAILS - fails))
	wait_until "$(calc "$t0 + $TIMEOUT")" count_new "$(mta_new $m)"
	ok=$?
	t2=$(now)
	if [ $fails -ne 0 ]; then
		record sendmail_ms $m fail
		note "sendmail $m: $fails of $SENDMAILS calls failed"
	else
		record sendmail_ms $m "$(calc "($t1 - $t0) * 1000 / $SENDMAILS")"
	fi
	if [ $fails -ne 0 ] || [ $ok -ne 0 ]; then
		record sendmail_all $m fail
		note "sendmail $m: $(count_new "$(mta_new $m)") of $SENDMAILS delivered"
	else
		record sendmail_all $m "$(calc "$t2 - $t0")"
	fi
	clear_new $m
}

ceiling() {
	"$W/ceiling" -d "$W" -s "$CEIL_SECONDS" 1 4 20 > "$W/ceil.out" ||
	    { note "ceiling failed"; return; }
	while read -r _ _ w _ _ _ _ _ rate _ cpu; do
		record ceiling_$w all "$rate"
		record ceiling_cpu_$w all "$cpu"
	done < "$W/ceil.out"
}

round=1
while [ $round -le "$ROUNDS" ]; do
	if [ $((round % 2)) = 1 ]; then order="postlet postfix"
	else order="postfix postlet"; fi
	say "round $round of $ROUNDS ($order first)"
	ceiling
	for m in $order; do relay $m; done
	for m in $order; do relay $m reuse; done
	for m in $order; do local_load $m; done
	for m in $order; do sendmail_load $m; done
	round=$((round + 1))
done
if [ "$PROFILE" = 1 ]; then
	say "profile: postlet's relay once more, under perf"
	PROFILING=1
	relay postlet
	PROFILING=
fi

# Footprint on disk.  postlet: `make size`'s way, distinct files (hard
# links once).  Postfix: its ELF programs and libraries, plus every
# shared library they load (ldd), each file once.
PLSIZE=$(sh "$SRC/mk/size.sh" "$BUILD/bin" 2>/dev/null | awk '$2 == "total" { print $1 }')
PFSIZE=$(
	for f in "$PF"/usr/sbin/* "$PFLIB"/sbin/* "$PFLIB"/*.so; do
		[ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = 177ELF ] || continue
		echo "$f"
		pf ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		    $1 ~ /^\// { print $1 }'
	done | while read -r f; do readlink -f "$f"; done | sort -u |
	    while read -r f; do stat -c '%i %s' "$f"; done | sort -u |
	    awk '{ s += $2 } END { print s }')
record bin_bytes postlet "$PLSIZE"
record bin_bytes postfix "$PFSIZE"

# The report.
median() { # FILE: the median of its numbers, or n/a
	[ -f "$1" ] || { echo n/a; return; }
	grep -E '^[0-9.]+$' "$1" | sort -n | awk '{ v[NR] = $1 }
	    END { if (NR == 0) print "n/a"
	          else if (NR % 2) print v[(NR + 1) / 2]
	          else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fmt() { # VALUE DECIMALS
	case $1 in n/a) echo n/a;; *) awk "BEGIN { printf \"%.$2f\", $1 }";; esac
}
ratio() {
	case "$1$2" in *n/a*) echo n/a;; *)
		awk "BEGIN { if ($2 == 0) print \"n/a\"; else printf \"%.2f\", $1 / $2 }";;
	esac
}
CEIL20=$(median "$R/ceiling_20.all")
pct() {
	case "$1$CEIL20" in *n/a*) echo n/a;; *)
		awk "BEGIN { if ($CEIL20 == 0) print \"n/a\"; else printf \"%.0f%%\", 100 * $1 / $CEIL20 }";;
	esac
}
# rounds METRIC: postlet / Postfix of each round, in the rounds' order
# (what is not a number, a failed run, shows as -)
rounds() {
	[ -f "$R/$1.postlet" ] && [ -f "$R/$1.postfix" ] || return 0
	paste "$R/$1.postlet" "$R/$1.postfix" | awk '{
	    r = "-"
	    if ($1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ && $2 > 0)
		r = sprintf("%.2f", $1 / $2)
	    printf "%s%s", (NR > 1 ? ", " : ""), r }'
}
TABLE=$W/table
{
	echo "| metric | postlet | Postfix | ratio | ratio in each round | % of ceiling (postlet / Postfix) |"
	echo "|---|---:|---:|---:|---:|---:|"
	# row METRIC LABEL DECIMALS [rate|each]: with rate or each, the
	# ratio of each round too; with rate, the % of ceiling
	row() {
		a=$(median "$R/$1.postlet") b=$(median "$R/$1.postfix")
		c= e=
		[ "${4:-}" = rate ] && c="$(pct "$a") / $(pct "$b")"
		[ -n "${4:-}" ] && e=$(rounds "$1")
		echo "| $2 | $(fmt "$a" "$3") | $(fmt "$b" "$3") | $(ratio "$a" "$b") | $e | $c |"
	}
	row relay_accept "relay: accepted, msg/s" 0 rate
	row relay_e2e "relay: end to end, msg/s" 0 rate
	row relay_cpu "relay: CPU per message, ms" 2 each
	row relay_commits "relay: journal commits per message" 2 each
	row relay_reuse_accept "relay, connections reused: accepted, msg/s" 0 rate
	row relay_reuse_e2e "relay, connections reused: end to end, msg/s" 0 rate
	row relay_reuse_cpu "relay, connections reused: CPU per message, ms" 2 each
	row relay_reuse_commits "relay, connections reused: journal commits per message" 2 each
	row local_accept "local: accepted, msg/s" 0 rate
	row local_e2e "local: end to end, msg/s" 0 rate
	row local_cpu "local: CPU per message, ms" 2 each
	row local_commits "local: journal commits per message" 2 each
	row sendmail_ms "sendmail: ms per call" 2 each
	row sendmail_all "sendmail: s until all delivered" 2 each
	row bin_bytes "binaries on disk, bytes" 0
	row pss_idle "PSS idle, all processes, KiB" 0
	row pss_load "PSS peak during relay, KiB" 0
	row procs_load "processes at that peak" 0
	for w in 1 4 20; do
		echo "| ceiling: $w writers, msg/s | $(fmt "$(median "$R/ceiling_$w.all")" 0) | | | | |"
	done
	for w in 1 20; do
		echo "| ceiling: $w writers, CPU per message, ms | $(fmt "$(median "$R/ceiling_cpu_$w.all")" 3) | | | | |"
	done
} > "$TABLE"
echo
cat "$TABLE"
[ ! -s "$R/notes" ] || { echo; sed 's/^/note: /' "$R/notes"; }

# The machine and the versions.
CPU=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)
FS=$(findmnt -n -o SOURCE,FSTYPE,OPTIONS -T "$W" 2>/dev/null ||
    df -T "$W" | awk 'NR == 2 { print $1, $2 }')
PLVER=$(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown)
PFVER=$(pf "$PF/usr/sbin/postconf" -c "$PFC" -h mail_version 2>/dev/null)
{
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` (bench/run.sh); see bench/README.md."
	[ -z "$NOTE" ] || { echo; echo "$NOTE"; }
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(nproc) CPUs, $CPU; kernel $(uname -r)"
	if [ -n "$FSNOTE" ]; then
		echo "- disk of the queues: $FSNOTE"
	else
		echo "- disk of the queues: $FS"
	fi
	echo "- postlet $PLVER; Postfix $PFVER (Debian package, unpacked)"
	echo "- load: ROUNDS=$ROUNDS SESSIONS=$SESSIONS MESSAGES=$MESSAGES SIZE=$SIZE SENDMAILS=$SENDMAILS CEIL_SECONDS=$CEIL_SECONDS"
	echo "- medians of the rounds; ratio = postlet / Postfix (rates: higher"
	echo "  is better; times, sizes, memory, commits: lower is better), also"
	echo "  of each round alone, to show how much a run varies; journal"
	echo "  commits: transactions of the queues' ext4 (jbd2) per message; %"
	echo "  of ceiling = the rate over bench/ceiling's 20-writer rate"
	echo
	cat "$TABLE"
	if [ -s "$R/notes" ]; then
		echo
		sed 's/^/- note: /' "$R/notes"
	fi
} > "$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
say "wrote $RESULTS"
