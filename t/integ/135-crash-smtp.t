#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 135-crash-smtp.t: kill -9 anything, anytime, under load through SMTP
# and sendmail; nothing acknowledged is lost.  A whole instance (master
# with smtpd on a loopback port, pickup, cleanup, qmgr, local into a
# Maildir, and smtp relaying a copy of each message to an aiosmtpd sink
# when Debian's python3-aiosmtpd is there) runs as the test user (as
# root, a throwaway user).  Two SMTP
# clients (each body sent in slow slices, so that smtpd and cleanup are
# caught in the middle) and a sendmail loop submit messages with unique
# Message-IDs, while a killer kill -9s a random process of the instance
# (smtpd, cleanup, local, smtp, qmgr, pickup, sometimes master itself, which
# is then started again) every 50-150 ms, until CRASH_KILLS kills
# (default 200) or CRASH_SECONDS (default 60) have passed.  Then, with
# everything left alone: every message that got a 250 or a sendmail exit
# 0 is in the Maildir and at the sink at least once (copies are
# reported: only messages
# in flight at a kill may come twice); nothing went to corrupt/; the
# queue empties; after a stop, what killed writers left in tmp/ is
# removed by master's next start.  Longer runs: CRASH_KILLS=2000
# CRASH_SECONDS=600.
. "$(dirname "$0")/../lib.sh"

NCHECK=10
tap_plan $NCHECK

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $NCHECK "python3 not installed"
	tap_done
fi
unset MAIL_CONFIG
postlet_as_user plk $NCHECK
chmod 755 "$TAP_TMP"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
I=$TAP_TMP/i
C=$I/conf
Q=$I/queue
mkdir -p "$C" "$I/mail"
chown -R "$ME:$GROUP" "$I"
LOG=$I/maillog
freeport() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(freeport)
# The relay leg: an aiosmtpd sink that notes each Message-ID it gets.
SINKPID=
RELAY=
if /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 &&
    [ -x "$POSTLET_BUILD/bin/smtp" ]; then
	RELAY=r@relay.test
	SINKPORT=$(freeport)
	/usr/bin/python3 - "$SINKPORT" "$TAP_TMP/sink.ids" <<'PY' &
import email, sys, time
from aiosmtpd.controller import Controller
out = open(sys.argv[2], "a")
class Sink:
    async def handle_DATA(self, server, session, envelope):
        m = email.message_from_bytes(envelope.original_content or b"")
        out.write("%s\n" % m["Message-ID"])
        out.flush()
        return "250 2.0.0 Ok"
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
while True:
    time.sleep(3600)
PY
	SINKPID=$!
fi

stop_all() {
	as_me "$B/postlet" -c "$C" stop >/dev/null 2>&1
	mp=$(cat "$Q/pid/master.pid" 2>/dev/null)
	[ -z "$mp" ] || kill -9 "$mp" 2>/dev/null
	postlet_user_end "$Q"
	if [ -z "$TU" ]; then
		# our own processes of this instance, by their program path
		for p in $(ps -eo pid=,args= | awk -v b="$B/" \
		    'index($2, b) == 1 { print $1 }'); do
			kill -9 "$p" 2>/dev/null
		done
	fi
}
trap 'stop_all; [ -z "$SINKPID" ] || kill $SINKPID 2>/dev/null; tap_cleanup' EXIT

cat > "$C/main.cf" <<EOS
queue_directory = $Q
command_directory = $B
daemon_directory = $B
mail_owner = $ME
setgid_group = $GROUP
maillog_file = $LOG
mail_spool_directory = $I/mail/
myhostname = host.example.test
mydestination = \$myhostname
alias_maps =
mynetworks = 127.0.0.0/8
service_throttle_time = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
queue_run_delay = 1s
smtpd_peername_lookup = no
transport_maps = texthash:$C/transport
EOS
echo "relay.test smtp:[127.0.0.1]:${SINKPORT:-1}" > "$C/transport"
cat > "$C/master.cf" <<EOS
127.0.0.1:$PORT inet n - n - 20 smtpd
pickup    unix  n  -  n  5    1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
smtp      unix  -  -  n  -    -  smtp
EOS
chown -R "$ME:$GROUP" "$C"

as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"

# as_me, for Python: the command prefix (empty when we are the user).
if [ -n "$TU" ]; then
	ASME="setpriv --reuid=$TU --regid=$(id -g "$TU") --clear-groups"
else
	ASME=
fi
python3 - "$B" "$C" "$Q" "$I/mail/$ME" "$ME" "$PORT" "$TAP_TMP" \
    "${CRASH_KILLS:-200}" "${CRASH_SECONDS:-60}" "$ASME" "$RELAY" <<'PY'
