#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 108-local-more.t: local(8)'s alias loops, X-Original-To
# (enable_original_recipient), propagate_unmatched_extensions (alias,
# forward, include), owner_request_special and
# command_execution_directory, driven through the delivery agent
# protocol on queue files written by the book, with the real cleanup for
# forwarded mail (the new queue file in incoming/ is read back).
#
# The first part runs local in non-root mode (as root: as a throwaway
# user, with setpriv), delivering to the user it runs as; the second,
# root only, runs local as root, where a command of an alias runs as the
# owner of the alias table and enters command_execution_directory with
# that user's rights.
. "$(dirname "$0")/../lib.sh"

NONROOT=32
ROOTN=3
tap_plan $((NONROOT + ROOTN))

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $((NONROOT + ROOTN)) "python3 not installed"
	tap_done
fi
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
for p in local cleanup postlet; do
	[ -x "$B/$p" ] || tap_bail "no $B/$p: run make first"
done
T=$TAP_TMP
chmod 755 "$T"
postlet_as_user plm $((NONROOT + ROOTN))
[ -n "$TU" ] && trap 'userdel "$TU" >/dev/null 2>&1
    getent group "$TU" >/dev/null && groupdel "$TU" >/dev/null 2>&1
    tap_cleanup' EXIT

# The instance, all of it the user's.
Q=$T/q
E=$T/etc
O=$T/seen
mkdir -p "$Q/active" "$Q/incoming" "$Q/tmp" "$Q/public" "$Q/corrupt" \
    "$T/spool" "$E" "$O" "$T/fwd" "$T/cwd/pwd"
cat > "$E/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $B
mail_owner = $ME
maillog_file = $T/log
mail_spool_directory = $T/spool
alias_maps = cdb:$E/aliases
recipient_delimiter = +
myhostname = host.example
mydestination = host.example, localhost
forward_path = $T/fwd/\${user}.forward\${recipient_delimiter}\${extension},
    $T/fwd/\${user}.forward
EOF
cat > "$E/aliases" <<EOF
# loops
loopa: loopb
loopb: loopa
l1: l2
l2: l3
l3: l1
# an alias that lists itself: that user's mailbox, and a copy
$ME: $ME, copy@remote.example
# the original recipient
info: \\$ME
# extensions
prop: bob@remote.example, carol
prop+exact: erin@remote.example
prop2: nest
nest: dave@remote.example
propinc: :include:$E/p.list
# owner-NAME, NAME-request
lst: list@remote.example
owner-lst: boss@remote.example
solo: solo-box@remote.example
# commands
pwd: "|pwd > $O/pwd.out"
EOF
printf 'frank@remote.example\n' > "$E/p.list"
"$B/postlet" -c "$E" alias "$E/aliases" 2>"$T/err" ||
    tap_bail "postlet alias: $(cat "$T/err")"
# a second table without the recipient's own alias: its .forward counts
grep -v "^$ME:" "$E/aliases" > "$E/aliases2"
"$B/postlet" -c "$E" alias "$E/aliases2" 2>"$T/err" ||
    tap_bail "postlet alias: $(cat "$T/err")"
touch "$T/log"
[ -n "$TU" ] && chown -R "$TU:$(id -g "$TU")" "$Q" "$T/spool" "$E" "$O" \
    "$T/fwd" "$T/cwd" "$T/log"

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
# rcpts FILE: a queue file's sender and recipient addresses, one a line
cat > "$T/rcpts.py" <<'PY'
import sys
env = open(sys.argv[1], "rb").read().partition(b"\nE ")[0]
for line in env.split(b"\n"):
    if line[:2] == b"S ":
        print(line.decode())
    elif line[:2] == b"R ":
        print(line.decode().split(" ", 4)[4])
PY
# head FILE: the header lines local added to the last mbox message
cat > "$T/head.py" <<'PY'
import mailbox, sys
m = list(mailbox.mbox(sys.argv[1]))[-1]
for k in ("Return-Path", "X-Original-To", "Delivered-To"):
    for v in m.get_all(k) or []:
        print("%s: %s" % (k, v))
PY

