#!/bin/sh
# SPDX-License-Identifier: ISC
#
# bench/instr.sh [BUILD]: the instructions postlet's own code runs per
# relayed message, counted by valgrind's callgrind for each program of
# the relay path (smtpd, cleanup, qmgr, smtp): what a change to the code
# saves, exactly, where CPU time moves by ±20 % from run to run.  Not
# part of `make check` (it needs valgrind and takes a minute or two).
#
# A postlet instance from a copy of BUILD/bin (default build) runs in a
# fresh directory under TMPDIR as the user running this script (as root:
# as nobody, through runuser), with those four programs started under
# callgrind; Postfix's smtp-source (from `make testtools`) sends
# MESSAGES messages of SIZE bytes over SESSIONS sessions, one message
# per connection, to a relayhost that is Postfix's smtp-sink.  When all
# are sent, postlet stops, and the table gives, per program, how many
# processes ran, their instructions (start-up included: a reused process
# starts once for many messages), and those over MESSAGES.  KEEP=1 keeps
# the directory, with callgrind's files for callgrind_annotate.
set -u

MESSAGES=${MESSAGES:-300}
SESSIONS=${SESSIONS:-5}
SIZE=${SIZE:-2048}
TIMEOUT=${TIMEOUT:-600}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD;; esac
PFDEB=$SRC/build/src/debs/postfix
PROGS="smtpd cleanup qmgr smtp"

say() { printf 'instr: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$BUILD/bin/postlet" ] || die "no $BUILD/bin/postlet: run make first"
[ -x "$PFDEB/usr/sbin/smtp-source" ] ||
    die "no smtp-source in $PFDEB: run make testtools as root"
command -v valgrind >/dev/null 2>&1 || die "valgrind missing"
if [ "$(id -u)" -eq 0 ]; then
	# root's daemons would change ids, and callgrind could not write
	# its files then: the whole instance runs as nobody instead
	command -v runuser >/dev/null 2>&1 || die "runuser missing"
	exec runuser -u nobody -- env TMPDIR=/tmp HOME=/tmp sh "$0" "$BUILD"
fi
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || die "no $PY (PYTHON=...)"

W=$(mktemp -d "${TMPDIR:-/tmp}/postlet-instr.XXXXXX") || die "mktemp failed"
SINK_PID=
stop_all() {
	[ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null
	[ ! -d "$W/conf" ] ||
	    timeout 30 "$W/bin/postlet" -c "$W/conf" stop >/dev/null 2>&1
	if [ "${KEEP:-}" = 1 ]; then
		say "kept $W"
	else
		rm -rf "$W"
	fi
}
trap 'stop_all' EXIT
trap 'exit 1' INT TERM HUP

set -- $($PY -c '
import socket
ss = [socket.socket() for i in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
PORT=$1 SINKPORT=$2
mkdir -p "$W/conf" "$W/queue" "$W/cg" "$W/real" || die "mkdir failed"
cp -a "$BUILD/bin" "$W/bin" || die "cannot copy $BUILD/bin"
# Each program of PROGS: its name in bin/ runs callgrind on a hard link
# of the multi-call binary under the same name (the name picks the
# program) in real/.
for p in $PROGS; do
	ln -f "$W/bin/postlet-multicall" "$W/real/$p" &&
	    rm -f "$W/bin/$p" &&
	    printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/cg/%s.%%p %s/real/%s "$@" 2>>%s/cg/%s.err\n' \
	    "$W" "$p" "$W" "$p" "$W" "$p" > "$W/bin/$p" &&
	    chmod 755 "$W/bin/$p" || die "cannot wrap $p"
done
cat > "$W/conf/main.cf" <<EOF
queue_directory = $W/queue
command_directory = $W/bin
daemon_directory = $W/bin
mail_owner = $(id -un)
setgid_group = $(id -gn)
maillog_file = $W/maillog
myhostname = host.example.test
mydestination = \$myhostname
alias_maps =
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
relayhost = [127.0.0.1]:$SINKPORT
EOF
cat > "$W/conf/master.cf" <<EOF
127.0.0.1:$PORT inet n - n - 100 smtpd
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
bounce    unix  -  -  n  -    0  bounce
smtp      unix  -  -  n  -    -  smtp
EOF

pf() { LD_LIBRARY_PATH=$PFDEB/usr/lib/postfix "$@"; }
# env execs the sink: $! is its process, for stop_all to kill
env LD_LIBRARY_PATH="$PFDEB/usr/lib/postfix" "$PFDEB/usr/sbin/smtp-sink" \
    "127.0.0.1:$SINKPORT" 256 > "$W/sink.out" 2>&1 &
SINK_PID=$!
"$W/bin/postlet" -c "$W/conf" start > "$W/start.out" 2>&1 ||
    die "postlet start failed: $(cat "$W/start.out")"
$PY -c '
import socket, sys, time
for i in range(400):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)' "$PORT" || die "smtpd does not listen on $PORT"

pf timeout "$TIMEOUT" "$PFDEB/usr/sbin/smtp-source" -s "$SESSIONS" \
    -m "$MESSAGES" -l "$SIZE" -f bench@example.test -t rcpt@example.com \
    "127.0.0.1:$PORT" > "$W/source.out" 2>&1 ||
    die "smtp-source failed: $(tail -n 3 "$W/source.out")"
# every message relayed (qmgr's status=sent lines), then the end
end=$(($(date +%s) + TIMEOUT))
while [ "$(grep -c 'status=sent' "$W/maillog" 2>/dev/null)" -lt "$MESSAGES" ]
do
	[ "$(date +%s)" -lt "$end" ] || die "not all relayed in ${TIMEOUT}s"
	sleep 0.5
done
timeout 60 "$W/bin/postlet" -c "$W/conf" stop >/dev/null 2>&1
# callgrind writes its file when its process ends
end=$(($(date +%s) + 120))
while pgrep -f "$W/real/" >/dev/null 2>&1; do
	[ "$(date +%s)" -lt "$end" ] || die "programs still running"
	sleep 0.5
done

printf '%-8s %9s %14s %13s\n' program processes instructions "per message"
for p in $PROGS; do
	n=0 sum=0
	for f in "$W/cg/$p".[0-9]*; do
		[ -f "$f" ] || continue
		v=$(sed -n 's/^summary: //p' "$f")
		[ -n "$v" ] || continue
		n=$((n + 1))
		sum=$((sum + v))
	done
	printf '%-8s %9d %14d %13d\n' "$p" "$n" "$sum" $((sum / MESSAGES))
done
