#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 197-syscalls.t: what one message costs in system calls, counted, so
# that a regression fails here (timings stay in bench/).  A whole
# instance (master, smtpd and cleanup reused across connections, qmgr,
# local) takes N messages, one SMTP connection each and one after the
# other, to a local Maildir; strace -f, attached to master, qmgr, and
# the smtpd, cleanup and local agent that the first message started,
# counts every system call their processes and children make meanwhile.
# Per message:
#
#   - fsync and fdatasync: exactly the durable handoffs and records of
#     docs/postlet.7 ("Durability"): cleanup 2 (the file, incoming/),
#     qmgr 3 (incoming/ and active/ after a batch of moves, and
#     active/ after the removals of a round, which is the record of the
#     delivery; here one message each), local 2 (the Maildir file and
#     new/);
#   - execve: none (master hands each connection to the smtpd that
#     served the one before, which hands the message to the cleanup
#     that took the one before; qmgr reuses the local agent);
#   - smtpd's order for each message: the 354, then the client's
#     content, then cleanup's early answer (the queue ID), so that it
#     waits once per DATA;
#   - where the file system has O_TMPFILE: cleanup's queue file and
#     local's Maildir file are each opened unnamed (O_TMPFILE) and
#     named once, by linkat, so neither adds nor removes a name in a
#     tmp/ directory (no unlink at all);
#   - cleanup names its unnamed file by the descriptor itself (linkat
#     with AT_EMPTY_PATH) where the kernel lets its user do that, as a
#     probe made here as that user finds, else through /proc/self/fd;
#   - qmgr and local open each queue file with O_NOATIME, and cleanup
#     takes its new file's inode number by statx without its times (no
#     fstat): no journal transaction for an access time, nor for a
#     restamp of the new file at its first write;
#   - and when the N messages come over one connection: no execve
#     either, the same fsyncs per message;
#   - mmap and munmap: at most MMAP_BUDGET per message, twice the 2
#     counted once the hot paths kept their buffers and state
#     (smtpd's transfer, the envelope parse, qmgr's directory streams)
#     instead of taking them from the heap per message, and strings
#     began at 64 bytes (lib/str.c; 4 before): musl's malloc gives an
#     emptied page back to the system at once, and maps it again for
#     the next message.  What is left is a size class that one
#     allocation of a message has to itself (a recipient's address in
#     cleanup and qmgr, stdio's buffer in local's getpwnam), so the
#     count moves with the lengths of the test's names: 0 or 2;
#   - all system calls: at most SYSCALL_BUDGET, about 1.3 times the
#     168 counted once local kept the last user's password entry (a
#     stat of /etc/passwd per message, not its open, reads and close;
#     180 once cleanup kept qmgr's FIFO open, local's Maildir
#     walk stopped reopening "." and cleanup and qmgr kept the queue
#     directories they fsync open; 218 once smtpd kept its
#     connection to cleanup from one session to the next and buf
#     stopped polling before a write to a non-blocking descriptor; 272
#     when smtpd and cleanup became reused, 496 when they were started
#     per connection, 124 of them rt_sigaction: each spawn resets every
#     signal in the child).
#
# Not in the sanitizer build: it makes many more calls, and its leak
# checker cannot run under strace (ptrace).
. "$(dirname "$0")/../lib.sh"

N=20
FSYNC_PER_MSG=7
EXECVE_PER_MSG=0
SYSCALL_BUDGET=220
MMAP_BUDGET=4
NCHECK=13
tap_plan $NCHECK

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $NCHECK "python3 not installed"
	tap_done
fi
if [ -n "${POSTLET_SANITIZE:-}" ]; then
	tap_skip $NCHECK "the sanitizer build: counts are for the real one"
	tap_done
fi
if ! command -v strace >/dev/null 2>&1; then
	tap_skip $NCHECK "strace not installed"
	tap_done
fi
unset MAIL_CONFIG
postlet_as_user pls $NCHECK
postlet_instance < /dev/null
PORT=$(free_port)
ST=$TAP_TMP/strace.out
trap '[ -z "${SPID:-}" ] || kill "$SPID" 2>/dev/null; postlet_instance_stop;
    tap_cleanup' EXIT

postlet_master_cf "$PORT" 10

as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"

# send FIRST COUNT [one]: COUNT messages, one connection each (or all
# over one connection), in turn; each waits until the one before is in
# the Maildir, so that every message takes the whole path alone.
send() {
	python3 - "$PORT" "$I/mail/$ME/new" "$1" "$2" "${3:-}" <<'PY'
import os, smtplib, sys, time
port, new, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
one = sys.argv[5] == "one"
def delivered():
    try:
        return len(os.listdir(new))
    except OSError:
        return 0
s = None
for i in range(first, first + count):
    if s is None:
        s = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
    s.sendmail("sender@example.org", ["%s@host.example.test" % os.environ["ME"]],
               "Subject: count %d\r\n\r\n%s\r\n" % (i, "x" * 1500))
    if not one or i == first + count - 1:
        s.quit()
        s = None
    end = time.time() + 30
    while delivered() < i + 1 and time.time() < end:
        time.sleep(0.02)
    if delivered() < i + 1:
        sys.exit("message %d was not delivered in time" % i)
PY
}
export ME