import mailbox, os, random, signal, smtplib, socket, subprocess, sys
import threading, time
B, C, Q, MB, ME, PORT, T, KILLS, SECONDS, ASME, RELAY = sys.argv[1:12]
RCPTS = ["%s@host.example.test" % ME] + ([RELAY] if RELAY else [])
PORT, KILLS, SECONDS = int(PORT), int(KILLS), float(SECONDS)
asme = ASME.split()
uid = int(subprocess.run(["id", "-u", ME], capture_output=True,
                         text=True).stdout)
run = "%08x" % random.getrandbits(32)
acked, lock = [], threading.Lock()
stop = threading.Event()
out = open(T + "/crash.log", "w")

def note(*a):
    with lock:
        out.write(" ".join(str(x) for x in a) + "\n")
        out.flush()

def message(tag, n, size):
    mid = "<%s-%d-%s@crash.test>" % (tag, n, run)
    body = "".join("line %05d of message %s %d ..........\n" % (i, tag, n)
                   for i in range(size))
    return mid, "Message-ID: %s\nSubject: %s %d\n\n%s" % (mid, tag, n, body)

def smtp_client(tag):
    n = 0
    while not stop.is_set():
        n += 1
        mid, text = message(tag, n, random.choice((5, 50, 1500)))
        data = text.replace("\n", "\r\n").encode()
        try:
            c = socket.create_connection(("127.0.0.1", PORT), timeout=20)
            f = c.makefile("rb")
            def reply():
                r = b""
                while True:
                    l = f.readline()
                    if not l:
                        raise EOFError("connection closed")
                    r += l
                    if l[3:4] != b"-":
                        return r
            reply()
            for cmd in ([b"EHLO crash.test\r\n",
                         b"MAIL FROM:<c@crash.test>\r\n"] +
                        [("RCPT TO:<%s>\r\n" % r).encode() for r in RCPTS] +
                        [b"DATA\r\n"]):
                c.sendall(cmd)
                r = reply()
                if r[:1] not in (b"2", b"3"):
                    raise EOFError(r)
            # slices: smtpd and cleanup live long enough to be killed
            for i in range(0, len(data), 16384):
                c.sendall(data[i:i + 16384])
                time.sleep(0.01)
            c.sendall(b".\r\n")
            r = reply()
            if r.startswith(b"250 "):
                with lock:
                    acked.append(mid)
            c.sendall(b"QUIT\r\n")
            c.close()
        except (OSError, EOFError) as e:
            note("smtp", tag, n, "not acknowledged:", repr(e)[:100])
            time.sleep(0.1)

def sendmail_client():
    n = 0
    while not stop.is_set():
        n += 1
        mid, text = message("sm", n, random.choice((5, 500)))
        p = subprocess.run(asme + [B + "/sendmail", "-C", C] + RCPTS,
                           input=text.encode(), capture_output=True)
        if p.returncode == 0:
            with lock:
                acked.append(mid)
        else:
            note("sendmail", n, "exit", p.returncode, p.stderr[:100])
        time.sleep(0.05)

