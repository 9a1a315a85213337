#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 195-load.t: 500 concurrent SMTP sessions against a whole instance for
# LOAD_SECONDS (default 60; 20 in the sanitizer build), with smtpd's
# maxproc at 100: the other sessions wait in the listen backlog, or get
# master's 421, never a reset.  Each session sends one message, then
# lingers 0-2 s.  Sampled every second: resident memory (VmRSS) and open
# descriptors of every process of the instance.  Checked: no session
# failed; every message that got its 250 is delivered; each process
# stays within its memory bound; master, qmgr and pickup hold as many
# descriptors afterwards as before (no leak), "before" being after a
# first message, which opens what they keep open for good (qmgr's queue
# directories); normal service after.
. "$(dirname "$0")/../lib.sh"

NCHECK=8
tap_plan $NCHECK

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $NCHECK "python3 not installed"
	tap_done
fi
SECONDS_DEFAULT=60
[ -z "${POSTLET_SANITIZE:-}" ] || SECONDS_DEFAULT=20
unset MAIL_CONFIG
postlet_as_user pll $NCHECK
postlet_instance <<EOS
max_idle = 2s
EOS
PORT=$(free_port)
trap 'postlet_instance_stop; tap_cleanup' EXIT

postlet_master_cf "$PORT" 100
ulimit -n 4096 2>/dev/null

as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"
sleep 1
# the first message, delivered before the count of descriptors begins
python3 - "$PORT" "$I/mail/$ME/new" "$ME" <<'PY' || tap_diag "no first message"
import os, smtplib, sys, time
port, new, me = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.sendmail("first@example.org", ["%s@host.example.test" % me],
               "Subject: first\r\n\r\nfirst\r\n")
end = time.time() + 30
while time.time() < end and not (os.path.isdir(new) and os.listdir(new)):
    time.sleep(0.1)
PY
# (and the processes it started gone again: max_idle)
sleep 5

python3 - "$B" "$Q" "$ME" "$PORT" "$TAP_TMP" \
    "${LOAD_SECONDS:-$SECONDS_DEFAULT}" <<'PY'
import asyncio, os, random, subprocess, sys, threading, time
B, Q, ME, PORT, T, SECONDS = sys.argv[1:7]
PORT, SECONDS = int(PORT), float(SECONDS)
uid = int(subprocess.run(["id", "-u", ME], capture_output=True,
                         text=True).stdout)

def ours():
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open("/proc/%s/status" % d).read()
            if "\nUid:\t%d\t" % uid not in st:
                continue
            if not os.readlink("/proc/%s/exe" % d).startswith(B + "/"):
                continue
            comm = open("/proc/%s/comm" % d).read().strip()
            rss = int(st.split("VmRSS:")[1].split()[0])
            nfd = len(os.listdir("/proc/%s/fd" % d))
        except (OSError, IndexError, ValueError):
            continue
        found.append((int(d), comm, rss, nfd))
    return found

def daemon_fds():
    return sorted("%s %d" % (c, n) for _, c, _, n in ours()
                  if c in ("master", "qmgr", "pickup"))

before = daemon_fds()
peak = {}
stop = threading.Event()

def sampler():
    while not stop.is_set():
        for pid, comm, rss, nfd in ours():
            if rss > peak.get(comm, (0, 0))[0]:
                peak[comm] = (rss, nfd)
        time.sleep(1)

acked, failed, refused, sessions = [], [], [0], [0]

async def session(w, n):
    mid = "<load-%d-%d@load.test>" % (w, n)
    r, wr = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", PORT), 120)
    async def reply():
        out = b""
        while True:
            l = await asyncio.wait_for(r.readline(), 180)
            if not l:
                raise EOFError("closed after %r" % out)
            out += l
            if l[3:4] != b"-":
                return out
    g = await reply()
    if g.startswith(b"421"):
        refused[0] += 1
        wr.close()
        return
    for cmd in (b"EHLO load.test\r\n", b"MAIL FROM:<l@load.test>\r\n",
                ("RCPT TO:<%s@host.example.test>\r\n" % ME).encode(),
                b"DATA\r\n"):
        wr.write(cmd)
        x = await reply()
        if x[:1] not in (b"2", b"3"):
            raise EOFError(x)
    wr.write(("Message-ID: %s\r\nSubject: load\r\n\r\nhello\r\n.\r\n" %
              mid).encode())
    x = await reply()
    if not x.startswith(b"250 "):
        raise EOFError(x)
    acked.append(mid)
    await asyncio.sleep(random.uniform(0, 2))
    wr.write(b"QUIT\r\n")
    await reply()
    wr.close()
    sessions[0] += 1