# A first message wakes the local agent and anything lazy.
send 0 1 >"$TAP_TMP/send0" 2>&1 || tap_diag "$(cat "$TAP_TMP/send0")"
sleep 0.5
MASTER=$(cat "$Q/pid/master.pid" 2>/dev/null)
QMGR=$(pgrep -u "$ME" -x qmgr | head -n 1)
LOCAL=$(pgrep -u "$ME" -x local | head -n 1)
SMTPD=$(pgrep -u "$ME" -x smtpd)
CLEANUP=$(pgrep -u "$ME" -x cleanup)
if [ -z "$MASTER" ] || [ -z "$QMGR" ] || [ -z "$LOCAL" ]; then
	tap_bail "no master, qmgr or local to trace"
fi
# one idle smtpd and one idle cleanup, kept by master for the next
# connection (a second one would be a process start per connection)
if [ "$(echo $SMTPD | wc -w)" != 1 ] || [ "$(echo $CLEANUP | wc -w)" != 1 ]
then
	tap_bail "not one smtpd and one cleanup: '$SMTPD' '$CLEANUP'"
fi
# trace_start: strace master, qmgr, smtpd, cleanup and local into $ST
# (SPID); trace_stop.
trace_start() {
	strace -f -qq -o "$ST" -p "$MASTER" -p "$QMGR" -p "$SMTPD" \
	    -p "$CLEANUP" -p "$LOCAL" &
	SPID=$!
	# strace says nothing when it is attached: wait for the first line
	# of master's poll, or give it a second.
	i=0
	while [ ! -s "$ST" ] && [ $i -lt 20 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.3
}
trace_stop() {
	sleep 0.5
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
}
trace_start
if ! kill -0 "$SPID" 2>/dev/null; then
	SPID=
	tap_skip 12 "strace cannot attach here (ptrace not allowed?)"
	tap_done
fi
send 1 $N >"$TAP_TMP/send1" 2>&1
tap_ok $? "$N messages delivered one after the other" ||
    tap_diag "$(cat "$TAP_TMP/send1")"
trace_stop

# Count whole calls: "name(" at the start of a line or after the pid,
# and "<... name resumed>" not again.
count() {
	grep -E "^[0-9]+ +$1\(" "$ST" | wc -l
}
fsyncs=$(( $(count fsync) + $(count fdatasync) ))
execs=$(count execve)
total=$(grep -Ec '^[0-9]+ +[a-z_0-9]+\(' "$ST")
per() { awk -v a="$1" -v n="$N" 'BEGIN { printf "%.2f", a / n }'; }
tap_diag "per message: $(per "$fsyncs") fsync, $(per "$execs") execve, $(per "$total") system calls"

tap_is "$fsyncs" $((N * FSYNC_PER_MSG)) \
    "fsync and fdatasync: $FSYNC_PER_MSG per message" ||
    tap_diag "$(grep -E '^[0-9]+ +f(data)?sync\(' "$ST" | head -n 20)"
tap_is "$execs" $((N * EXECVE_PER_MSG)) "execve: $EXECVE_PER_MSG per message"
maps=$(( $(count mmap) + $(count munmap) ))
tap_diag "per message: $(per "$maps") mmap and munmap"
[ "$maps" -le $((N * MMAP_BUDGET)) ]
tap_ok $? "at most $MMAP_BUDGET mmap and munmap per message" ||
    tap_diag "$(grep -E '^[0-9]+ +(mmap|munmap)\(' "$ST" | head -n 12)"
[ "$total" -le $((N * SYSCALL_BUDGET)) ]
tap_ok $? "at most $SYSCALL_BUDGET system calls per message" ||
    tap_diag "$(grep -Eo '^[0-9]+ +[a-z_0-9]+\(' "$ST" |
    sed 's/^[0-9]* *//' | sort | uniq -c | sort -rn | head -n 15)"

# smtpd sends 354 and reads the content's first bytes before it reads
# cleanup's early answer (the queue ID), so that cleanup begins the queue
# file while the client sends and smtpd sleeps once, not twice: per
# message, the write of "354" (W), the read of the content (C), the read
# of "ID" (R).
grep -E "^$SMTPD +(write\(1, \"354 |(read\([0-9]+, |<\.\.\. read resumed>)\"(ID |Subject: ))" \
    "$ST" | sed -E 's/^[0-9]+ +write.*/W/; s/.*"ID .*/R/; s/.*"Subject: .*/C/' |
    tr -d '\n' > "$TAP_TMP/order"
