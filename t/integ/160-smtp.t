#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 160-smtp.t: the smtp delivery agent against servers nobody here wrote:
# Postfix's smtp-sink (from the Debian package, unpacked by make
# testtools) and Python's aiosmtpd.  The agent is driven directly through
# the delivery agent protocol (lib/agent.h) on queue files written by the
# book (docs/queue.5); its answers are compared byte for byte, what the
# servers received is read from smtp-sink's dump files and aiosmtpd's
# record, and the bytes on the wire from strace.  Then end to end:
# sendmail, qmgr and smtp with relayhost = [127.0.0.1]:PORT.
. "$(dirname "$0")/../lib.sh"

PLAN=60
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
S=$(postlet_bin smtp) || tap_bail "$S"
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
smtp_connection_cache_time_limit = 5s
EOF

PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; tap_cleanup' EXIT

# wait_port PORT: until something listens there (at most 10 s).
wait_port() {
	"$PY" -c '
import socket, sys, time
for i in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$1"
}
# sink NAME PORT OPTION...: smtp-sink in the background; its counters
# (-c) in $TAP_TMP/NAME.out, its dumps in $TAP_TMP/NAME/.
sink() {
	n=$1 p=$2
	shift 2
	mkdir -m 1777 "$TAP_TMP/$n"
	# shellcheck disable=SC2086
	LD_LIBRARY_PATH=$SINKDIR/usr/lib/postfix "$SINK" $SINKUSER -c \
	    -d "$TAP_TMP/$n/%M%S." "$@" "127.0.0.1:$p" 10 \
	    > "$TAP_TMP/$n.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$p" || tap_bail "smtp-sink did not start on $p"
}
# The counters smtp-sink printed last, as "sessions quits messages".
counters() {
	tr '\r' '\n' < "$TAP_TMP/$1.out" | grep 'sess=' | tail -1 |
	    sed 's/^ *sess=\([0-9]*\) quit=\([0-9]*\) mesg=\([0-9]*\).*/\1 \2 \3/'
}
# delta "A B C" "D E F": "D-A E-B F-C".
delta() {
	echo "$1 $2" | awk '{ print $4 - $1, $5 - $2, $6 - $3 }'
}

# aio NAME PORT [size_limit [smtputf8 [rset4xx]]]: aiosmtpd in the
# background.  It refuses recipients that start with "bad" (550 5.1.1),
# records each message as JSON lines in $TAP_TMP/NAME.rec and counts
# connections.  With rset4xx it offers PIPELINING and answers RSET 450.
cat > "$TAP_TMP/aio.py" <<'PY'
import asyncio, json, sys
from aiosmtpd.smtp import SMTP
port, rec = int(sys.argv[1]), sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 0
utf8 = len(sys.argv) > 4 and sys.argv[4] == "yes"
rset4xx = len(sys.argv) > 5 and sys.argv[5] == "rset4xx"
class S(SMTP):
    async def smtp_RSET(self, arg):
        if rset4xx:
            await self.push("450 4.3.0 RSET refused for the test")
        else:
            await super().smtp_RSET(arg)
class H:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if rset4xx:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses
    async def handle_RCPT(self, server, session, envelope, address, opts):
        if address.startswith("bad"):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(opts)
        return "250 2.1.5 Ok"
    async def handle_DATA(self, server, session, envelope):
        with open(rec, "a") as f:
            f.write(json.dumps({"from": envelope.mail_from,
                "mail_options": envelope.mail_options,
                "rcpt": envelope.rcpt_tos,
                "data": envelope.original_content.decode("latin-1")}) + "\n")
        return "250 2.0.0 Ok: queued as AIO1"
def made():
    with open(rec + ".conn", "a") as f:
        f.write("c\n")
    return S(H(), hostname="aio.test", data_size_limit=size or None,
        enable_SMTPUTF8=utf8, decode_data=False)
loop = asyncio.new_event_loop()
loop.run_until_complete(loop.create_server(made, "127.0.0.1", port))
loop.run_forever()
PY
aio() {
	n=$1 p=$2
	shift 2
	: > "$TAP_TMP/$n.rec"
	"$PY" "$TAP_TMP/aio.py" "$p" "$TAP_TMP/$n.rec" "$@" \
	    2> "$TAP_TMP/$n.err" &
	PIDS="$PIDS $!"
	wait_port "$p" || tap_bail "aiosmtpd did not start on $p"
	# the probe connection counts: forget it
	sleep 0.2
	: > "$TAP_TMP/$n.rec.conn"
}

# mkq ID SENDER CONTENTFILE [A:name=value ...] RCPT...: a queue file
# in $Q/active/ID; RCPT is "address" or "NOTIFY|ORCPT|address".
cat > "$TAP_TMP/mkq.py" <<'PY'
import os, sys
d, qid, sender, content = sys.argv[1:5]
env = b"postlet-queue 1\nT 1700000000.000000\n"
env += b"S " + sender.encode() + b"\n"
rcpts = b""
for a in sys.argv[5:]:
    if a.startswith("A:"):
        env += b"A " + a[2:].encode() + b"\n"
        continue
    notify, orcpt, addr = a.split("|") if "|" in a else ("-", "-", a)
    rcpts += b"R P " + notify.encode() + b" " + orcpt.encode() + b" " + \
        addr.encode() + b"\n"
