#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 165-lmtp.t: smtp run as lmtp (its other name) against LMTP servers
# nobody here wrote: Postfix's smtp-sink -L on a TCP port and on a
# UNIX-domain socket, and Python's aiosmtpd LMTP class answering each
# recipient differently after the final dot.  The agent is driven
# directly through the delivery agent protocol (lib/agent.h); its answers
# are compared byte for byte.
. "$(dirname "$0")/../lib.sh"

PLAN=10
tap_plan $PLAN

SINKDIR=$POSTLET_SRC/build/src/debs/postfix
SINK=$SINKDIR/usr/sbin/smtp-sink
PY=/usr/bin/python3
if [ ! -x "$SINK" ]; then
	tap_skip $PLAN "no smtp-sink in build/src/debs (make testtools as root)"
	tap_done
fi
# its shared libraries (Postfix's own, and libicu, libdb, ... that
# mk/testtools.sh installs as root)
if LD_LIBRARY_PATH=$SINKDIR/usr/lib/postfix "$SINK" 2>&1 |
    grep -q 'error while loading shared libraries'; then
	tap_skip $PLAN "smtp-sink cannot run: $(LD_LIBRARY_PATH=$SINKDIR/usr/lib/postfix "$SINK" 2>&1 | head -n 1)"
	tap_done
fi
if ! "$PY" -c 'import aiosmtpd' >/dev/null 2>&1; then
	tap_skip $PLAN "python3-aiosmtpd not installed (make testtools as root)"
	tap_done
fi
LM=$(postlet_bin lmtp) || tap_bail "$LM"
unset MAIL_CONFIG

chmod 755 "$TAP_TMP"
C=$TAP_TMP/conf
Q=$TAP_TMP/q
mkdir -p "$C" "$Q/active"
LOG=$TAP_TMP/log
SINKUSER=
[ "$(id -u)" -ne 0 ] || SINKUSER="-u nobody"
cat > "$C/main.cf" <<EOF
queue_directory = $Q
mail_owner = $(id -un)
myhostname = client.example
maillog_file = $LOG
EOF

PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; tap_cleanup' EXIT

# wait_for ADDRESS: until something listens there (at most 10 s): a
# port number or a socket path.
wait_for() {
	"$PY" -c '
import socket, sys, time
a = sys.argv[1]
for i in range(100):
    try:
        if a.isdigit():
            socket.create_connection(("127.0.0.1", int(a)), timeout=1).close()
        else:
            s = socket.socket(socket.AF_UNIX); s.connect(a); s.close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$1"
}
# sink NAME LISTEN OPTION...: smtp-sink -L in the background, dumps in
# $TAP_TMP/NAME/.
sink() {
	n=$1 l=$2
	shift 2
	mkdir -m 1777 "$TAP_TMP/$n"
	# shellcheck disable=SC2086
	LD_LIBRARY_PATH=$SINKDIR/usr/lib/postfix "$SINK" $SINKUSER -L -c \
	    -d "$TAP_TMP/$n/%M%S." "$@" "$l" 10 > "$TAP_TMP/$n.out" 2>&1 &
	PIDS="$PIDS $!"
}

cat > "$TAP_TMP/aio.py" <<'PY'
import asyncio, sys
from aiosmtpd.lmtp import LMTP
port = int(sys.argv[1])
class H:
    async def handle_DATA(self, server, session, envelope):
        # one reply per recipient, in RCPT order (RFC 2033 4.2)
        out = []
        for r in envelope.rcpt_tos:
            if r.startswith("full"):
                out.append("552 5.2.2 <%s> Mailbox full" % r)
            elif r.startswith("later"):
                out.append("451 4.3.0 <%s> Try again" % r)
            else:
                out.append("250 2.0.0 <%s> Saved" % r)
        return "\r\n".join(out)
loop = asyncio.new_event_loop()
loop.run_until_complete(loop.create_server(
    lambda: LMTP(H(), hostname="lmtp.test"), "127.0.0.1", port))
loop.run_forever()
PY

cat > "$TAP_TMP/mkq.py" <<'PY'
import os, sys
d, qid, sender, content = sys.argv[1:5]
env = b"postlet-queue 1\nT 1700000000.000000\nS " + sender.encode() + b"\n"
for a in sys.argv[5:]:
    env += b"R P - - " + a.encode() + b"\n"