tap_is "$(cat "$TAP_TMP/order")" "$(printf 'WCR%.0s' $(seq $N))" \
    "smtpd: 354, then the content, then cleanup's queue ID, for each message"

# Unnamed files: one O_TMPFILE open each for cleanup and local per
# message, and no unlink (the named way unlinks the tmp/ name after the
# link).
if python3 -c 'import os, sys
for d in sys.argv[1:]:
    os.close(os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o600))' \
    "$Q/tmp" "$I/mail/$ME/tmp" 2>/dev/null; then
	tmpfiles=$(grep -Ec "^($CLEANUP|$LOCAL) +open(at)?\(.*O_TMPFILE" "$ST")
	unlinks=$(grep -Ec "^($CLEANUP|$LOCAL) +unlink(at)?\(" "$ST")
	tap_is "$tmpfiles/$unlinks" "$((2 * N))/0" \
	    "cleanup and local: an unnamed file per message, no tmp/ name" ||
	    tap_diag "$(grep -E "^($CLEANUP|$LOCAL) +(open|link|unlink)" "$ST" |
	    head -n 12)"
else
	tap_skip 1 "no O_TMPFILE on this file system"
fi

# cleanup names its unnamed file by the descriptor itself (linkat with
# AT_EMPTY_PATH) where the kernel lets its user do that (Linux 6.10 and
# later, or CAP_DAC_READ_SEARCH: probed here as that user), else through
# /proc/self/fd.
PYU=python3
[ -x /usr/bin/python3 ] && PYU=/usr/bin/python3	# (a root-only pyenv shim)
as_me "$PYU" - "$Q/tmp" > "$TAP_TMP/probe" 2>&1 <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1]
try:
    fd = os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o600)
except OSError:
    print("none")
    sys.exit(0)
name = os.path.join(d, "probe.%d" % os.getpid())
r = libc.linkat(fd, b"", -100, name.encode(), 0x1000)  # AT_EMPTY_PATH
if r == 0:
    os.unlink(name)
print("yes" if r == 0 else "no")
PY
by_fd=$(grep -E "^$CLEANUP +linkat\(" "$ST" | grep -c 'AT_EMPTY_PATH')
by_proc=$(grep -E "^$CLEANUP +linkat\(" "$ST" | grep -c '/proc/self/fd')
case $(cat "$TAP_TMP/probe") in
yes)	tap_is "$by_fd/$by_proc" "$N/0" \
	    "cleanup: each queue file linked by its descriptor (AT_EMPTY_PATH)" ;;
no)	tap_is "$by_proc" "$N" \
	    "cleanup: each queue file linked through /proc/self/fd (AT_EMPTY_PATH refused here)" ;;
*)	tap_skip 1 "no O_TMPFILE here: $(cat "$TAP_TMP/probe")" ;;
esac

# No times written for reading: qmgr and local open each queue file with
# O_NOATIME (they own it; relatime would stamp a file just written), and
# cleanup asks its new queue file for its inode and mode only (statx),
# never fstat, which marks the times as seen so that the first write must
# restamp the file (Linux 6.13 and later): each a journal transaction.
q_noatime=$(grep -E "^($QMGR|$LOCAL) +openat\(.*/active/[0-9A-F]+\".*O_NOATIME" \
    "$ST" | wc -l | tr -d ' ')
c_statx=$(grep -E "^$CLEANUP +statx\(.*STATX_INO" "$ST" | wc -l | tr -d ' ')
c_fstat=$(grep -E "^$CLEANUP +(fstat|newfstatat)\(" "$ST" | wc -l | tr -d ' ')
tap_is "$q_noatime $c_statx $c_fstat" "$((2 * N)) $N 0" \
    "qmgr and local read each queue file with O_NOATIME; cleanup takes its inode by statx, no fstat" ||
    tap_diag "$(grep -E "^($QMGR|$LOCAL|$CLEANUP) +(openat|statx|fstat)" "$ST" | head -n 8)"

# The same N messages over one connection.
ST=$TAP_TMP/strace-one.out
trace_start
send $((N + 1)) $N one >"$TAP_TMP/send2" 2>&1
tap_ok $? "$N messages over one connection delivered one after the other" ||
    tap_diag "$(cat "$TAP_TMP/send2")"
trace_stop
fsyncs=$(( $(count fsync) + $(count fdatasync) ))
execs=$(count execve)
total=$(grep -Ec '^[0-9]+ +[a-z_0-9]+\(' "$ST")
tap_diag "one connection, per message: $(per "$fsyncs") fsync, $(per "$execs") execve, $(per "$total") system calls"
tap_is "$execs" 0 "one connection: no execve" ||
    tap_diag "$(grep -E '^[0-9]+ +execve\(' "$ST")"
tap_is "$fsyncs" $((N * FSYNC_PER_MSG)) \
    "one connection: still $FSYNC_PER_MSG fsyncs per message"
tap_done