body = open(content, "rb").read()
hl = body.find(b"\n\n")
hl = len(body) if hl < 0 else hl + 2
env += rcpts + b"E %020d %020d\n" % (len(body), hl)
with open(os.path.join(d, "active", qid), "wb") as f:
    f.write(env + body + b"END\n")
PY
mkq() {
	"$PY" "$TAP_TMP/mkq.py" "$Q" "$@"
}
# job ID NEXTHOP ADDRESS...: one job, recipients numbered from 0.
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
# agent [-o name=value ...] < jobs: the agent's answers in $TAP_TMP/out,
# its exit status in $TAP_TMP/status.
agent() {
	timeout 60 "$S" -c "$C" "$@" > "$TAP_TMP/out.raw" 2> "$TAP_TMP/err"
	echo $? > "$TAP_TMP/status"
	# the results; the "@ relay" lines are checked on their own
	grep -v '^@ ' "$TAP_TMP/out.raw" > "$TAP_TMP/out"
}
# want TEXT: the expected answers, in $TAP_TMP/want.
want() {
	printf '%s\n' "$@" > "$TAP_TMP/want"
}

set -- $(free_ports 10)
P1=$1 P2=$2 P3=$3 P4=$4 P5=$5 P6=$6 P7=$7 P8=$8 P9=$9 P10=${10}
ID1=0674A0000000001
ID2=0674A0000000002
L=127.0.0.1[127.0.0.1]

# ---- success, with the DSN parameters and the content as received
long=$(printf '%01200d' 0)
printf 'From: root@router.lan\nTo: u1@x.example\nSubject: t\n\nline one\n.dot line\n..two dots\n%s\nend\n' \
    "$long" > "$TAP_TMP/c1"
mkq $ID1 root@router.lan "$TAP_TMP/c1" A:envid=ENV+2B1 A:ret=HDRS \
    A:body_type=8BITMIME 'SUCCESS,FAILURE|rfc822;o1@x.example|u1@x.example' \
    u2@x.example
sink s1 "$P1"
job $ID1 "[127.0.0.1]:$P1" u1@x.example u2@x.example |
    agent
want "0 D 2.0.0 250 2.0.0 Ok" "1 D 2.0.0 250 2.0.0 Ok" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "smtp-sink: both recipients delivered"
tap_is "$(grep '^@ ' "$TAP_TMP/out.raw")" "@ 127.0.0.1[127.0.0.1]:$P1" \
    "the relay named once for qmgr's log (@ host[addr]:port)"
