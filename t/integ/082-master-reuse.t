#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 082-master-reuse.t: master's reuse of smtpd and cleanup processes
# (lib/handoff.h: COMMAND -H, connections passed over a control channel),
# on a whole instance with real SMTP clients (raw sockets, replies byte
# for byte).  Four smtpd services on free ports of 127.0.0.1: P1 plain,
# P2 with -o max_use=2, P3 with -o max_idle=1s (P5: max_idle=0), P4 with a per-client
# connection count limit of 1.  Which process serves a session is read
# from /proc (the smtpd holding the server end of the client's TCP
# connection), which cleanup queued a message from the log.  Checked:
#
#   - sequential sessions are served by one smtpd, their messages queued
#     by one cleanup, no other smtpd or cleanup runs, all delivered;
#   - nothing of a session reaches the next one in the same process: an
#     AUTH (relaying after it) does not let the next client relay (454:
#     defer_unauth_destination, smtpd_relay_restrictions' default),
#     with the EHLO reply byte for byte a fresh one's and the Received
#     header carrying the second client's HELO and protocol (no ESMTPA);
#     an open MAIL transaction cut off leaves none (RCPT first: 503);
#     STARTTLS does not leave TLS on (the next EHLO offers it, plain
#     text works); error counts start at 0; no HELO name is left over;
#     the command counters of the "disconnect from" line are the
#     session's own;
#   - max_use=2: the third session gets another process, the first ends;
#   - max_idle=0: no idle smtpd is kept, each session gets its own;
#   - max_idle=1s: the idle smtpd ends after about a second, not at once;
#     the next session is served; the same for cleanup (-o max_idle=1s
#     on its line, after a reload);
#   - smtpd_client_connection_count_limit = 1: a second concurrent
#     connection gets 421 while the first is served, and once the first
#     QUITs, its process being kept, a new one is accepted;
#   - kill -9 of an idle smtpd and the cleanups: the next message is
#     queued (by new ones) and delivered;
#   - postlet reload: the idle cleanup (let go by its smtpd after a
#     second without session) and the idle smtpds end, the busy smtpd
#     finishes its session (its message queued) and ends after it; the
#     next session gets a new smtpd with the new main.cf (smtpd_banner,
#     SIZE);
#   - cleanup limited to one process: an smtpd that stays idle lets go
#     of the cleanup it kept after about a second, so a message from
#     sendmail (pickup) gets it, and the smtpd's next session still
#     queues its message;
#   - no warning, error, fatal or panic in the log but those provoked
#     (the 421 of the count limit, the processes killed).
#
# Every wait is bounded; only 127.0.0.1 is used.
. "$(dirname "$0")/../lib.sh"

NCHECK=41
tap_plan $NCHECK

for tool in python3 openssl; do
	if ! command -v $tool >/dev/null 2>&1; then
		tap_skip $NCHECK "$tool not installed"
		tap_done
	fi
done
if [ ! -r /proc/net/tcp ]; then
	tap_skip $NCHECK "no /proc/net/tcp (Linux /proc needed)"
	tap_done
fi
unset MAIL_CONFIG
postlet_as_user plr $NCHECK
postlet_instance <<EOS
mynetworks = 192.0.2.0/24
smtpd_sasl_auth_enable = yes
smtpd_sasl_password_maps = cdb:$TAP_TMP/i/conf/passwd
smtpd_tls_auth_only = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = $TAP_TMP/i/conf/cert.pem
smtpd_tls_key_file = $TAP_TMP/i/conf/key.pem
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 5
smtpd_error_sleep_time = 0
smtpd_timeout = 20s
EOS
trap 'postlet_instance_stop; tap_cleanup' EXIT
set -- $(free_ports 5)
P1=$1 P2=$2 P3=$3 P4=$4 P5=$5

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/key.pem" \
    -out "$C/cert.pem" -days 2 -subj '/CN=host.example.test' \
    > "$TAP_TMP/openssl.log" 2>&1 ||
    tap_bail "openssl: $(cat "$TAP_TMP/openssl.log")"
