#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 198-memory.t: the memory budgets of DESIGN.md §8 that do not depend on
# timing, measured as the proportional set size (Pss in
# /proc/PID/smaps_rollup) of every process of a whole instance:
#
#   - the idle system (master, qmgr, pickup): at most IDLE_KIB;
#   - an SMTP session, as what N open sessions add to the instance's
#     sum, divided by N (sessions share the program's pages, so one
#     process's own Pss depends on how many others run): at most
#     SESSION_KIB after EHLO, after STARTTLS (its buffers included),
#     inside DATA, where the session's cleanup runs too, and after a
#     message, when smtpd keeps that cleanup for the next one.  Master
#     keeps smtpd and cleanup processes for the next connections; here
#     they are let go after 1 s idle (-o max_idle=1s), so that each
#     measurement starts from the idle system and its sessions start
#     their own processes;
#   - a reused smtpd and cleanup (a second smtpd service, whose processes
#     stay): their private memory (Private_Clean + Private_Dirty) after
#     REUSE_N sessions of one message each, one after the other, is at
#     most LEAK_KIB above what it was after the first: a session leaves
#     nothing behind in the process that served it.
#
# Timings stay in bench/; the sanitizer build is skipped (its shadow
# memory makes every process large).
. "$(dirname "$0")/../lib.sh"

N=10
IDLE_KIB=1024
SESSION_KIB=256
REUSE_N=40
LEAK_KIB=16
NCHECK=9
tap_plan $NCHECK

for tool in python3 openssl; do
	if ! command -v $tool >/dev/null 2>&1; then
		tap_skip $NCHECK "$tool not installed"
		tap_done
	fi
done
if [ -n "${POSTLET_SANITIZE:-}" ]; then
	tap_skip $NCHECK "the sanitizer build: sizes are for the real one"
	tap_done
fi
if [ ! -r /proc/self/smaps_rollup ]; then
	tap_skip $NCHECK "no /proc/PID/smaps_rollup (Linux 4.14 or later)"
	tap_done
fi
unset MAIL_CONFIG
postlet_as_user plm $NCHECK
postlet_instance <<EOS
smtpd_tls_security_level = may
smtpd_tls_cert_file = $TAP_TMP/i/conf/cert.pem
smtpd_tls_key_file = $TAP_TMP/i/conf/key.pem
EOS
set -- $(free_ports 2)
PORT=$1
PORT2=$2
trap 'postlet_instance_stop; tap_cleanup' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/key.pem" \
    -out "$C/cert.pem" -days 2 -subj '/CN=host.example.test' \
    > "$TAP_TMP/openssl.log" 2>&1 ||
    tap_bail "openssl: $(cat "$TAP_TMP/openssl.log")"
postlet_master_cf "$PORT" 50
sed -e 's/ smtpd$/ smtpd -o max_idle=1s/' \
    -e 's/ cleanup$/ cleanup -o max_idle=3s/' "$C/master.cf" > "$C/m.new" &&
    printf '127.0.0.1:%s inet n - n - 1 smtpd\n' "$PORT2" >> "$C/m.new" &&
    mv "$C/m.new" "$C/master.cf" && chown "$ME:$GROUP" "$C/master.cf" ||
    tap_bail "cannot write master.cf"

as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"

# One line per measurement: "NAME KIB" (idle: the sum; the others: per
# session), or "NAME fail WHY".
export ME
python3 - "$B" "$PORT" "$N" "$PORT2" "$REUSE_N" > "$TAP_TMP/kib" \
    2> "$TAP_TMP/py.err" <<'PY'
import os, smtplib, ssl, sys, time
bindir, port, n = sys.argv[1] + "/", int(sys.argv[2]), int(sys.argv[3])
port2, reuse_n = int(sys.argv[4]), int(sys.argv[5])