grep -h '^X-\(Mail\|Rcpt\|Client-Proto\|Helo\)' "$TAP_TMP"/s1/* \
    > "$TAP_TMP/got" 2>/dev/null
want "X-Client-Proto: ESMTP" "X-Helo-Args: client.example" \
    "X-Mail-Args: <root@router.lan> BODY=8BITMIME RET=HDRS ENVID=ENV+2B1" \
    "X-Rcpt-Args: <u1@x.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;o1@x.example" \
    "X-Rcpt-Args: <u2@x.example> ORCPT=rfc822;u2@x.example"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "smtp-sink: EHLO name, BODY, RET, ENVID, NOTIFY, ORCPT"
# the dump: smtp-sink's own header lines, then what we sent, unstuffed
sed '1,/^Received: /d' "$TAP_TMP"/s1/* | sed '1,2d' | tr -d '\r' \
    > "$TAP_TMP/got"
{
	printf 'From: root@router.lan\nTo: u1@x.example\nSubject: t\n\nline one\n.dot line\n..two dots\n'
	printf '%s\n %s\nend\n\n' "$(printf '%0998d' 0)" "$(printf '%0202d' 0)"
} > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "smtp-sink: the content, a 1200-byte line broken at 998 with CRLF SPACE"
grep -c "status=sent (250 2.0.0 Ok)" "$LOG" > "$TAP_TMP/got"
want 0
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "without -v the agent logs no delivery line (qmgr does)"

# ---- the bytes on the wire, and a session reused for a second job
before=$(counters s1)
TRACE=
if command -v strace >/dev/null 2>&1; then
	# (LeakSanitizer cannot work under ptrace: no leak check there)
	TRACE="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -s 65536 -xx -e trace=write,connect,mmap,munmap -o $TAP_TMP/strace"
fi
{ job $ID1 "[127.0.0.1]:$P1" u1@x.example u2@x.example
  job $ID1 "[127.0.0.1]:$P1" u2@x.example; } |
    timeout 60 $TRACE "$S" -c "$C" 2>&1 | grep -v '^@ ' > "$TAP_TMP/out"
sleep 0.3
tap_is "$(delta "$before" "$(counters s1)")" "1 1 2" \
    "smtp-sink: two jobs, one session (sessions, QUITs, messages)"
if [ -n "$TRACE" ]; then
	# the socket's writes, one per line, decoded with \r and \n shown
	"$PY" - "$TAP_TMP/strace" > "$TAP_TMP/wire" <<'PY'
import re, sys
sock = None
for l in open(sys.argv[1]):
    m = re.search(r'connect\((\d+), \{sa_family=AF_INET', l)
    if m:
        sock = m.group(1)
    m = re.search(r'write\((\d+), "(.*)", \d+\) = \d+', l)
    if m and m.group(1) == sock:
        b = bytes.fromhex(m.group(2).replace("\\x", ""))
        print(b.decode("latin-1").replace("\r", "\\r").replace("\n", "\\n"))
PY
	grep -c '^MAIL FROM:<root@router.lan> BODY=8BITMIME RET=HDRS ENVID=ENV+2B1\\r\\nRCPT TO:<u1@x.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;o1@x.example\\r\\nRCPT TO:<u2@x.example> ORCPT=rfc822;u2@x.example\\r\\nDATA\\r\\n$' \
	    "$TAP_TMP/wire" > "$TAP_TMP/got"
	want 1
	tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "wire: MAIL, RCPT, RCPT, DATA pipelined in one write"
	grep -c '^From: root@router.lan\\r\\n.*\\r\\nline one\\r\\n\.\.dot line\\r\\n\.\.\.two dots\\r\\n.*\\r\\nend\\r\\n\.\\r\\n$' \
	    "$TAP_TMP/wire" > "$TAP_TMP/got"
	want 2
	tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "wire: dot-stuffed, CRLF, the body's tail and the final dot in one write (twice)"
	grep -c '[^r]\\n' "$TAP_TMP/wire" > "$TAP_TMP/got"
	want 0
	tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "wire: no bare LF"
	grep '^\(EHLO\|RSET\|QUIT\)' "$TAP_TMP/wire" > "$TAP_TMP/got"
	want 'EHLO client.example\r\n' \
	    'RSET\r\nMAIL FROM:<root@router.lan> BODY=8BITMIME RET=HDRS ENVID=ENV+2B1\r\nRCPT TO:<u2@x.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;o1@x.example\r\nDATA\r\n' \
	    'QUIT\r\n'
	tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "wire: one EHLO, the second job's RSET in one write with its MAIL, RCPT, DATA, QUIT at the end"
	# what the agent takes from the heap for a job stays for the next
	# (musl's malloc unmaps a group as soon as it is empty, and maps
	# one again for the next job): between its answers to the first
	# job and to the second, no mmap or munmap (the sanitizer's
	# allocator maps its own way)
	if [ -n "${POSTLET_SANITIZE:-}" ]; then
		tap_skip 1 "the sanitizer build: its allocator is another"
	else
		tap_is "$(awk '/ write\(1, / { n++; next }
		    n == 1 && /mmap\(|munmap\(/ { m++ }
		    END { print m + 0 }' "$TAP_TMP/strace")" 0 \
		    "the second job: no mmap or munmap (buffers kept from the first)"
	fi
else
	tap_skip 5 "strace not installed"
fi

# ---- smtp_connection_cache_time_limit: an idle session ends
before=$(counters s1)
{ job $ID1 "[127.0.0.1]:$P1" u1@x.example; sleep 2
  job $ID1 "[127.0.0.1]:$P1" u1@x.example; } |
    agent -o smtp_connection_cache_time_limit=1s
sleep 0.3
tap_is "$(delta "$before" "$(counters s1)")" "2 2 2" \
    "cache time limit 1s, 2s between jobs: two sessions"

# ---- a cached session the server closed: a new one
sink s6 "$P9" -Q RSET
{ job $ID1 "[127.0.0.1]:$P9" u1@x.example
  job $ID1 "[127.0.0.1]:$P9" u2@x.example; } | agent
want "0 D 2.0.0 250 2.0.0 Ok" "." "0 D 2.0.0 250 2.0.0 Ok" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "RSET answered 421 and a hang-up: the next job opens a new session"

# ---- a cached session whose RSET is refused while the server stays (an
# aiosmtpd that offers PIPELINING): the MAIL, RCPT and DATA pipelined
# behind the RSET are answered, 354 included, but no "." may follow: the
# job goes over a new session, and the server receives exactly two
# messages
aio a2 "$P10" 0 no rset4xx
{ job $ID1 "[127.0.0.1]:$P10" u1@x.example
  job $ID1 "[127.0.0.1]:$P10" u2@x.example; } | agent
want "0 R 2.0.0 250 2.0.0 Ok: queued as AIO1" "." \
    "0 R 2.0.0 250 2.0.0 Ok: queued as AIO1" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "RSET answered 4xx: the next job opens a new session"
sleep 0.3
tap_is "$(wc -l < "$TAP_TMP/a2.rec.conn" | tr -d ' ') $(wc -l < "$TAP_TMP/a2.rec" | tr -d ' ')" \
    "2 2" "RSET answered 4xx: two sessions, two messages (none from the abandoned DATA)"

# ---- a next hop that refuses connections
job $ID1 "[127.0.0.1]:$P8" u1@x.example | agent
want "!" "0 T 4.4.1 connect to $L:$P8: Connection refused" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "connection refused: deferred, Postfix's text"
grep -F "]: connect to $L:$P8: Connection refused" "$LOG" | wc -l |
    tr -d ' ' > "$TAP_TMP/got"
want 1
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "connection refused: logged"

# ---- replies that refuse: MAIL 5xx, RCPT 4xx, greeting 4xx
sink s2 "$P2" -f MAIL
job $ID1 "[127.0.0.1]:$P2" u1@x.example u2@x.example | agent
want "0 P 5.3.0 host $L said: 500 5.3.0 Error: command failed (in reply to MAIL FROM command)" \
    "1 P 5.3.0 host $L said: 500 5.3.0 Error: command failed (in reply to MAIL FROM command)" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "MAIL FROM refused 5xx: both bounce with the server's reply"
sink s3 "$P3" -r RCPT
job $ID1 "[127.0.0.1]:$P3" u1@x.example | agent
want "0 T 4.3.0 host $L said: 450 4.3.0 Error: command failed (in reply to RCPT TO command)" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "RCPT TO refused 4xx: deferred with the server's reply"
sink s4 "$P4" -r CONNECT
job $ID1 "[127.0.0.1]:$P4" u1@x.example | agent
want "!" "0 T 4.3.0 host $L refused to talk to me: 450 4.3.0 Error: command failed" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "greeting 4xx: deferred, refused to talk to me"
job $ID1 "[127.0.0.1]:$P4" u1@x.example |
    agent -o "smtp_fallback_relay=[127.0.0.1]:$P8 [127.0.0.1]:$P1"
want "0 D 2.0.0 250 2.0.0 Ok" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "greeting 4xx, first fallback relay dead: the second one delivers"
sink s5 "$P5" -f EHLO
job $ID1 "[127.0.0.1]:$P5" u1@x.example | agent
# (u1 asked NOTIFY=SUCCESS, which a HELO session cannot pass on)
want "0 R 2.0.0 250 2.0.0 Ok" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "EHLO refused: HELO, delivered, reported relayed"
grep -h '^X-\(Mail\|Rcpt\|Client-Proto\)' "$TAP_TMP"/s5/* > "$TAP_TMP/got"
want "X-Client-Proto: SMTP" "X-Mail-Args: <root@router.lan>" \
    "X-Rcpt-Args: <u1@x.example>"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "after HELO: no ESMTP parameters"

# ---- aiosmtpd: one recipient of two refused; SIZE; SMTPUTF8
aio a1 "$P6" 5000
mkq $ID2 sender@client.example "$TAP_TMP/c1" u1@x.example bad@x.example
printf 'short\n' > "$TAP_TMP/c2"
mkq $ID1 sender@client.example "$TAP_TMP/c2" u1@x.example
{ job $ID2 "[127.0.0.1]:$P6" u1@x.example bad@x.example
  job $ID1 "[127.0.0.1]:$P6" u1@x.example; } | agent
want "0 D 2.0.0 250 2.0.0 Ok: queued as AIO1" \
    "1 P 5.1.1 host $L said: 550 5.1.1 <bad@x.example>: Recipient address rejected (in reply to RCPT TO command)" "." \
    "0 D 2.0.0 250 2.0.0 Ok: queued as AIO1" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "aiosmtpd: 5xx on one of two recipients, Postfix's text"
"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r["from"], " ".join(r["mail_options"]), " ".join(r["rcpt"]))
    sys.stdout.write(r["data"].replace("\r\n", "<CRLF>\n"))' \
    "$TAP_TMP/a1.rec" > "$TAP_TMP/got"
{
	echo "sender@client.example SIZE=$(wc -c < "$TAP_TMP/c1" | tr -d ' ') u1@x.example"
	printf 'From: root@router.lan<CRLF>\nTo: u1@x.example<CRLF>\nSubject: t<CRLF>\n<CRLF>\nline one<CRLF>\n.dot line<CRLF>\n..two dots<CRLF>\n'
	printf '%s<CRLF>\n %s<CRLF>\nend<CRLF>\n' "$(printf '%0998d' 0)" "$(printf '%0202d' 0)"
	echo "sender@client.example SIZE=6 u1@x.example"
	printf 'short<CRLF>\n'
} > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "aiosmtpd: envelopes with SIZE, the content with CRLF"
tap_is "$(wc -l < "$TAP_TMP/a1.rec.conn" | tr -d ' ')" 1 "aiosmtpd: two jobs, one connection"
# NOTIFY=SUCCESS to a server without DSN: R (the notice says relayed)
mkq $ID1 sender@client.example "$TAP_TMP/c2" 'SUCCESS|-|u1@x.example' \
    'SUCCESS,FAILURE|-|u2@x.example' 'FAILURE|-|u3@x.example' u4@x.example
job $ID1 "[127.0.0.1]:$P6" u1@x.example u2@x.example u3@x.example \
    u4@x.example | agent
want "0 R 2.0.0 250 2.0.0 Ok: queued as AIO1" \
    "1 R 2.0.0 250 2.0.0 Ok: queued as AIO1" \
    "2 D 2.0.0 250 2.0.0 Ok: queued as AIO1" \
    "3 D 2.0.0 250 2.0.0 Ok: queued as AIO1" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "aiosmtpd (no DSN): NOTIFY=SUCCESS recipients reported relayed (R)"
: > "$TAP_TMP/a1.rec"
cat "$TAP_TMP/c1" "$TAP_TMP/c1" "$TAP_TMP/c1" "$TAP_TMP/c1" > "$TAP_TMP/c3"
mkq $ID2 sender@client.example "$TAP_TMP/c3" u1@x.example
job $ID2 "[127.0.0.1]:$P6" u1@x.example | agent
want "0 P 5.3.4 message size $(wc -c < "$TAP_TMP/c3" | tr -d ' ') exceeds size limit 5000 of server $L" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "SIZE 5000 announced: too big, bounced 5.3.4 without sending"
tap_is "$(wc -c < "$TAP_TMP/a1.rec" | tr -d ' ')" 0 "SIZE: nothing was sent"
mkq $ID1 sender@client.example "$TAP_TMP/c2" 'üser@x.example'
job $ID1 "[127.0.0.1]:$P6" 'üser@x.example' | agent
want "0 P 5.6.7 SMTPUTF8 is required, but was not offered by host $L" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "SMTPUTF8 needed, not offered: bounced 5.6.7"

# ---- the content's odd bytes on the wire: a stray CR is a space (also
# the very last byte), CRLF stays CRLF, a lone "." line is stuffed, and a
# "." that a 998-byte break puts first on the folded line is not
: > "$TAP_TMP/a1.rec"
{
	printf 'Subject: cr\n\na\rb\ncrlf\r\n.\r\n%s.y\ntail\r' "$(printf '%0998d' 0)"
} > "$TAP_TMP/c4"
mkq $ID1 root@router.lan "$TAP_TMP/c4" u1@x.example
job $ID1 "[127.0.0.1]:$P6" u1@x.example | agent
"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    sys.stdout.write(json.loads(l)["data"].replace("\r\n", "<CRLF>\n"))' \
    "$TAP_TMP/a1.rec" > "$TAP_TMP/got"
printf 'Subject: cr<CRLF>\n<CRLF>\na b<CRLF>\ncrlf<CRLF>\n.<CRLF>\n%s<CRLF>\n .y<CRLF>\ntail <CRLF>\n' \
    "$(printf '%0998d' 0)" > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "content: stray CRs as one space each, CRLF kept, '.' stuffed at a line's start only"

# ---- smtp_generic_maps: envelope and header addresses as mail leaves
: > "$TAP_TMP/a1.rec"
mkq $ID1 root@router.lan "$TAP_TMP/c1" u1@x.example
job $ID1 "[127.0.0.1]:$P6" u1@x.example |
    agent -o 'smtp_generic_maps=inline:{root@router.lan=alerts@example.com, @x.example=@y.example}'
want "0 D 2.0.0 250 2.0.0 Ok: queued as AIO1" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "smtp_generic_maps: delivered"
"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r["from"], " ".join(r["rcpt"]))
    print(r["data"].split("\r\n\r\n")[0].replace("\r\n", "|"))' \
    "$TAP_TMP/a1.rec" > "$TAP_TMP/got"
want "alerts@example.com u1@y.example" \
    "From: alerts@example.com|To: u1@y.example|Subject: t"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "smtp_generic_maps: sender, recipient, From and To rewritten"

# ---- bad next hops and queue files
job $ID1 "[127.0.0.1]:99999" u1@x.example | agent
want '0 P 5.4.4 bad next hop: "[127.0.0.1]:99999"' "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "a bad port: bounced 5.4.4"
job 0674A00000000FF "[127.0.0.1]:$P1" u1@x.example | agent
tap_is "$(cut -c1-26 "$TAP_TMP/out" | head -1)" "0 T 4.3.0 queue file activ" "a missing queue file: deferred 4.3.0"
tap_is "$(cat "$TAP_TMP/status")" 0 "the agent exits 0 at the end of its input"

# ---- next hops looked up in DNS (dnsmasq serving a test zone)
DNSN=6
DNSMASQ=$(command -v dnsmasq 2>/dev/null || true)
[ -n "$DNSMASQ" ] || { [ -x /usr/sbin/dnsmasq ] && DNSMASQ=/usr/sbin/dnsmasq; }
DPORT=
if [ -n "$DNSMASQ" ]; then
	for try in 1 2 3; do
		# a port free for both UDP and TCP
		DPORT=$("$PY" -c '
import socket
for i in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", u.getsockname()[1]))
    except OSError:
        continue
    print(u.getsockname()[1])
    break')
		set -- --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
		    --port="$DPORT" --listen-address=127.0.0.1 \
		    --bind-interfaces --pid-file= --local=/test/ \
		    --mx-host=d.test,mx1.d.test,10 \
		    --mx-host=d.test,mx2.d.test,20 \
		    --host-record=mx1.d.test,127.0.0.2 \
		    --host-record=mx2.d.test,127.0.0.1 \
		    --mx-host=nullmx.test,.,0 \
		    --mx-host=s.test,mx.other.test,10 \
		    --host-record=mx.other.test,127.0.0.1
		[ "$(id -u)" -ne 0 ] || set -- "$@" --user=nobody
		"$DNSMASQ" "$@" > "$TAP_TMP/dnsmasq.log" 2>&1 &
		DPID=$!
		sleep 0.5
		if kill -0 "$DPID" 2>/dev/null; then
			PIDS="$PIDS $DPID"
			break
		fi
		DPORT=
	done
fi
if [ -z "$DPORT" ]; then
	tap_skip $DNSN "dnsmasq missing or not starting (mk/testtools.sh installs dnsmasq-base as root)"
else
	: > "$LOG"
	job $ID1 "d.test:$P1" u1@x.example |
	    agent -o "dns_servers=127.0.0.1:$DPORT"
	want "0 D 2.0.0 250 2.0.0 Ok" "."
	tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "MX lookup: the first MX refuses, the second delivers"
	grep -c "]: connect to mx1\.d\.test\[127\.0\.0\.2\]:$P1: Connection refused\$" \
	    "$LOG" > "$TAP_TMP/got"
	want 1
	tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "MX lookup: the first MX's failure logged with its name"
	job $ID1 "[mx2.d.test]:$P1" u1@x.example |
	    agent -o "dns_servers=127.0.0.1:$DPORT"
	want "0 D 2.0.0 250 2.0.0 Ok" "."
	tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "[host]:port: its address record, no MX"
	job $ID1 nullmx.test u1@x.example |
	    agent -o "dns_servers=127.0.0.1:$DPORT"
	want "0 P 5.1.10 Domain nullmx.test does not accept mail (nullMX)" "."
	tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "null MX: bounced 5.1.10"
	job $ID1 nosuch.test u1@x.example |
	    agent -o "dns_servers=127.0.0.1:$DPORT"
	want "0 P 5.4.4 Host or domain name not found. Name service error for name=nosuch.test type=MX: Host not found" "."
	tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "NXDOMAIN: bounced 5.4.4, Postfix's text"
	job $ID1 nosuch.test u1@x.example |
	    agent -o "dns_servers=127.0.0.1:$DPORT" \
	    -o "smtp_fallback_relay=[127.0.0.1]:$P1"
	want "0 D 2.0.0 250 2.0.0 Ok" "."
	tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "NXDOMAIN with smtp_fallback_relay: delivered there"
fi

# ---- TLS (STARTTLS, smtp_tls_wrappermode) and SASL, with aiosmtpd
TLSN=11
if ! command -v openssl >/dev/null 2>&1; then
	tap_skip $TLSN "openssl not installed"
else
cat > "$TAP_TMP/tls.py" <<'PY'
import asyncio, json, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
port, rec, mode, cert, key = sys.argv[1:6]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
def auth(server, session, envelope, mechanism, data):
    ok = (isinstance(data, LoginPassword) and data.login == b"user" and
          data.password == b"secret")
    with open(rec + ".auth", "a") as f:
        f.write("%s %s\n" % (mechanism, "ok" if ok else "bad"))
    return AuthResult(success=ok, handled=False)
class H:
    async def handle_DATA(self, server, session, envelope):
        with open(rec, "a") as f:
            f.write(json.dumps({"from": envelope.mail_from,
                "rcpt": envelope.rcpt_tos,
                "tls": session.ssl is not None}) + "\n")
        return "250 2.0.0 Ok: queued as TLS1"
def made():
    return SMTP(H(), hostname="tls.test",
        tls_context=ctx if mode == "starttls" else None,
        authenticator=auth, auth_require_tls=True)
loop = asyncio.new_event_loop()
loop.run_until_complete(loop.create_server(made, "127.0.0.1", int(port),
    ssl=ctx if mode == "wrapper" else None))
loop.run_forever()
PY
# test certificates: one naming 127.0.0.1 (CN), one another name
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -subj /CN=127.0.0.1 -days 2 -nodes -keyout "$TAP_TMP/k.pem" \
    -out "$TAP_TMP/c.pem" > /dev/null 2>&1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -subj /CN=wrong.example -days 2 -nodes -keyout "$TAP_TMP/kw.pem" \
    -out "$TAP_TMP/cw.pem" > /dev/null 2>&1
set -- $(free_ports 3)
T1=$1 T2=$2 T3=$3
for a in "$T1 starttls c k" "$T2 starttls cw kw" "$T3 wrapper c k"; do
	set -- $a
	"$PY" "$TAP_TMP/tls.py" "$1" "$TAP_TMP/t$1.rec" "$2" \
	    "$TAP_TMP/$3.pem" "$TAP_TMP/$4.pem" 2> "$TAP_TMP/t$1.err" &
	PIDS="$PIDS $!"
	wait_port "$1" || tap_bail "aiosmtpd did not start on $1"
done
mkq $ID1 sender@client.example "$TAP_TMP/c2" u1@x.example
: > "$LOG"
job $ID1 "[127.0.0.1]:$T1" u1@x.example |
    agent -o smtp_tls_security_level=may
want "0 D 2.0.0 250 2.0.0 Ok: queued as TLS1" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "TLS may: delivered over STARTTLS"
grep -c "smtp\[[0-9]*\]: Untrusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$T1: TLSv1\.2 with cipher [A-Z0-9-]* ([0-9]*/[0-9]* bits)\$" \
    "$LOG" > "$TAP_TMP/got"