# alice / secret, SHA-512 crypt
printf 'alice %s\n' "$(openssl passwd -6 -salt alicesalt secret)" \
    > "$C/passwd"
cat > "$C/master.cf" <<EOS
127.0.0.1:$P1 inet n - n - 100 smtpd
127.0.0.1:$P2 inet n - n - 100 smtpd
  -o max_use=2
127.0.0.1:$P3 inet n - n - 100 smtpd
  -o max_idle=1s
127.0.0.1:$P4 inet n - n - 100 smtpd
  -o smtpd_client_connection_count_limit=1
  -o smtpd_client_event_limit_exceptions=
127.0.0.1:$P5 inet n - n - 100 smtpd
  -o max_idle=0
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
EOS
chown -R "$ME:$GROUP" "$C"
as_me "$B/postlet" -c "$C" map "cdb:$C/passwd" > "$TAP_TMP/out" 2>&1 ||
    tap_bail "postlet map: $(cat "$TAP_TMP/out")"

as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"

GID=$(id -g "$ME")
python3 - "$POSTLET_SRC" "$B" "$C" "$I" "$LOG" "$ME" "$TU" "$GID" \
    "$P1" "$P2" "$P3" "$P4" "$P5" "$tap_count" "$NCHECK" <<'PY'
import base64, os, re, ssl, subprocess, sys, time
SRC, B, C, I, LOG, ME, TU, GID = sys.argv[1:9]
P1, P2, P3, P4, P5, START, NCHECK = map(int, sys.argv[9:16])
sys.path.insert(0, SRC + "/t")
import smtptest
tap = smtptest.Tap(NCHECK, START, plan_printed=True)
ok, is_ = tap.ok, tap.is_

LOCAL = "%s@host.example.test" % ME
RELAY = "x@example.com"
AUTH = b"AUTH PLAIN " + base64.b64encode(b"\0alice\0secret") + b"\r\n"
EHLO_PLAIN = (b"250-host.example.test\r\n250-PIPELINING\r\n"
              b"250-SIZE 10240000\r\n250-VRFY\r\n250-STARTTLS\r\n"
              b"250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n"
              b"250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n")
GREETING = b"220 host.example.test ESMTP postlet\r\n"
DENIED = b"454 4.7.1 <x@example.com>: Relay access denied\r\n"
killed = []     # (program, pid) killed on purpose: their warnings


class Raw(smtptest.Raw):
    def __init__(self, port):
        smtptest.Raw.__init__(self, port, timeout=15)
        self.port = port

    def tls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.c = ctx.wrap_socket(self.c)

    def quit(self):
        """QUIT, its reply, the end of the connection; then a moment for
        the process to report the connection done to master (it closes
        the connection first, then reports)."""
        got = self.cmd(b"QUIT\r\n")
        self.wait_eof()
        return got

    def wait_eof(self):
        end = time.time() + 10
        try:
            while time.time() < end and self.c.recv(4096) != b"":
                pass
        except OSError:
            pass
        self.close()
        self.eof_at = time.time()
        time.sleep(0.2)


def procs(comm):
    """The running (not zombie) processes of the instance named comm."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if not os.readlink("/proc/%s/exe" % d).startswith(B + "/"):
                continue
            with open("/proc/%s/comm" % d) as f:
                if f.read().strip() != comm:
                    continue
            with open("/proc/%s/stat" % d) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except (OSError, IndexError):
            continue
        out.append(int(d))
    return sorted(out)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_gone(pid, seconds, since=None):
    """Seconds from since (default: now) until pid is seen gone (polled
    for at most seconds), or None."""
    t0 = time.time()
    while time.time() - t0 < seconds:
        if not alive(pid):
            return time.time() - (since or t0)
        time.sleep(0.05)
    return None


def serving(r):
    """The smtpd that holds the server end of r's connection, or None."""
    want = ("0100007F:%04X" % r.port,
            "0100007F:%04X" % r.c.getsockname()[1])
    end = time.time() + 5
    while time.time() < end:
        inode = None
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                x = line.split()
                if (x[1], x[2]) == want:
                    inode = "socket:[%s]" % x[9]
        for pid in procs("smtpd"):
            try:
                for fd in os.listdir("/proc/%d/fd" % pid):
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == inode:
                        return pid
            except OSError:
                continue
        time.sleep(0.05)
    return None


