#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 185-privileges.t: who runs as whom, on a real installed instance, as
# root (everyone else skips): `make install DESTDIR=...' into the test's
# directory, a main.cf pointing at it, three throwaway users (mail_owner,
# and two recipients with homes), master started as root with smtpd on a
# free port of 127.0.0.1.  Checked, reading /proc of the live processes:
# smtpd (during a session), cleanup (during DATA), pickup, qmgr and smtp
# (connected to a relay host that never greets) have all of real,
# effective, saved and file system uid and gid = mail_owner's, and no
# other group; smtpd's and cleanup's log lines reach root's mode-0600
# maillog_file, which they cannot open; an mbox is owned
# by its user, mode 0600; a command from .forward runs as the recipient,
# a command from aliases as the owner of the alias table, each with
# descriptors 0, 1 and 2 only and only the environment local(8)
# documents (a variable master was started with does not leak); no
# set-user-ID file in the installed tree, and postdrop the only
# set-group-ID one (a known gap: `make install` does not do it, see
# below); the queue's owners and modes as queue(5) documents; a plain
# local user can neither list nor read another user's queued message nor
# create a file in incoming/ or active/ (or maildrop/ without postdrop).
. "$(dirname "$0")/../lib.sh"

N=35
tap_plan $N

if [ "$(id -u)" -ne 0 ]; then
	tap_skip $N "needs root (useradd, an installed instance run as root)"
	tap_done
fi
for t in useradd userdel setpriv python3 ps make; do
	if ! command -v "$t" >/dev/null 2>&1; then
		tap_skip $N "$t not installed"
		tap_done
	fi
done
unset MAIL_CONFIG