want 1
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "TLS may: Postfix's Untrusted TLS log line"
: > "$LOG"
job $ID1 "[127.0.0.1]:$T1" u1@x.example |
    agent -o smtp_tls_security_level=verify \
    -o "smtp_tls_CAfile=$TAP_TMP/c.pem" -o smtp_sasl_auth_enable=yes \
    -o "smtp_sasl_password_maps=inline:{[127.0.0.1]:$T1=user:secret}" \
    -o smtp_sasl_tls_security_options=noanonymous
want "0 D 2.0.0 250 2.0.0 Ok: queued as TLS1" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "TLS verify with the CA file, AUTH PLAIN: delivered"
grep -c "Verified TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$T1: " \
    "$LOG" > "$TAP_TMP/got"
cat "$TAP_TMP/t$T1.rec.auth" >> "$TAP_TMP/got"
want 1 "PLAIN ok"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "TLS verify: Verified log line; the server saw a good AUTH PLAIN"
job $ID1 "[127.0.0.1]:$T2" u1@x.example |
    agent -o smtp_tls_security_level=verify \
    -o "smtp_tls_CAfile=$TAP_TMP/cw.pem"
want "!" "0 T 4.7.5 TLS handshake with $L failed: certificate verification failed: server name mismatch" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "TLS verify, a certificate for another name: deferred 4.7.5"
job $ID1 "[127.0.0.1]:$T1" u1@x.example |
    agent -o smtp_tls_security_level=secure -o "smtp_tls_CAfile=$TAP_TMP/c.pem"
