#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 170-virtual.t: the virtual delivery agent.
#
# First part: virtual driven directly through the delivery agent protocol
# (lib/agent.h) on queue files written by the book (docs/queue.5), with
# virtual_mailbox_maps as an inline table: a Maildir and an mbox file
# compared byte for byte, the @domain catch-all, recipient_delimiter
# (user+ext falls back to user), an unknown user (5.1.1), appending,
# virtual_mailbox_limit (5.2.2, the mailbox unchanged),
# virtual_minimum_uid and a missing uid (deferred with a warning), paths
# that leave virtual_mailbox_base, a mailbox that is a symbolic link,
# Delivered-To loops.  Not root, virtual runs as ourselves and the uid
# maps name our own uid.  As root, the maps name a test user made with
# useradd: every file and directory virtual creates must be that user's
# (uid, gid, mode 0600 / 0700).  Under strace: no process is forked for a
# delivery, and as root the base is opened with the mapped uid as the
# effective one, root's coming back after each delivery.
#
# Second part, end to end and daemonless (as 140-bounce.t): sendmail to a
# virtual domain; qmgr and virtual deliver one recipient into its Maildir
# and bounce the unknown one back to the sender, with the reason in the
# notice.
. "$(dirname "$0")/../lib.sh"

DIRECT=24
E2E=5
tap_plan $((DIRECT + E2E))

V=$(postlet_bin virtual) || tap_bail "$V"
if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $((DIRECT + E2E)) "python3 not installed"
	tap_done
fi
unset MAIL_CONFIG
T=$TAP_TMP
chmod 755 "$T"
VU=
if [ "$(id -u)" -eq 0 ]; then
	if ! command -v useradd >/dev/null 2>&1; then
		tap_skip $((DIRECT + E2E)) "useradd missing"
		tap_done
	fi
	VU=plv$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	if ! useradd -M -U -d /nonexistent -s /bin/false "$VU" \
	    >/dev/null 2>&1; then
		tap_skip $((DIRECT + E2E)) "useradd failed"
		tap_done
	fi
	trap 'userdel "$VU" >/dev/null 2>&1; tap_cleanup' EXIT
	VUID=$(id -u "$VU")
	VGID=$(id -g "$VU")
	cp "$V" "$T/virtual" && chmod 755 "$T/virtual"
	V=$T/virtual
else
	VUID=$(id -u)
	VGID=$(id -g)
fi
Q=$T/q
C=$T/etc
VB=$T/vmail
mkdir -p "$Q/active" "$C" "$VB"
[ -n "$VU" ] && chown "$VU:$VGID" "$VB"
cat > "$C/main.cf" <<EOF
queue_directory = $Q
maillog_file = $T/log
recipient_delimiter = +
deliver_lock_attempts = 2
deliver_lock_delay = 1s
virtual_mailbox_base = $VB
virtual_mailbox_maps = inline:{alice@v.example=v.example/alice/,
    bob@v.example=v.example/bob, @c.example=c.example/all/,
    evil@v.example=v.example/../../x, abs@v.example=/etc/x,
    link@v.example=v.example/link, nouid@v.example=v.example/nouid/}
virtual_uid_maps = inline:{@v.example=$VUID, @c.example=$VUID}
virtual_gid_maps = static:$VGID
virtual_minimum_uid = 1
EOF

cat > "$T/mkq.py" <<'PY'
import os, sys
d, qid, sender, content = sys.argv[1:5]
env = b"postlet-queue 1\nT 1700000000.000000\n"
env += b"S " + sender.encode() + b"\nA protocol=local\n"
for r in sys.argv[5:]:
    env += b"R P - - " + r.encode() + b"\n"
