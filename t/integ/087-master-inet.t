#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 087-master-inet.t: master's inet services.  A stand-in per-connection
# program, "greeter" (Python, in the test's daemon_directory), answers
# "220 PEER-ADDR PEER-PORT LOCAL-ADDR LOCAL-PORT uid=UID" from
# getpeername/getsockname on descriptor 0, then "221 bye" to the
# client's first line.  master.cf services listen on random free ports
# of 127.0.0.1.  Checked: the greeting byte for byte (the client's
# address and port reach the child), the child runs as mail_owner;
# -o overrides; a bare port with inet_interfaces = loopback-only listens
# on 127.0.0.1 (and ::1 when the host has IPv6); maxproc 2 makes a third
# client wait until one of the first two leaves; the per-client count
# and rate limits answer Postfix's 421 lines and log, the exceptions
# exempt; a missing command neither kills master nor leaves the client
# hanging; reload keeps the listening socket (same inode) and serves
# during it; a second master that cannot bind exits 69 with a clear
# message; SIGTERM closes the listener at once while a session in
# progress completes.  As root, also port 25 ("smtp") on 127.0.0.1 when
# free.  Also: [::1]:PORT, reload adding and removing a service, an
# unknown port name (exit 78).  Every wait is bounded; only 127.0.0.1 and
# ::1 are used.
. "$(dirname "$0")/../lib.sh"

tap_plan 34

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip 34 "python3 not installed"
	tap_done
fi
for p in postlet master; do
	[ -x "$POSTLET_BUILD/bin/$p" ] || tap_bail "no $p: run make first"
done
unset MAIL_CONFIG
T=$TAP_TMP
chmod 755 "$T"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
C=$T/conf
Q=$T/queue
LOG=$T/maillog
mkdir -p "$C"
: >"$LOG"
chmod 666 "$LOG"

TU=
if [ "$(id -u)" = 0 ]; then
	command -v useradd >/dev/null 2>&1 || tap_bail "useradd missing"
	TU=pli$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	useradd -M -U -d /nonexistent -s /bin/sh "$TU" >/dev/null 2>&1 ||
	    tap_bail "useradd $TU"
	OWNER=$TU
	GROUP=$TU
else
	OWNER=$(id -un)
	GROUP=$(id -gn)
fi
OWNER_UID=$(id -u "$OWNER")

