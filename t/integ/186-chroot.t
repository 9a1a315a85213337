#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 186-chroot.t: master.cf's chroot column, seen from the user's side, on
# a real installed instance (`make install DESTDIR=...', as in
# 185-privileges.t).
#
# As root (everyone else skips this part): a throwaway mail_owner and a
# local user with a home (home_mailbox = Maildir/); master.cf is the
# shipped one with smtpd and qmqpd on free ports of 127.0.0.1 and
# smtpd, qmqpd, pickup, cleanup, qmgr and the smtp delivery agent with
# chroot y; relayhost is a relay host run here ([127.0.0.1]:a free
# port).  Checked, from /proc of the live processes: smtpd (during a
# session), qmqpd (while a client has sent half a request), cleanup
# (during DATA), pickup and smtp (started by qmgr, connected to the
# relay host, which holds its greeting until then) run chrooted into
# queue_directory (their root is its real path) as mail_owner; qmgr is
# not chrooted (root "/"), and master warns about it, not about smtp;
# master made queue_directory/public/cleanup, a socket.  In the
# jail: unix:passwd.byname in local_recipient_maps knows the local user
# and refuses an unknown one with 550 "User unknown in local recipient
# table" (the jail has no /etc/passwd), an alias of alias_maps (cdb)
# is known, a check_recipient_access cdb table outside the queue
# directory answers "REJECT no thanks" (and, rebuilt with `postlet map`,
# its new entry is seen by a new session; after `postlet reload' a new
# pickup runs in the jail and takes mail); mail flows end to end over
# SMTP (smtplib; Received names the ID of "250 2.0.0 Ok: queued as ID"),
# sendmail (as root: postdrop takes another configuration directory
# only from root; then pickup) and QMQP (a netstring request written
# here), and to a remote recipient through the chrooted smtp: the relay
# host reads EHLO host.example, MAIL, RCPT, DATA, QUIT and the message
# with its body line byte for byte, and the log says "status=sent (250
# 2.0.0 Ok: queued as RELAY186)"; the Date: field cleanup adds and the
# Received fields of smtpd and qmqpd have the UTC offset of `date +%z'
# with the same TZ (the jail has no /etc/localtime nor zoneinfo: the
# daemons read the zone before the chroot; when TZ is unset and the
# host's offset is +0000, TZ is set to Asia/Kolkata, +0530, so that the
# check can fail).  No fatal line, and no jailed process ends with an
# error status (in the sanitizer build, a jailed process cannot open its
# report file, so an error shows only as that status).
#
# Non-root mode, always: a second instance (its own queue, ports and
# log) whose master runs as mail_owner (as root: the throwaway user,
# through setpriv; else the user running the test), with the same
# chroot columns: master warns "chroot needs root" for each of the four
# services and for the smtp agent ("service smtp/unix: chroot needs
# root, running it without"), they run unchrooted, and mail still flows
# over SMTP, sendmail and QMQP; the Date: cleanup adds has the offset
# of `date +%z' there too.
. "$(dirname "$0")/../lib.sh"

N=54
tap_plan $N

for t in python3 make setpriv ps; do
	if ! command -v "$t" >/dev/null 2>&1; then
		tap_skip $N "$t not installed"
		tap_done
	fi
done
ROOT=0
if [ "$(id -u)" -eq 0 ]; then
	ROOT=1
	for t in useradd userdel; do
		if ! command -v "$t" >/dev/null 2>&1; then
			tap_skip $N "$t not installed"
			tap_done
		fi
	done
fi
unset MAIL_CONFIG

RND=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
T=$TAP_TMP
chmod 755 "$T"
INST=$T/inst
Q=$T/queue
LOG=$T/log
BI=$T/b
CONFB=$BI/conf
if [ "$ROOT" = 1 ]; then
	MO=pco$RND
	TU=pcu$RND
else
	MO=$(id -un)
	TU=
fi
stop_instance() {
	# $1: its configuration directory, $2: its queue directory
	if [ -s "$2/pid/master.pid" ]; then
		"$SBIN/postlet" -c "$1" stop >/dev/null 2>&1
		kill -9 "$(cat "$2/pid/master.pid" 2>/dev/null)" 2>/dev/null
	fi
}
cleanup()
{
	if [ -n "${SBIN:-}" ]; then
		stop_instance "$CONF" "$Q"
		stop_instance "$CONFB" "$BI/queue"
	fi
	if [ "$ROOT" = 1 ]; then
		for u in "$TU" "$MO"; do
			for p in $(ps -u "$u" -o pid= 2>/dev/null); do
				kill -9 "$p" 2>/dev/null
			done
			userdel "$u" >/dev/null 2>&1
		done
		getent group "$MO" >/dev/null 2>&1 &&
		    groupdel "$MO" >/dev/null 2>&1
	fi
	tap_cleanup
}
trap cleanup EXIT

