#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 105-aliases.t: local(8)'s aliases and .forward files, driven through
# the delivery agent protocol on queue files written by the book, with
# the real cleanup for forwarded mail (the new queue file in incoming/ is
# read back: sender, recipients with DSN attributes, Delivered-To first).
#
# As root (the real case): a test recipient with a home directory and a
# supplementary group, and a test mail_owner that also owns the alias
# table, so that who ran a command is visible: alias commands run as the
# table's owner, :include: ones as the include file's owner (default_privs
# when root owns it), .forward ones and mailbox_command as the recipient
# with its groups.  Each command checks its own identity and environment
# (a clean one) and its standard input, and writes what it saw.  Not
# root, only the parts that need no other user run (as ourselves).
. "$(dirname "$0")/../lib.sh"

NONROOT=31
ROOTN=20
tap_plan $((NONROOT + ROOTN))

for t in python3; do
	if ! command -v "$t" >/dev/null 2>&1; then
		tap_skip $((NONROOT + ROOTN)) "$t not installed"
		tap_done
	fi
done
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
for p in local cleanup postlet; do
	[ -x "$B/$p" ] || tap_bail "no $B/$p: run make first"
done

T=$TAP_TMP
RU= MO= GR=
if [ "$(id -u)" -eq 0 ]; then
	if ! command -v useradd >/dev/null 2>&1 ||
	    ! command -v groupadd >/dev/null 2>&1; then
		tap_skip $((NONROOT + ROOTN)) "useradd or groupadd missing"
		tap_done
	fi
	RND=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	RU=plr$RND
	MO=plo$RND
	GR=plg$RND
	trap 'userdel "$RU" >/dev/null 2>&1; userdel "$MO" >/dev/null 2>&1
	    getent group "$MO" >/dev/null && groupdel "$MO" >/dev/null 2>&1
	    groupdel "$GR" >/dev/null 2>&1; tap_cleanup' EXIT
	chmod 755 "$T"
	mkdir -p "$T/home"
	chmod 755 "$T/home"
	if ! groupadd "$GR" >"$T/ua" 2>&1 ||
	    ! useradd -M -d "$T/home/$RU" -G "$GR" -s /bin/sh "$RU" \
	    >>"$T/ua" 2>&1 ||
	    ! useradd -M -U -d /nonexistent -s /bin/false "$MO" \
	    >>"$T/ua" 2>&1; then
		tap_skip $((NONROOT + ROOTN)) "useradd failed: $(cat "$T/ua")"
		tap_done
	fi
	mkdir -m 755 "$T/home/$RU"
	chown "$RU:$(id -g "$RU")" "$T/home/$RU"
	ME=$RU
	OWNER=$MO
else
	ME=$(id -un)
	MO=$ME
	OWNER=$ME
fi

# The instance.
Q=$T/q
S=$T/spool
E=$T/etc
O=$T/seen
mkdir -p "$Q/active" "$Q/incoming" "$Q/tmp" "$Q/public" "$Q/corrupt" \
    "$S" "$E" "$O" "$T/files"
chmod 755 "$S" "$E" "$T/files"
chmod 1777 "$O" "$T/files"
cat > "$E/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $B
mail_owner = $MO
maillog_file = $T/log
mail_spool_directory = $S
alias_maps = cdb:$E/aliases
recipient_delimiter = +
myhostname = host.example
mydestination = host.example, localhost
deliver_lock_attempts = 3
deliver_lock_delay = 1s
default_privs = nobody
EOF
# not root: the recipient is whoever runs the test; leave its ~/.forward
[ -z "$RU" ] && echo "forward_path =" >> "$E/main.cf"
touch "$T/log"
chmod 666 "$T/log"
[ -n "$RU" ] && chown -R "$MO" "$Q"

