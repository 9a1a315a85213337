#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 101-local-batch.t: a backlog of forty messages to one Maildir, taken
# by one pass of the real qmgr (-x) through the real local(8), as a user
# (as root, a test user made with useradd).  After the first delivery
# qmgr writes the next jobs ahead to the two agents of that recipient
# (local_destination_concurrency_limit is 2), and local commits the
# Maildir deliveries it finds waiting together, up to eight: far fewer
# fsyncs than two per message (the file, then new/), which one job at
# a time costs, or the 1.5 that one job ahead per agent allowed.  Every
# message is in new/ once and whole, and the queue is empty.
# As root, the same again with qmgr and local as root (local from
# qmgr's privileged spawner, the Maildir in a spool directory of
# root's): local writes each message with the recipient's ids and
# commits those of one user together, as that user (strace: every
# linkat into new/ with the user's effective uid), with as few fsyncs;
# the messages are the user's.
. "$(dirname "$0")/../lib.sh"

N=40
ROOTN=6
tap_plan $((4 + ROOTN))

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $((4 + ROOTN)) "python3 not installed"
	tap_done
fi
postlet_as_user plb $((4 + ROOTN))
[ -z "$TU" ] || trap 'userdel "$TU" >/dev/null 2>&1; tap_cleanup' EXIT
B=$(postlet_bin_copy) || tap_bail "$B"
QD=$TAP_TMP/q
LX=$TAP_TMP/lx
MD=$TAP_TMP/mail
V=$TAP_TMP/var
for d in incoming active deferred hold corrupt defer bounce public tmp; do
	mkdir -p "$QD/$d"
done
mkdir -p "$LX" "$MD" "$V"
ln "$B/qmgr" "$LX/qmgr" && ln "$B/local" "$LX/local" ||
    tap_bail "cannot link the programs"
printf '#!/bin/sh\nexit 0\n' > "$LX/bounce"
chmod 755 "$LX/bounce" "$LX" "$TAP_TMP"
cat > "$TAP_TMP/main.cf" <<EOF
queue_directory = $QD
daemon_directory = $LX
maillog_file = $V/log
mail_owner = $ME
mydestination = localhost
alias_maps =
mail_spool_directory = $MD/
EOF
cat > "$TAP_TMP/master.cf" <<'EOF'
local     unix  -       n       n       -       -       local
EOF

# N queue files in incoming/, each to $ME@localhost.
cat > "$TAP_TMP/mkq.py" <<'PY'
import os, sys, time
q, n, rcpt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
now = int(time.time())
body = b"Subject: batch\n\nhello\n"
for i in range(1, n + 1):
    qid = "%09X%05X%X" % (now, 1, i)
    env = b"postlet-queue 1\nT %d.000000\n" % now
    env += b"S s@example.org\nA protocol=local\n"
    env += b"R P - - " + rcpt.encode() + b"\n"
    env += b"E %020d %020d\n" % (len(body), 16)
    with open(os.path.join(q, "incoming", qid), "wb") as f:
        f.write(env + body + b"END\n")
PY
python3 "$TAP_TMP/mkq.py" "$QD" $N "$ME@localhost" ||
    tap_bail "cannot make the queue files"
chown -R "$ME:$GROUP" "$QD" "$MD" "$V" "$TAP_TMP/main.cf" \
    "$TAP_TMP/master.cf"

TRACE=
if [ -z "${POSTLET_SANITIZE:-}" ] && command -v strace >/dev/null 2>&1 &&
    as_me strace -qq -o /dev/null true 2>/dev/null; then
	TRACE="strace -f -qq -e trace=fsync,fdatasync,execve -o $V/trace"
fi
tap_run as_me $TRACE "$LX/qmgr" -c "$TAP_TMP" -x
tap_ok "$tap_status" "qmgr -x delivers the backlog" "$(cat "$TAP_TMP/err")"

