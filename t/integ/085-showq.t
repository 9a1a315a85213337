#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 085-showq.t: mailq and flush for users who may not read the queue.
# A real instance (master, pickup, cleanup, qmgr, showq, error, discard)
# holds two messages deferred by a transport that says "try again
# later".  As root, mail_owner is one test user and the "plain" user
# another (real group setgid_group, as postdrop's group: a non-default
# configuration directory is refused from a setgid caller of another
# group, by design); they go through postdrop -q / -f and master's showq
# service.  Checked: public/showq is a socket; the plain user's `postlet
# queue', mailq and `sendmail -bp' print root's `postlet queue' byte for
# byte, `postlet queue -j' parses as JSON; show and delete are refused
# (exit 77); garbage or silence on the socket is logged and master goes
# on; with maxproc 1 a second client waits for the first; a reload
# keeps the socket; the plain user's flush retries deferred mail at
# once; with master stopped, "mail system is down" and exit 69.  Without root, the instance
# is the user's own, and postdrop -q / -f are run directly (the root-only
# checks are skipped).  Every wait is bounded; a trap stops master and
# removes the test users.
. "$(dirname "$0")/../lib.sh"

tap_plan 29

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip 29 "python3 not installed"
	tap_done
fi
for p in postlet sendmail postdrop master pickup cleanup qmgr showq error \
    discard; do
	[ -x "$POSTLET_BUILD/bin/$p" ] || tap_bail "no $p: run make first"
done
unset MAIL_CONFIG
T=$TAP_TMP
chmod 755 "$T"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
ln -sf sendmail "$B/mailq"
I=$T/i
C=$I/conf
Q=$I/queue
LOG=$I/maillog
mkdir -p "$C"
chmod 755 "$I" "$C"
: >"$LOG"
chmod 666 "$LOG"

ROOT=
OW=
PU=
GR=
if [ "$(id -u)" = 0 ]; then
	if ! command -v useradd >/dev/null 2>&1 ||
	    ! command -v groupadd >/dev/null 2>&1 ||
	    ! command -v setpriv >/dev/null 2>&1; then
		tap_skip 29 "useradd, groupadd or setpriv missing"
		tap_done
	fi
	ROOT=1
	r=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	OW=plo$r
	PU=plp$r
	GR=plg$r
	useradd -M -U -d /nonexistent -s /bin/sh "$OW" >/dev/null 2>&1 &&
	    useradd -M -U -d /nonexistent -s /bin/sh "$PU" >/dev/null 2>&1 &&
	    groupadd "$GR" >/dev/null 2>&1 || tap_bail "useradd/groupadd"
	chgrp "$GR" "$B/postdrop" && chmod 2755 "$B/postdrop" ||
	    tap_bail "chmod postdrop"
	OWNER=$OW
	GROUP=$GR
else
	OWNER=$(id -un)
	GROUP=$(id -gn)
fi

as_plain()
{
	setpriv --reuid="$PU" --regid="$GR" --clear-groups "$@"
}
# The plain user's mailq, postlet queue [-j], flush; without root the
# postdrop requests themselves.
pq()
{
	if [ -n "$ROOT" ]; then
		as_plain "$B/postlet" -c "$C" queue "$@"
	else
		"$B/postdrop" -c "$C" -q "$@"
	fi
}
pflush()
{
	if [ -n "$ROOT" ]; then
		as_plain "$B/postlet" -c "$C" flush
	else
		"$B/postdrop" -c "$C" -f
	fi
}
plain() { if [ -n "$ROOT" ]; then as_plain "$@"; else "$@"; fi; }

cleanup()
{
	"$B/postlet" -c "$C" stop >/dev/null 2>&1
	mp=$(cat "$Q/pid/master.pid" 2>/dev/null)
	[ -z "$mp" ] || kill -9 "$mp" 2>/dev/null
	if [ -n "$ROOT" ]; then
		for u in "$OW" "$PU"; do
			for p in $(ps -u "$u" -o pid= 2>/dev/null); do
				kill -9 "$p" 2>/dev/null
			done
			userdel "$u" >/dev/null 2>&1
		done
		groupdel "$GR" >/dev/null 2>&1
	fi
	tap_cleanup
}
trap cleanup EXIT