# cmd.sh NAME: what a command saw: who, groups, environment, stdin.
cat > "$T/cmd.sh" <<'EOF'
#!/bin/sh
o=$OUTDIR
id -un > "$o/$1.who"
id -Gn | tr ' ' '\n' | sort > "$o/$1.groups"
env | LC_ALL=C sort > "$o/$1.env"
cat > "$o/$1.in"
# descriptors other than 0, 1, 2 and the shell's own script, listed by
# a child that writes its own output file (no redirection in the shell)
python3 -c '
import os, sys
d = "/proc/%s/fd" % sys.argv[1]
x = [n for n in os.listdir(d) if int(n) > 2 and
     os.readlink(os.path.join(d, n)) != sys.argv[2]]
open(sys.argv[3], "w").write("extra:%s\n" % " ".join(sorted(x)))' \
    $$ "$0" "$o/$1.fds"
exit "${2:-0}"
EOF
chmod 755 "$T/cmd.sh"
# Commands get OUTDIR through their command line (the environment is
# clean).
CMD="OUTDIR=$O $T/cmd.sh"

cat > "$E/aliases" <<EOF
# forwarding: one new message for both addresses
fwd: bob@remote.example, nest
nest: dave@remote.example
# an owner: the forwarded copy's sender
list: carol@remote.example
owner-list: listboss
# a command, a file
cmd: "|$CMD cmd"
file: $T/files/file.mbox
# the recipient listed in its own alias: its mailbox, and a copy
$ME: \\$ME, copy@remote.example
# :include:
inc: :include:$E/inc.list
# sysexits
tempfail: "|$CMD tempfail 75"
nouser: "|$CMD nouser 67"
coded: "|echo 5.7.1 go away; exit 1"
# a command that closes its output first, then reads all of stdin
early: "|exec >/dev/null 2>&1; cat > $O/early.in"
devnull: /dev/null
missing: :include:$E/no-such.list
empty: :include:$E/empty.list
EOF
printf '# nobody yet\n' > "$E/empty.list"
i=0
while [ $i -lt 25 ]; do
	printf 'deep%d: deep%d\n' $i $((i + 1)) >> "$E/aliases"
	i=$((i + 1))
done
printf 'deep25: x@remote.example\n' >> "$E/aliases"
printf 'erin@remote.example\n# a comment\n\n%s/files/inc.mbox\n' "$T" \
    > "$E/inc.list"
"$B/postlet" -c "$E" alias "$E/aliases" 2>"$T/err" ||
    tap_bail "postlet alias: $(cat "$T/err")"
[ -n "$RU" ] && chown "$MO" "$E/aliases.cdb"

cat > "$T/mkq.py" <<'PY'
import os, sys
d, qid, sender, content = sys.argv[1:5]
env = b"postlet-queue 1\nT 1700000000.000000\n"
env += b"S " + sender.encode() + b"\nA protocol=local\n"
for r in sys.argv[5:]:
    notify, orcpt, addr = r.split(" ", 2)
    env += b"R P " + notify.encode() + b" " + orcpt.encode() + b" " + \
        addr.encode() + b"\n"