def log():
    with open(LOG) as f:
        return f.read()


def cleanup_of(qid):
    """The pid of the cleanup that logged qid's message-id line."""
    pat = re.compile(r"^\S+ +\S+ \S+ \S+ postlet/cleanup\[(\d+)\]: %s: "
                     r"message-id=" % re.escape(qid or "none"), re.M)
    end = time.time() + 10
    while time.time() < end:
        m = pat.search(log())
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    return None


def delivered(mid):
    """The delivered message with Message-ID mid (Maildir), or None."""
    new = "%s/mail/%s/new" % (I, ME)
    end = time.time() + 20
    while time.time() < end:
        try:
            for name in os.listdir(new):
                with open(os.path.join(new, name), "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                if "\nMessage-ID: <%s>\n" % mid in text:
                    return text
        except OSError:
            pass
        time.sleep(0.1)
    return None


def received(text):
    """The Received: field of a delivered message, unfolded lines kept."""
    m = re.search(r"^Received: .*\n(?:\t.*\n)*", text or "", re.M)
    return m.group(0) if m else None


def message(r, mid, rcpts=(LOCAL,)):
    """MAIL, RCPT, DATA of one message; its queue ID, or None (with the
    replies in r.trail)."""
    r.trail = [r.cmd(b"MAIL FROM:<sender@example.org>\r\n")]
    for a in rcpts:
        r.trail.append(r.cmd(b"RCPT TO:<%s>\r\n" % a.encode()))
    r.trail.append(r.cmd(b"DATA\r\n"))
    got = r.cmd(b"Message-ID: <%s>\r\nSubject: reuse\r\n\r\nbody\r\n.\r\n"
                % mid.encode())
    r.trail.append(got)
    m = re.match(rb"250 2\.0\.0 Ok: queued as ([0-9A-F]+)\r\n$", got)
    return m.group(1).decode() if m else None


def one_message(port, mid):
    """A session on port: EHLO, one message, QUIT.  The smtpd that
    served it (or None), the queue ID (or None) and the closed
    connection (its replies in r.trail, its end at r.eof_at)."""
    r = Raw(port)
    r.reply()
    pid = serving(r)
    r.cmd(b"EHLO client.example\r\n")
    qid = message(r, mid)
    r.quit()
    return pid, qid, r


def section(n, fn):
    """Run fn, which makes n checks; when it fails before it made them
    all, the rest fail."""
    before = tap.n
    try:
        fn()
    except Exception as e:
        print("# %s: %r" % (fn.__name__, e))
        while tap.n < before + n:
            ok(False, "%s: not reached" % fn.__name__)
    if tap.n != before + n:
        print("# %s made %d checks, not %d" % (fn.__name__, tap.n - before,
                                                n))


def as_me(argv):
    if TU:
        argv = ["setpriv", "--reuid=" + TU, "--regid=" + GID,
                "--clear-groups"] + argv
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


# --- reuse: three sessions, one smtpd, one cleanup -----------------------
state = {}


def reuse():
    pids, qids, cpids = [], [], []
    for i in range(3):
        r = Raw(P1)
        r.reply()
        pids.append(serving(r))
        r.cmd(b"EHLO client%d.example\r\n" % i)
        qids.append(message(r, "reuse-%d@test" % i))
        r.quit()
    ok(None not in qids, "three sequential sessions on P1: each message "
       "queued", qids)
    ok(pids[0] is not None and pids == [pids[0]] * 3,
       "... all served by one smtpd process", pids)
    cpids = [cleanup_of(q) for q in qids]
    ok(cpids[0] is not None and cpids == [cpids[0]] * 3,
       "... all queued by one cleanup process", cpids)
    is_((procs("smtpd"), procs("cleanup")), ([pids[0]], [cpids[0]]),
        "... no other smtpd or cleanup process runs")
    got = [delivered("reuse-%d@test" % i) is not None for i in range(3)]
    is_(got, [True] * 3, "... the three delivered")
    state["smtpd"], state["cleanup"] = pids[0], cpids[0]


section(5, reuse)


# --- no state leaks into the next session of the same process ------------
def leak_auth():
    r = Raw(P1)
    r.reply()
    p1 = serving(r)
    first = r.cmd(b"EHLO client-one.example\r\n")
    got = (first, r.cmd(AUTH), r.cmd(b"MAIL FROM:<one@example.org>\r\n"),
           r.cmd(b"RCPT TO:<x@example.com>\r\n"))
    is_(got, (EHLO_PLAIN, b"235 2.7.0 Authentication successful\r\n",
              b"250 2.1.0 Ok\r\n", b"250 2.1.5 Ok\r\n"),
        "session 1 on the kept smtpd: AUTH PLAIN 235, relaying allowed")
    r.quit()
    r = Raw(P1)
    r.reply()
    p2 = serving(r)
    kept = state.get("smtpd") or -1
    is_((p1, p2), (kept, kept),
        "session 2 is served by the same smtpd as session 1 (the one of "
        "the first three)")
    is_(r.cmd(b"EHLO client-two.example\r\n"), EHLO_PLAIN,
        "session 2: EHLO byte for byte a fresh session's (STARTTLS, AUTH)")
    r.cmd(b"MAIL FROM:<two@example.org>\r\n")
    is_(r.cmd(b"RCPT TO:<x@example.com>\r\n"), DENIED,
        "session 2, no AUTH: relaying refused, 454 Relay access denied")
    r.cmd(b"RSET\r\n")
    qid = message(r, "leak-two@test")
    # after the message: AUTH is possible again (not "already
    # authenticated"), and then relaying is
    got = (r.cmd(AUTH), r.cmd(b"MAIL FROM:<two@example.org>\r\n"),
           r.cmd(b"RCPT TO:<x@example.com>\r\n"), r.cmd(b"RSET\r\n"))
    is_(got, (b"235 2.7.0 Authentication successful\r\n",
              b"250 2.1.0 Ok\r\n", b"250 2.1.5 Ok\r\n", b"250 2.0.0 Ok\r\n"),
        "session 2: its own AUTH works (not 503 already authenticated)")
    r.quit()
    rec = received(delivered("leak-two@test"))
    want = ("Received: from client-two.example (unknown [127.0.0.1])\n"
            "\tby host.example.test (postlet) with ESMTP id %s\n"
            "\tfor <%s>; " % (qid, LOCAL))
    ok(qid is not None and rec is not None and rec.startswith(want) and
       rec.count("\n") == 3,
       "session 2's message: Received with its HELO name, ESMTP (no "
       "ESMTPA, no AUTH name)", "%r\nwant: %r..." % (rec, want))
    line = ("disconnect from unknown[127.0.0.1] ehlo=1 auth=1 mail=3 "
            "rcpt=2/3 data=1 rset=2 quit=1 commands=11/12")
    pat = r"^\S+ +\S+ \S+ \S+ postlet/smtpd\[%d\]: %s$" % (p2 or 0,
                                                         re.escape(line))
    end = time.time() + 5
    while time.time() < end and not re.search(pat, log(), re.M):
        time.sleep(0.05)
    ok(re.search(pat, log(), re.M) is not None,
       "session 2's disconnect line counts its own commands only",
       "\n".join(l for l in log().splitlines() if "disconnect" in l))


section(7, leak_auth)


def leak_mail():
    # session 3: AUTH, an open transaction with a relayed recipient,
    # then the connection is cut (no QUIT)
    r = Raw(P1)
    r.reply()
    p3 = serving(r)
    r.cmd(b"EHLO client-three.example\r\n")
    r.cmd(AUTH)
    r.cmd(b"MAIL FROM:<three@example.org>\r\n")
    r.cmd(b"RCPT TO:<x@example.com>\r\n")
    r.c.close()
    # the server sees the end of file: wait until its process is idle
    end = time.time() + 10
    pat = re.compile(r"postlet/smtpd\[%d\]: lost connection after RCPT "
                     r"from unknown\[127\.0\.0\.1\]$" % (p3 or 0), re.M)
    while time.time() < end and not pat.search(log()):
        time.sleep(0.05)
    time.sleep(0.2)
    r = Raw(P1)
    r.reply()
    p4 = serving(r)
    got = r.cmd(b"RCPT TO:<%s>\r\n" % LOCAL.encode())
    kept = state.get("smtpd") or -1
    is_((p3, p4, got), (kept, kept,
                        b"503 5.5.1 Error: need MAIL command\r\n"),
        "cut off mid-transaction, then the same smtpd: RCPT first gets "
        "503 (no MAIL left over)")
    got = (r.cmd(b"HELO client-four.example\r\n"),
           r.cmd(b"MAIL FROM:<four@example.org>\r\n"),
           r.cmd(b"RCPT TO:<x@example.com>\r\n"))
    is_(got, (b"250 host.example.test\r\n", b"250 2.1.0 Ok\r\n", DENIED),
        "... HELO, MAIL 250 (not nested), relaying refused (no AUTH "
        "left over)")
    r.cmd(b"RSET\r\n")
    qid = message(r, "leak-four@test")
    r.quit()
    rec = received(delivered("leak-four@test"))
    want = ("Received: from client-four.example (unknown [127.0.0.1])\n"
            "\tby host.example.test (postlet) with SMTP id %s\n"
            "\tfor <%s>; " % (qid, LOCAL))
    ok(qid is not None and rec is not None and rec.startswith(want),
       "... its message: Received with HELO client-four.example, SMTP",
       "%r\nwant: %r..." % (rec, want))


section(3, leak_mail)


def leak_tls():
    r = Raw(P1)
    r.reply()
    p5 = serving(r)
    r.cmd(b"EHLO client-five.example\r\n")
    got = [r.cmd(b"STARTTLS\r\n")]
    r.tls()
    got += [r.cmd(b"EHLO client-five.example\r\n").startswith(
        b"250-host.example.test\r\n"), r.cmd(AUTH)]
    got.append(r.quit())
    is_(got, [b"220 2.0.0 Ready to start TLS\r\n", True,
              b"235 2.7.0 Authentication successful\r\n",
              b"221 2.0.0 Bye\r\n"],
        "session 5: STARTTLS, EHLO and AUTH under TLS, QUIT")
    r = Raw(P1)
    greet = r.reply()
    p6 = serving(r)
    got = (p5, p6, greet, r.cmd(b"EHLO client-six.example\r\n"))
    kept = state.get("smtpd") or -1
    is_(got, (kept, kept, GREETING, EHLO_PLAIN),
        "session 6, same smtpd: plain greeting, EHLO offers STARTTLS again")
    qid = message(r, "leak-six@test", (RELAY, LOCAL))
    is_(r.trail[:4], [b"250 2.1.0 Ok\r\n", DENIED, b"250 2.1.5 Ok\r\n",
                      b"354 End data with <CR><LF>.<CR><LF>\r\n"],
        "... a plain-text transaction, relaying refused", r.trail)
    r.quit()
    rec = received(delivered("leak-six@test"))
    want = ("Received: from client-six.example (unknown [127.0.0.1])\n"
            "\tby host.example.test (postlet) with ESMTP id %s\n"
            "\tfor <%s>; " % (qid, LOCAL))
    ok(qid is not None and rec is not None and rec.startswith(want) and
       "TLS" not in rec,
       "... its message: Received ESMTP, no TLS, no AUTH", "%r" % rec)


section(4, leak_tls)


def leak_errors():
    # session 7: EHLO, 4 errors; session 8: 2 errors, NOOP, then a
    # message without HELO
    r = Raw(P1)
    r.reply()
    p7 = serving(r)
    r.cmd(b"EHLO client-seven.example\r\n")
    got = [r.cmd(b"XYZZY %d\r\n" % i) for i in range(4)]
    r.quit()
    r = Raw(P1)
    r.reply()
    p8 = serving(r)
    got += [r.cmd(b"XYZZY\r\n"), r.cmd(b"XYZZY\r\n"), r.cmd(b"NOOP\r\n")]
    kept = state.get("smtpd") or -1
    is_((p7, p8, got), (kept, kept, [b"502 5.5.2 Error: command not "
                                     b"recognized\r\n"] * 6 +
                        [b"250 2.0.0 Ok\r\n"]),
        "errors: 4 in one session, 2 in the next on the same smtpd: no 421 "
        "(smtpd_hard_error_limit = 5)")
    qid = message(r, "leak-eight@test")
    r.quit()
    rec = received(delivered("leak-eight@test")) or ""
    m = re.match(r"Received: from (\S*) \(unknown \[127\.0\.0\.1\]\)\n"
                 r"\tby host\.example\.test \(postlet\) with SMTP id "
                 r"%s\n" % qid, rec)
    ok(qid is not None and m is not None and "client" not in m.group(1),
       "... a message without HELO after it: no HELO name of session 7 in "
       "Received, SMTP not ESMTP", "%r" % rec)


section(2, leak_errors)


# --- max_use=2 on P2 -----------------------------------------------------
def session_pids(port, n):
    """n sessions on port, one after another (EHLO, QUIT): the smtpd
    that served each."""
    pids = []
    for i in range(n):
        r = Raw(port)
        r.reply()
        pids.append(serving(r))
        r.cmd(b"EHLO client.example\r\n")
        r.quit()
    return pids


def max_use():
    pids = session_pids(P2, 3)
    ok(None not in pids and pids[0] == pids[1] and pids[2] != pids[0],
       "max_use=2: sessions 1 and 2 on one smtpd, session 3 on another",
       pids)
    state["p2"] = pids[2]
    ok(pids[0] is not None and wait_gone(pids[0], 5) is not None,
       "max_use=2: the first smtpd ends after its second session")


section(2, max_use)


# --- max_idle=0 on P5 ----------------------------------------------------
def max_idle_zero():
    pids = session_pids(P5, 2)
    ok(None not in pids and pids[0] != pids[1],
       "max_idle=0: each session gets its own smtpd", pids)
    ok(pids[0] is not None and wait_gone(pids[0], 5) is not None,
       "max_idle=0: an smtpd ends after its session")


section(2, max_idle_zero)


# --- max_idle=1s on P3 ---------------------------------------------------
def max_idle():
    p, qid, r = one_message(P3, "idle-1@test")
    t = wait_gone(p, 8, r.eof_at) if p is not None else None
    ok(qid is not None and t is not None and t >= 0.5,
       "max_idle=1s: the idle smtpd ends about a second after its session "
       "(not at once, not never)", "pid %s, gone after %s s" % (p, t))
    p2, qid, r = one_message(P3, "idle-2@test")
    ok(qid is not None and p2 is not None and p2 != p and
       delivered("idle-2@test") is not None,
       "max_idle=1s: the next session is served by a new smtpd, its "
       "message delivered", (p, p2, qid))


section(2, max_idle)


# --- per-client connection count limit 1 on P4 ---------------------------
def count_limit():
    a = Raw(P4)
    ga = a.reply()
    pa = serving(a)
    b = Raw(P4)
    got = (ga, b.reply(), b.eof())
    b.close()
    is_(got, (GREETING,
              b"421 4.7.0 Error: too many connections from 127.0.0.1\r\n",
              True),
        "count limit 1: a second concurrent connection gets 421, closed")
    a.cmd(b"EHLO client.example\r\n")
    qid = message(a, "count-1@test")
    a.quit()
    # the count is released when the child reports the connection done
    end, got, pc = time.time() + 5, None, None
    while time.time() < end:
        c = Raw(P4)
        got = c.reply()
        if got != GREETING:
            c.close()
            time.sleep(0.1)
            continue
        pc = serving(c)
        c.quit()
        break
    state["p4"] = pa
    is_((got, pc), (GREETING, pa),
        "count limit 1: once the first QUIT, a new connection is served "
        "(by the same smtpd, kept)")
    pat = (r"postlet/master\[\d+\]: warning: Connection concurrency limit "
           r"exceeded: 2 from unknown\[127\.0\.0\.1\] for service "
           r"127\.0\.0\.1:%d$" % P4)
    ok(qid is not None and re.search(pat, log(), re.M) is not None,
       "count limit: the first session's message queued; the 421 logged")


section(3, count_limit)


# --- kill -9 of an idle smtpd and an idle cleanup ------------------------
def kill9():
    r = Raw(P1)
    r.reply()
    sp = serving(r)
    r.quit()
    # the one idle cleanup, and the one an smtpd of a session just
    # before may still hold for its next session (up to a second)
    cp = procs("cleanup")
    for pid, prog in [(sp, "smtpd")] + [(c, "cleanup") for c in cp]:
        if pid is not None:
            os.kill(pid, 9)
            killed.append((prog, pid))
    gone = [wait_gone(p, 5) is not None for _, p in killed]
    np, qid, r = one_message(P1, "kill-1@test")
    ncp = cleanup_of(qid)
    ok(sp is not None and len(cp) in (1, 2) and
       gone == [True] * len(killed) and
       qid is not None and np not in (None, sp) and ncp not in [None] + cp,
       "kill -9 of the idle smtpd and the cleanups: the next message is queued "
       "by new ones", (sp, cp, gone, np, qid, ncp, r.trail))
    ok(delivered("kill-1@test") is not None, "... and delivered")
    state["smtpd"], state["cleanup"] = np, ncp


section(2, kill9)


# --- reload --------------------------------------------------------------
def reload():
    sp, cp = state.get("smtpd"), state.get("cleanup")
    # the smtpd lets go of the cleanup it kept after a second without
    # session: only then is that cleanup idle
    time.sleep(1.5)
    # a session in progress across the reload (the kept smtpd serves it)
    a = Raw(P1)
    a.reply()
    ap = serving(a)
    a.cmd(b"EHLO client.example\r\n")
    a.cmd(b"MAIL FROM:<a@example.org>\r\n")
    # the idle smtpds of P2 and P4 (P3's ended, max_idle=1s)
    others = [state.get("p2"), state.get("p4")]
    others_alive = [alive(p or 0) for p in others]
    with open(C + "/main.cf", "a") as f:
        f.write("smtpd_banner = $myhostname ESMTP reloaded\n"
                "message_size_limit = 20480000\n")
    rl = as_me([B + "/postlet", "-c", C, "reload"])
    gone = [wait_gone(p, 5) is not None for p in [cp] + others
            if p is not None]
    ok(ap == sp and sp is not None and cp is not None and
       others_alive == [True, True] and rl.returncode == 0 and
       gone == [True] * 3 and alive(sp),
       "reload: the idle cleanup and smtpds (P2, P4) end, the busy smtpd "
       "goes on", (ap, sp, cp, others, others_alive, rl.returncode,
                   rl.stderr, gone, alive(sp or 0)))
    a.cmd(b"RCPT TO:<%s>\r\n" % LOCAL.encode())
    a.cmd(b"DATA\r\n")
    got = a.cmd(b"Message-ID: <reload-1@test>\r\n\r\nx\r\n.\r\n")
    bye = a.quit()
    t = wait_gone(sp, 5) if sp is not None else None
    ok(got.startswith(b"250 2.0.0 Ok: queued as ") and
       bye == b"221 2.0.0 Bye\r\n" and t is not None,
       "reload: the busy session's message is queued, its smtpd ends after "
       "it", (got, bye, t))
    r = Raw(P1)
    got = [r.reply()]
    np = serving(r)
    ehlo = r.cmd(b"EHLO client.example\r\n")
    got.append(b"250-SIZE 20480000\r\n" in ehlo)
    qid = message(r, "reload-2@test")
    r.quit()
    is_((got, np not in (None, sp), qid is not None,
         delivered("reload-1@test") is not None,
         delivered("reload-2@test") is not None),
        ([b"220 host.example.test ESMTP reloaded\r\n", True], True, True,
         True, True),
        "after reload: a new smtpd, the new smtpd_banner and SIZE; both "
        "messages delivered", (np, sp, ehlo, r.trail))


def cleanup_idle():
    # cleanup -o max_idle=1s, by a second reload
    with open(C + "/master.cf") as f:
        mcf = f.read()
    with open(C + "/master.cf", "w") as f:
        f.write(mcf.replace("0  cleanup\n",
                            "0  cleanup\n  -o max_idle=1s\n"))
    rl = as_me([B + "/postlet", "-c", C, "reload"])
    cp = procs("cleanup")
    gone = [wait_gone(p, 5) is not None for p in cp]
    _, qid, r = one_message(P1, "idle-c1@test")
    c1 = cleanup_of(qid)
    t = wait_gone(c1, 8, r.eof_at) if c1 is not None else None
    ok(rl.returncode == 0 and gone == [True] * len(cp) and t is not None and
       t >= 0.5,
       "cleanup -o max_idle=1s (reload): the idle cleanup ends soon after "
       "its message, not at once", (rl.returncode, rl.stderr, cp, gone, c1,
                                    t))
    _, qid, r = one_message(P1, "idle-c2@test")
    c2 = cleanup_of(qid)
    ok(qid is not None and c2 not in (None, c1) and
       delivered("idle-c1@test") is not None and
       delivered("idle-c2@test") is not None,
       "... the next message queued by a new cleanup; both delivered",
       (qid, c1, c2))


def cleanup_held():
    # cleanup at most one process: pickup needs the one the smtpd of the
    # session before kept, which it lets go after a second
    with open(C + "/master.cf") as f:
        mcf = f.read()
    with open(C + "/master.cf", "w") as f:
        f.write(mcf.replace("-    0  cleanup\n", "-    1  cleanup\n"))
    rl = as_me([B + "/postlet", "-c", C, "reload"])
    time.sleep(0.5)
    sp, q1, r = one_message(P1, "held-1@test")
    t0 = time.time()
    argv = [B + "/sendmail", "-i", LOCAL]
    if TU:
        argv = ["setpriv", "--reuid=" + TU, "--regid=" + GID,
                "--clear-groups"] + argv
    sm = subprocess.run(argv, input=b"Message-ID: <held-2@test>\n"
                        b"Subject: held\n\nbody\n", capture_output=True,
                        env=dict(os.environ, MAIL_CONFIG=C), timeout=30)
    got = delivered("held-2@test")
    t = time.time() - t0
    ok(rl.returncode == 0 and q1 is not None and sm.returncode == 0 and
       got is not None and t < 10 and alive(sp or 0),
       "cleanup limit 1: sendmail's message is delivered while the smtpd "
       "that kept the cleanup stays idle", (rl.returncode, rl.stderr, q1,
                                           sm.returncode, sm.stderr, t,
                                           sp, alive(sp or 0)))
    np, q3, r = one_message(P1, "held-3@test")
    ok(np == sp and np is not None and q3 is not None and
       delivered("held-1@test") is not None and
       delivered("held-3@test") is not None,
       "... that smtpd's next session queues its message; all delivered",
       (np, sp, q3, r.trail))


section(3, reload)
section(2, cleanup_idle)
section(2, cleanup_held)


# --- the log -------------------------------------------------------------
allowed = [re.compile(r"postlet/master\[\d+\]: warning: Connection "
                      r"concurrency limit exceeded: 2 from "
                      r"unknown\[127\.0\.0\.1\] for service "
                      r"127\.0\.0\.1:%d$" % P4)]
for prog, pid in killed:
    allowed.append(re.compile(r"postlet/master\[\d+\]: warning: process "
                              r"\S+/%s pid %d killed by signal 9 "
                              r"\(SIGKILL\)$" % (prog, pid)))
bad = [l for l in log().splitlines()
       if re.search(r"warning|error|fatal|panic", l) and
       not any(a.search(l) for a in allowed)]
is_(bad, [], "no warning, error, fatal or panic in the log but those "
    "provoked")

sys.exit(tap.done())
PY
rc=$?
[ "$tap_failed" -eq 0 ] || rc=1
exit $rc