if [ "$ROOT" = 1 ]; then
	mkdir -p "$T/home"
	chmod 755 "$T/home"
	if ! useradd -M -U -d /nonexistent -s /bin/false "$MO" >"$T/ua" 2>&1 ||
	    ! useradd -m -d "$T/home/$TU" -s /bin/sh "$TU" >>"$T/ua" 2>&1
	then
		tap_skip $N "useradd failed: $(cat "$T/ua")"
		tap_done
	fi
fi
MOGROUP=$(id -gn "$MO")

# 1: the installation (-o all: the programs as they are built).
make -s -C "$POSTLET_SRC" BUILD="$POSTLET_BUILD" -o all install \
    DESTDIR="$INST" SETGID_GROUP="$MOGROUP" >"$T/install.out" 2>&1
tap_ok $? "make install DESTDIR=..." ||
    tap_diag "$(tail -n 20 "$T/install.out")"
mkv() {
	make -s -C "$POSTLET_SRC" BUILD="$POSTLET_BUILD" "print-$1"
}
SBIN=$INST$(mkv SBINDIR)
LIBEXEC=$INST$(mkv LIBEXECDIR)/postlet
CONF=$INST$(mkv SYSCONFDIR)
[ -x "$LIBEXEC/master" ] || tap_bail "no $LIBEXEC/master after make install"
chmod -R go+rX "$INST"

set -- $(free_ports 5)
PORT=$1
QPORT=$2
PORTB=$3
QPORTB=$4
RPORT=$5

# mkmaster SMTPPORT QMQPPORT QMGRCHROOT: the shipped master.cf with
# smtpd and qmqpd on those ports, and chroot y for smtpd, qmqpd, pickup,
# cleanup and the smtp delivery agent (and qmgr's column as given).
# smtpd's maxproc is 1: its one process, reused, must give a connection
# back when a table was rebuilt, and master must find it a new process
# although the old one still counts until it is gone (check 36).
mkmaster() {
	awk -v port="$1" -v qport="$2" -v qm="$3" '
	$1 == "smtp" && $2 == "inet" { $1 = "127.0.0.1:" port; $5 = "y"; $7 = 1 }
	$1 == "smtp" && $2 == "unix" { $5 = "y" }
	$1 == "#628" && $2 == "inet" { $1 = "127.0.0.1:" qport; $5 = "y" }
	$1 == "pickup" || $1 == "cleanup" { $5 = "y" }
	$1 == "qmgr" { $5 = qm }
	{ print }' "$POSTLET_SRC/conf/master.cf"
}

# The time zone: the host's, unless that is UTC without TZ (a check
# that could not fail).
if [ -z "${TZ:-}" ] && [ "$(date +%z)" = "+0000" ] &&
    [ -e /usr/share/zoneinfo/Asia/Kolkata ]; then
	TZ=Asia/Kolkata
	export TZ
fi

if [ "$ROOT" = 1 ]; then
	mkmaster "$PORT" "$QPORT" y >"$CONF/master.cf"
	[ "$(grep -c '^[^#].* y  *[-0-9][0-9]*  *[-0-9][0-9]*  *[a-z]*$' \
	    "$CONF/master.cf")" = 6 ] ||
	    tap_bail "master.cf: not 6 chroot=y lines: $(cat "$CONF/master.cf")"
	cat >"$CONF/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $LIBEXEC
command_directory = $SBIN
mail_owner = $MO
setgid_group = $MOGROUP
maillog_file = $LOG
myhostname = host.example
mydestination = host.example, localhost
relayhost = [127.0.0.1]:$RPORT
alias_maps = cdb:$CONF/aliases
local_recipient_maps = unix:passwd.byname \$alias_maps
home_mailbox = Maildir/
service_throttle_time = 1s
queue_run_delay = 1s
smtpd_timeout = 30s
qmqpd_timeout = 30s
qmqpd_authorized_clients = 127.0.0.0/8
smtpd_recipient_restrictions = check_recipient_access cdb:$T/access,
    reject_unlisted_recipient, permit_mynetworks, reject_unauth_destination
EOF
	printf 'chrootalias: %s\n' "$TU" >"$CONF/aliases"
	"$SBIN/postlet" -c "$CONF" alias "$CONF/aliases" >"$T/alias.out" 2>&1 ||
	    tap_bail "postlet alias: $(cat "$T/alias.out")"
	printf 'blocked@localhost REJECT no thanks\n' >"$T/access"
	"$SBIN/postlet" -c "$CONF" map "cdb:$T/access" >"$T/map.out" 2>&1 ||
	    tap_bail "postlet map: $(cat "$T/map.out")"