body = open(content, "rb").read()
hl = body.find(b"\n\n")
hl = len(body) if hl < 0 else hl + 2
env += b"E %020d %020d\n" % (len(body), hl)
with open(os.path.join(d, "active", qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
# showq.py FILE: a queue file's sender, recipients and first line
cat > "$T/showq.py" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
env, _, rest = data.partition(b"\nE ")
out = []
for line in env.split(b"\n"):
    if line[:2] in (b"S ", b"R "):
        out.append(line.decode())
body = rest.split(b"\n", 1)[1]
out.append(body.split(b"\n", 1)[0].decode())
print("\n".join(out))
PY

printf 'Subject: test\nFrom: a@example.org\n\nFrom here\nbody\n' > "$T/msg"
ID=06553F100000000A1
n=0
# job RCPT [-o ...]: a new queue file for RCPT (with NOTIFY and ORCPT),
# delivered by one local run; its answer in $T/out.
job() {
	rcpt=$1
	shift
	n=$((n + 1))
	ID=06553F1000000$(printf '%04X' "$n")
	python3 "$T/mkq.py" "$Q" "$ID" alice@example.org "${MSG:-$T/msg}" \
	    "SUCCESS,FAILURE rfc822;orig@example.org $rcpt"
	[ -n "$RU" ] && chown "$MO" "$Q/active/$ID"
	printf 'J %s active/%s\nN host.example\nR 0 %s\nG\n' "$ID" "$ID" \
	    "$rcpt" | env -i PATH=/usr/bin:/bin "$B/local" -c "$E" "$@" \
	    > "$T/out" 2> "$T/err"
	tap_status=$?
}
answer() { head -1 "$T/out"; }
# forwarded: the one new queue file in incoming/, shown; then removed
forwarded() {
	set -- $(ls "$Q/incoming")
	if [ $# -ne 1 ]; then
		echo "$# files"
		return
	fi
	set -- "$Q/incoming/$1"
	python3 "$T/showq.py" "$1"
	rm -f "$1"
}

# ---- aliases, forwarding ------------------------------------------------

job fwd@host.example
case $(answer) in
"0 D 2.0.0 forwarded as "*) r=0 ;;
*) r=1 ;;
esac
tap_ok $r "alias to addresses: D 2.0.0 forwarded as QUEUEID" ||
    tap_diag "$(cat "$T/out" "$T/err")"
tap_is "$(forwarded)" "S alice@example.org
R P SUCCESS,FAILURE rfc822;orig@example.org bob@remote.example
R P SUCCESS,FAILURE rfc822;orig@example.org dave@remote.example
Delivered-To: fwd@host.example" \
    "one new message: original sender, nested alias expanded, DSN kept, Delivered-To first"

job list@host.example
forwarded > "$T/fw"
tap_is "$(head -2 "$T/fw")" "S owner-list@host.example
R P SUCCESS,FAILURE rfc822;orig@example.org carol@remote.example" \
    "owner-list exists: the forwarded copy's sender is owner-list"

job list@host.example -o expand_owner_alias=yes
tap_is "$(forwarded | head -1)" "S listboss@host.example" \
    "expand_owner_alias = yes: the sender is owner-list's value"

job fwd+tag@host.example
tap_is "$(forwarded | tail -1)" "Delivered-To: fwd+tag@host.example" \
    "recipient_delimiter: fwd+tag finds the alias fwd"

printf 'Delivered-To: fwd@host.example\nSubject: loop\n\nx\n' > "$T/loop"
MSG=$T/loop job fwd@host.example
tap_is "$(cat "$T/out")" "0 P 5.4.6 mail forwarding loop for fwd@host.example
." "Delivered-To already present: 5.4.6 mail forwarding loop"
tap_is "$(forwarded)" "0 files" "loop: nothing forwarded" ||
    rm -f "$Q"/incoming/*

# ---- a command, a file ---------------------------------------------------

job cmd@host.example
tap_is "$(answer)" "0 D 2.0.0 delivered to command: $CMD cmd" \
    "alias |command: D 2.0.0 delivered to command"
tap_is "$(cat "$O/cmd.who")" "$OWNER" \
    "the alias command ran as the owner of the alias table"
sed -n '1s/  .*//p;2,5p' "$O/cmd.in" > "$T/got"
printf 'From alice@example.org\nReturn-Path: <alice@example.org>\nX-Original-To: cmd@host.example\nDelivered-To: cmd@host.example\nSubject: test\n' \
    > "$T/want"
tap_file_is "$T/got" "$T/want" \
    "its stdin: From_ line, Return-Path, X-Original-To, Delivered-To, the message"
tap_is "$(tail -2 "$O/cmd.in")" "From here
body" "stdin: no >From quoting, no empty line added"
tap_is "$(cut -d= -f1 "$O/cmd.env" | grep -v '^PWD$' | grep -v '^OUTDIR$' |
    tr '\n' ' ')" \
    "DOMAIN EXTENSION HOME LOCAL LOGNAME ORIGINAL_RECIPIENT PATH RECIPIENT SENDER SHELL USER " \
    "a clean environment: only Postfix's variables"