printf 'Subject: test\nFrom: a@example.org\n\nbody\n' > "$T/msg"
n=0
# job RCPT [-o ...]: a new queue file for RCPT, delivered by one local
# run as the user; its answer in $T/out
job() {
	rcpt=$1
	shift
	n=$((n + 1))
	ID=06553F1000000$(printf '%04X' "$n")
	python3 "$T/mkq.py" "$Q" "$ID" alice@example.org "$T/msg" "$rcpt"
	[ -n "$TU" ] && chown "$TU" "$Q/active/$ID"
	printf 'J %s active/%s\nN host.example\nR 0 %s\nG\n' "$ID" "$ID" \
	    "$rcpt" | as_me env -i PATH=/usr/bin:/bin "$B/local" -c "$E" "$@" \
	    > "$T/out" 2> "$T/err"
}
answer() { head -1 "$T/out"; }
# forwarded: the sender and recipients of the one new queue file in
# incoming/ (then removed), on one line
forwarded() {
	set -- $(ls "$Q/incoming")
	if [ $# -ne 1 ]; then
		echo "$# files"
		rm -f "$Q"/incoming/*
		return
	fi
	python3 "$T/rcpts.py" "$Q/incoming/$1" | tr '\n' ' '
	rm -f "$Q/incoming/$1"
}
is_forwarded() {
	case $(answer) in
	"0 D 2.0.0 forwarded as "*) return 0 ;;
	*) return 1 ;;
	esac
}

# ---- alias loops -----------------------------------------------------------

job loopa@host.example
tap_is "$(cat "$T/out")" "0 P 5.4.6 alias database loop for loopa
." "a: b, b: a: P 5.4.6 alias database loop"
tap_is "$(forwarded)" "0 files" "the loop: nothing forwarded"
grep -q "warning: loopa@host.example: alias database loop for loopa" \
    "$T/log"
tap_ok $? "the loop is logged as a warning"
job l2@host.example
tap_is "$(answer)" "0 P 5.4.6 alias database loop for l2" \
    "a loop through three aliases: P 5.4.6"
job "$ME@host.example"
case $(answer) in
"0 D 2.0.0 delivered to mailbox; forwarded as "*) r=0 ;;
*) r=1 ;;
esac
tap_ok $r "an alias that lists itself: the user's mailbox, and the copy" ||
    tap_diag "$(cat "$T/out" "$T/err")"
tap_is "$(forwarded)" "S alice@example.org copy@remote.example " \
    "the copy is forwarded"

# ---- X-Original-To ---------------------------------------------------------

job Info@Host.Example
tap_is "$(answer)" "0 D 2.0.0 delivered to mailbox" "an alias to \\user"
tap_is "$(python3 "$T/head.py" "$T/spool/$ME")" \
    "Return-Path: <alice@example.org>
X-Original-To: Info@Host.Example
Delivered-To: info@host.example" \
    "X-Original-To: the address before alias expansion, case kept"
sed -n '/^From alice/,$p' "$T/spool/$ME" | tail -n 8 | head -n 4 \
    > "$T/got"
printf 'Return-Path: <alice@example.org>\nX-Original-To: Info@Host.Example\nDelivered-To: info@host.example\nSubject: test\n' \
    > "$T/want"
tap_file_is "$T/got" "$T/want" \
    "in the mbox: Return-Path, X-Original-To, Delivered-To, then the message"
job info@host.example -o enable_original_recipient=no
tap_is "$(python3 "$T/head.py" "$T/spool/$ME")" \
    "Return-Path: <alice@example.org>
Delivered-To: info@host.example" \
    "enable_original_recipient = no: no X-Original-To"

# ---- propagate_unmatched_extensions ----------------------------------------

job prop+tag@host.example
is_forwarded
tap_ok $? "prop+tag found as prop: forwarded"
tap_is "$(forwarded)" "S alice@example.org bob@remote.example carol@host.example " \
    "default (canonical, virtual): the extension is not propagated"
job prop+tag@host.example -o propagate_unmatched_extensions=alias
tap_is "$(forwarded)" \
    "S alice@example.org bob+tag@remote.example carol+tag@host.example " \
    "alias: the unmatched extension is added to each address"
job prop+exact@host.example -o propagate_unmatched_extensions=alias
tap_is "$(forwarded)" "S alice@example.org erin@remote.example " \
    "alias: an alias found with its extension propagates nothing"
job prop2+x@host.example -o propagate_unmatched_extensions=alias
tap_is "$(forwarded)" "S alice@example.org dave+x@remote.example " \
    "alias: through a nested alias (nest+x found as nest)"
job propinc+x@host.example -o propagate_unmatched_extensions=alias
tap_is "$(forwarded)" "S alice@example.org frank@remote.example " \
    "alias without include: not into :include: files"
job propinc+x@host.example \
    -o "propagate_unmatched_extensions=alias, include"
tap_is "$(forwarded)" "S alice@example.org frank+x@remote.example " \
    "alias, include: into :include: files too"
job prop+tag@host.example \
    -o "propagate_unmatched_extensions=canonical, virtual, forward"
tap_is "$(forwarded)" "S alice@example.org bob@remote.example carol@host.example " \
    "forward only: aliases are not concerned"
grep -q "unknown class" "$T/log"
tap_ok $((1 - $?)) "canonical and virtual are accepted without a warning"

# .forward (the table without the user's own alias)
A2="alias_maps=cdb:$E/aliases2"
printf 'gina@remote.example\n' > "$T/fwd/$ME.forward"
[ -n "$TU" ] && chown "$TU" "$T/fwd/$ME.forward"
job "$ME+x@host.example" -o "$A2"
tap_is "$(forwarded)" "S alice@example.org gina@remote.example " \
    ".forward for USER+x, default: no extension added"
job "$ME+x@host.example" -o "$A2" \
    -o "propagate_unmatched_extensions=forward"
tap_is "$(forwarded)" "S alice@example.org gina+x@remote.example " \
    "forward: .forward (not .forward+x) propagates the extension"
job "$ME+x@host.example" -o "$A2" -o "propagate_unmatched_extensions=alias"
tap_is "$(forwarded)" "S alice@example.org gina@remote.example " \
    "alias only: .forward files are not concerned"
printf 'hank@remote.example\n' > "$T/fwd/$ME.forward+x"
[ -n "$TU" ] && chown "$TU" "$T/fwd/$ME.forward+x"
job "$ME+x@host.example" -o "$A2" \
    -o "propagate_unmatched_extensions=forward"
tap_is "$(forwarded)" "S alice@example.org hank@remote.example " \
    "forward: .forward+x matched the extension: nothing added"
rm -f "$T/fwd/$ME.forward" "$T/fwd/$ME.forward+x"

# ---- owner_request_special -------------------------------------------------

job lst@host.example
tap_is "$(forwarded)" "S owner-lst@host.example list@remote.example " \
    "owner_request_special = yes: the sender is owner-lst"
job lst@host.example -o owner_request_special=no
tap_is "$(forwarded)" "S alice@example.org list@remote.example " \
    "owner_request_special = no: owner-lst is not used"
job solo-request@host.example -o recipient_delimiter=-
tap_is "$(answer)" '0 P 5.1.1 unknown user: "solo-request"' \
    "delimiter '-': solo-request is not split (unknown user)"
job solo-request@host.example -o recipient_delimiter=- \
    -o owner_request_special=no
tap_is "$(forwarded)" "S alice@example.org solo-box@remote.example " \
    "owner_request_special = no: solo-request is solo with extension request"
job owner-solo@host.example -o recipient_delimiter=-
tap_is "$(answer)" '0 P 5.1.1 unknown user: "owner-solo"' \
    "delimiter '-': owner-solo is not split"

# ---- command_execution_directory -------------------------------------------

job pwd@host.example -o "command_execution_directory=$T/cwd"
tap_is "$(answer) $(cat "$O/pwd.out")" \
    "0 D 2.0.0 delivered to command: pwd > $O/pwd.out $T/cwd" \
    "command_execution_directory: the command runs there"
rm -f "$O/pwd.out"
job pwd@host.example -o "command_execution_directory=$T/cwd/\$user"
tap_is "$(cat "$O/pwd.out")" "$T/cwd/pwd" \
    "command_execution_directory: \$user is expanded"
job pwd@host.example -o "command_execution_directory=$T/none"
tap_is "$(answer)" "0 T 4.3.0 cannot run command \"pwd > $O/pwd.out\": cannot change to directory $T/none: No such file or directory" \
    "a directory that does not exist defers (T 4.3.0)"
job pwd@host.example -o "command_execution_directory=cwd"
tap_is "$(answer)" "0 T 4.3.5 mail system configuration error: command_execution_directory: not an absolute path: cwd" \
    "a relative one defers: mail system configuration error (4.3.5)"

# ---- part 2: root only -----------------------------------------------------

if [ -z "$TU" ]; then
	tap_skip $ROOTN "not root"
	tap_done
fi
# local as root: the alias command runs as the table's owner ($TU)
rootjob() {
	n=$((n + 1))
	ID=06553F1000000$(printf '%04X' "$n")
	python3 "$T/mkq.py" "$Q" "$ID" alice@example.org "$T/msg" "$1"
	printf 'J %s active/%s\nN host.example\nR 0 %s\nG\n' "$ID" "$ID" \
	    "$1" | env -i PATH=/usr/bin:/bin "$B/local" -c "$E" "$2" \
	    > "$T/out" 2> "$T/err"
}
mkdir -m 700 "$T/private"
rm -f "$O/pwd.out"
rootjob pwd@host.example "-ocommand_execution_directory=$T/private"
tap_is "$(answer)" "0 T 4.3.0 cannot run command \"pwd > $O/pwd.out\": cannot change to directory $T/private: Permission denied" \
    "as root: the directory is entered as the table's owner (denied)"
rootjob pwd@host.example "-ocommand_execution_directory=$T/cwd/\$user"
tap_is "$(answer) $(cat "$O/pwd.out")" \
    "0 D 2.0.0 delivered to command: pwd > $O/pwd.out $T/cwd/pwd" \
    "as root: the command runs in the expanded directory"
tap_is "$(stat -c %U "$O/pwd.out")" "$TU" "as the table's owner"

tap_done