body = open(content, "rb").read()
hl = body.find(b"\n\n")
hl = len(body) if hl < 0 else hl + 2
env += b"E %020d %020d\n" % (len(body), hl)
with open(os.path.join(d, "active", qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
job() {
	id=$1 hop=$2
	shift 2
	printf 'J %s active/%s\nN %s\n' "$id" "$id" "$hop"
	i=0
	for r in "$@"; do
		printf 'R %d %s\n' "$i" "$r"
		i=$((i + 1))
	done
	printf 'G\n'
}
agent() {
	timeout 60 "$LM" -c "$C" "$@" > "$TAP_TMP/out.raw" 2> "$TAP_TMP/err"
	echo $? > "$TAP_TMP/status"
	# the results; the "@ relay" lines are checked on their own
	grep -v '^@ ' "$TAP_TMP/out.raw" > "$TAP_TMP/out"
}
want() {
	printf '%s\n' "$@" > "$TAP_TMP/want"
}

set -- $(free_ports 3)
P1=$1 P2=$2 P3=$3
ID=0674A0000000001
printf 'Subject: lmtp\n\nhello\n.dot\n' > "$TAP_TMP/c1"
"$PY" "$TAP_TMP/mkq.py" "$Q" $ID sender@client.example "$TAP_TMP/c1" \
    a@x.example full@x.example later@x.example

# ---- aiosmtpd LMTP: one reply per recipient after the final dot
"$PY" "$TAP_TMP/aio.py" "$P1" 2> "$TAP_TMP/aio.err" &
PIDS="$PIDS $!"
wait_for "$P1" || tap_bail "aiosmtpd did not start"
job $ID "inet:127.0.0.1:$P1" a@x.example full@x.example later@x.example |
    agent
L=127.0.0.1[127.0.0.1]
want "0 D 2.0.0 250 2.0.0 <a@x.example> Saved" \
    "1 P 5.2.2 host $L said: 552 5.2.2 <full@x.example> Mailbox full (in reply to end of DATA command)" \
    "2 T 4.3.0 host $L said: 451 4.3.0 <later@x.example> Try again (in reply to end of DATA command)" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "aiosmtpd LMTP: per-recipient replies after the final dot"
tap_is "$(cat "$TAP_TMP/status")" 0 "lmtp exits 0 at the end of its input"

# ---- smtp-sink -L over TCP and over a UNIX-domain socket
sink s1 "127.0.0.1:$P2"
wait_for "$P2" || tap_bail "smtp-sink did not start"
job $ID "inet:[127.0.0.1]:$P2" a@x.example full@x.example | agent
want "0 D 2.2.0 250 2.2.0 Ok" "1 D 2.2.0 250 2.2.0 Ok" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "smtp-sink -L, inet:[addr]:port: two replies after the dot"
grep -h '^X-\(Client-Proto\|Helo-Args\)' "$TAP_TMP"/s1/* > "$TAP_TMP/got"
want "X-Client-Proto: LMTP" "X-Helo-Args: client.example"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "smtp-sink -L: LHLO with our name"
SOCK=$TAP_TMP/lmtp.sock
sink s2 "unix:$SOCK"
wait_for "$SOCK" || tap_bail "smtp-sink did not start on $SOCK"
[ "$(id -u)" -ne 0 ] || chmod 666 "$SOCK"
job $ID "unix:$SOCK" a@x.example | agent
want "0 D 2.2.0 250 2.2.0 Ok" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "smtp-sink -L on unix:$SOCK: delivered"
sed '1,/^Received: /d' "$TAP_TMP"/s2/* | sed '1,2d' > "$TAP_TMP/got"
job $ID "unix:../lmtp.sock" a@x.example | agent
want "0 D 2.2.0 250 2.2.0 Ok" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "unix:../lmtp.sock: a relative path is under queue_directory"
printf 'Subject: lmtp\n\nhello\n.dot\n\n' > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "smtp-sink -L: the content as sent"

# ---- errors
job $ID "unix:$TAP_TMP/nosuch.sock" a@x.example | agent
want "!" "0 T 4.4.1 connect to $TAP_TMP/nosuch.sock: No such file or directory" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "a missing socket: deferred 4.4.1"
job $ID "inet:127.0.0.1:$P3" a@x.example | agent
want "!" "0 T 4.4.1 connect to $L:$P3: Connection refused" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "connection refused: deferred 4.4.1"
sink s3 "127.0.0.1:$P3" -f RCPT
wait_for "$P3" || tap_bail "smtp-sink did not start"
job $ID "inet:127.0.0.1:$P3" a@x.example | agent
want "0 P 5.3.0 host $L said: 500 5.3.0 Error: command failed (in reply to RCPT TO command)" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "RCPT refused 5xx: bounced with the server's reply"
tap_done