tap_is "$(grep -E '^(PATH|SENDER|RECIPIENT|ORIGINAL_RECIPIENT|LOCAL|DOMAIN|USER)=' "$O/cmd.env" | tr '\n' ' ')" \
    "DOMAIN=host.example LOCAL=cmd ORIGINAL_RECIPIENT=orig@example.org PATH=/usr/bin:/bin RECIPIENT=cmd@host.example SENDER=alice@example.org USER=cmd " \
    "environment values"
tap_is "$(cat "$O/cmd.fds")" "extra:" \
    "no inherited descriptors: only 0, 1, 2 (and the shell's script)"

job tempfail@host.example
case $(answer) in
"0 T 4.3.0 command died with status 75 (temporary failure)"*) r=0 ;;
*) r=1 ;;
esac
tap_ok $r "exit 75 (EX_TEMPFAIL): T 4.3.0" || tap_diag "$(answer)"
job nouser@host.example
tap_is "$(answer | cut -c1-10)" "0 P 5.1.1 " "exit 67 (EX_NOUSER): P 5.1.1"
job coded@host.example
tap_is "$(answer)" '0 P 5.7.1 command died with status 1 (unknown mail system error): "echo 5.7.1 go away; exit 1". Command output: 5.7.1 go away' \
    "exit 1 with 5.7.1 in the output: P 5.7.1, the output in the text"

job file@host.example
tap_is "$(answer)" "0 D 2.0.0 delivered to file: $T/files/file.mbox" \
    "alias /file: D 2.0.0 delivered to file"
python3 -c '
import mailbox, sys
m = list(mailbox.mbox(sys.argv[1]))
print(len(m), m[0].get_from().split()[0], m[0]["Delivered-To"],
      m[0].get_payload().splitlines()[0])' "$T/files/file.mbox" > "$T/got"
tap_is "$(cat "$T/got")" "1 alice@example.org file@host.example >From here" \
    "the file is an mbox (From_ line, Delivered-To, >From quoting)"
tap_is "$(stat -c '%U %a' "$T/files/file.mbox")" "$OWNER 600" \
    "the file was made by the table's owner, mode 0600"

# (a message larger than a pipe holds)
{
	printf 'Subject: big\n\n'
	i=0
	while [ $i -lt 3000 ]; do
		echo "line $i of a message larger than a pipe buffer holds"
		i=$((i + 1))
	done
} > "$T/big"
MSG=$T/big job early@host.example
tail -n +5 "$O/early.in" > "$T/got"
tap_is "$(answer) $(cmp -s "$T/got" "$T/big"; echo $?)" \
    "0 D 2.0.0 delivered to command: exec >/dev/null 2>&1; cat > $O/early.in 0" \
    "a command that closes its output early still gets the whole message"
job devnull@host.example
tap_is "$(answer)" "0 D 2.0.0 delivered to file: /dev/null" "/dev/null takes it"
job deep0@host.example
tap_is "$(answer | cut -c1-46)" "0 P 5.4.6 alias expansion of deep20 is nested " \
    "aliases nested more than 20 deep: P 5.4.6"
job missing@host.example
tap_is "$(answer)" "0 T 4.3.0 cannot open include file $E/no-such.list: No such file or directory" \
    "a missing :include: file defers (T 4.3.0)"

job empty@host.example
tap_is "$(cat "$T/out")" "0 T 4.3.0 empty expands to no destination
." "an :include: list with nothing in it: T 4.3.0, not lost"