want "0 D 2.0.0 250 2.0.0 Ok: queued as TLS1" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "TLS secure, next hop [host]: delivered"
if [ -n "$DPORT" ]; then
	job $ID1 "s.test:$T1" u1@x.example |
	    agent -o smtp_tls_security_level=secure \
	    -o "smtp_tls_CAfile=$TAP_TMP/c.pem" -o "dns_servers=127.0.0.1:$DPORT"
	want "!" "0 T 4.7.5 Server certificate not verified: host mx.other.test[127.0.0.1] is not the next hop s.test:$T1 or in its domain (smtp_tls_security_level = secure)" "."
	tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "TLS secure: an MX outside the next hop's domain is refused (4.7.5)"
else
	tap_skip 1 "dnsmasq missing"
fi
job $ID1 "[127.0.0.1]:$T1" u1@x.example |
    agent -o smtp_tls_security_level=encrypt -o smtp_sasl_auth_enable=yes \
    -o "smtp_sasl_password_maps=inline:{[127.0.0.1]:$T1=user:wrong}" \
    -o smtp_sasl_tls_security_options=noanonymous
want "!" "0 T 4.7.8 SASL authentication failed; server $L said: 535 5.7.8 Authentication credentials invalid" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "AUTH with a wrong password: deferred with the server's reply"
job $ID1 "[127.0.0.1]:$T1" u1@x.example |
    agent -o smtp_tls_security_level=encrypt -o smtp_sasl_auth_enable=yes \
    -o "smtp_sasl_password_maps=inline:{[127.0.0.1]:$T1=user:secret}"