fi

# The non-root instance, owned by mail_owner.
mkdir -p "$CONFB" "$BI/mail"
mkmaster "$PORTB" "$QPORTB" n >"$CONFB/master.cf"
cat >"$CONFB/main.cf" <<EOF
queue_directory = $BI/queue
daemon_directory = $LIBEXEC
command_directory = $SBIN
mail_owner = $MO
setgid_group = $MOGROUP
maillog_file = $BI/log
myhostname = host.example
mydestination = host.example, localhost
alias_maps =
mail_spool_directory = $BI/mail/
service_throttle_time = 1s
queue_run_delay = 1s
smtpd_timeout = 30s
qmqpd_timeout = 30s
qmqpd_authorized_clients = 127.0.0.0/8
EOF
[ "$ROOT" = 1 ] && chown -R "$MO:$MOGROUP" "$BI"

# (Not exec: the EXIT trap must still remove the users and processes.)
PYTHONPATH="$POSTLET_SRC/t" python3 - "$T" "$ROOT" "$SBIN" "$CONF" "$Q" \
    "$LOG" "$PORT" "$QPORT" "$MO" "$TU" "$CONFB" "$BI" "$PORTB" "$QPORTB" \
    "$RPORT" "$tap_count" "$N" \
    <<'PYEOF'
import glob, os, re, smtplib, socket, stat, subprocess, sys, threading, time
from proctest import *
from smtptest import Tap

(T, ROOT, SBIN, CONF, Q, LOG, PORT, QPORT, MO, TU, CONFB, BI, PORTB,
 QPORTB, RPORT, COUNT, PLAN) = sys.argv[1:]
ROOT = ROOT == "1"
PORT, QPORT, PORTB, QPORTB, RPORT = map(int, (PORT, QPORT, PORTB, QPORTB,
                                              RPORT))
tap = Tap(int(PLAN), int(COUNT), plan_printed=True)
ok, is_, skip = tap.ok, tap.is_, tap.skip
T0 = time.time()

def below(pid, master):
    for i in range(10):
        pid = ppid(pid)
        if pid == master:
            return True
        if not pid:
            return False
    return False

def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None

def tree(master):
    """The processes below master, for diagnostics."""
    return "\n".join("%d %s ppid=%s state=%s root=%s" %
                     (p, comm(p), ppid(p), state(p), root_of(p))
                     for p in pids() if master and below(p, master))

def procs(name, master):
    if not master:
        return []
    return [p for p in pids() if comm(p) == name and below(p, master)
            and state(p) not in (None, "Z")]

def find(name, master, secs=10):
    # master's own children first (a daemon's child that has not yet
    # run its program bears the daemon's name)
    r = wait_for(lambda: procs(name, master), secs)
    return sorted(r, key=lambda p: (ppid(p) != master, p))[0] if r else None

