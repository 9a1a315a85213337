#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 107-forward-e2e.t: forwarding through the real pipeline, as root:
# sendmail to an alias, pickup -x, then qmgr -x passes.  local (root,
# from qmgr's privileged spawner) expands the alias and submits the new
# message to cleanup (as mail_owner); qmgr brings it back to local,
# which delivers it to the test user's mailbox.  The mailbox holds one
# message with both Delivered-To lines (the user's, then the alias's),
# qmgr logged "forwarded as ID" and then "delivered to mailbox", and the
# queue ends empty.  Root only.
. "$(dirname "$0")/../lib.sh"

N=7
tap_plan $N

if [ "$(id -u)" -ne 0 ]; then
	tap_skip $N "needs root (useradd, a privileged spawner)"
	tap_done
fi
for t in useradd userdel python3; do
	if ! command -v "$t" >/dev/null 2>&1; then
		tap_skip $N "$t not installed"
		tap_done
	fi
done
RND=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
TU=plf$RND
MO=plq$RND
D=$TAP_TMP/etc
Q=$TAP_TMP/queue
S=$TAP_TMP/spool
LOG=$TAP_TMP/log
cleanup()
{
	[ -s "$Q/pid/master.pid" ] && kill -9 "$(cat "$Q/pid/master.pid")" \
	    2>/dev/null
	userdel "$TU" >/dev/null 2>&1
	userdel "$MO" >/dev/null 2>&1
	getent group "$MO" >/dev/null 2>&1 && groupdel "$MO" >/dev/null 2>&1
	tap_cleanup
}
trap cleanup EXIT
chmod 755 "$TAP_TMP"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
mkdir -p "$D" "$TAP_TMP/nocmd"
mkdir -m 755 "$S"
if ! useradd -M -d /nonexistent -s /bin/false "$TU" >"$TAP_TMP/ua" 2>&1 ||
    ! useradd -M -U -d /nonexistent -s /bin/false "$MO" \
    >>"$TAP_TMP/ua" 2>&1; then
	tap_skip $N "useradd failed: $(cat "$TAP_TMP/ua")"
	tap_done
fi
cat >"$D/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $B
command_directory = $TAP_TMP/nocmd
mail_owner = $MO
setgid_group = $MO
maillog_file = $LOG
myhostname = host.example
mydestination = host.example, localhost
alias_maps = cdb:$D/aliases
mail_spool_directory = $S
EOF
cat >"$D/master.cf" <<'EOF'
# service type  private unpriv  chroot  wakeup  maxproc command
local     unix  -       n       n       -       -       local
EOF
printf 'team: %s\n' "$TU" > "$D/aliases"
"$B/postlet" -c "$D" alias "$D/aliases" 2>"$TAP_TMP/err" ||
    tap_bail "postlet alias: $(cat "$TAP_TMP/err")"

# The queue, as master makes it.
"$B/postlet" -c "$D" start >/dev/null 2>&1
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

printf 'Subject: to the team %s\n\nhello team\n' "$RND" > "$TAP_TMP/msg"
tap_run "$B/sendmail" -C "$D" -i "team@host.example" <"$TAP_TMP/msg"
tap_ok "$tap_status" "sendmail to the alias exits 0" ||
    tap_diag "$(cat "$TAP_TMP/err")"
"$B/pickup" -c "$D" -x >/dev/null 2>&1
# qmgr passes until the forwarded copy is delivered (at most 5)
i=0
while [ ! -s "$S/$TU" ] && [ $i -lt 5 ]; do
	"$B/qmgr" -c "$D" -x >/dev/null 2>&1
	i=$((i + 1))
done
tap_ok "$([ -s "$S/$TU" ]; echo $?)" "the forwarded copy reached the user's mbox" ||
    tap_diag "$(cat "$LOG")"
python3 - "$S/$TU" > "$TAP_TMP/got" <<'PY'
import mailbox, sys
msgs = list(mailbox.mbox(sys.argv[1], create=False))
print(len(msgs))
for m in msgs:
    print(m["Subject"])
    print(" ".join(m.get_all("Delivered-To")))
    sys.stdout.write(m.get_payload())
PY
printf '1\nto the team %s\n%s@host.example team@host.example\nhello team\n' \
    "$RND" "$TU" > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" \
    "one message, Delivered-To: the user's, then the alias's"
QL="postlet/qmgr\[[0-9]*\]: [0-9A-F]*: "
grep -q "$QL""to=<team@host.example>, relay=local, .*, dsn=2\.0\.0, status=sent (forwarded as [0-9A-F]*)" "$LOG"
tap_ok $? "qmgr logged the alias: status=sent (forwarded as ID)" ||
    tap_diag "$(cat "$LOG")"
grep -q "$QL""to=<$TU@host.example>, .*relay=local, .*, status=sent (delivered to mailbox)" "$LOG"
tap_ok $? "and the copy: status=sent (delivered to mailbox)" ||
    tap_diag "$(grep qmgr "$LOG")"
f=$(ls "$S")
tap_is "$f" "$TU" "only the user's mbox in the spool"
n=0
for d in maildrop incoming active deferred hold corrupt; do
	n=$((n + $(ls "$Q/$d" 2>/dev/null | wc -l)))
done
tap_is "$n" 0 "the queue is empty"

tap_done