want "!" "0 T 4.7.0 SASL authentication failed; cannot authenticate to server $L: no mechanism available" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "Postfix's default noplaintext: no mechanism, deferred"
job $ID1 "[127.0.0.1]:$P1" u1@x.example |
    agent -o smtp_tls_security_level=encrypt
want "!" "0 T 4.7.4 TLS is required, but was not offered by host $L" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "TLS encrypt, smtp-sink offers no STARTTLS: deferred 4.7.4"
job $ID1 "[127.0.0.1]:$T3" u1@x.example |
    agent -o smtp_tls_wrappermode=yes
want "0 D 2.0.0 250 2.0.0 Ok: queued as TLS1" "."
tap_file_is "$TAP_TMP/out" "$TAP_TMP/want" "smtp_tls_wrappermode: TLS from the start, delivered"
fi

# ---- end to end: sendmail, qmgr, smtp, smtp-sink via relayhost
E2E=6
for p in postlet master cleanup qmgr sendmail postdrop pickup bounce; do
	if [ ! -x "$POSTLET_BUILD/bin/$p" ]; then
		tap_skip $E2E "no $p"
		tap_done
	fi
done
postlet_as_user pls $E2E
I=$TAP_TMP/i
mkdir -p "$I"
[ -z "$TU" ] || chown "$TU:$GROUP" "$I"
as_me mkdir -p "$I/conf" || tap_bail "mkdir as $ME"
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
stop_all() {
	if [ -f "$I/queue/pid/master.pid" ]; then
		as_me "$B/postlet" -c "$I/conf" stop >/dev/null 2>&1
		mp=$(cat "$I/queue/pid/master.pid" 2>/dev/null)
		[ -z "$mp" ] || kill -9 "$mp" 2>/dev/null
	fi
	postlet_user_end "$I/queue"
}
trap 'stop_all; for p in $PIDS; do kill "$p" 2>/dev/null; done; tap_cleanup' EXIT
as_me sh -c "cat > '$I/conf/main.cf'" <<EOC
queue_directory = $I/queue
daemon_directory = $B
command_directory = $B
mail_owner = $ME
setgid_group = $GROUP
myhostname = router.lan
mydestination =
relayhost = [127.0.0.1]:$P7
maillog_file = $I/maillog
smtp_generic_maps = inline:{root@router.lan=alerts@example.com}
sender_dependent_relayhost_maps = inline:{boss@router.lan=[127.0.0.1]:$P1,
    nodsn@router.lan=[127.0.0.1]:$P6}