cat >"$C/main.cf" <<EOF
queue_directory = $Q
command_directory = $B
daemon_directory = $B
mail_owner = $OWNER
setgid_group = $GROUP
maillog_file = $LOG
myhostname = host.example.test
transport_maps = texthash:$C/transport
service_throttle_time = 1s
minimal_backoff_time = 1h
maximal_backoff_time = 2h
queue_run_delay = 1h
EOF
cat >"$C/master.cf" <<'EOF'
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
showq     unix  n  -  n  -    1  showq
error     unix  -  -  n  -    -  error
discard   unix  -  -  n  -    -  discard
EOF
printf 'later.example\terror:4.7.1 try again later\n' >"$C/transport"
chmod 644 "$C/main.cf" "$C/master.cf" "$C/transport"

# wait_for SECONDS COMMAND...: run COMMAND every 0.2 s until it succeeds.
wait_for()
{
	wf_n=$(($1 * 5))
	shift
	while [ "$wf_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		wf_n=$((wf_n - 1))
	done
	return 1
}
ndeferred() { ls "$Q/deferred" 2>/dev/null | wc -l | tr -d ' '; }
deferred_is() { [ "$(ndeferred)" = "$1" ]; }
logged() { grep -q -- "$1" "$LOG"; }

# --- an instance with deferred mail --------------------------------------
tap_run "$B/postlet" -c "$C" start
tap_is "$tap_status" 0 "start: exit 0" || tap_diag "$(cat "$T/err")"
test -S "$Q/public/showq"
tap_ok $? "master listens on public/showq (a socket)"
tap_is "$(stat -c %a "$Q/public/showq") $(stat -c %a "$Q/public")" \
    "666 710" "the socket is 0666 inside public/ (0710)"
for s in one two; do
	printf 'Subject: %s\n\n%s\n' "$s" "$s" |
	    "$B/sendmail" -C "$C" -f "sender@example.org" \
	    "rcpt-$s@later.example"
done
wait_for 20 deferred_is 2
tap_ok $? "two messages deferred by the transport"

# --- listing ------------------------------------------------------------
tap_run "$B/postlet" -c "$C" queue
cp "$T/out" "$T/root.out"
grep -q "^-- 1 Kbytes in 2 Requests.$" "$T/root.out" &&
    grep -q "^(4.7.1 try again later)$" "$T/root.out"
tap_ok $? "owner's postlet queue: two requests with their reason" ||
    tap_diag "$(cat "$T/root.out" "$T/err")"
pq >"$T/out" 2>"$T/err"
tap_is "$?" 0 "plain user's queue listing: exit 0"
tap_file_is "$T/out" "$T/root.out" \
    "plain user's listing (through showq) is the owner's, byte for byte"
tap_is "$(cat "$T/err")" "" "plain user's listing: nothing on stderr"
plain "$B/mailq" -C "$C" >"$T/out" 2>"$T/err"
tap_file_is "$T/out" "$T/root.out" "plain user's mailq: the same"
plain "$B/sendmail" -C "$C" -bp >"$T/out" 2>"$T/err"
tap_file_is "$T/out" "$T/root.out" "plain user's sendmail -bp: the same"
pq -j >"$T/out" 2>"$T/err"
python3 -c '
import json, sys
m = [json.loads(l) for l in open(sys.argv[1])]
print(len(m), sorted(x["queue_name"] for x in m),
      sorted(r["address"] for x in m for r in x["recipients"]),
      m[0]["recipients"][0]["delay_reason"])' "$T/out" >"$T/json" 2>&1
tap_is "$(cat "$T/json")" "2 ['deferred', 'deferred'] \
['rcpt-one@later.example', 'rcpt-two@later.example'] \
4.7.1 try again later" "plain user's queue -j: JSON lines, parsed"

# --- what stays with the owner ----------------------------------------
ID=$(ls "$Q/deferred" | head -n 1)
if [ -n "$ROOT" ]; then
	as_plain "$B/postlet" -c "$C" show "$ID" >"$T/out" 2>"$T/err"
	tap_is "$?" 77 "plain user's show: refused, exit 77"
	grep -q "show: permission denied: only root and the mail system's \
owner" "$T/err"
	tap_ok $? "plain user's show: says who may" || tap_diag "$(cat "$T/err")"
	as_plain "$B/postlet" -c "$C" delete "$ID" >"$T/out" 2>"$T/err"
	[ $? = 77 ] && [ -f "$Q/deferred/$ID" ]
	tap_ok $? "plain user's delete: refused (77), the message stays"
else
	tap_skip 3 "not root: no other user"
fi

# --- a hostile client --------------------------------------------------
cat >"$T/client.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sys.argv[1])
if sys.argv[2] != "-":
    s.sendall(sys.argv[2].encode().decode("unicode_escape").encode())
t = time.monotonic()
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
print(len(data), "closed", "late" if time.monotonic() - t > 25 else "")
PY
python3 "$T/client.py" "$Q/public/showq" 'garbage\n' >"$T/out" 2>&1
tap_is "$(cat "$T/out")" "0 closed " "garbage request: no answer, closed"
wait_for 5 logged "showq\[[0-9]*\]: warning: unknown request \"garbage\""
tap_ok $? "garbage request: logged by showq"
python3 "$T/client.py" "$Q/public/showq" - >"$T/out" 2>&1
tap_is "$(cat "$T/out")" "0 closed " "silent client: showq times out, closes"
wait_for 5 logged "showq\[[0-9]*\]: warning: timeout after 10 seconds"
tap_ok $? "silent client: logged"
pq >"$T/out" 2>"$T/err"
tap_file_is "$T/out" "$T/root.out" "master still serves after them"

# --- maxproc and reload -----------------------------------------------
# maxproc 1: while a silent client holds the one showq (10 s), the next
# one waits in the listen queue and is answered after it.
python3 "$T/client.py" "$Q/public/showq" - >/dev/null 2>&1 &
SILENT=$!
sleep 1
pq >"$T/out" 2>"$T/err"
tap_file_is "$T/out" "$T/root.out" \
    "maxproc 1: a client that finds showq busy waits and is answered"
wait "$SILENT"
ino=$(stat -c %i "$Q/public/showq")
"$B/postlet" -c "$C" reload >/dev/null 2>&1
wait_for 5 logged "reload -- version"
tap_is "$(stat -c %i "$Q/public/showq" 2>/dev/null)" "$ino" \
    "reload: the socket is kept"
pq >"$T/out" 2>"$T/err"
tap_file_is "$T/out" "$T/root.out" "reload: showq still answers"

# --- flush -------------------------------------------------------------
# Deferred for an hour (minimal_backoff_time, queue_run_delay): only the
# flush makes qmgr try them again now, which it logs.
tries() { grep -c "to=<rcpt-$1@later.example>.*status=deferred" "$LOG"; }
n1=$(tries one)
n2=$(tries two)
tap_run pflush
tap_is "$tap_status" 0 "plain user's flush: exit 0" ||
    tap_diag "$(cat "$T/err")"
tried_again() { [ "$(tries one)" -gt "$n1" ] && [ "$(tries two)" -gt "$n2" ]; }
wait_for 20 tried_again
tap_ok $? "plain user's flush: qmgr tries the deferred mail again now" ||
    tap_diag "$(tail -n 5 "$LOG")"
"$B/postlet" -c "$C" delete ALL >/dev/null 2>&1
pq >"$T/out" 2>"$T/err"
tap_is "$(cat "$T/out")" "Mail queue is empty" \
    "plain user's listing of an empty queue"

# --- mail system down --------------------------------------------------
"$B/postlet" -c "$C" stop >/dev/null 2>&1
test ! -e "$Q/public/showq"
tap_ok $? "stop: the socket is removed"
pq >"$T/out" 2>"$T/err"
tap_is "$?" 69 "master down: the plain user's listing exits 69"
tap_is "$(cat "$T/err")" \
    "postdrop: fatal: queue report unavailable: mail system is down" \
    "master down: mail system is down"
pflush >"$T/out" 2>"$T/err"
st=$?
[ "$st" = 69 ] && grep -q "mail system is down" "$T/err"
tap_ok $? "master down: flush says so, exit 69" ||
    tap_diag "$st $(cat "$T/err")"

tap_done