def master_pid():
    try:
        pid = int(open(Q + "/pid/master.pid").read().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None

def ours():
    """(pid, comm) of the instance's processes."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open("/proc/%s/status" % d).read()
            if "\nUid:\t%d\t" % uid not in st:
                continue
            exe = os.readlink("/proc/%s/exe" % d)
            comm = open("/proc/%s/comm" % d).read().strip()
        except OSError:
            continue
        if exe.startswith(B + "/"):
            found.append((int(d), comm))
    return found

WEIGHTS = {"smtpd": 4, "cleanup": 4, "local": 3, "smtp": 3, "qmgr": 1,
           "pickup": 1, "master": 0.1}
kills = {}
starts = 0

def restart_master():
    global starts
    p = subprocess.run(asme + [B + "/postlet", "-c", C, "start"],
                       capture_output=True)
    starts += 1
    note("master start", p.returncode, p.stdout[:100], p.stderr[:100])

threads = [threading.Thread(target=smtp_client, args=(t,))
           for t in ("s1", "s2")]
threads.append(threading.Thread(target=sendmail_client))
for t in threads:
    t.start()
t0 = time.time()
while sum(kills.values()) < KILLS and time.time() - t0 < SECONDS:
    if master_pid() is None:
        restart_master()
        time.sleep(0.5)
        continue
    procs = ours()
    names = [n for n in set(c for _, c in procs) if n in WEIGHTS]
    if names:
        name = random.choices(names, [WEIGHTS[n] for n in names])[0]
        # master at least every 50 kills, whatever the dice say
        if sum(kills.values()) % 50 == 25 and "master" in names:
            name = "master"
        pid = random.choice([p for p, c in procs if c == name])
        try:
            os.kill(pid, signal.SIGKILL)
            kills[name] = kills.get(name, 0) + 1
            note("kill", name, pid)
        except OSError:
            pass
    time.sleep(random.uniform(0.05, 0.15))
stop.set()
for t in threads:
    t.join(60)
if master_pid() is None:
    restart_master()
elapsed = time.time() - t0
with open(T + "/acked", "w") as f:
    f.write("\n".join(acked) + "\n")
with open(T + "/kills", "w") as f:
    f.write(" ".join("%s %d" % kv for kv in sorted(kills.items())) + "\n")
print("# %d acknowledged, %d kills (%s), master started %d more times, "
      "%.0f s" % (len(acked), sum(kills.values()),
                  ", ".join("%s %d" % kv for kv in sorted(kills.items())),
                  starts, elapsed))
PY

acked=$(grep -c . "$TAP_TMP/acked")
kills=$(awk '{ s = 0; for (i = 2; i <= NF; i += 2) s += $i; print s }' \
    "$TAP_TMP/kills")
tap_ok "$([ "$kills" -ge "${CRASH_KILLS:-200}" ]; echo $?)" \
    "at least ${CRASH_KILLS:-200} kills ($kills: $(cat "$TAP_TMP/kills"))"
# the kinds never killed (cleanup may be too quick to catch)
spared=
for n in smtpd local qmgr pickup master ${RELAY:+smtp}; do
	grep -q "\\b$n [1-9]" "$TAP_TMP/kills" || spared="$spared $n"
done
tap_is "$spared" "" \
    "smtpd, local, qmgr, pickup, master${RELAY:+ and smtp} were among the killed"
tap_ok "$([ "$acked" -gt 20 ]; echo $?)" \
    "the load went through: $acked messages acknowledged"

# Everything left alone: flush until every acknowledged message is in.
cat > "$TAP_TMP/ids.py" <<'PY'
import collections, mailbox, sys
seen = collections.Counter()
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for key in box.keys():
    try:
        seen[box[key]["Message-ID"]] += 1
    except (KeyError, OSError):
        pass
want = [l.strip() for l in open(sys.argv[2]) if l.strip()]
missing = [i for i in want if seen[i] == 0]
dups = [i for i in want if seen[i] > 1]
print(len(missing), len(dups))
for i in missing[:20]:
    print("missing", i)
PY
missing() {
	[ -d "$I/mail/$ME/new" ] || { echo "$acked 0"; return; }
	python3 "$TAP_TMP/ids.py" "$I/mail/$ME" "$TAP_TMP/acked" | head -n 1
}
n=0
while [ $n -lt 120 ]; do
	set -- $(missing)
	[ "$1" = 0 ] && break
	[ $((n % 10)) -eq 0 ] &&
	    as_me "$B/postlet" -c "$C" flush > /dev/null 2>&1
	sleep 1
	n=$((n + 1))
done
set -- $(missing)
tap_is "$1" 0 "every acknowledged message delivered at least once" ||
    tap_diag "$(python3 "$TAP_TMP/ids.py" "$I/mail/$ME" "$TAP_TMP/acked")"
tap_diag "$2 message(s) delivered more than once"
if [ -n "$RELAY" ]; then
	# relayed: every acknowledged message at the sink too
	sink_missing() {
		sort -u "$TAP_TMP/sink.ids" 2>/dev/null > "$TAP_TMP/sink.u"
		sort -u "$TAP_TMP/acked" | comm -23 - "$TAP_TMP/sink.u" |
		    grep -c .
	}
	n=0
	while [ $n -lt 60 ] && [ "$(sink_missing)" != 0 ]; do
		[ $((n % 10)) -eq 0 ] &&
		    as_me "$B/postlet" -c "$C" flush > /dev/null 2>&1
		sleep 1
		n=$((n + 1))
	done
	tap_is "$(sink_missing)" 0 \
	    "every acknowledged message relayed by smtp to the sink"
	tap_diag "$(($(grep -c . "$TAP_TMP/sink.ids") - \
	    $(grep -c . "$TAP_TMP/sink.u"))) extra copies at the sink"
else
	tap_skip 1 "no relay leg: python3-aiosmtpd or smtp missing"
fi
tap_is "$(find "$Q/corrupt" -type f | wc -l | tr -d ' ')" 0 \
    "nothing in corrupt/"
empty() {
	as_me "$B/postlet" -c "$C" queue 2>/dev/null |
	    grep -q 'Mail queue is empty'
}
n=0
while [ $n -lt 30 ] && ! empty; do
	sleep 1
	n=$((n + 1))
done
empty
tap_ok $? "the queue empties" ||
    tap_diag "$(as_me "$B/postlet" -c "$C" queue 2>&1 | head -n 10)"

# After a stop, age what killed writers left in tmp/: the next start
# removes it.
as_me "$B/postlet" -c "$C" stop > /dev/null 2>&1
left=$(find "$Q/tmp" -type f | wc -l | tr -d ' ')
find "$Q/tmp" -type f -exec touch -t 200001010000 {} +
as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start again" || tap_diag "$(cat "$TAP_TMP/out")"
tap_is "$(find "$Q/tmp" -type f | wc -l | tr -d ' ')" 0 \
    "the $left file(s) killed writers left in tmp/ are gone after restart"
tap_done
