#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 106-mailbox.t: local(8)'s mailboxes under stress, driven through the
# delivery agent protocol: two deliveries into one mbox at the same time
# while a mail reader holds the mailbox (dot lock and fcntl lock) - both
# wait, neither writes while the reader holds it, and the mbox then reads
# as whole messages; several local processes delivering into one Maildir
# at once - every message in new/ under its own name; and, as root, a
# mailbox on a full file system (a small tmpfs) - the delivery defers
# (4.3.0), the mbox is truncated back byte for byte, nothing bounces.
#
# As root, local runs as root and delivers to a test user (a random
# name); otherwise it runs as ourselves and delivers to us.
. "$(dirname "$0")/../lib.sh"

N=14
tap_plan $N

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $N "python3 not installed"
	tap_done
fi
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
T=$TAP_TMP
RU=
MNT=
cleanup() {
	[ -n "$MNT" ] && umount "$MNT" >/dev/null 2>&1
	[ -n "$RU" ] && userdel "$RU" >/dev/null 2>&1
	tap_cleanup
}
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then
	if ! command -v useradd >/dev/null 2>&1; then
		tap_skip $N "useradd missing"
		tap_done
	fi
	RU=plm$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	if ! useradd -M -d /nonexistent -s /bin/false "$RU" >"$T/ua" 2>&1
	then
		RU=
		tap_skip $N "useradd failed: $(cat "$T/ua")"
		tap_done
	fi
	ME=$RU
else
	ME=$(id -un)
fi

Q=$T/q
mkdir -p "$Q/active" "$T/spool" "$T/md" "$T/cf"
chmod 755 "$T/spool" "$T/md"
cat > "$T/cf/main.cf" <<EOF
queue_directory = $Q
mail_spool_directory = $T/spool
maillog_file = $T/log
alias_maps =
forward_path =
deliver_lock_attempts = 30
deliver_lock_delay = 1s
EOF
sed "s|^mail_spool_directory = .*|mail_spool_directory = $T/md/|" \
    "$T/cf/main.cf" > "$T/cf/md.cf"
mkdir -p "$T/cfmd"
mv "$T/cf/md.cf" "$T/cfmd/main.cf"

cat > "$T/mkq.py" <<'PY'
import os, sys
d, qid, content = sys.argv[1:4]
env = b"postlet-queue 1\nT 1700000000.000000\nS alice@example.org\n"
for r in sys.argv[4:]:
    env += b"R P - - " + r.encode() + b"\n"