cleanup()
{
	for f in "$Q/pid/master.pid" "$T/q2/pid/master.pid"; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	if [ -n "$TU" ]; then
		for p in $(ps -u "$TU" -o pid= 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		userdel "$TU" >/dev/null 2>&1
	fi
	tap_cleanup
}
trap cleanup EXIT

# The stand-in service.
cat >"$B/greeter" <<'PY'
#!/usr/bin/env python3
import os, socket, sys
s = socket.socket(fileno=0)
peer, me = s.getpeername(), s.getsockname()
s.detach()
os.write(1, ("220 %s %d %s %d uid=%d\r\n" %
             (peer[0], peer[1], me[0], me[1], os.getuid())).encode())
line = b""
while not line.endswith(b"\n") and len(line) < 1000:
    b = os.read(0, 1)
    if not b:
        sys.exit(0)
    line += b
os.write(1, b"221 bye\r\n")
PY
chmod 755 "$B/greeter"

# The client: scenarios print what they saw, one line each.
cat >"$T/client.py" <<'PY'
import socket, sys, time

TMO = 20

def conn(port, host="127.0.0.1"):
    s = socket.create_connection((host, port), timeout=TMO)
    return s

def line(s):
    data = b""
    while not data.endswith(b"\n") and len(data) < 1000:
        b = s.recv(1)
        if not b:
            break
        data += b
    return data

def greet_ok(s, port, host="127.0.0.1"):
    g = line(s)
    me = s.getsockname()
    want = ("220 %s %d %s %d uid=" % (me[0], me[1], host, port)).encode()
    if g.startswith(want) and g.endswith(b"\r\n"):
        return "greeting ok " + g[len(want) - 4:-2].decode()
    return "greeting %r, wanted %r..." % (g, want)

def quit(s):
    s.sendall(b"QUIT\r\n")
    r = line(s)
    rest = s.recv(100)
    s.close()
    return "%r%s" % (r, " closed" if rest == b"" else " %r" % rest)

def quiet(s, secs):
    s.settimeout(secs)
    try:
        d = s.recv(100)
        return "data %r" % d
    except socket.timeout:
        return "waits"
    finally:
        s.settimeout(TMO)

cmd, port = sys.argv[1], int(sys.argv[2])
host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
if cmd == "greet":
    s = conn(port, host)
    print(greet_ok(s, port, host))
    print(quit(s))
elif cmd == "maxproc":
    a, b = conn(port), conn(port)
    print(greet_ok(a, port).split(" uid")[0], greet_ok(b, port).split(" uid")[0])
    c = conn(port)
    print("third:", quiet(c, 1.5))
    print(quit(a))
    print("third after one left:", greet_ok(c, port).split(" uid")[0])
    print(quit(b), quit(c))
elif cmd == "count":
    a, b = conn(port), conn(port)
    print(greet_ok(a, port).split(" uid")[0], greet_ok(b, port).split(" uid")[0])
    c = conn(port)
    print("third: %r" % c.recv(200))
    print("then: %r" % c.recv(200))
    c.close()
    print(quit(a), quit(b))
elif cmd == "rate":
    for i in range(3):
        s = conn(port)
        print(greet_ok(s, port).split(" uid")[0], quit(s))
    s = conn(port)
    print("fourth: %r" % s.recv(200))
elif cmd == "many":
    ss = [conn(port) for i in range(4)]
    print(" ".join(greet_ok(s, port).split(" uid")[0] for s in ss))
    print(" ".join(quit(s) for s in ss))
elif cmd == "eof":
    s = conn(port)
    print("%r" % s.recv(200))
elif cmd == "hold":
    # greeted, then wait for a file to appear, then QUIT
    s = conn(port)
    print(greet_ok(s, port).split(" uid")[0], flush=True)
    t = time.monotonic()
    while time.monotonic() - t < TMO:
        try:
            open(sys.argv[3]).close()
            break
        except OSError:
            time.sleep(0.1)
    print(quit(s), flush=True)
elif cmd == "refused":
    # 1 once a connection is refused (within 10 s), else 0
    t = time.monotonic()
    while time.monotonic() - t < 10:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.close()
            time.sleep(0.05)
        except ConnectionRefusedError:
            print("refused")
            break
    else:
        print("still accepting")
PY

# Free ports: bound together, then released.
python3 -c '
import socket
ss = [socket.socket() for i in range(9)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' >"$T/ports" ||
    tap_bail "no free ports"
read -r P1 P2 P3 P4 P5 P6 P7 P8 P9 <"$T/ports"

# The listening socket of 127.0.0.1:PORT (hex in /proc/net/tcp): inode.
lsn_inode()
{
	python3 -c '
import sys
port = "%04X" % int(sys.argv[1])
for l in open("/proc/net/tcp").readlines()[1:]:
    f = l.split()
    if f[1] == "0100007F:" + port and f[3] == "0A":
        print(f[9])' "$1"
}
# Whether ::1 PORT listens (/proc/net/tcp6).
lsn6()
{
	python3 -c '
import sys
port = "%04X" % int(sys.argv[1])
for l in open("/proc/net/tcp6").readlines()[1:]:
    f = l.split()
    if f[1] == "00000000000000000000000001000000:" + port and f[3] == "0A":
        print("yes")' "$1" 2>/dev/null
}

PORT25=
if [ -n "$TU" ] && [ -z "$(lsn_inode 25)" ] &&
    python3 -c 'import socket; socket.socket().bind(("127.0.0.1", 25))' \
    2>/dev/null; then
	PORT25=1
fi

cat >"$C/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $B
mail_owner = $OWNER
setgid_group = $GROUP
maillog_file = $LOG
service_throttle_time = 1s
inet_interfaces = loopback-only
EOF
cat >"$C/master.cf" <<EOF
127.0.0.1:$P1 inet n - n - - greeter
  -o smtpd_client_connection_count_limit=0
127.0.0.1:$P2 inet n - n - 2 greeter
$P3 inet n - n - - greeter
127.0.0.1:$P4 inet n - n - 10 greeter
  -o smtpd_client_event_limit_exceptions=
  -o smtpd_client_connection_count_limit=2
127.0.0.1:$P5 inet n - n - - greeter
  -o smtpd_client_event_limit_exceptions=
  -o smtpd_client_connection_rate_limit=3
127.0.0.1:$P6 inet n - n - - greeter
  -o smtpd_client_connection_count_limit=1
  -o smtpd_client_connection_rate_limit=1
  -o smtpd_client_event_limit_exceptions=127.0.0.0/8
127.0.0.1:$P7 inet n - n - - nosuchprogram
EOF
if [ -n "$PORT25" ]; then
	echo "127.0.0.1:smtp inet n - n - - greeter" >>"$C/master.cf"
fi
HAVE6=
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	HAVE6=1
	echo "[::1]:$P8 inet n - n - - greeter" >>"$C/master.cf"
fi
chmod 644 "$C/main.cf" "$C/master.cf"

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
logged() { grep -q -- "$1" "$LOG" 2>/dev/null; }
gone()
{
	! kill -0 "$1" 2>/dev/null ||
	    [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}
cl() { python3 "$T/client.py" "$@" 2>&1; }

# --- start and a greeting -----------------------------------------------
tap_run "$B/postlet" -c "$C" start
tap_is "$tap_status" 0 "start: exit 0" || tap_diag "$(cat "$T/err")"
MP=$(cat "$Q/pid/master.pid" 2>/dev/null)
tap_is "$(cl greet "$P1")" "greeting ok uid=$OWNER_UID
b'221 bye\\r\\n' closed" \
    "the child has the connection on 0 and 1, sees the client's address \
and port, runs as mail_owner"

# --- loopback-only ------------------------------------------------------
[ -n "$(lsn_inode "$P3")" ]
tap_ok $? "bare port, inet_interfaces = loopback-only: listens on 127.0.0.1"
if [ -n "$HAVE6" ]; then
	tap_is "$(lsn6 "$P3")" yes "... and on ::1"
	tap_is "$(cl greet "$P3" ::1 | head -n 1)" "greeting ok uid=$OWNER_UID" \
	    "... and a client of ::1 is greeted with its IPv6 address"
	tap_is "$(cl greet "$P8" ::1 | head -n 1)" "greeting ok uid=$OWNER_UID" \
	    "[::1]:PORT: listens on ::1"
else
	tap_skip 3 "no IPv6 on this host"
fi
python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.2", 0))
s.settimeout(10)
try:
    s.connect(("127.0.0.2", int(sys.argv[1])))
    print("connected")
except ConnectionRefusedError:
    print("refused")' "$P3" >"$T/out" 2>&1
tap_is "$(cat "$T/out")" refused "... and not on 127.0.0.2"

# --- maxproc ------------------------------------------------------------
cl maxproc "$P2" >"$T/out"
tap_is "$(sed -n 1p "$T/out")" "greeting ok greeting ok" \
    "maxproc 2: two clients greeted"
tap_is "$(sed -n 2p "$T/out")" "third: waits" \
    "maxproc 2: a third waits (in the backlog, not refused)"
tap_is "$(sed -n 4p "$T/out")" "third after one left: greeting ok" \
    "maxproc 2: the third is served once one of the first two left"

# --- per-client limits --------------------------------------------------
cl count "$P4" >"$T/out"
tap_is "$(sed -n 2,3p "$T/out")" \
    "third: b'421 4.7.0 Error: too many connections from 127.0.0.1\\r\\n'
then: b''" "count limit 2: the third concurrent connection gets 421, closed"
wait_for 5 logged "master\[[0-9]*\]: warning: Connection concurrency limit exceeded: 3 from unknown\[127.0.0.1\] for service 127.0.0.1:$P4"
tap_ok $? "count limit: logged as Postfix does" ||
    tap_diag "$(grep limit "$LOG")"
has_two() { cl count "$P4" >"$T/out2"; grep -q "^third: b'421" "$T/out2"; }
wait_for 10 has_two
tap_ok $? "count limit: once they left, two more are served again"
cl rate "$P5" >"$T/out"
tap_is "$(tail -n 1 "$T/out")" \
    "fourth: b'421 4.7.0 Error: too many connection requests from 127.0.0.1\\r\\n'" \
    "rate limit 3: the fourth connection in a minute gets 421"
tap_is "$(grep -c "greeting ok.*closed" "$T/out")" 3 \
    "rate limit 3: the first three served"
wait_for 5 logged "warning: Connection rate limit exceeded: 4 from unknown\[127.0.0.1\] for service 127.0.0.1:$P5"
tap_ok $? "rate limit: logged"
cl many "$P6" >"$T/out"
tap_is "$(grep -o "greeting ok" "$T/out" | wc -l | tr -d ' ')" 4 \
    "limits 1 and 1, client in the exceptions (127.0.0.0/8): four at once served"

# --- a missing command --------------------------------------------------
tap_is "$(cl eof "$P7")" "b''" "missing command: the client is closed"
wait_for 5 logged "nosuchprogram: bad command startup -- throttling"
tap_ok $? "missing command: logged, throttled"
kill -0 "$MP" 2>/dev/null && [ -n "$(lsn_inode "$P1")" ]
tap_ok $? "missing command: master still runs and listens"

# --- reload -------------------------------------------------------------
ino=$(lsn_inode "$P1")
n=0
ok=1
while [ $n -lt 5 ]; do
	kill -HUP "$MP"
	cl greet "$P1" | grep -q "^greeting ok" || ok=0
	n=$((n + 1))
done
wait_for 5 logged "reload -- version"
tap_is "$ok$(lsn_inode "$P1")" "1$ino" \
    "reload: the listening socket is kept (same inode), clients served during it"

grep -v "nosuchprogram" "$C/master.cf" >"$T/m.cf"
echo "127.0.0.1:$P9 inet n - n - - greeter" >>"$T/m.cf"
cat "$T/m.cf" >"$C/master.cf"
kill -HUP "$MP"
listens9() { [ -n "$(lsn_inode "$P9")" ]; }
wait_for 10 listens9
tap_is "$(cl greet "$P9" | head -n 1)" "greeting ok uid=$OWNER_UID" \
    "reload: a new service listens"
tap_is "$(lsn_inode "$P7")" "" "reload: a removed service no longer listens"
ino=$(lsn_inode "$P9")
printf '  -o smtpd_client_connection_count_limit=x\n' >>"$C/master.cf"
kill -HUP "$MP"
wait_for 10 logged "service 127.0.0.1:$P9/inet: keeping the running configuration"
tap_ok $? "reload with a bad limit: logged, the service keeps its configuration" ||
    tap_diag "$(tail -n 5 "$LOG")"
tap_is "$(lsn_inode "$P9") $(cl greet "$P9" | head -n 1)" \
    "$ino greeting ok uid=$OWNER_UID" "... and its socket, and serves"

# --- a second master that cannot bind -----------------------------------
mkdir -p "$T/c2"
sed -e "s|$Q|$T/q2|" "$C/main.cf" >"$T/c2/main.cf"
printf '127.0.0.1:%s inet n - n - - greeter\n' "$P1" >"$T/c2/master.cf"
tap_run "$B/master" -c "$T/c2"
tap_is "$tap_status" 69 "a port in use: master exits 69"
grep -q "master: warning: service 127.0.0.1:$P1/inet: cannot listen on 127.0.0.1:$P1: Address" "$T/err" &&
    grep -q "master: fatal: cannot listen on the sockets of the services above" "$T/err"
tap_ok $? "a port in use: says which address and why" ||
    tap_diag "$(cat "$T/err")"

mkdir -p "$T/c3"
sed -e "s|$Q|$T/q3|" "$C/main.cf" >"$T/c3/main.cf"
printf 'nosuchport inet n - n - - greeter\n' >"$T/c3/master.cf"
tap_run "$B/master" -c "$T/c3"
tap_is "$tap_status" 78 "an unknown port name: master exits 78"
tap_is "$(grep -c "error: $T/c3/master.cf, line 1: service nosuchport/inet: unknown service port \"nosuchport\" (not in /etc/services)" "$T/err")" 1 \
    "an unknown port name: says so, with file and line" ||
    tap_diag "$(cat "$T/err")"

# --- as root: port 25 ---------------------------------------------------
if [ -n "$PORT25" ]; then
	tap_is "$(cl greet 25 | head -n 1)" "greeting ok uid=$OWNER_UID" \
	    "as root: 127.0.0.1:smtp (25) bound by master, the child runs as mail_owner"
else
	tap_skip 1 "not root, or port 25 of 127.0.0.1 taken"
fi

# --- stop ---------------------------------------------------------------
rm -f "$T/go"
python3 "$T/client.py" hold "$P1" "$T/go" >"$T/hold" 2>&1 &
HOLD=$!
wait_for 10 grep -q "greeting ok" "$T/hold"
kill -TERM "$MP"
tap_is "$(cl refused "$P1")" refused "SIGTERM: the listener is closed at once"
touch "$T/go"
wait "$HOLD"
tap_is "$(sed -n 2p "$T/hold")" "b'221 bye\\r\\n' closed" \
    "SIGTERM: the session in progress completes"
wait_for 20 gone "$MP"
tap_ok $? "SIGTERM: master ends once the session is over"
grep "warning: \|error: \|fatal: " "$LOG" |
    grep -v "Connection concurrency limit exceeded: 3 from unknown\[127.0.0.1\] for service 127.0.0.1:$P4$" |
    grep -v "Connection rate limit exceeded: 4 from unknown\[127.0.0.1\] for service 127.0.0.1:$P5$" |
    grep -v "nosuchprogram: \(bad command startup\|No such file\)" |
    grep -v "cannot listen on" | grep -v "nosuchport" |
    grep -v "error in master.cf" |
    grep -v "$P9/inet: \(smtpd_client_connection_count_limit: bad number\|keeping\)" >"$T/other"
tap_is "$(cat "$T/other")" "" "no other warning or error logged"

tap_done