# cleanup cannot be run: the forwarding recipient is deferred.
job fwd@host.example -o daemon_directory=$T/nowhere
case $(answer) in
"0 T 4.3.0 cannot forward: execve $T/nowhere/cleanup: No such file or directory") r=0 ;;
*) r=1 ;;
esac
tap_ok $r "cleanup cannot be run: T 4.3.0, nothing lost" || tap_diag "$(answer)"

# ---- :include: -----------------------------------------------------------

job inc@host.example
tap_is "$(answer)" "0 P 5.7.1 mail to file is restricted" \
    "a file in an :include: list: refused by allow_mail_to_files (5.7.1)"
rm -f "$Q"/incoming/*

job inc@host.example -o "allow_mail_to_files=alias,forward,include"
case $(answer) in
"0 D 2.0.0 delivered to file: $T/files/inc.mbox; forwarded as "*) r=0 ;;
*) r=1 ;;
esac
tap_ok $r "allow_mail_to_files with include: the file and the address" ||
    tap_diag "$(cat "$T/out")"
tap_is "$(forwarded | sed -n 2p)" \
    "R P SUCCESS,FAILURE rfc822;orig@example.org erin@remote.example" \
    "the address in the :include: list is forwarded"

# ---- the recipient in its own alias --------------------------------------

job "$ME@host.example"
case $(answer) in
"0 D 2.0.0 delivered to mailbox; forwarded as "*) r=0 ;;
*) r=1 ;;
esac
tap_ok $r "\\$ME in its own alias: the mailbox and the copy" ||
    tap_diag "$(cat "$T/out" "$T/err")"
tap_is "$(forwarded | sed -n 2p)" \
    "R P SUCCESS,FAILURE rfc822;orig@example.org copy@remote.example" \
    "and the copy is forwarded"

# ---- part 2: root only ----------------------------------------------------

if [ -z "$RU" ]; then
	tap_skip $ROOTN "not root"
	tap_done
fi
# From here the recipient has no alias: its .forward counts.
grep -v "^$ME:" "$E/aliases" > "$E/aliases.new"
mv "$E/aliases.new" "$E/aliases"
"$B/postlet" -c "$E" alias "$E/aliases" && chown "$MO" "$E/aliases.cdb"

# Aliases without owner: a root-owned table runs commands as default_privs.
if id nobody >/dev/null 2>&1; then
	chown root "$E/aliases.cdb"
	rm -f "$O"/cmd.*
	job cmd@host.example
	tap_is "$(cat "$O/cmd.who")" nobody \
	    "a root-owned alias table: the command runs as default_privs"
	chown "$MO" "$E/aliases.cdb"
else
	tap_skip 1 "no user nobody"
fi

# The include file's owner runs its commands.
printf '"|%s inc"\n' "$CMD" > "$E/inc2.list"
chown "$RU" "$E/inc2.list"
printf 'inc2: :include:%s/inc2.list\n' "$E" >> "$E/aliases"
"$B/postlet" -c "$E" alias "$E/aliases" && chown "$MO" "$E/aliases.cdb"
job inc2@host.example -o "allow_mail_to_commands=alias,forward,include"
tap_is "$(answer | cut -c1-32)" "0 D 2.0.0 delivered to command: " \
    "a command in an :include: list (allowed)"
tap_is "$(cat "$O/inc.who")" "$RU" \
    "it runs as the include file's owner"

# .forward: accepted.
H=$T/home/$RU
printf '"|%s fwd"\n\\%s\n' "$CMD" "$RU" > "$H/.forward"
chown "$RU" "$H/.forward"
chmod 644 "$H/.forward"
job "$RU+ext@host.example"
tap_is "$(cat "$T/out")" "0 D 2.0.0 delivered to command: $CMD fwd; delivered to mailbox
." ".forward: the command and \\user's mailbox"
tap_is "$(cat "$O/fwd.who")" "$RU" "the .forward command ran as the recipient"
tap_is "$(grep -c "^$GR\$" "$O/fwd.groups")" 1 \
    "with the recipient's supplementary group"
tap_is "$(grep -E '^(HOME|USER|LOGNAME|EXTENSION|LOCAL|RECIPIENT)=' "$O/fwd.env" | tr '\n' ' ')" \
    "EXTENSION=ext HOME=$H LOCAL=$RU+ext LOGNAME=$RU RECIPIENT=$RU+ext@host.example USER=$RU " \
    "its environment: HOME, USER, LOGNAME, EXTENSION, LOCAL, RECIPIENT"
tap_is "$(python3 -c 'import mailbox,sys; print(len(mailbox.mbox(sys.argv[1])))' "$S/$RU")" 2 \
    "the mailbox got the message"

# .forward+ext is tried first.
printf 'frank@remote.example\n' > "$H/.forward+ext"
chown "$RU" "$H/.forward+ext"
job "$RU+ext@host.example"
case $(answer) in
"0 D 2.0.0 forwarded as "*) r=0 ;;
*) r=1 ;;
esac
tap_ok $r ".forward+ext is used for USER+ext"
tap_is "$(forwarded | sed -n '1p;2p;$p' | tr '\n' '|')" \
    "S alice@example.org|R P SUCCESS,FAILURE rfc822;orig@example.org frank@remote.example|Delivered-To: $RU+ext@host.example|" \
    ".forward: forwarded with the original sender, Delivered-To"
rm -f "$H/.forward+ext"

# .forward: refused for its permissions or owner; the mailbox instead.
rm -f "$O/fwd.who"
chmod 664 "$H/.forward"
job "$RU@host.example"
tap_is "$(cat "$T/out")" "0 D 2.0.0 delivered to mailbox
." "a group-writable .forward is ignored: the mailbox"
tap_ok "$([ ! -e "$O/fwd.who" ]; echo $?)" "and its command did not run"
grep -q "warning: $H/.forward: ignored: $H/.forward: writable by group or others" "$T/log"
tap_ok $? "logged: writable by group or others"
chmod 644 "$H/.forward"
chown "$MO" "$H/.forward"
job "$RU@host.example"
tap_is "$(cat "$T/out")" "0 D 2.0.0 delivered to mailbox
." "a .forward owned by another user is ignored: the mailbox"
tap_ok "$([ ! -e "$O/fwd.who" ]; echo $?)" "and its command did not run"
printf '# away\n\n' > "$H/.forward"
chown "$RU" "$H/.forward"
chmod 644 "$H/.forward"
job "$RU@host.example"
tap_is "$(cat "$T/out")" "0 D 2.0.0 delivered to mailbox
." "a .forward with only a comment: the mailbox"
rm -f "$H/.forward"

# mailbox_command, as the recipient.
job "$RU@host.example" -o "mailbox_command=$CMD mbc"
tap_is "$(answer)" "0 D 2.0.0 delivered to command: $CMD mbc" \
    "mailbox_command: delivered to command"
tap_is "$(cat "$O/mbc.who") $(grep -c "^$GR\$" "$O/mbc.groups")" "$RU 1" \
    "mailbox_command runs as the recipient, with its groups"
tap_is "$(sed -n 3,4p "$O/mbc.in")" "X-Original-To: $RU@host.example
Delivered-To: $RU@host.example" \
    "mailbox_command: stdin has X-Original-To and Delivered-To"

# A command that overruns command_time_limit is killed: a bounce.
printf 'slow: "|sleep 30"\n' >> "$E/aliases"
"$B/postlet" -c "$E" alias "$E/aliases" && chown "$MO" "$E/aliases.cdb"
job slow@host.example -o command_time_limit=1s
tap_is "$(answer)" '0 P 5.3.0 command time limit exceeded: "sleep 30"' \
    "command_time_limit: killed, P 5.3.0"

tap_done