async def worker(w, end):
    n = 0
    while time.time() < end:
        n += 1
        try:
            await session(w, n)
        except (OSError, EOFError, asyncio.TimeoutError) as e:
            failed.append("%d/%d %r" % (w, n, e))
            await asyncio.sleep(0.5)

async def main():
    end = time.time() + SECONDS
    await asyncio.gather(*(worker(w, end) for w in range(500)))

th = threading.Thread(target=sampler)
th.start()
asyncio.run(main())
stop.set()
th.join()
with open(T + "/acked", "w") as f:
    f.write("\n".join(acked) + "\n")
with open(T + "/failed", "w") as f:
    f.write("\n".join(failed[:50]) + "\n")
with open(T + "/peak", "w") as f:
    for comm, (rss, nfd) in sorted(peak.items()):
        f.write("%s %d %d\n" % (comm, rss, nfd))
with open(T + "/fds-before", "w") as f:
    f.write("\n".join(before) + "\n")
print("# %d sessions, %d acknowledged, %d refused with 421, %d failed" %
      (sessions[0], len(acked), refused[0], len(failed)))
for comm, (rss, nfd) in sorted(peak.items()):
    print("# peak %-8s VmRSS %5d KiB, %4d descriptors" % (comm, rss, nfd))
PY

tap_is "$(grep -c . "$TAP_TMP/failed")" 0 \
    "500 concurrent sessions: none failed (waited or 421)" ||
    tap_diag "$(head -n 10 "$TAP_TMP/failed")"
acked=$(grep -c . "$TAP_TMP/acked")
tap_ok "$([ "$acked" -ge 500 ]; echo $?)" \
    "at least 500 messages acknowledged ($acked)"

# Memory bounds (KiB of VmRSS, which counts the shared program text the
# process touched): an smtpd session, cleanup, local; the daemons.
over=$(awk '
	$1 == "smtpd" && $2 > 1024 { print }
	$1 == "cleanup" && $2 > 1024 { print }
	$1 == "local" && $2 > 1024 { print }
	$1 == "master" && $2 > 2048 { print }
	$1 == "qmgr" && $2 > 4096 { print }
	$1 == "pickup" && $2 > 1024 { print }' "$TAP_TMP/peak")
if [ -n "${POSTLET_SANITIZE:-}" ]; then
	# ASan's shadow memory makes every process large
	tap_skip 1 "memory bounds: not in the sanitizer build"
else
	tap_is "$over" "" "every process within its memory bound" ||
	    tap_diag "$(cat "$TAP_TMP/peak")"
fi

# Delivery of everything acknowledged.
cat > "$TAP_TMP/ids.py" <<'PY'
import mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
seen = set()
for key in box.keys():
    try:
        seen.add(box[key]["Message-ID"])
    except (KeyError, OSError):
        pass
want = [l.strip() for l in open(sys.argv[2]) if l.strip()]
print(len([i for i in want if i not in seen]))
PY
n=0
while [ $n -lt 120 ]; do
	[ "$(python3 "$TAP_TMP/ids.py" "$I/mail/$ME" "$TAP_TMP/acked" \
	    2>/dev/null)" = 0 ] && break
	sleep 1
	n=$((n + 1))
done
tap_is "$(python3 "$TAP_TMP/ids.py" "$I/mail/$ME" "$TAP_TMP/acked")" 0 \
    "every acknowledged message delivered"

# Descriptors back to their idle values (idle agents expire after
# max_idle, 2 s).
fds_now() {
	for p in master qmgr pickup; do
		for pid in $(pgrep -u "$ME" -x "$p"); do
			printf '%s %s\n' "$p" "$(ls "/proc/$pid/fd" | wc -l)"
		done
	done | sort
}
n=0
while [ $n -lt 30 ]; do
	[ "$(fds_now)" = "$(cat "$TAP_TMP/fds-before")" ] && break
	sleep 1
	n=$((n + 1))
done
tap_is "$(fds_now)" "$(cat "$TAP_TMP/fds-before")" \
    "master, qmgr and pickup hold as many descriptors as before"

# Normal service after the load.
r=$(python3 - "$PORT" "$ME" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.sendmail("after@load.test", ["%s@host.example.test" % sys.argv[2]],
           "Message-ID: <after@load.test>\r\nSubject: after\r\n\r\nx\r\n")
s.quit()
print("sent")
PY
)
tap_is "$r" sent "normal service after the load"
echo "<after@load.test>" > "$TAP_TMP/after"
n=0
while [ $n -lt 30 ] && [ "$(python3 "$TAP_TMP/ids.py" "$I/mail/$ME" \
    "$TAP_TMP/after")" != 0 ]; do
	sleep 1
	n=$((n + 1))
done
tap_is "$(python3 "$TAP_TMP/ids.py" "$I/mail/$ME" "$TAP_TMP/after")" 0 \
    "... and delivered"
tap_done