# check MAILDIR: every message in new/ once, whole (with local's three
# lines added), tmp/ empty, the queue empty; then local's fsyncs, from
# the pids that executed local.  One job at a time: 2 per message (80);
# one job ahead per agent: 1.5 (60); eight at once: 1.125.  At most 1.3
# per message (52).
check()
{
	python3 - "$1" $N > "$TAP_TMP/chk" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
names = os.listdir(os.path.join(d, "new"))
ok = 0
for name in names:
    data = open(os.path.join(d, "new", name), "rb").read()
    if data.startswith(b"Return-Path: <s@example.org>\n") and \
            data.endswith(b"\nSubject: batch\n\nhello\n"):
        ok += 1
print(len(names), ok, len(os.listdir(os.path.join(d, "tmp"))))
PY
	tap_is "$(cat "$TAP_TMP/chk")" "$N $N 0" \
	    "$2all $N messages in new/, whole; tmp/ empty"
	tap_is "$(find "$QD/incoming" "$QD/active" "$QD/deferred" -type f |
	    wc -l | tr -d ' ')" 0 "$2the queue is empty" ||
	    tap_diag "$(tail -n 5 "$V/log")"
	if [ -n "$TRACE" ]; then
		n=$(awk '$2 ~ /^execve\(/ { local[$1] = ($2 ~ /\/local"/) }
		    $2 ~ /^f(data)?sync\(/ && local[$1] { n++ }
		    END { print n + 0 }' "$V/trace")
		[ "$n" -gt 0 ] && [ "$n" -le $((N * 13 / 10)) ]
		tap_ok $? "$2local's fsyncs for $N messages: $n, at most $((N * 13 / 10))" \
		    "$(grep -c . "$V/trace") lines traced"
	else
		tap_skip 1 "strace cannot run here, or the sanitizer build"
	fi
}
check "$MD/$ME" ""

# As root: the same backlog again, qmgr and local as root.  The spool
# directory is root's, mode 0755: only a local that runs as root can make
# the user's Maildir there.
if [ -z "$TU" ]; then
	tap_skip $ROOTN "not root"
	tap_done
fi
MD2=$TAP_TMP/spool2
mkdir -m 755 "$MD2"
sed "s|^mail_spool_directory = .*|mail_spool_directory = $MD2/|" \
    "$TAP_TMP/main.cf" > "$TAP_TMP/main.cf.new" &&
    mv "$TAP_TMP/main.cf.new" "$TAP_TMP/main.cf"
python3 "$TAP_TMP/mkq.py" "$QD" $N "$ME@localhost" ||
    tap_bail "cannot make the queue files"
chown -R "$ME:$GROUP" "$QD"
[ -z "$TRACE" ] ||
    TRACE="strace -f -qq -e trace=fsync,fdatasync,execve,setresuid,linkat -o $V/trace"
rm -f "$V/trace"
tap_run $TRACE "$LX/qmgr" -c "$TAP_TMP" -x
tap_ok "$tap_status" "root: qmgr -x delivers the backlog" \
    "$(cat "$TAP_TMP/err")"
check "$MD2/$ME" "root: "
tap_is "$(find "$MD2/$ME" ! -user "$ME" | wc -l | tr -d ' ')" 0 \
    "root: the Maildir and every message are the user's" ||
    tap_diag "$(find "$MD2/$ME" ! -user "$ME" | head -n 3)"
# Each message's name in new/ is made (a linkat that succeeds; a first
# one by the descriptor itself may be refused) with the user's effective
# uid, which local takes (setresuid(-1, UID, -1)) and gives back after.
if [ -n "$TRACE" ]; then
	awk -v uid="$(id -u "$ME")" '
	    $2 ~ /^execve\(/ { local[$1] = ($2 ~ /\/local"/) }
	    $2 ~ /^setresuid\(/ && local[$1] {
		e = $0; sub(/^[^(]*\(-1, /, "", e); sub(/,.*/, "", e)
		euid[$1] = e
	    }
	    $2 ~ /^linkat\(/ && local[$1] {
		if (/ = 0$/) { n++; if (euid[$1] != uid) bad++ }
		else if (/<unfinished/) { pend[$1] = euid[$1] }
	    }
	    $2 == "<..." && $3 == "linkat" && ($1 in pend) {
		if (/ = 0$/) { n++; if (pend[$1] != uid) bad++ }
		delete pend[$1]
	    }
	    END { print n + 0, bad + 0 }' "$V/trace" > "$TAP_TMP/links"
	tap_is "$(cat "$TAP_TMP/links")" "$N 0" \
	    "root: all $N links made as uid $(id -u "$ME"), none as root"
else
	tap_skip 1 "strace cannot run here, or the sanitizer build"
fi
tap_done