EOC
as_me sh -c "cat > '$I/conf/master.cf'" <<EOC
pickup unix n - n 60 1 pickup
qmgr unix n - n 300 1 qmgr
cleanup unix n - n - 0 cleanup
bounce unix - - n - 0 bounce
smtp unix - - n - - smtp
EOC
sink s7 "$P7"
as_me "$B/postlet" -c "$I/conf" start > "$TAP_TMP/start.out" 2>&1
tap_is $? 0 "e2e: postlet start"
for n in 1 2 3; do
	printf 'Subject: e2e %s\n\nbody %s\n.\n..\n' "$n" "$n" |
	    as_me env MAIL_CONFIG="$I/conf" "$B/sendmail" -i -f root@router.lan \
	    dest$n@remote.example
done
printf 'Subject: e2e boss\n\nbody\n' |
    as_me env MAIL_CONFIG="$I/conf" "$B/sendmail" -i -f boss@router.lan \
    dest4@remote.example
# NOTIFY=SUCCESS through aiosmtpd, which offers no DSN: the success
# notice (to the sender, through the relayhost) says "relayed"
printf 'Subject: e2e nodsn\n\nbody\n' |
    as_me env MAIL_CONFIG="$I/conf" "$B/sendmail" -i -N success \
    -f nodsn@router.lan dest5@remote.example