def ours():
    """{pid: (comm, Pss KiB)} of the processes whose program is in bindir,
    but for the local agent that delivers the messages of the last two
    measurements (it is not part of a session, and qmgr keeps it)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if not os.readlink("/proc/%s/exe" % d).startswith(bindir):
                continue
            with open("/proc/%s/comm" % d) as f:
                comm = f.read().strip()
            if comm == "local":
                continue
            with open("/proc/%s/smaps_rollup" % d) as f:
                pss = [int(l.split()[1]) for l in f if l.startswith("Pss:")]
            out[int(d)] = (comm, pss[0])
        except (OSError, ValueError, IndexError):
            continue
    return out

def settle(want):
    """Wait (10 s at most) until the instance runs exactly the programs
    of want ({comm: count}); the sum of their Pss, or None."""
    end = time.time() + 10
    while time.time() < end:
        procs = ours()
        counts = {}
        for comm, _ in procs.values():
            counts[comm] = counts.get(comm, 0) + 1
        if counts == want:
            time.sleep(0.3)  # let every process reach its wait
            procs = ours()
            return sum(p for _, p in procs.values())
        time.sleep(0.1)
    print("# wanted %s, have %s" % (want, counts), file=sys.stderr)
    return None

idle = {"master": 1, "qmgr": 1, "pickup": 1}
base = settle(idle)
print("idle %s" % (base if base is not None else "fail not idle"))

def per_session(name, start, extra, finish=None, last=False):
    """Open n sessions with start(s), measure, end them (finish(s), QUIT)
    and, unless last, wait for the idle system again."""
    sessions = []
    try:
        for _ in range(n):
            s = smtplib.SMTP("127.0.0.1", port, timeout=30)
            start(s)
            sessions.append(s)
        want = dict(idle)
        want["smtpd"] = n
        for comm in extra:
            want[comm] = n
        total = settle(want)
        if base is None or total is None:
            print("%s fail the processes did not settle" % name)
        else:
            print("%s %d" % (name, (total - base) // n))
    except (OSError, smtplib.SMTPException) as e:
        print("%s fail %s" % (name, e))
    for s in sessions:
        try:
            if finish is not None:
                finish(s)
            s.quit()
        except (OSError, smtplib.SMTPException) as e:
            print("# %s: %s" % (name, e), file=sys.stderr)
            s.close()
    if not last:
        settle(idle)

def plain(s):
    s.ehlo("client.example.org")

def tls(s):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s.ehlo("client.example.org")
    s.starttls(context=ctx)
    s.ehlo("client.example.org")

def data(s):
    s.ehlo("client.example.org")
    s.mail("sender@example.org")
    s.rcpt("%s@host.example.test" % os.environ["ME"])
    code, _ = s.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPException("DATA: %d" % code)
    s.send(b"Subject: memory\r\n\r\n" + b"x" * 2000 + b"\r\n")

def end_data(s):
    s.send(b".\r\n")
    code, text = s.getreply()
    if code != 250:
        raise smtplib.SMTPException("end of DATA: %d %s" % (code, text))

def one_message(s):
    s.ehlo("client.example.org")
    s.sendmail("sender@example.org", ["%s@host.example.test" % os.environ["ME"]],
               "Subject: memory\r\n\r\n" + "x" * 2000 + "\r\n")

per_session("ehlo", plain, [])
per_session("starttls", tls, [])
per_session("data", data, ["cleanup"], end_data)
per_session("queued", one_message, ["cleanup"])

def private(comm):
    """{pid: Private_Clean + Private_Dirty KiB} of our processes comm."""
    out = {}
    for pid, (c, _) in ours().items():
        if c != comm:
            continue
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                out[pid] = sum(int(l.split()[1]) for l in f
                               if l.startswith("Private_"))
        except (OSError, ValueError, IndexError):
            pass
    return out

def reused_session():
    s = smtplib.SMTP("127.0.0.1", port2, timeout=30)
    one_message(s)
    s.quit()
    time.sleep(0.1)  # its processes report done and wait again

try:
    reused_session()
    first = {c: private(c) for c in ("smtpd", "cleanup")}
    for _ in range(reuse_n - 1):
        reused_session()
    last = {c: private(c) for c in ("smtpd", "cleanup")}
    for c in ("smtpd", "cleanup"):
        if len(first[c]) != 1 or first[c].keys() != last[c].keys():
            print("reuse-%s fail not one reused %s: %s then %s" %
                  (c, c, first[c], last[c]))
        else:
            pid = list(first[c])[0]
            print("reuse-%s %d" % (c, last[c][pid] - first[c][pid]))
except (OSError, smtplib.SMTPException) as e:
    print("reuse-smtpd fail %s" % e)
    print("reuse-cleanup fail %s" % e)
PY
tap_diag "$(tr '\n' ';' < "$TAP_TMP/kib") (KiB)"

# check NAME BUDGET DESCRIPTION
check() {
	v=$(awk -v k="$1" '$1 == k { print $2 }' "$TAP_TMP/kib")
	case $v in
	[0-9]*)
		tap_ok "$([ "$v" -le "$2" ]; echo $?)" "$3: $v KiB, at most $2" ;;
	*)
		tap_ok 1 "$3" ||
		    tap_diag "$(grep "^$1 " "$TAP_TMP/kib"; cat "$TAP_TMP/py.err")" ;;
	esac
}
check idle $IDLE_KIB "idle system (master, qmgr, pickup)"
check ehlo $SESSION_KIB "an SMTP session after EHLO"
check starttls $SESSION_KIB "an SMTP session after STARTTLS"
check data $SESSION_KIB "an SMTP session inside DATA, with its cleanup"
check queued $SESSION_KIB "an SMTP session after a message, its cleanup kept"
check reuse-smtpd $LEAK_KIB \
    "a reused smtpd, $REUSE_N sessions: private memory grown"
check reuse-cleanup $LEAK_KIB \
    "a reused cleanup, $REUSE_N connections: private memory grown"

grep -E 'warning|fatal|panic' "$LOG" > "$TAP_TMP/bad"
tap_is "$(cat "$TAP_TMP/bad")" "" "no warning in the log"

tap_done
