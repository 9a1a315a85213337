#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 110-root-delivery.t: the real pipeline as root, one step at a time:
# sendmail (and postdrop) into maildrop/, pickup -x into incoming/, then
# qmgr -x, which runs as a test mail_owner and gets local, whose
# master.cf service has unpriv = n, from its privileged spawner, as root.
# local must create the mailbox in a root-owned spool (only root can) and
# write it as the recipient (a test user with a random name): the mbox is
# the user's, mode 0600, and holds the message (read back with Python's
# mailbox module).  An unknown recipient bounces with 5.1.1.  A running
# qmgr daemon is seen with ps as mail_owner and its spawner as root.
# Root only: other users skip everything.
. "$(dirname "$0")/../lib.sh"

N=20
tap_plan $N

if [ "$(id -u)" -ne 0 ]; then
	tap_skip $N "needs root (useradd, a privileged spawner)"
	tap_done
fi
for t in useradd userdel python3 ps; do
	if ! command -v "$t" >/dev/null 2>&1; then
		tap_skip $N "$t not installed"
		tap_done
	fi
done
B=$POSTLET_BUILD/bin
for p in postlet master sendmail postdrop pickup cleanup qmgr local; do
	[ -x "$B/$p" ] || tap_bail "no $B/$p: run make first"
done

RND=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
TU=plr$RND
MO=plo$RND
D=$TAP_TMP/etc
Q=$TAP_TMP/queue
S=$TAP_TMP/spool
LOG=$TAP_TMP/log
QPID=
cleanup()
{
	[ -n "$QPID" ] && kill -9 "$QPID" 2>/dev/null
	[ -s "$Q/pid/master.pid" ] && kill -9 "$(cat "$Q/pid/master.pid")" \
	    2>/dev/null
	userdel "$TU" >/dev/null 2>&1
	userdel "$MO" >/dev/null 2>&1
	getent group "$MO" >/dev/null 2>&1 && groupdel "$MO" >/dev/null 2>&1
	tap_cleanup
}
trap cleanup EXIT

# The daemons run as mail_owner and local's child as the user: they
# must reach the programs and their directories.
chmod 755 "$TAP_TMP"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
mkdir -p "$D" "$TAP_TMP/home" "$TAP_TMP/nocmd"
mkdir -m 755 "$S"
if ! useradd -M -d "$TAP_TMP/home/$TU" -s /bin/false "$TU" \
    >"$TAP_TMP/ua" 2>&1 ||
    ! useradd -M -U -d /nonexistent -s /bin/false "$MO" \
    >>"$TAP_TMP/ua" 2>&1; then
	tap_skip $N "useradd failed: $(cat "$TAP_TMP/ua")"
	tap_done
fi
TUID=$(id -u "$TU")
MOUID=$(id -u "$MO")

# command_directory has no postlet: sendmail's daemonless delivery
# cannot start, and the test runs each step itself.
cat >"$D/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $B
command_directory = $TAP_TMP/nocmd
mail_owner = $MO
setgid_group = $MO
maillog_file = $LOG
myhostname = host.example
mydestination = host.example, localhost
alias_maps =
mail_spool_directory = $S
EOF
cat >"$D/master.cf" <<'EOF'
# service type  private unpriv  chroot  wakeup  maxproc command
local     unix  -       n       n       -       -       local
EOF

# 1. The queue, as master makes it (start, then stop).
tap_run "$B/postlet" -c "$D" start
st=$tap_status
i=0
while [ ! -d "$Q/maildrop" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$B/postlet" -c "$D" stop >/dev/null 2>&1
i=0
while [ -s "$Q/pid/master.pid" ] &&
    kill -0 "$(cat "$Q/pid/master.pid")" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$st" = 0 ] && [ -d "$Q/maildrop" ] && [ -d "$Q/incoming" ]
tap_ok $? "postlet start and stop made the queue" ||
    tap_diag "$(cat "$TAP_TMP/err")"

# 2. Submission as root to the test user and to an unknown one.
cat >"$TAP_TMP/msg" <<EOF
From: root@host.example
To: $TU@host.example
Subject: root delivery $RND

Hello $TU,
this went through the privileged spawner.
EOF
tap_run "$B/sendmail" -C "$D" -i "$TU@host.example" <"$TAP_TMP/msg"
tap_ok "$tap_status" "sendmail to the test user exits 0" ||
    tap_diag "$(cat "$TAP_TMP/err")"
printf 'Subject: nobody\n\nfor no one\n' >"$TAP_TMP/msg2"
tap_run "$B/sendmail" -C "$D" -i "nosuch$RND@host.example" <"$TAP_TMP/msg2"
tap_ok "$tap_status" "sendmail to an unknown user exits 0"
tap_is "$(ls "$Q/maildrop" | wc -l | tr -d ' ')" 2 "two files in maildrop/"

# 3. pickup, one pass.
tap_run "$B/pickup" -c "$D" -x
if [ "$tap_status" = 64 ]; then
	tap_run "$B/pickup" -c "$D" -o
fi
tap_ok "$tap_status" "pickup: one pass, exit 0" ||
    tap_diag "$(cat "$TAP_TMP/err")"
tap_is "$(ls "$Q/maildrop" | wc -l | tr -d ' ') $(ls "$Q/incoming" |
    wc -l | tr -d ' ')" "0 2" "maildrop/ emptied into incoming/"