i=0
while [ $i -lt 150 ] && [ "$(grep -c 'status=sent' "$I/maillog" 2>/dev/null)" -lt 6 ]; do
	sleep 0.2
	i=$((i + 1))
done
stop_all
grep -c "to=<dest[123]@remote.example>, relay=127.0.0.1\[127.0.0.1\]:$P7, .*, dsn=2.0.0, status=sent (250 2.0.0 Ok)" \
    "$I/maillog" > "$TAP_TMP/got"
want 3
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "e2e: three messages logged sent with the sink's reply"
grep -c "to=<dest4@remote.example>, relay=127.0.0.1\[127.0.0.1\]:$P1, .*status=sent" \
    "$I/maillog" > "$TAP_TMP/got"
want 1
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "e2e: sender_dependent_relayhost_maps sends boss@'s mail to its own relay"
grep -h -A3 '^Final-Recipient: rfc822; dest5@remote.example' \
    "$TAP_TMP"/s7/* 2>/dev/null | tr -d '\r' > "$TAP_TMP/got"
want "Final-Recipient: rfc822; dest5@remote.example" "Action: relayed" \
    "Status: 2.0.0" "Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as AIO1"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "e2e: NOTIFY=SUCCESS through a server without DSN: the notice says relayed"
grep -h '^X-Mail-Args' "$TAP_TMP"/s7/* | sort -u > "$TAP_TMP/got"
# (the notice's null sender is written "<(null)>" by smtp-sink)
want "X-Mail-Args: <(null)>" "X-Mail-Args: <alerts@example.com>"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "e2e: the sender rewritten by smtp_generic_maps"
cat "$TAP_TMP"/s7/* | tr -d '\r' | grep -c '^\.\.$' > "$TAP_TMP/got"
want 3
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "e2e: the '..' body lines arrive as '..' (stuffed on the wire, unstuffed by the sink)"
sleep 0.3
set -- $(counters s7)
tap_ok "$([ "${1:-9}" -le "$((${3:-0} + 1))" ] && echo 0 || echo 1)" \
    "e2e: sessions ($1, one is the start-up probe) no more than messages ($3) + 1"
tap_done