RND=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
MO=ppo$RND
TU=ppu$RND
TV=ppv$RND
T=$TAP_TMP
chmod 755 "$T"
INST=$T/inst
Q=$T/queue
S=$T/spool
LOG=$T/log
cleanup()
{
	[ -s "$Q/pid/master.pid" ] && kill -9 "$(cat "$Q/pid/master.pid")" \
	    2>/dev/null
	for u in "$TU" "$TV" "$MO"; do
		for p in $(ps -u "$u" -o pid= 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		userdel "$u" >/dev/null 2>&1
	done
	getent group "$MO" >/dev/null 2>&1 && groupdel "$MO" >/dev/null 2>&1
	tap_cleanup
}
trap cleanup EXIT

mkdir -p "$T/home"
chmod 755 "$T/home"
if ! useradd -M -U -d /nonexistent -s /bin/false "$MO" >"$T/ua" 2>&1 ||
    ! useradd -m -d "$T/home/$TU" -s /bin/sh "$TU" >>"$T/ua" 2>&1 ||
    ! useradd -m -d "$T/home/$TV" -s /bin/sh "$TV" >>"$T/ua" 2>&1; then
	tap_skip $N "useradd failed: $(cat "$T/ua")"
	tap_done
fi
MOUID=$(id -u "$MO")
MOGID=$(id -g "$MO")
TUID=$(id -u "$TU")
TVID=$(id -u "$TV")
as_tv() {
	setpriv --reuid="$TV" --regid="$(id -g "$TV")" --init-groups "$@"
}

# 1: the installation.
# (-o all: install the programs under test as they are built, without
# rebuilding anything.)
make -s -C "$POSTLET_SRC" BUILD="$POSTLET_BUILD" -o all install \
    DESTDIR="$INST" SETGID_GROUP="$MO" >"$T/install.out" 2>&1
tap_ok $? "make install DESTDIR=..." || tap_diag "$(tail -n 20 "$T/install.out")"
mkv() {
	make -s -C "$POSTLET_SRC" BUILD="$POSTLET_BUILD" "print-$1"
}
SBIN=$INST$(mkv SBINDIR)
LIBEXEC=$INST$(mkv LIBEXECDIR)/postlet
CONF=$INST$(mkv SYSCONFDIR)
[ -x "$LIBEXEC/master" ] || tap_bail "no $LIBEXEC/master after make install"
# the daemons, running as mail_owner, must reach the programs
chmod -R go+rX "$INST"

# 2-4: set-user-ID and set-group-ID files.
tap_is "$(find "$INST" -perm -4000 -print)" "" \
    "no set-user-ID file in the installed tree"
# make install (as root) makes postdrop set-group-ID SETGID_GROUP.
tap_is "$(find "$INST" -perm -2000 -print)" "$LIBEXEC/postdrop" \
    "postdrop is the only set-group-ID file"
tap_is "$(stat -c %G "$LIBEXEC/postdrop")" "$(id -gn "$MO")" \
    "... and its group is SETGID_GROUP"

# Two free ports: smtpd's, and a relay host that accepts and stays
# silent (so that an smtp process waits for its greeting).
set -- $(python3 -c '
import socket
ss = [socket.socket() for i in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
PORT=$1
RELAY=$2
mkdir -m 755 "$S"
cat >"$CONF/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $LIBEXEC
command_directory = $SBIN
mail_owner = $MO
setgid_group = $MO
maillog_file = $LOG
myhostname = host.example
mydestination = host.example, localhost
alias_maps = cdb:$CONF/aliases
mail_spool_directory = $S
service_throttle_time = 1s
queue_run_delay = 1s
minimal_backoff_time = 60s
smtpd_timeout = 30s
relayhost = [127.0.0.1]:$RELAY
EOF
cat >"$CONF/master.cf" <<EOF
127.0.0.1:$PORT inet n - n - - smtpd
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  n  n  -    -  local
smtp      unix  -  -  n  -    -  smtp
EOF
# The alias table belongs to $TV: its commands run as $TV.
printf 'cmdalias: "|exec /bin/sleep 6.185"\n' >"$CONF/aliases"
"$SBIN/postlet" -c "$CONF" alias "$CONF/aliases" >"$T/alias.out" 2>&1 ||
    tap_diag "postlet alias: $(cat "$T/alias.out")"
chown "$TV" "$CONF/aliases" "$CONF/aliases.cdb"
# $TU's .forward: a command, then (for the queue checks) one that defers.
printf '"|exec /bin/sleep 6.186"\n' >"$T/home/$TU/.forward"
chown "$TU" "$T/home/$TU/.forward"
chmod 644 "$T/home/$TU/.forward"

# 5: start as root, with a variable that must not reach any command.
POSTLET_LEAK_CHECK=leaked "$SBIN/postlet" -c "$CONF" start >"$T/start" 2>&1
tap_ok $? "postlet start (installed, as root)" || tap_diag "$(cat "$T/start")"

PYTHONPATH="$POSTLET_SRC/t" python3 - "$T" "$CONF" "$SBIN" "$LIBEXEC" \
    "$Q" "$S" "$LOG" "$PORT" "$MO" "$MOUID" "$MOGID" "$TU" "$TUID" "$TV" \
    "$TVID" "$tap_count" "$N" "$RELAY" \
    <<'PYEOF'
import glob, os, re, socket, stat, subprocess, sys, time
from proctest import *
from smtptest import Tap

(T, CONF, SBIN, LIBEXEC, Q, S, LOG, PORT, MO, MOUID, MOGID, TU, TUID, TV,
 TVID, COUNT, PLAN, RELAY) = sys.argv[1:]
PORT, MOUID, MOGID, TUID, TVID, RELAY = map(int, (PORT, MOUID, MOGID, TUID,
                                                 TVID, RELAY))
tap = Tap(int(PLAN), int(COUNT), plan_printed=True)
ok, is_ = tap.ok, tap.is_

def children(parent, name):
    return [p for p in pids() if ppid(p) == parent and comm(p) == name]

def find(name, parent):
    r = wait_for(lambda: children(parent, name))
    return r[0] if r else None

with open(Q + "/pid/master.pid") as f:
    MASTER = int(f.read().split()[0])
MO_IDS = want_ids(MOUID, MOGID)

# 6-7: pickup and qmgr.
for name in ("pickup", "qmgr"):
    p = find(name, MASTER)
    is_(ids(p) if p else None, MO_IDS,
        "%s runs as mail_owner (uid, gid, groups)" % name)

# 8-9: smtpd during a session, cleanup during DATA.
c = socket.create_connection(("127.0.0.1", PORT), timeout=20)
f = c.makefile("rb")
def reply():
    out = b""
    while True:
        l = f.readline()
        out += l
        if len(l) < 4 or l[3:4] != b"-":
            return out
reply()
sm = find("smtpd", MASTER)
is_(ids(sm) if sm else None, MO_IDS, "smtpd runs as mail_owner")
for cmd in (b"HELO client.example\r\n", b"MAIL FROM:<x@example.org>\r\n",
            b"RCPT TO:<%s@host.example>\r\n" % TV.encode(), b"DATA\r\n"):
    c.sendall(cmd)
    reply()
# master runs cleanup for smtpd's connection to public/cleanup
cl = find("cleanup", MASTER)
is_(ids(cl) if cl else None, MO_IDS, "cleanup runs as mail_owner")
c.sendall(b"Subject: to the mbox\r\n\r\nhello\r\n.\r\nQUIT\r\n")
r = reply()
ok(r.startswith(b"250 "), "the message is accepted", r)
c.close()

# 11-12: smtpd and cleanup, started by master with mail_owner's ids,
# cannot open root's maillog_file themselves: they log there through the
# descriptor master gives them (their standard error), in the same line
# shape as qmgr's, and nothing is lost.
qid_m = re.search(rb"queued as ([0-9A-F]+)", r)
qid_a = qid_m.group(1).decode() if qid_m else "none"
def logged():
    text = open(LOG).read()
    want = [r"^\S+ +\S+ \S+ \S+ postlet/smtpd\[%d\]: connect from " % sm,
            r"postlet/smtpd\[%d\]: %s: client=" % (sm, qid_a),
            r"postlet/cleanup\[\d+\]: %s: message-id=" % qid_a,
            r"postlet/smtpd\[%d\]: disconnect from " % sm]
    return all(re.search(w, text, re.M) for w in want)
ok(sm is not None and wait_for(logged, 10),
   "smtpd's and cleanup's lines are in the maillog_file", open(LOG).read()[-1500:])
st = os.lstat(LOG)
is_((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o600),
    "that maillog_file is root's, mode 0600")

# 13-14: the mbox of $TV.
mb = S + "/" + TV
wait_for(lambda: os.path.exists(mb) and os.path.getsize(mb) > 0)
try:
    st = os.lstat(mb)
    got = (st.st_uid, stat.S_IMODE(st.st_mode), stat.S_ISREG(st.st_mode))
except OSError as e:
    got = str(e)
is_(got, (TVID, 0o600, True), "the mbox is a file of its user, mode 0600")
with open(mb, "rb") as fh:
    ok(b"\nSubject: to the mbox\n\nhello\n" in fh.read(),
       "the mbox holds the message")

# Commands: find the sleep by its unique argument; read /proc.
# (PWD: set by /bin/sh itself when it starts.)
ENV_OK = {"PWD", "HOME", "LOGNAME", "USER", "SHELL", "PATH", "SENDER", "RECIPIENT",
          "LOCAL", "DOMAIN", "EXTENSION", "ORIGINAL_RECIPIENT", "TZ", "LANG"}
def command_checks(arg, uid, what):
    def look():
        return [p for p in pids() if cmdline(p)[:2] == [b"/bin/sleep", arg]]
    ps = wait_for(look, 15)
    if not ps:
        for i in range(4):
            ok(False, "%s: the command ran" % what,
               open(LOG).read()[-2000:])
        return
    p = ps[0]
    st = ids(p)
    is_(st["Uid"] if st else None, [str(uid)] * 4,
        "%s: runs as uid %d" % (what, uid))
    try:
        fds = sorted(int(x) for x in os.listdir("/proc/%d/fd" % p))
    except OSError as e:
        fds = str(e)
    is_(fds, [0, 1, 2], "%s: descriptors 0, 1 and 2 only" % what)
    with open("/proc/%d/environ" % p, "rb") as fh:
        env = [e.decode("latin-1") for e in fh.read().split(b"\0") if e]
    names = {e.split("=", 1)[0] for e in env}
    ok(names <= ENV_OK and "PATH=/usr/bin:/bin" in env,
       "%s: only the documented environment" % what, "\n".join(env))
    ok(not any("POSTLET_LEAK_CHECK" in e for e in env),
       "%s: master's environment did not leak" % what)

# 15-19: a command from $TU's .forward.
def submit(rcpt, subject):
    r = subprocess.run([SBIN + "/sendmail", "-C", CONF, "-i", rcpt],
                       input=b"Subject: %s\n\nx\n" % subject.encode(),
                       capture_output=True, timeout=30)
    return r.returncode
is_(submit(TU + "@host.example", "forward"), 0, "sendmail to the .forward user")
command_checks(b"6.186", TUID, ".forward command")
# 20-24: a command from aliases (the table belongs to $TV).
is_(submit("cmdalias@host.example", "alias"), 0, "sendmail to the alias")
command_checks(b"6.185", TVID, "alias command")

# 25: queue owners and modes, as queue(5) documents.
def own(path):
    st = os.lstat(path)
    return (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
want = {"": (0, None, 0o755), "maildrop": (MOUID, MOGID, 0o1770),
        "public": (MOUID, MOGID, 0o710), "pid": (0, None, 0o755),
        "public/qmgr": (MOUID, None, 0o622),
        "public/pickup": (MOUID, None, 0o622)}
for d in ("tmp", "incoming", "active", "deferred", "hold", "corrupt",
          "defer", "bounce"):
    want[d] = (MOUID, None, 0o700)
bad = []
for d, (u, g, m) in sorted(want.items()):
    try:
        got = own(os.path.join(Q, d))
    except OSError as e:
        bad.append("%s: %s" % (d, e))
        continue
    if got[0] != u or (g is not None and got[1] != g) or got[2] != m:
        bad.append("%s: %o %d:%d, want %o %d:%s" %
                   (d or "queue_directory", got[2], got[0], got[1], m, u, g))
is_(bad, [], "queue directories: owners and modes as in queue(5)")

# 26-33: a message kept in deferred/ ($TU's .forward now defers), and
# what a plain local user ($TV) can do about it.
with open(os.path.join(os.path.expanduser("~" + TU), ".forward"), "w") as fh:
    fh.write('"|exit 75"\n')
is_(submit(TU + "@host.example", "secret for tu"), 0,
    "a message for the user whose command defers")
def deferred_id():
    m = re.findall(r"qmgr\[\d+\]: ([0-9A-F]+): to=<%s@host\.example>.*"
                   r"status=deferred" % re.escape(TU), open(LOG).read())
    return m[-1] if m else None
qid = wait_for(deferred_id, 20)
ok(qid is not None, "it is deferred", open(LOG).read()[-1500:])
def as_tv(*cmd):
    return subprocess.run(["setpriv", "--reuid=" + TV, "--regid=" + TV,
                           "--init-groups"] + list(cmd),
                          capture_output=True, timeout=20)
qfile = None
for d in ("deferred", "active", "incoming"):
    for p in glob.glob(os.path.join(Q, d, "**", qid or "none"),
                       recursive=True):
        qfile = p
ok(qfile is not None, "the queue file exists (%s)" % qfile)
r = as_tv("cat", qfile or Q + "/deferred/none")
ok(r.returncode != 0 and b"Permission denied" in r.stderr,
   "a local user cannot read it", r.stderr)
r = as_tv("ls", Q + "/deferred")
ok(r.returncode != 0 and b"Permission denied" in r.stderr,
   "a local user cannot list deferred/", r.stderr)
for d in ("incoming", "active", "maildrop"):
    r = as_tv("touch", os.path.join(Q, d, "intruder"))
    ok(r.returncode != 0 and not os.path.exists(os.path.join(Q, d, "intruder")),
       "a local user cannot create a file in %s/" % d, r.stderr)

# 34-35: smtp, while it waits for the silent relay host's greeting.
relay = socket.socket()
relay.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
relay.bind(("127.0.0.1", RELAY))
relay.listen(4)
relay.settimeout(20)
is_(submit("someone@example.net", "remote"), 0, "sendmail to a remote address")
try:
    conn, _ = relay.accept()
except OSError:
    conn = None
def below_master(p):
    for i in range(10):
        p = ppid(p)
        if p == MASTER:
            return True
        if not p:
            return False
    return False
def smtp_client():
    # only ours: other instances may run an smtp too
    return [p for p in pids() if comm(p) == "smtp" and below_master(p)]
sp = wait_for(smtp_client, 10) if conn else None
is_(ids(sp[0]) if sp else None, MO_IDS,
    "smtp (connected to the relay host) runs as mail_owner")
if conn:
    conn.close()
relay.close()

subprocess.run([SBIN + "/postlet", "-c", CONF, "stop"], capture_output=True,
               timeout=30)
sys.exit(tap.done())
PYEOF
exit $?