# 4. qmgr, one pass: local through the spawner.
tap_run "$B/qmgr" -c "$D" -x
tap_ok "$tap_status" "qmgr -x exits 0" || tap_diag "$(cat "$TAP_TMP/err")"
MB=$S/$TU
[ -f "$MB" ] && [ ! -L "$MB" ]
tap_ok $? "the mbox exists in the root-owned spool"
tap_is "$(stat -c '%u %a' "$MB" 2>/dev/null)" "$TUID 600" \
    "the mbox belongs to the test user, mode 0600"
cat >"$TAP_TMP/chk.py" <<'PY'
import mailbox, sys
box = mailbox.mbox(sys.argv[1], create=False)
msgs = list(box)
print(len(msgs))
for m in msgs:
    print(m["Subject"])
    sys.stdout.write(m.get_payload())
PY
python3 "$TAP_TMP/chk.py" "$MB" >"$TAP_TMP/got" 2>&1
printf '1\nroot delivery %s\nHello %s,\n%s\n' "$RND" "$TU" \
    "this went through the privileged spawner." >"$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" \
    "the mbox holds the message: one, its Subject and body"
QL="postlet/qmgr\[[0-9]*\]: [0-9A-F]*: "
grep -q "$QL""to=<$TU@host.example>, relay=local, .*, dsn=2\.0\.0, \
status=sent (delivered to mailbox)" "$LOG"
tap_ok $? "qmgr logged status=sent (delivered to mailbox)" ||
    tap_diag "$(cat "$LOG")"
grep -q "$QL""to=<nosuch$RND@host.example>, relay=local, .*, \
dsn=5\.1\.1, status=bounced" "$LOG"
tap_ok $? "the unknown user bounced with 5.1.1"
n=0
for d in maildrop incoming active deferred hold corrupt; do
	n=$((n + $(ls "$Q/$d" 2>/dev/null | wc -l)))
done
tap_is "$n" 0 "the queue is empty"
! grep -q "spawn.*warning\|privileged spawner" "$LOG"
tap_ok $? "no spawner warnings" || tap_diag "$(grep spawn "$LOG")"
! grep -q "mail transport unavailable" "$LOG"
tap_ok $? "nothing deferred for want of a transport"

# 5. The qmgr daemon: mail_owner; its spawner: root.
"$B/qmgr" -c "$D" >/dev/null 2>&1 &
QPID=$!
i=0
SPID=
while [ -z "$SPID" ] && [ $i -lt 50 ]; do
	sleep 0.1
	SPID=$(ps -o pid= --ppid "$QPID" 2>/dev/null | tr -d ' ' | head -n 1)
	i=$((i + 1))
done
sleep 0.2
tap_is "$(ps -o uid= -p "$QPID" | tr -d ' ')" "$MOUID" \
    "the qmgr daemon runs as mail_owner"
tap_ok "$([ -n "$SPID" ]; echo $?)" "it has one child, the spawner"
tap_is "$(ps -o uid= -p "$SPID" 2>/dev/null | tr -d ' ')" 0 \
    "the spawner runs as root"
kill -TERM "$QPID"
i=0
while kill -0 "$QPID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
wait "$QPID" 2>/dev/null
tap_is "$?" 0 "qmgr stops on SIGTERM, exit 0"
QPID=
i=0
while [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
! kill -0 "$SPID" 2>/dev/null
tap_ok $? "the spawner is gone with it"

tap_done