body = open(content, "rb").read()
hl = body.find(b"\n\n")
hl = len(body) if hl < 0 else hl + 2
env += b"E %020d %020d\n" % (len(body), hl)
with open(os.path.join(d, "active", qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
mkq() { python3 "$T/mkq.py" "$Q" "$@"; }
# run ID RCPT... [-- OPTIONS]: one job, answers in $T/ans
run() {
	id=$1
	shift
	{
		printf 'J %s active/%s\nN v.example\n' "$id" "$id"
		i=0
		while [ $# -gt 0 ] && [ "$1" != "--" ]; do
			printf 'R %s %s\n' "$i" "$1"
			i=$((i + 1))
			shift
		done
		printf 'G\n'
	} > "$T/job"
	[ "${1:-}" = "--" ] && shift
	"$V" -c "$C" "$@" < "$T/job" > "$T/ans" 2> "$T/err"
	rc=$?
}
answers() { tr '\n' '|' < "$T/ans"; }
# mbox_rest FILE: the mbox with each From_ line checked and replaced
cat > "$T/from.py" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
d = re.sub(rb'(?m)^From (\S+)  [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d '
           rb'\d\d:\d\d:\d\d \d{4}$', rb'FROM \1', d)
sys.stdout.buffer.write(d)
PY
mbox_rest() { python3 "$T/from.py" "$1"; }

printf 'Subject: v\nFrom: a@example.org\n\nFrom here\n.dot\nend\n' \
    > "$T/msg"

# --- 1-8: delivery -----------------------------------------------------------
mkq 06553F100000000B1 's@example.org' "$T/msg" 'Alice+Ext@V.Example' \
    'bob@v.example' 'zed@c.example' 'nosuch@v.example'
run 06553F100000000B1 'Alice+Ext@V.Example' 'bob@v.example' \
    'zed@c.example' 'nosuch@v.example'
tap_is "$rc:$(answers)" "0:0 D 2.0.0 delivered to maildir|1 D 2.0.0 delivered to mailbox|2 D 2.0.0 delivered to maildir|3 P 5.1.1 unknown user: \"nosuch@v.example\"|.|" \
    "maildir, mbox, catch-all delivered; the unknown user bounced" ||
    tap_diag "$(cat "$T/err")"
set -- "$VB"/v.example/alice/new/*
tap_is "$#:$(ls "$VB/v.example/alice/tmp" | wc -l | tr -d ' ')" "1:0" \
    "user+ext fell back to user: one file in new/, none left in tmp/"
{
	printf 'Return-Path: <s@example.org>\n'
	printf 'X-Original-To: Alice+Ext@V.Example\n'
	printf 'Delivered-To: alice+ext@v.example\n'
	printf 'Subject: v\nFrom: a@example.org\n\nFrom here\n.dot\nend\n'
} > "$T/want"
tap_file_is "$1" "$T/want" "the Maildir file, byte for byte"
{
	printf 'FROM s@example.org\nReturn-Path: <s@example.org>\n'
	printf 'X-Original-To: bob@v.example\nDelivered-To: bob@v.example\n'
	printf 'Subject: v\nFrom: a@example.org\n\n>From here\n.dot\nend\n\n'
} > "$T/want1"
mbox_rest "$VB/v.example/bob" > "$T/got"
tap_file_is "$T/got" "$T/want1" \
    "the mbox: From_ line, the three lines, >From quoting, an empty line"
set -- "$VB"/c.example/all/new/*
grep -q '^Delivered-To: zed@c.example$' "$1"
tap_ok $? "the @c.example catch-all got zed@c.example"
if [ -n "$VU" ]; then
	tap_is "$(stat -c '%u:%g %a' "$VB/v.example/bob" \
	    "$VB/v.example/alice/new"/* | tr '\n' ' ')" \
	    "$VUID:$VGID 600 $VUID:$VGID 600 " \
	    "root: the mbox and the Maildir file belong to the mapped uid, gid"
	tap_is "$(stat -c '%u:%g %a' "$VB/v.example" "$VB/v.example/alice" \
	    "$VB/v.example/alice/new" | tr '\n' ' ')" \
	    "$VUID:$VGID 700 $VUID:$VGID 700 $VUID:$VGID 700 " \
	    "root: the directories made too, mode 0700"
else
	tap_skip 2 "ownership by the mapped uid needs root"
fi
mkq 06553F100000000B2 '' "$T/msg" 'bob@v.example'
run 06553F100000000B2 'bob@v.example'
{
	cat "$T/want1"
	printf 'FROM MAILER-DAEMON\nReturn-Path: <>\n'
	printf 'X-Original-To: bob@v.example\nDelivered-To: bob@v.example\n'
	printf 'Subject: v\nFrom: a@example.org\n\n>From here\n.dot\nend\n\n'
} > "$T/want2"
mbox_rest "$VB/v.example/bob" > "$T/got"
tap_file_is "$T/got" "$T/want2" \
    "a second message is appended (null sender: MAILER-DAEMON, <>)"

# --- 9-10: virtual_mailbox_limit ---------------------------------------------
size=$(wc -c < "$VB/v.example/bob" | tr -d ' ')
run 06553F100000000B2 'bob@v.example' -- \
    -o virtual_mailbox_limit=$((size + 20))
tap_is "$(answers)" "0 P 5.2.2 cannot update mailbox v.example/bob for user bob@v.example. error writing message: File too large|.|" \
    "over virtual_mailbox_limit: bounced, 5.2.2"
mbox_rest "$VB/v.example/bob" > "$T/got"
tap_file_is "$T/got" "$T/want2" "and the mbox is as it was"

# --- 11-15: configuration errors defer ----------------------------------------
run 06553F100000000B2 'bob@v.example' -- \
    -o virtual_minimum_uid=$((VUID + 1))
tap_is "$(answers)" "0 T 4.3.5 mail system configuration error: recipient bob@v.example: uid $VUID is below virtual_minimum_uid $((VUID + 1))|.|" \
    "a uid below virtual_minimum_uid: deferred"
grep -q "warning: recipient bob@v.example: bad uid $VUID in virtual_uid_maps (below virtual_minimum_uid $((VUID + 1)))" "$T/log"
tap_ok $? "and logged" || tap_diag "$(tail -n 2 "$T/log")"
run 06553F100000000B2 'bob@v.example' -- -o virtual_uid_maps=static:0 \
    -o virtual_minimum_uid=0
tap_is "$(answers)" "0 T 4.3.5 mail system configuration error: recipient bob@v.example: uid 0 is below virtual_minimum_uid 1|.|" \
    "uid 0 is refused even with virtual_minimum_uid = 0"
mkq 06553F100000000B3 's@example.org' "$T/msg" 'nouid@v.example' \
    'x@c.example'
run 06553F100000000B3 'nouid@v.example' 'x@c.example' -- \
    -o "virtual_uid_maps=inline:{x@c.example=$VUID}"
tap_is "$(answers)" "0 T 4.3.5 mail system configuration error: recipient nouid@v.example: not found in virtual_uid_maps|1 D 2.0.0 delivered to maildir|.|" \
    "no uid for a recipient: deferred, the other delivered"
mkq 06553F100000000B4 's@example.org' "$T/msg" 'evil@v.example' \
    'abs@v.example'
run 06553F100000000B4 'evil@v.example' 'abs@v.example'
tap_is "$(answers)" "0 T 4.3.5 mail system configuration error: recipient evil@v.example: mailbox path not below virtual_mailbox_base|1 T 4.3.5 mail system configuration error: recipient abs@v.example: mailbox path not below virtual_mailbox_base|.|" \
    "paths with .. or a leading / are refused"

# --- 16-17: a symbolic link; a Delivered-To loop --------------------------------
: > "$T/target"
ln -s "$T/target" "$VB/v.example/link"
mkq 06553F100000000B5 's@example.org' "$T/msg" 'link@v.example'
run 06553F100000000B5 'link@v.example'
tap_is "$(answers):$(wc -c < "$T/target" | tr -d ' ')" \
    "0 T 4.2.0 cannot update mailbox v.example/link for user link@v.example. link: is a symbolic link|.|:0" \
    "a mailbox that is a symbolic link: deferred, nothing written"
printf 'Delivered-To: BOB@v.example\nSubject: loop\n\nx\n' > "$T/msg2"
mkq 06553F100000000B6 's@example.org' "$T/msg2" 'bob@v.example'
run 06553F100000000B6 'bob@v.example'
tap_is "$(answers)" "0 P 5.4.6 mail forwarding loop for bob@v.example|.|" \
    "a Delivered-To for the recipient already there: a loop (5.4.6)"

# --- 18-22: tables, locking, the job ------------------------------------------
run 06553F100000000B2 'bob@v.example' -- \
    -o virtual_mailbox_maps=cdb:$T/nosuch
tap_is "$(answers)" \
    "0 T 4.3.0 virtual_mailbox_maps: $T/nosuch.cdb: No such file or directory|.|" \
    "a table that cannot be opened defers"
touch "$VB/v.example/bob.lock"
[ -n "$VU" ] && chown "$VU" "$VB/v.example/bob.lock"
run 06553F100000000B2 'bob@v.example'
tap_is "$(answers)" "0 T 4.2.0 cannot update mailbox v.example/bob for user bob@v.example. unable to create lock file v.example/bob.lock: Resource temporarily unavailable|.|" \
    "a dot lock held by another: deferred"
run 06553F100000000B2 'bob@v.example' -- -o virtual_mailbox_lock=fcntl
tap_is "$(answers)" "0 D 2.0.0 delivered to mailbox|.|" \
    "virtual_mailbox_lock = fcntl: no dot lock needed"
rm -f "$VB/v.example/bob.lock"
run 06553F100000000B2 'bob@v.example' -- -o virtual_mailbox_lock=bogus
tap_is "$rc" 78 "an unknown virtual_mailbox_lock method: exit 78"
printf 'J 06553F100000000B2 ../etc/x\nN x\nR 0 bob@v.example\nG\n' \
    > "$T/job"
"$V" -c "$C" < "$T/job" > "$T/ans" 2>&1
tap_is "$?:$(answers)" "0:0 T 4.3.0 bad queue file name in job: ../etc/x|.|" \
    "a queue file outside the queue: deferred"

# --- 23-24: in this process, as the mailbox's user ------------------------------
# One job of three deliveries under strace: no process is forked for
# them; as root, the base and every file and directory below it (opened,
# made, linked by the descriptor of a directory there) are reached with
# the mapped uid as the effective one, and root's comes back after each
# delivery.
if [ -z "${POSTLET_SANITIZE:-}" ] && command -v strace >/dev/null 2>&1 &&
    strace -qq -o /dev/null true 2>/dev/null; then
	mkq 06553F100000000B7 's@example.org' "$T/msg" 'alice@v.example' \
	    'bob@v.example' 'y@c.example'
	{
		printf 'J 06553F100000000B7 active/06553F100000000B7\n'
		printf 'N v.example\nR 0 alice@v.example\nR 1 bob@v.example\n'
		printf 'R 2 y@c.example\nG\n'
	} > "$T/job"
	strace -f -qq -e trace=clone,clone3,fork,vfork,setresuid,openat,mkdirat,linkat,unlinkat,renameat,renameat2 \
	    -o "$T/vtrace" "$V" -c "$C" < "$T/job" > "$T/ans" 2> "$T/err"
	tap_is "$?:$(answers):$(grep -cE 'clone|fork' "$T/vtrace")" \
	    "0:0 D 2.0.0 delivered to maildir|1 D 2.0.0 delivered to mailbox|2 D 2.0.0 delivered to maildir|.|:0" \
	    "three deliveries, no process forked for them" ||
	    tap_diag "$(cat "$T/err")"
	if [ -n "$VU" ]; then
		python3 - "$T/vtrace" "$VB" "$VUID" > "$T/vcheck" <<'PY'
import re, sys
trace, base, uid = sys.argv[1], sys.argv[2], int(sys.argv[3])
euid, bad, opened, below, to_user, to_root = 0, [], 0, 0, 0, 0
for line in open(trace):
    m = re.search(r'setresuid\(-1, (\d+), -1\) += 0', line)
    if m:
        euid = int(m.group(1))
        to_user += euid == uid
        to_root += euid == 0
        continue
    # the base, by its path; and everything below it, by the
    # descriptor of a directory there (none is open otherwise)
    m = re.search(r'(openat|mkdirat|linkat|unlinkat|renameat2?)\('
                  r'(AT_FDCWD|\d+), "([^"]*)"', line)
    if not m:
        continue
    if m.group(2) == "AT_FDCWD":
        if not m.group(3).startswith(base):
            continue
        opened += 1
    else:
        below += 1
    if euid != uid:
        bad.append(line.strip())
print("opened %d under base, %d as another uid; to the user %d, back %d, "
      "last euid %d" % (opened, len(bad), to_user, to_root, euid))
print("calls below the base: %d" % below)
for b in bad[:3]:
    print(b)
PY
		below=$(sed -n 's/^calls below the base: //p' "$T/vcheck")
		tap_is "$(head -n 1 "$T/vcheck"):$([ "${below:-0}" -gt 6 ] &&
		    echo some)" \
		    "opened 3 under base, 0 as another uid; to the user 3, back 3, last euid 0:some" \
		    "root: the base and all below it opened as the mapped uid, root's uid back after each delivery" ||
		    tap_diag "$(cat "$T/vcheck")"
	else
		tap_skip 1 "the mapped uid needs root"
	fi
else
	tap_skip 2 "strace cannot run here, or the sanitizer build"
fi

# --- 25-29: end to end, daemonless ----------------------------------------------
postlet_as_user plw "$E2E"
BC=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
I=$TAP_TMP/i
mkdir -p "$I"
[ -z "$TU" ] || chown "$TU:$GROUP" "$I"
as_me mkdir -p "$I/conf" "$I/mail" "$I/vmail" || tap_bail "mkdir as $ME"
for d in maildrop tmp incoming active deferred hold corrupt defer bounce \
    public pid; do
	as_me mkdir -p "$I/queue/$d" || tap_bail "mkdir as $ME"
done
trap 'postlet_user_end "$I/queue"; [ -n "$VU" ] && userdel "$VU" >/dev/null 2>&1; tap_cleanup' EXIT
MEUID=$(id -u "$ME")
as_me sh -c "cat > '$I/conf/main.cf'" <<EOS
queue_directory = $I/queue
command_directory = $BC
daemon_directory = $BC
mail_owner = $ME
setgid_group = $GROUP
maillog_file = $I/maillog
mail_spool_directory = $I/mail/
myhostname = host.example.org
minimal_backoff_time = 1s
queue_run_delay = 1s
virtual_mailbox_domains = v.example
virtual_mailbox_base = $I/vmail
virtual_mailbox_maps = inline:{carol@v.example=carol/}
virtual_uid_maps = static:$MEUID
virtual_gid_maps = static:$(id -g "$ME")
virtual_minimum_uid = 1
EOS
as_me sh -c "cat > '$I/conf/master.cf'" <<EOS
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
virtual   unix  -  -  n  -    -  virtual
EOS
printf 'Subject: to carol\n\nhello carol\n' > "$T/in"
as_me "$BC/sendmail" -C "$I/conf" -f "$ME@host.example.org" \
    carol@v.example nosuch@v.example < "$T/in" > "$T/sm.out" 2>&1
tap_is "$?" 0 "e2e: sendmail to a virtual domain exits 0" ||
    tap_diag "$(cat "$T/sm.out")"
MB=$I/mail/$ME
arrived() {
	[ -d "$MB/new" ] && [ -n "$(ls "$MB/new")" ] &&
	    [ -d "$I/vmail/carol/new" ] && [ -n "$(ls "$I/vmail/carol/new")" ]
}
n=150
while [ $n -gt 0 ] && ! arrived; do
	sleep 0.1
	n=$((n - 1))
done
set -- "$I"/vmail/carol/new/*
grep -q '^Delivered-To: carol@v.example$' "$1" 2>/dev/null &&
    grep -q '^hello carol$' "$1"
tap_ok $? "e2e: carol's message is in her virtual Maildir" ||
    tap_diag "$(tail -n 15 "$I/maillog" 2>&1)"
grep -q "to=<carol@v.example>, relay=virtual, .*dsn=2\.0\.0, status=sent (delivered to maildir)" "$I/maillog"
tap_ok $? "e2e: qmgr logged status=sent (delivered to maildir)" ||
    tap_diag "$(tail -n 15 "$I/maillog")"
set -- "$MB"/new/*
grep -q '^Status: 5\.1\.1$' "$1" 2>/dev/null
tap_ok $? "e2e: a notice came back with Status: 5.1.1" ||
    tap_diag "$(tail -n 15 "$I/maillog")"
tr -d '\n' < "$1" 2>/dev/null | grep -q 'unknown user: "nosuch@v.example"'
tap_ok $? "e2e: the notice says: unknown user: \"nosuch@v.example\"" ||
    tap_diag "$(grep -i diagnostic "$1")"

tap_done