body = open(content, "rb").read()
hl = body.find(b"\n\n")
hl = len(body) if hl < 0 else hl + 2
env += b"E %020d %020d\n" % (len(body), hl)
with open(os.path.join(d, "active", qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
# msg NAME LINES: a message with Subject NAME and LINES numbered lines
msg() {
	{
		printf 'Subject: %s\n\n' "$1"
		i=0
		while [ $i -lt "$2" ]; do
			printf '%s line %d of the message body, padded to be long enough\n' "$1" $i
			i=$((i + 1))
		done
	} > "$T/$1.msg"
}
# run ID ADDRESS...: one local process, one job, answers in $T/ID.out
run() {
	id=$1
	cf=$2
	shift 2
	{
		printf 'J %s active/%s\nN localhost\n' "$id" "$id"
		i=0
		for a in "$@"; do
			printf 'R %d %s\n' $i "$a"
			i=$((i + 1))
		done
		printf 'G\n'
	} | "$B/local" -c "$cf" > "$T/$id.out" 2> "$T/$id.err"
}

# ---- mbox: two deliveries while a reader holds the mailbox -----------------

msg one 300
msg two 300
python3 "$T/mkq.py" "$Q" 06553F100000000A1 "$T/one.msg" "$ME@localhost"
python3 "$T/mkq.py" "$Q" 06553F100000000A2 "$T/two.msg" "$ME@localhost"
msg first 2
python3 "$T/mkq.py" "$Q" 06553F100000000A0 "$T/first.msg" "$ME@localhost"
run 06553F100000000A0 "$T/cf" "$ME@localhost"
tap_is "$(cat "$T/06553F100000000A0.out")" "0 D 2.0.0 delivered to mailbox
." "a first message makes the mbox"
MB=$T/spool/$ME
# The reader: dot lock and fcntl lock, held for 3 seconds; it records
# the mailbox size when it took the locks and just before it lets go.
python3 - "$MB" "$T/held" "$T/sizes" <<'PY' &
import fcntl, os, sys, time
mb, held, sizes = sys.argv[1:4]
lock = mb + ".lock"
fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
f = open(mb, "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
s0 = os.path.getsize(mb)
open(held, "w").close()
time.sleep(3)
s1 = os.path.getsize(mb)
open(sizes, "w").write("%d %d\n" % (s0, s1))
os.unlink(lock)
f.close()
PY
reader=$!
i=0
while [ ! -e "$T/held" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
run 06553F100000000A1 "$T/cf" "$ME@localhost" &
w1=$!
run 06553F100000000A2 "$T/cf" "$ME@localhost" &
w2=$!
wait "$w1" "$w2" "$reader"
tap_is "$(cat "$T/06553F100000000A1.out" "$T/06553F100000000A2.out")" \
    "0 D 2.0.0 delivered to mailbox
.
0 D 2.0.0 delivered to mailbox
." "two deliveries while a reader holds the locks: both delivered"
tap_is "$(awk '{ print ($1 == $2) }' "$T/sizes")" 1 \
    "nothing was written while the reader held the mailbox"
python3 - "$MB" "$T/one.msg" "$T/two.msg" > "$T/got" <<'PY'
import mailbox, sys
box = list(mailbox.mbox(sys.argv[1], create=False))
want = {}
for p in sys.argv[2:]:
    body = open(p).read().split("\n\n", 1)[1]
    want[body.split(" ", 1)[0]] = body
ok = 0
for m in box[1:]:
    s = m["Subject"]
    if m.get_payload() == want.get(s, None):
        ok += 1
print(len(box), ok, sorted(m["Subject"] for m in box))
PY
tap_is "$(cat "$T/got")" "3 2 ['first', 'one', 'two']" \
    "the mbox reads as three whole messages, each body intact"
tap_ok "$([ ! -e "$MB.lock" ]; echo $?)" "no dot lock left behind"

# ---- Maildir: four processes at once ----------------------------------------

set --
i=0
while [ $i -lt 10 ]; do
	set -- "$@" "$ME@localhost"
	i=$((i + 1))
done
for k in 1 2 3 4; do
	python3 "$T/mkq.py" "$Q" 06553F100000000B$k "$T/first.msg" "$@"
done
run 06553F100000000B1 "$T/cfmd" "$@" &
p1=$!
run 06553F100000000B2 "$T/cfmd" "$@" &
p2=$!
run 06553F100000000B3 "$T/cfmd" "$@" &
p3=$!
run 06553F100000000B4 "$T/cfmd" "$@" &
p4=$!
wait "$p1" "$p2" "$p3" "$p4"
tap_is "$(cat "$T"/06553F100000000B?.out | grep -c '^[0-9]* D 2.0.0 delivered to maildir$')" 40 \
    "Maildir: 40 deliveries from 4 processes at once" ||
    tap_diag "$(grep -hv '^[0-9]* D 2.0.0 delivered to maildir$' \
    "$T"/06553F100000000B?.out "$T"/06553F100000000B?.err 2>/dev/null)"
{
	printf 'Return-Path: <alice@example.org>\nX-Original-To: %s@localhost\nDelivered-To: %s@localhost\n' "$ME" "$ME"
	cat "$T/first.msg"
} > "$T/wantmd"
python3 - "$T/md/$ME" "$T/wantmd" > "$T/got" <<'PY'
import os, sys
d, want = sys.argv[1], open(sys.argv[2], "rb").read()
new = os.listdir(os.path.join(d, "new"))
same = all(open(os.path.join(d, "new", n), "rb").read() == want for n in new)
print(len(new), len(set(n.split(".")[1] for n in new)), same,
      len(os.listdir(os.path.join(d, "tmp"))))
PY
tap_is "$(cat "$T/got")" "40 40 True 0" \
    "Maildir: 40 files in new/ with 40 distinct unique parts, all whole, tmp/ empty"

# ---- a full file system ------------------------------------------------------

if [ -z "$RU" ]; then
	tap_skip 7 "not root (mount)"
	tap_done
fi
F=$T/full
mkdir -p "$F"
if ! mount -t tmpfs -o size=1m,mode=755 tmpfs "$F" >"$T/mnt" 2>&1; then
	tap_skip 7 "cannot mount a tmpfs: $(cat "$T/mnt")"
	tap_done
fi
MNT=$F
mkdir -m 755 "$F/spool" "$F/md"
sed "s|^mail_spool_directory = .*|mail_spool_directory = $F/spool|" \
    "$T/cf/main.cf" > "$T/cf/full.cf"
mkdir -p "$T/cff" "$T/cffmd"
mv "$T/cf/full.cf" "$T/cff/main.cf"
sed "s|^mail_spool_directory = .*|mail_spool_directory = $F/md/|" \
    "$T/cff/main.cf" > "$T/cffmd/main.cf"
python3 "$T/mkq.py" "$Q" 06553F100000000C1 "$T/first.msg" "$ME@localhost"
run 06553F100000000C1 "$T/cff" "$ME@localhost"
run 06553F100000000C1 "$T/cffmd" "$ME@localhost"
tap_is "$(cat "$T/06553F100000000C1.out")" "0 D 2.0.0 delivered to maildir
." "tmpfs: a first message in the Maildir"
before=$(sha256sum < "$F/spool/$ME")
size=$(wc -c < "$F/spool/$ME")
# fill it up, leaving a few KB
dd if=/dev/zero of="$F/filler" bs=4k count=1000 >/dev/null 2>&1
avail=$(df -k "$F" | awk 'NR == 2 { print $4 }')
msg big 4000
python3 "$T/mkq.py" "$Q" 06553F100000000C2 "$T/big.msg" "$ME@localhost"
run 06553F100000000C2 "$T/cff" "$ME@localhost"
case $(cat "$T/06553F100000000C2.out") in
"0 T 4.3.0 cannot update mailbox $F/spool/$ME for user $ME. error writing message: No space left on device
.") r=0 ;;
*) r=1 ;;
esac
tap_ok $r "a full file system: the mbox delivery defers, T 4.3.0 (avail ${avail}K)" ||
    tap_diag "$(cat "$T/06553F100000000C2.out")"
tap_is "$(wc -c < "$F/spool/$ME" | tr -d ' ')" "$(echo $size | tr -d ' ')" \
    "the mbox is truncated back to its size"
tap_is "$(sha256sum < "$F/spool/$ME")" "$before" \
    "and holds the same bytes as before"
tap_is "$(python3 -c 'import mailbox,sys; print(len(mailbox.mbox(sys.argv[1])))' "$F/spool/$ME")" 1 \
    "the mbox still reads as one whole message"
run 06553F100000000C2 "$T/cffmd" "$ME@localhost"
tap_is "$(cut -c1-10 "$T/06553F100000000C2.out" | head -1)" "0 T 4.3.0 " \
    "a full file system: the Maildir delivery defers too"
tap_is "$(ls "$F/md/$ME/new" | wc -l) $(ls "$F/md/$ME/tmp" | wc -l)" "1 0" \
    "the Maildir keeps its one message, nothing left in tmp/"

tap_done