def readf(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""

def logtail(path, lines=15):
    return b"\n".join(readf(path).splitlines()[-lines:]).decode("latin-1")

def master_pid(qdir):
    def get():
        try:
            with open(qdir + "/pid/master.pid") as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
    return wait_for(get, 10)

def listening(port):
    def try_():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return True
        except OSError:
            return False
    return wait_for(try_, 10)

def host_offset():
    return subprocess.run(["date", "+%z"], capture_output=True,
                          timeout=10).stdout.decode().strip()

DATE_RE = (rb"[A-Z][a-z][a-z], +\d+ [A-Z][a-z][a-z] \d{4} \d\d:\d\d:\d\d "
           rb"([+-]\d{4})")

def offset_of(text, at_start):
    """The UTC offset of the RFC 5322 date in text (at its start, or
    anywhere), as a string; text itself when there is none."""
    m = (re.match if at_start else re.search)(DATE_RE, text)
    return m.group(1).decode() if m else text

def header(msg, name):
    """The first field NAME of the message's header, unfolded."""
    head = msg.split(b"\n\n", 1)[0]
    m = re.search(rb"^" + name + rb":(.*(?:\n[ \t].*)*)", head,
                  re.M | re.I)
    return re.sub(rb"\n[ \t]+", b" ", m.group(1)).strip() if m else None

def mail_in(maildir, marker):
    """The message of maildir/new or cur holding marker (bytes), or None."""
    for f in glob.glob(maildir + "/new/*") + glob.glob(maildir + "/cur/*"):
        d = readf(f)
        if marker in d:
            return d
    return None

def wait_mail(maildir, marker, secs=20):
    return wait_for(lambda: mail_in(maildir, marker), secs)

def smtp_rcpt(s, addr):
    code, msg = s.rcpt(addr)
    return b"%d %s" % (code, msg)

def smtp_send(rcpt, data=None):
    """A session to smtpd (PORT): MAIL from sender@example.org, RCPT to
    rcpt and, with data, DATA; "RCPT-REPLY" or "RCPT-REPLY / DATA-REPLY"
    (bytes), or the error's text."""
    try:
        s = smtplib.SMTP("127.0.0.1", PORT, local_hostname="client.example",
                         timeout=30)
        s.ehlo()
        s.mail("sender@example.org")
        got = smtp_rcpt(s, rcpt)
        if data is not None:
            code, msg = s.data(data)
            got = b"%s / %d %s" % (got, code, msg)
        s.quit()
        return got
    except (OSError, smtplib.SMTPException) as e:
        return str(e).encode()

def ns(b):
    return b"%d:%s," % (len(b), b)

def qmqp_send(port, req, during=None):
    """Send req in two halves (during() runs in between); the reply
    netstring's content (bytes), or a text saying what went wrong."""
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    half = len(req) // 2
    c.sendall(req[:half])
    r = during() if during else None
    c.sendall(req[half:])
    data = b""
    while True:
        m = re.match(rb"(\d+):", data)
        if m and len(data) >= m.end() + int(m.group(1)) + 1:
            body = data[m.end():m.end() + int(m.group(1))]
            break
        try:
            d = c.recv(4096)
        except OSError as e:
            body = ("error %s after %r" % (e, data)).encode()
            break
        if not d:
            body = ("EOF after %r" % data).encode()
            break
        data += d
    c.close()
    return body, r

def qmqp_request(msg, sender, rcpt):
    return ns(ns(msg) + ns(sender) + ns(rcpt))

def as_user(user, cmd):
    if ROOT and user is not None:
        return ["setpriv", "--reuid=" + user, "--regid=" + user,
                "--init-groups"] + cmd
    return cmd

def sendmail(conf, user, rcpt, content):
    return subprocess.run(as_user(user, [SBIN + "/sendmail", "-C", conf,
                                         "-i", rcpt]),
                          input=content, capture_output=True, timeout=30)

def fatal_lines(path):
    return [l for l in readf(path).decode("latin-1").splitlines()
            if re.search(r"\]: (fatal|panic): ", l)]

class Relay:
    """The relay host: a threaded SMTP server on 127.0.0.1:port for one
    connection.  It accepts and stays silent (no greeting) until greet
    is set, then takes one message: EHLO or HELO, MAIL, RCPT, DATA, the
    message up to ".", QUIT.  cmds: the command lines it read (bytes,
    without CRLF); msg: the message, dot-unstuffed, CRLF as sent.
    Every wait is bounded: accept within 60 s, greet within 120 s, each
    read within 30 s, at most 50 commands and 10000 message lines."""
    def __init__(self, port):
        self.connected = threading.Event()
        self.greet = threading.Event()
        self.got_msg = threading.Event()
        self.ended = threading.Event()
        self.cmds = []
        self.msg = None
        self.err = None
        self.sock = socket.socket()
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", port))
            self.sock.listen(5)
        except OSError as e:
            self.err = "relay: bind 127.0.0.1:%d: %s" % (port, e)
            self.ended.set()
            return
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        try:
            self.sock.settimeout(60)
            c, _ = self.sock.accept()
        except OSError as e:
            self.err = "relay: accept: %s" % e
            self.ended.set()
            return
        self.connected.set()
        self.greet.wait(120)
        try:
            c.settimeout(30)
            self.session(c, c.makefile("rb"))
        except OSError as e:
            self.err = "relay: %s after %r" % (e, self.cmds)
        finally:
            c.close()
            self.ended.set()

    def session(self, c, f):
        c.sendall(b"220 relay.example ESMTP\r\n")
        for i in range(50):
            line = f.readline(1000)
            if not line:
                self.err = "relay: EOF after %r" % self.cmds
                return
            cmd = line.rstrip(b"\r\n")
            self.cmds.append(cmd)
            verb = cmd[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250 relay.example\r\n")
            elif verb == b"MAIL":
                c.sendall(b"250 2.1.0 Ok\r\n")
            elif verb == b"RCPT":
                c.sendall(b"250 2.1.5 Ok\r\n")
            elif verb in (b"RSET", b"NOOP"):
                c.sendall(b"250 2.0.0 Ok\r\n")
            elif verb == b"DATA" and self.msg is None:
                c.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                lines = []
                for j in range(10000):
                    l = f.readline(2000)
                    if not l or l == b".\r\n":
                        break
                    lines.append(l[1:] if l.startswith(b".") else l)
                if l != b".\r\n":
                    self.err = "relay: no end of data: %r" % lines
                    return
                self.msg = b"".join(lines)
                c.sendall(b"250 2.0.0 Ok: queued as RELAY186\r\n")
                self.got_msg.set()
            elif verb == b"QUIT":
                c.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                c.sendall(b"502 5.5.2 Error: command not recognized\r\n")

    def close(self):
        self.greet.set()
        self.sock.close()

OFF = host_offset()

# ---------------------------------------------------------------------
# The chrooted instance (root only): 39 checks.
NA = 40
def instance_a(relay):
    QR = os.path.realpath(Q)
    HOME = os.path.expanduser("~" + TU)
    MD = HOME + "/Maildir"
    from pwd import getpwnam
    pw = getpwnam(MO)
    MO_IDS = want_ids(pw.pw_uid, pw.pw_gid)
    def look(p):
        # what the checks of jailed need, read while p lives
        return (root_of(p) if p else "no such process", ids(p) if p else None,
                "pid %s; below master:\n%s" % (p, tree(master)))
    def settle(name):
        # a process of name, once it is in the jail as
        # mail_owner (a sanitizer build starts slowly, and a process
        # of an earlier connection may still be ending): at most 10 s
        def done():
            p = find(name, master, 1)
            return p if p and root_of(p) == QR and ids(p) == MO_IDS \
                else None
        p = wait_for(done, 10) or find(name, master, 1)
        return p, look(p)
    def jailed(p, what):
        root, st, diag = p if isinstance(p, tuple) else look(p)
        is_(root, QR, "%s runs chrooted into queue_directory" % what,
            diag + "\n" + logtail(LOG))
        is_(st, MO_IDS, "%s runs as mail_owner" % what)

    # 1: start.
    r = subprocess.run([SBIN + "/postlet", "-c", CONF, "start"],
                       capture_output=True, timeout=30)
    ok(r.returncode == 0, "postlet start (chroot y, as root)",
       r.stdout + r.stderr)
    master = master_pid(Q)
    listening(PORT)

    # 2-4: qmgr is not chrooted, and master says so.
    ok(wait_for(lambda: re.search(rb"master\[\d+\]: warning: .*qmgr.*chroot"
                                  rb"|master\[\d+\]: warning: .*chroot.*qmgr",
                                  readf(LOG)), 5),
       "master warns that qmgr is not chrooted", logtail(LOG))
    p = find("qmgr", master) if master else None
    is_(root_of(p) if p else "no qmgr", "/", "qmgr is not chrooted (root /)")
    wait_for(lambda: p and ids(p) == MO_IDS, 10)  # qmgr drops itself
    is_(ids(p) if p else None, MO_IDS, "qmgr runs as mail_owner")

    # 5-6: pickup.
    pick0, seen = settle("pickup")
    jailed(seen, "pickup")

    # 7: the socket of the cleanup service.
    try:
        got = stat.S_ISSOCK(os.lstat(Q + "/public/cleanup").st_mode)
    except OSError as e:
        got = str(e)
    is_(got, True, "master made queue_directory/public/cleanup, a socket")

    # 8-13: an SMTP session: smtpd, the recipients it knows in the jail.
    try:
        s = smtplib.SMTP("127.0.0.1", PORT, local_hostname="client.example",
                         timeout=30)
        s.ehlo()
    except (OSError, smtplib.SMTPException) as e:
        s = None
        smtp_err = str(e)
    if s is None:
        while tap.n - na0 < NA:
            ok(False, "SMTP session", smtp_err + "\n" + logtail(LOG))
        return master
    jailed(settle("smtpd")[1], "smtpd (during a session)")
    s.mail("sender@example.org")
    is_(smtp_rcpt(s, TU + "@localhost"), b"250 2.1.5 Ok",
        "RCPT to the local user: 250 (unix:passwd.byname in the jail)",
        logtail(LOG))
    is_(smtp_rcpt(s, "chrootalias@localhost"), b"250 2.1.5 Ok",
        "RCPT to an alias: 250 (alias_maps cdb in the jail)", logtail(LOG))
    is_(smtp_rcpt(s, "nosuchuser%s@localhost" % TU),
        b"550 5.1.1 <nosuchuser%s@localhost>: Recipient address rejected: "
        b"User unknown in local recipient table" % TU.encode(),
        "RCPT to an unknown user: 550 User unknown", logtail(LOG))
    is_(smtp_rcpt(s, "blocked@localhost"),
        b"554 5.7.1 <blocked@localhost>: Recipient address rejected: "
        b"no thanks",
        "RCPT to blocked@localhost: the access table (cdb, outside the "
        "queue directory) answers in the jail", logtail(LOG))

    # 14-15: cleanup during DATA.
    code, msg = s.docmd("DATA")
    s.send(b"From: <sender@example.org>\r\nSubject: chroot smtp\r\n"
           b"Message-ID: <smtp186@example.org>\r\n\r\nfirst line\r\n")
    jailed(settle("cleanup")[1] if code == 354 else look(None),
           "cleanup (during DATA)")
    s.send(b"the body line over SMTP\r\n.\r\n")
    code, msg = s.getreply()
    try:
        s.quit()
    except (OSError, smtplib.SMTPException):
        pass

    # 16-19: the message, in the Maildir.
    m = re.match(rb"2\.0\.0 Ok: queued as ([0-9A-F]+)$", msg)
    ok(code == 250 and m is not None, "250 2.0.0 Ok: queued as ID",
       "%d %r" % (code, msg))
    qid = m.group(1) if m else b"NOID"
    got = wait_mail(MD, b"Subject: chroot smtp\n")
    ok(got is not None and b"\nthe body line over SMTP\n" in got,
       "SMTP: the message is in the Maildir, with its body line",
       (got or b"").decode("latin-1") + "\n" + logtail(LOG))
    rcvd = header(got or b"", b"Received") or b""
    ok(re.search(rb"\(postlet\) with ESMTP id %s\b" % qid, rcvd),
       "SMTP: Received names the ID of the 250 reply", rcvd)
    is_(offset_of(rcvd, False), OFF,
        "SMTP: smtpd's Received date has the offset of date +%z")

    # 20-22: sendmail, through pickup in the jail; a message without Date.
    r = sendmail(CONF, None, TU + "@localhost",
                 b"Subject: chroot sendmail\n\nthe body line by sendmail\n")
    ok(r.returncode == 0, "sendmail (as root, as 185) exits 0",
       r.stdout + r.stderr)
    got = wait_mail(MD, b"Subject: chroot sendmail\n")
    ok(got is not None and b"\nthe body line by sendmail\n" in got,
       "sendmail: the message is in the Maildir, with its body line",
       (got or b"").decode("latin-1") + "\n" + logtail(LOG))
    date = header(got or b"", b"Date") or b"no Date"
    is_(offset_of(date, True), OFF,
        "sendmail: the Date cleanup added has the offset of date +%%z "
        "(TZ=%s)" % os.environ.get("TZ", ""))

    # 23-27: QMQP, qmqpd caught with half a request sent.
    req = qmqp_request(b"Subject: chroot qmqp\n\nthe body line over QMQP\n",
                       b"sender@example.org", (TU + "@localhost").encode())
    try:
        reply, p = qmqp_send(QPORT, req,
                             lambda: settle("qmqpd")[1])
    except OSError as e:
        reply, p = ("%s" % e).encode(), None
    jailed(p, "qmqpd (half a request read)")
    m = re.match(rb"KOk: queued as ([0-9A-F]+)$", reply)
    ok(m is not None, "QMQP: K reply", reply)
    got = wait_mail(MD, b"Subject: chroot qmqp\n")
    rcvd = header(got or b"", b"Received") or b""
    ok(got is not None and b"\nthe body line over QMQP\n" in got and
       m is not None and
       re.search(rb"with QMQP id %s\b" % m.group(1), rcvd),
       "QMQP: the message is in the Maildir; Received names the K ID",
       (got or b"").decode("latin-1") + "\n" + logtail(LOG))
    is_(offset_of(rcvd, False), OFF,
        "QMQP: qmqpd's Received date has the offset of date +%z")

    # 28-35: the smtp delivery agent, chrooted by qmgr's spawner: a
    # message to a remote recipient, through relayhost (the relay host
    # holds its greeting while we look at the smtp process).
    reply = smtp_send("someone@remote.example",
                      b"From: <sender@example.org>\r\n"
                      b"Subject: chroot relay\r\n"
                      b"Message-ID: <relay186@example.org>\r\n\r\n"
                      b"the body line to the relay\r\n")
    m = re.match(rb"250 2\.1\.5 Ok / 250 2\.0\.0 Ok: queued as ([0-9A-F]+)$",
                 reply)
    ok(m, "SMTP to someone@remote.example (relayed): 250 for RCPT and for "
       "the message", reply.decode("latin-1") + "\n" + logtail(LOG))
    rqid = m.group(1) if m else b"NOID"
    ok(relay.connected.wait(30 if m else 1),
       "the relay host has a connection (relayhost = [127.0.0.1]:%d)"
       % RPORT, "%s\n%s\n%s" % (relay.err, tree(master), logtail(LOG)))
    jailed(settle("smtp")[1] if relay.connected.is_set() else look(None),
           "smtp (connected, before the greeting)")
    relay.greet.set()
    relay.got_msg.wait(30 if relay.connected.is_set() else 1)
    got = relay.msg or b""
    ok(got.endswith(b"\r\n\r\nthe body line to the relay\r\n") and
       re.search(rb"^Subject: chroot relay\r$", got, re.M),
       "relay host: the message arrives, its body line byte for byte",
       "%r\n%s\n%s" % (got, relay.err, logtail(LOG)))
    relay.ended.wait(15 if relay.connected.is_set() else 1)
    is_(relay.cmds, [b"EHLO host.example", b"MAIL FROM:<sender@example.org>",
                     b"RCPT TO:<someone@remote.example>", b"DATA", b"QUIT"],
        "relay host: EHLO, MAIL, RCPT, DATA, QUIT", relay.err)
    sent = rb"\]: %s: to=<someone@remote\.example>, relay=127\.0\.0\.1" \
           rb"\[127\.0\.0\.1\]:%d, delay=[0-9.]+, dsn=2\.0\.0, " \
           rb"status=sent \(250 2\.0\.0 Ok: queued as RELAY186\)$" % \
           (rqid, RPORT)
    ok(wait_for(lambda: re.search(sent, readf(LOG), re.M), 10),
       "log: %s: to=<someone@remote.example>, relay=127.0.0.1[127.0.0.1]:"
       "PORT, ..., status=sent (250 2.0.0 Ok: queued as RELAY186)"
       % rqid.decode(), logtail(LOG))
    is_([l for l in readf(LOG).decode("latin-1").splitlines()
         if re.search(r"master\[\d+\]: warning: .*\bsmtp/unix\b", l)], [],
        "master does not warn about smtp/unix (root: qmgr's spawner "
        "chroots it)")

    # 36: the access table rebuilt: a new session sees the new entry.
    with open(T + "/access", "a") as f:
        f.write("blocked2@localhost REJECT rebuilt table\n")
    r = subprocess.run([SBIN + "/postlet", "-c", CONF, "map",
                        "cdb:" + T + "/access"], capture_output=True,
                       timeout=30)
    got = smtp_send("blocked2@localhost")
    is_(got, b"554 5.7.1 <blocked2@localhost>: Recipient address rejected: "
        b"rebuilt table",
        "postlet map rebuilds the table: a new session sees the new entry",
        (r.stdout + r.stderr).decode("latin-1") + logtail(LOG))

    # 37-38: postlet reload: a jailed pickup cannot read main.cf again,
    # so a new one runs, in the jail, and takes a new message.
    r = subprocess.run([SBIN + "/postlet", "-c", CONF, "reload"],
                       capture_output=True, timeout=30)
    def new_pickup():
        return [p for p in procs("pickup", master)
                if p != pick0 and ppid(p) == master and root_of(p) == QR]
    ok(wait_for(new_pickup, 10),
       "postlet reload: a new pickup runs, chrooted",
       "reload: %r; old pickup %s\n%s\n%s" % (r.returncode, pick0,
                                                tree(master), logtail(LOG)))
    r = sendmail(CONF, None, TU + "@localhost",
                 b"Subject: after reload\n\nthe line after reload\n")
    got = wait_mail(MD, b"Subject: after reload\n")
    ok(r.returncode == 0 and got is not None and
       b"\nthe line after reload\n" in got,
       "postlet reload: sendmail still delivers",
       (r.stdout + r.stderr).decode("latin-1") + logtail(LOG))

    # 39-40: nothing fatal, and no jailed process ended with an error
    # (in the sanitizer build also what its report would have said: a
    # jailed process cannot open the report file, so it only exits 1).
    is_(fatal_lines(LOG), [], "no fatal or panic line in the log")
    is_([l for l in readf(LOG).decode("latin-1").splitlines()
         if re.search(r"warning: process (\S*/)?(smtpd|qmqpd|cleanup|"
                      r"pickup|smtp) pid \d+ ", l)], [],
        "no jailed process ended with an error status")
    return master

if ROOT:
    na0 = tap.n
    relay = Relay(RPORT)
    try:
        instance_a(relay)
    finally:
        relay.close()
    if tap.n - na0 != NA:
        print("# instance A ran %d checks, not %d" %
              (tap.n - na0, NA))
    subprocess.run([SBIN + "/postlet", "-c", CONF, "stop"],
                   capture_output=True, timeout=30)
else:
    skip(NA, "chroot needs root (useradd, master as root)")

# ---------------------------------------------------------------------
# The non-root instance: master as mail_owner, the same chroot columns.
# 13 checks.
QB = BI + "/queue"
LOGB = BI + "/log"
MDB = BI + "/mail/" + MO
def as_mo(cmd):
    if ROOT:
        return ["setpriv", "--reuid=" + MO, "--regid=" + MO,
                "--clear-groups"] + cmd
    return cmd

r = subprocess.run(as_mo([SBIN + "/postlet", "-c", CONFB, "start"]),
                   capture_output=True, timeout=30)
ok(r.returncode == 0, "non-root: postlet start as mail_owner",
   r.stdout + r.stderr)
mb = master_pid(QB)
listening(PORTB)
want = ["127.0.0.1:%d" % PORTB, "127.0.0.1:%d" % QPORTB, "pickup", "cleanup"]
def warned():
    lines = [l for l in readf(LOGB).decode("latin-1").splitlines()
             if re.search(r"master\[\d+\]: warning: .*chroot needs root", l)]
    return [w for w in want
            if not any(re.search(r"\b%s\b" % re.escape(w), l)
                       for l in lines)]
missing = wait_for(lambda: not warned(), 5) or warned()
is_(missing if missing is not True else [], [],
    "non-root: master warns \"chroot needs root\" for each service",
    logtail(LOGB))
ok(re.search(rb"master\[\d+\]: warning: [^\n]*: service smtp/unix: chroot "
             rb"needs root, running it without$", readf(LOGB), re.M),
   "non-root: master warns \"service smtp/unix: chroot needs root, "
   "running it without\"", logtail(LOGB))

MOUID = str(__import__("pwd").getpwnam(MO).pw_uid)
nb0 = tap.n
try:
    s = smtplib.SMTP("127.0.0.1", PORTB, local_hostname="client.example",
                     timeout=30)
    s.ehlo()
    p = find("smtpd", mb)
    is_(root_of(p) if p else "no smtpd", "/",
        "non-root: smtpd runs unchrooted (root /)")
    st = ids(p) if p else None
    is_(st["Uid"] if st else None, [MOUID] * 4,
        "non-root: smtpd runs as mail_owner")
    s.mail("sender@example.org")
    rc = smtp_rcpt(s, MO + "@localhost")
    code, msg = s.data(b"Subject: nonroot smtp\r\n\r\nthe body line B\r\n")
    s.quit()
    reply = b"%s / %d %s" % (rc, code, msg)
except (OSError, smtplib.SMTPException) as e:
    reply = str(e).encode()
    while tap.n - nb0 < 2:
        ok(False, "non-root: SMTP session", reply)
ok(re.match(rb"250 2\.1\.5 Ok / 250 2\.0\.0 Ok: queued as [0-9A-F]+$",
            reply), "non-root: SMTP: 250 for RCPT and for the message",
   reply)
got = wait_mail(MDB, b"Subject: nonroot smtp\n")
ok(got is not None and b"\nthe body line B\n" in got,
   "non-root: SMTP: the message is delivered", logtail(LOGB))

r = sendmail(CONFB, MO, MO + "@localhost",
             b"Subject: nonroot sendmail\n\nthe sendmail line B\n")
ok(r.returncode == 0, "non-root: sendmail exits 0", r.stdout + r.stderr)
got = wait_mail(MDB, b"Subject: nonroot sendmail\n")
ok(got is not None and b"\nthe sendmail line B\n" in got,
   "non-root: sendmail: the message is delivered (pickup)", logtail(LOGB))
date = header(got or b"", b"Date") or b"no Date"
is_(offset_of(date, True), OFF,
    "non-root: the Date cleanup added has the offset of date +%%z "
    "(TZ=%s)" % os.environ.get("TZ", ""))

req = qmqp_request(b"Subject: nonroot qmqp\n\nthe qmqp line B\n",
                   b"sender@example.org", (MO + "@localhost").encode())
try:
    reply, _ = qmqp_send(QPORTB, req)
except OSError as e:
    reply = str(e).encode()
ok(re.match(rb"KOk: queued as [0-9A-F]+$", reply), "non-root: QMQP: K reply",
   reply)
got = wait_mail(MDB, b"Subject: nonroot qmqp\n")
ok(got is not None and b"\nthe qmqp line B\n" in got,
   "non-root: QMQP: the message is delivered", logtail(LOGB))
is_(fatal_lines(LOGB), [], "non-root: no fatal or panic line in the log")

subprocess.run(as_mo([SBIN + "/postlet", "-c", CONFB, "stop"]),
               capture_output=True, timeout=30)
print("# %.1f seconds" % (time.time() - T0))
sys.exit(tap.done())
PYEOF
exit $?
