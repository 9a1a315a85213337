#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 150-smtpd.t: smtpd on real connections.  A small Python "inetd" listens
# on 127.0.0.1 (random port) and runs smtpd per connection with the
# socket on fd 0 and 1, as master does, against an instance in $TAP_TMP;
# a second one runs with mynetworks outside 127.0.0.0/8 (relay tests).
# Clients: Python's smtplib and raw sockets (pipelining, BDAT, bare LF).
# Checked byte for byte: greeting, EHLO reply, replies, the queue file
# (postlet show) with our Received field, whose queue ID is the one of
# the reply and of the file, log lines.  A third instance runs a fake
# cleanup whose early queue ID answer is missing, broken or late.  The
# Python part prints the TAP itself.
. "$(dirname "$0")/../lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	tap_plan 1
	tap_skip 1 "python3 not installed"
	tap_done
fi
SMTPD=$(postlet_bin smtpd) || tap_bail "$SMTPD"
POSTLET=$(postlet_bin postlet) || tap_bail "$POSTLET"
unset MAIL_CONFIG
T=$TAP_TMP
Q=$T/q
mkdir -p "$Q/incoming" "$Q/tmp" "$Q/public" "$Q/corrupt" "$Q/maildrop" \
    "$T/etc" "$T/etc2" "$T/etc3" "$T/fake"
cat > "$T/etc/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $POSTLET_BUILD/bin
mail_owner = $(id -un)
setgid_group = $(id -gn)
maillog_file = $T/maillog
myhostname = host.example.org
mydomain = example.org
alias_maps = texthash:$T/etc/aliases
virtual_alias_maps = texthash:$T/etc/virtual
relay_domains = relay.example.net
message_size_limit = 20000
smtpd_recipient_limit = 3
smtpd_soft_error_limit = 2
smtpd_hard_error_limit = 5
smtpd_error_sleep_time = 0
smtpd_timeout = 20s
smtpd_peername_lookup = no
EOF
sed 's/^maillog_file.*/maillog_file = $queue_directory\/..\/maillog2/' \
    "$T/etc/main.cf" > "$T/etc2/main.cf"
echo "mynetworks = 192.0.2.0/24" >> "$T/etc2/main.cf"
# etc3: cleanup is a script that answers as $T/fake/cleanup.mode says
sed -e 's/^maillog_file.*/maillog_file = $queue_directory\/..\/maillog3/' \
    -e 's/^smtpd_timeout.*/smtpd_timeout = 2s/' \
    -e "s|^daemon_directory.*|daemon_directory = $T/fake|" \
    "$T/etc/main.cf" > "$T/etc3/main.cf"
printf '%s\n' '#!/bin/sh' 'case $(cat "$0.mode") in' \
    'garbage)	echo "ID nope"; exec cat > /dev/null ;;' \
    'silent)	cat > /dev/null ;;' \
    '*)		exit 0 ;;' 'esac' > "$T/fake/cleanup"
chmod +x "$T/fake/cleanup"
printf 'postmaster root\n' > "$T/etc/aliases"
printf 'virt.example.com x\nknown@virt.example.com root\n' > "$T/etc/virtual"

python3 - "$SMTPD" "$POSTLET" "$T" "$POSTLET_SRC" <<'PYEOF'
import os, re, socket, subprocess, sys, threading, time, smtplib

SMTPD, POSTLET, T, SRC = sys.argv[1:5]
sys.path.insert(0, SRC + "/t")
from smtptest import Tap, Inetd, Raw
Q = T + "/q"
PLAN = 65
tap = Tap(PLAN)
ok, is_ = tap.ok, tap.is_

main = Inetd([SMTPD, "-c", T + "/etc"])
other = Inetd([SMTPD, "-c", T + "/etc2"])
fake = Inetd([SMTPD, "-c", T + "/etc3"])
late = Inetd([SMTPD, "-c", T + "/etc"], delay=0.5)

def show(qid):
    r = subprocess.run([POSTLET, "-c", T + "/etc", "show", qid],
                       capture_output=True, text=True, timeout=20)
    return r.stdout

def log():
    with open(T + "/maillog") as f:
        return f.read()

def tap_wait(fn, secs=5):
    end = time.time() + secs
    while not fn() and time.time() < end:
        time.sleep(0.05)
    return fn()

def qid_of(reply):
    m = re.match(rb"250 2\.0\.0 Ok: queued as ([0-9A-F]+)\r\n$", reply)
    return m.group(1).decode() if m else None

ENV = re.compile(r"^(arrival_time|message_size): .*\n", re.M)
DATE = re.compile(r"; [A-Z][a-z]{2}, .*\n")
# header_date's form, alone
RFCDATE = re.compile(r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} "
                     r"\d\d:\d\d:\d\d [+-]\d{4}( \([A-Za-z0-9+-]+\))?")

# 1-2: greeting and EHLO, byte for byte.
r = Raw(main.port)
is_(r.reply(), b"220 host.example.org ESMTP postlet\r\n", "greeting")
is_(r.cmd(b"EHLO client.example\r\n"),
    b"250-host.example.org\r\n250-PIPELINING\r\n250-SIZE 20000\r\n"
    b"250-VRFY\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
    b"250-SMTPUTF8\r\n250 CHUNKING\r\n", "EHLO reply")
# 3-6: commands before HELO, HELP, VRFY, unknown.
is_(r.cmd(b"HELP\r\n"), b"214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA "
    b"BDAT RSET NOOP VRFY HELP QUIT\r\n", "HELP")
is_(r.cmd(b"VRFY <postmaster@host.example.org>\r\n"),
    b"252 2.0.0 <postmaster@host.example.org>\r\n", "VRFY of a known address")
is_(r.cmd(b"STARTTLS\r\n"), b"502 5.5.1 Error: command not implemented\r\n",
    "STARTTLS without smtpd_tls_security_level: 502")
is_(r.cmd(b"QUIT\r\n"), b"221 2.0.0 Bye\r\n", "QUIT")

# 7-10: smtplib with DSN options; the queue file (smtplib stuffs the
# dots, smtpd removes them again).
s = smtplib.SMTP("127.0.0.1", main.port, timeout=20)
code, _ = s.ehlo("client.example")
msg = "Subject: dsn\r\n\r\n.leading dot\r\n..two\r\nlast\r\n"
s.mail("sender@example.net", ["RET=HDRS", "ENVID=env+2Bid"])
s.rcpt("root@host.example.org", ["NOTIFY=SUCCESS,DELAY",
                                 "ORCPT=rfc822;orig+2Bx@example.org"])
code, resp = s.data(msg)
s.quit()
m = re.match(r"2\.0\.0 Ok: queued as ([0-9A-F]+)$", resp.decode())
ok(code == 250 and m is not None, "smtplib: 250 2.0.0 Ok: queued as ID",
   resp)
qid = m.group(1) if m else "none"
got = DATE.sub("; DATE\n", ENV.sub("", show(qid)))
want = ("*** ENVELOPE RECORDS incoming/%s ***\n"
        "sender: sender@example.net\n"
        "named_attribute: client_name=unknown\n"
        "named_attribute: client_address=127.0.0.1\n"
        "named_attribute: helo_name=client.example\n"
        "named_attribute: protocol=ESMTP\n"
        "named_attribute: envid=env+2Bid\n"
        "named_attribute: ret=HDRS\n"
        "recipient: root@host.example.org (pending) notify=SUCCESS,DELAY "
        "orcpt=rfc822;orig+2Bx@example.org\n"
        "*** MESSAGE CONTENTS incoming/%s ***\n"
        "Received: from client.example (unknown [127.0.0.1])\n"
        "\tby host.example.org (postlet) with ESMTP id %s\n"
        "\tfor <root@host.example.org>; DATE\n"
        "Subject: dsn\n\n.leading dot\n..two\nlast\n"
        "*** MESSAGE FILE END incoming/%s ***\n") % (qid, qid, qid, qid)
is_(got, want, "queue file: envelope with DSN, Received with the reply's "
    "and the file's queue ID, content unstuffed")
lg = log()
cl = lg.find("smtpd[%d]: %s: client=unknown[127.0.0.1]\n" %
             (main.procs[-1].pid, qid))
mi = lg.find("]: %s: message-id=\n" % qid)
ok(cl != -1 and mi != -1 and cl < mi,
   "log: ID: client=, before cleanup's message-id= line", lg[-1500:])
ok(re.search(r"disconnect from unknown\[127\.0\.0\.1\] ehlo=1 mail=1 "
             r"rcpt=1 data=1 quit=1 commands=5\n", log()) is not None,
   "log: disconnect line with counters")

# 11-13: pipelining after DATA; client talking before the greeting.
r = Raw(main.port)
r.reply()
r.cmd(b"EHLO x\r\n")
r.c.sendall(b"MAIL FROM:<a@example.net>\r\nRCPT TO:<root@host.example.org>"
            b"\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n")
got = r.reply() + r.reply() + r.reply()
is_(got, b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
    b"554 5.5.0 Error: SMTP protocol synchronization\r\n",
    "command pipelining after DATA: 554 5.5.0")
ok(r.eof() and "improper command pipelining after DATA from "
   "unknown[127.0.0.1]: Subject: x" in log(), "... disconnected and logged")
r = Raw(late.port)
r.c.sendall(b"EHLO early\r\n")
is_(r.reply(), b"554 5.5.0 Error: SMTP protocol synchronization\r\n",
    "talking before the greeting: 554 instead of 220")

# 14-16: bare LF, NUL, long line.
r = Raw(main.port); r.reply(); r.cmd(b"EHLO x\r\n")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
r.cmd(b"DATA\r\n")
is_(r.cmd(b"Subject: x\r\n\r\nsmuggle\n.\r\nMAIL FROM:<x@y>\r\n"),
    b"521 5.5.2 host.example.org Error: bare <LF> received\r\n",
    "bare LF in DATA: 521, disconnected")
r = Raw(main.port); r.reply(); r.cmd(b"EHLO x\r\n")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
r.cmd(b"DATA\r\n")
is_(r.cmd(b"Subject: x\r\n\r\na\0b\r\n.\r\n"),
    b"550 5.6.0 Error: NUL byte in message content\r\n", "NUL refused")
is_(r.cmd(b"NOOP " + b"x" * 3000 + b"\r\n"),
    b"500 5.5.0 Error: line too long\r\n", "long command line: 500")
r.cmd(b"QUIT\r\n")

# 17-22: SIZE alone, SIZE=, the real size, recipient limit.
r = Raw(main.port); r.reply(); r.cmd(b"EHLO x\r\n")
is_(r.cmd(b"MAIL FROM:<a@example.net> SIZE\r\n") +
    r.cmd(b"MAIL FROM:<a@example.net>\r\n") +
    r.cmd(b"RCPT TO:<root@host.example.org> ORCPT\r\n") + r.cmd(b"RSET\r\n"),
    b"501 5.5.4 Bad message size syntax\r\n250 2.1.0 Ok\r\n"
    b"501 5.5.4 Error: Bad ORCPT parameter syntax\r\n"
    b"250 2.0.0 Ok\r\n", "SIZE and ORCPT without a value: refused")
r.cmd(b"QUIT\r\n")
r = Raw(main.port); r.reply(); r.cmd(b"EHLO x\r\n")
is_(r.cmd(b"MAIL FROM:<a@example.net> SIZE=20001\r\n"),
    b"552 5.3.4 Message size exceeds fixed limit\r\n", "SIZE= too big: 552")
r.cmd(b"MAIL FROM:<a@example.net> SIZE=100\r\n")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
r.cmd(b"DATA\r\n")
is_(r.cmd(b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 25 +
          b".\r\n"),
    b"552 5.3.4 Error: message file too big\r\n",
    "real size over message_size_limit: 552")
time.sleep(0.2)
m = re.search(r"\n[^\n]*: ([0-9A-F]+): reject: END-OF-MESSAGE from "
              r"unknown\[127\.0\.0\.1\]: 552 5\.3\.4 Error: message file too "
              r"big; from=<a@example\.net> proto=ESMTP helo=<x>\n", log())
ok(m is not None and (": %s: client=unknown[127.0.0.1]\n" % m.group(1))
   in log(), "the reject line names the message's queue ID, as its "
   "client= line does", log()[-800:])
is_(r.cmd(b"RCPT TO:<root@host.example.org>\r\n"),
    b"503 5.5.1 Error: need MAIL command\r\n",
    "after a refused DATA the transaction is gone")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
for i in range(3):
    r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
is_(r.cmd(b"RCPT TO:<root@host.example.org>\r\n"),
    b"452 4.5.3 Error: too many recipients\r\n", "recipient limit: 452")
r.cmd(b"QUIT\r\n")

# 23-27: local recipients, virtual alias domain, relay from mynetworks.
r = Raw(main.port); r.reply(); r.cmd(b"EHLO x\r\n")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
is_(r.cmd(b"RCPT TO:<nosuchuser@host.example.org>\r\n"),
    b"550 5.1.1 <nosuchuser@host.example.org>: Recipient address rejected:"
    b" User unknown in local recipient table\r\n", "unknown local user: 550")
is_(r.cmd(b"RCPT TO:<postmaster@host.example.org>\r\n"),
    b"250 2.1.5 Ok\r\n", "an alias is a known local recipient")
is_(r.cmd(b"RCPT TO:<other@virt.example.com>\r\n"),
    b"550 5.1.1 <other@virt.example.com>: Recipient address rejected: "
    b"User unknown in virtual alias table\r\n",
    "unknown virtual alias: 550")
is_(r.cmd(b"RCPT TO:<known@virt.example.com>\r\n"), b"250 2.1.5 Ok\r\n",
    "known virtual alias")
is_(r.cmd(b"RCPT TO:<x@example.com>\r\n"), b"250 2.1.5 Ok\r\n",
    "relay from mynetworks")
r.cmd(b"QUIT\r\n")

# 28-31: a client outside mynetworks.
r = Raw(other.port); r.reply(); r.cmd(b"EHLO h\r\n")
r.cmd(b"MAIL FROM:<a@b.example>\r\n")
is_(r.cmd(b"RCPT TO:<x@example.com>\r\n"),
    b"454 4.7.1 <x@example.com>: Relay access denied\r\n",
    "no relay for a client outside mynetworks (defer_unauth_destination)")
is_(r.cmd(b"RCPT TO:<y@relay.example.net>\r\n"), b"250 2.1.5 Ok\r\n",
    "relay_domains accepted")
is_(r.cmd(b"RCPT TO:<root@host.example.org>\r\n"), b"250 2.1.5 Ok\r\n",
    "local domain accepted")
r.cmd(b"QUIT\r\n")
time.sleep(0.2)
with open(T + "/maillog2") as f:
    ok("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 454 4.7.1 "
       "<x@example.com>: Relay access denied; from=<a@b.example> "
       "to=<x@example.com> proto=ESMTP helo=<h>\n" in f.read(),
       "log: NOQUEUE reject line")

# 32-33: error limits.
r = Raw(main.port); r.reply(); r.cmd(b"EHLO x\r\n")
got = b"".join(r.cmd(b"BOGUS\r\n") for i in range(5))
is_(got, b"502 5.5.2 Error: command not recognized\r\n" * 5,
    "five errors answered")
is_(r.reply(), b"421 4.7.0 host.example.org Error: too many errors\r\n",
    "hard error limit: 421")

# 34-37: BDAT, many 1-byte chunks, memory bounded.
r = Raw(main.port); r.reply(); r.cmd(b"EHLO x\r\n")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
body = b"Subject: chunks\r\n\r\n" + b"z" * 3000 + b"\r\n"
replies = []
for i in range(0, len(body), 200):
    r.c.sendall(b"".join(b"BDAT 1\r\n" + body[j:j + 1]
                         for j in range(i, min(i + 200, len(body)))))
    replies += [r.reply() for j in range(i, min(i + 200, len(body)))]
ok(all(x == b"250 2.0.0 Ok: 1 bytes\r\n" for x in replies),
   "%d one-byte BDAT chunks: 250 each" % len(replies))
hwm = None
for p in main.procs:
    try:
        with open("/proc/%d/status" % p.pid) as f:
            st = f.read()
        if p.poll() is None:
            hwm = int(re.search(r"VmHWM:\s+(\d+)", st).group(1))
    except (OSError, AttributeError):
        pass
if os.environ.get("POSTLET_SANITIZE") == "1":
    # ASan's shadow memory and quarantine make any RSS bound meaningless
    tap.skip(1, "sanitizer build: VmHWM %s kB" % hwm)
else:
    ok(hwm is not None and hwm < 2048, "smtpd's peak RSS stays small "
       "(VmHWM %s kB)" % hwm)
qid = qid_of(r.cmd(b"BDAT 0 LAST\r\n"))
ok(qid is not None, "BDAT 0 LAST: queued")
ok(show(qid).endswith("Subject: chunks\n\n" + "z" * 3000 +
   "\n*** MESSAGE FILE END incoming/%s ***\n" % qid), "BDAT content")

# 38-41: an error in a BDAT transaction resets the recipients.
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
r.cmd(b"RCPT TO:<x@example.com>\r\n")
big = b"w" * 20001
is_(r.cmd(b"BDAT 20001\r\n" + big),
    b"552 5.3.4 Error: message file too big\r\n", "BDAT chunk too big: 552")
is_(r.cmd(b"BDAT 5 LAST\r\nhello"), b"503 5.5.1 Error: need RCPT command\r\n",
    "the next BDAT: no transaction any more")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
r.cmd(b"RCPT TO:<postmaster@host.example.org>\r\n")
qid = qid_of(r.cmd(b"BDAT 12 LAST\r\nSubject: y\r\n"))
rc = re.findall(r"^recipient: .*$", show(qid or "none"), re.M)
is_(rc, ["recipient: postmaster@host.example.org (pending)"],
    "only the new recipient")
is_(r.cmd(b"QUIT\r\n"), b"221 2.0.0 Bye\r\n", "QUIT after BDAT")

# 42: a bare LF command line.
r = Raw(main.port); r.reply()
is_(r.cmd(b"EHLO x\n"),
    b"521 5.5.2 host.example.org Error: bare <LF> received\r\n",
    "bare LF after a command: 521")

# 43-45: swaks, a client nobody here wrote: a pipelined session, and a
# relay attempt from outside mynetworks.
import shutil
if shutil.which("swaks") is None:
    tap.skip(3, "swaks not installed")
else:
    sw = subprocess.run(["swaks", "--server", "127.0.0.1",
                         "--port", str(main.port), "--ehlo", "swaks.test",
                         "--from", "a@example.net",
                         "--to", "root@host.example.org", "--pipeline",
                         "--header", "Subject: by swaks",
                         "--body", "swaks body\n.dot line"],
                        capture_output=True, text=True, timeout=60)
    m = re.search(r"<-  250 2\.0\.0 Ok: queued as ([0-9A-F]+)",
                  sw.stdout)
    ok(sw.returncode == 0 and m is not None,
       "swaks --pipeline: exit 0, queued", sw.stdout[-2000:])
    body = show(m.group(1)) if m else ""
    ok("Subject: by swaks\n" in body and
       "\nswaks body\n.dot line\n" in body,
       "swaks: the header and the body, dot-unstuffed, in the queue file",
       body[-1500:])
    sw = subprocess.run(["swaks", "--server", "127.0.0.1",
                         "--port", str(other.port), "--ehlo", "swaks.test",
                         "--from", "a@example.net",
                         "--to", "relay@example.com"],
                        capture_output=True, text=True, timeout=60)
    ok(sw.returncode != 0 and
       "<** 454 4.7.1 <relay@example.com>: Relay access denied" in
       sw.stdout, "swaks from outside mynetworks to a foreign domain: "
       "454 Relay access denied", sw.stdout[-1500:])

# 46-48: two recipients over BDAT: Received with the ID, without "for".
r = Raw(main.port); r.reply(); r.cmd(b"EHLO client.example\r\n")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
r.cmd(b"RCPT TO:<postmaster@host.example.org>\r\n")
qid = qid_of(r.cmd(b"BDAT 12 LAST\r\nSubject: 2\r\n"))
ok(qid is not None, "two recipients, BDAT: queued")
got = show(qid or "none")
got = RFCDATE.sub("DATE", got[got.find("*** MESSAGE CONTENTS"):])
is_(got, "*** MESSAGE CONTENTS incoming/%s ***\n"
    "Received: from client.example (unknown [127.0.0.1])\n"
    "\tby host.example.org (postlet) with ESMTP id %s;\n\tDATE\n"
    "Subject: 2\n*** MESSAGE FILE END incoming/%s ***\n" % (qid, qid, qid),
    "two recipients: Received with the queue ID, no for")
ok(("smtpd[%d]: %s: client=unknown[127.0.0.1]\n" %
    (main.procs[-1].pid, qid)) in log(), "two recipients: ID: client=")

# No HELO or EHLO at all: Received names the client by its client name
# (as Postfix does), never "from  (".
r2 = Raw(main.port); r2.reply()
r2.cmd(b"MAIL FROM:<a@example.net>\r\n")
r2.cmd(b"RCPT TO:<root@host.example.org>\r\n")
r2.cmd(b"DATA\r\n")
qid2 = qid_of(r2.cmd(b"Subject: 3\r\n\r\nx\r\n.\r\n"))
r2.cmd(b"QUIT\r\n")
got = show(qid2 or "none")
got = RFCDATE.sub("DATE", got[got.find("*** MESSAGE CONTENTS"):])
is_(got[:got.find("Subject:")],
    "*** MESSAGE CONTENTS incoming/%s ***\n"
    "Received: from unknown (unknown [127.0.0.1])\n"
    "\tby host.example.org (postlet) with SMTP id %s\n"
    "\tfor <root@host.example.org>; DATE\n" % (qid2, qid2),
    "no HELO: Received: from unknown (unknown [127.0.0.1])")

# 49-51: a sender that cleanup refuses at once (a leading '-'): its early
# answer is that refusal, the content is still read to its end and then
# refused with it; the session goes on and nothing is left in tmp/.
r.cmd(b"MAIL FROM:<-x@example.net>\r\n")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
r.cmd(b"DATA\r\n")
is_(r.cmd(b"Subject: x\r\n\r\nbody\r\n.\r\n"),
    b"554 5.1.7 sender address begins with '-': -x@example.net\r\n",
    "a sender cleanup refuses after S: 554 5.1.7 at the end of DATA")
is_(r.cmd(b"RCPT TO:<root@host.example.org>\r\n"),
    b"503 5.5.1 Error: need MAIL command\r\n",
    "... the transaction is gone, the session goes on")
time.sleep(0.2)
ok(os.listdir(Q + "/tmp") == [] and
   re.search(r"smtpd\[\d+\]: warning: unknown\[127\.0\.0\.1\]: message "
             r"not queued: 5\.1\.7 sender address begins with '-': "
             r"-x@example\.net\n", log()) is not None,
   "... logged, nothing left in tmp/", log()[-1500:])
r.cmd(b"QUIT\r\n")

# 52-58: several messages in one session go through one cleanup, kept
# between them: none carries what the one before had (DSN parameters, a
# Bcc field); a message refused as too big ends that cleanup and the next
# one starts a fresh one; a kept cleanup that died is replaced unseen.
def cleanup_pid(qid):
    m = re.search(r"cleanup\[(\d+)\]: %s: message-id=" % qid, log())
    return int(m.group(1)) if m else None

def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def data_msg(r, sender, rcpt, body, params=b""):
    r.cmd(b"MAIL FROM:<" + sender + b">" + params + b"\r\n")
    r.cmd(b"RCPT TO:<" + rcpt + b">\r\n")
    r.cmd(b"DATA\r\n")
    return r.cmd(body + b".\r\n")

r = Raw(main.port); r.reply(); r.cmd(b"EHLO client.example\r\n")
replies = [
    data_msg(r, b"one@example.net", b"root@host.example.org",
             b"Subject: m1\r\nBcc: hidden@example.org\r\n\r\none\r\n",
             b" RET=HDRS ENVID=first"),
    data_msg(r, b"two@example.net", b"postmaster@host.example.org",
             b"Subject: m2\r\n\r\ntwo\r\n"),
    data_msg(r, b"big@example.net", b"root@host.example.org",
             b"Subject: m3\r\n\r\n" + (b"x" * 78 + b"\r\n") * 300)]
r.cmd(b"MAIL FROM:<four@example.net>\r\n")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
replies.append(r.cmd(b"BDAT 15 LAST\r\nSubject: m4\r\n\r\n"))
r.cmd(b"RSET\r\n")
replies.append(data_msg(r, b"five@example.net", b"root@host.example.org",
                        b"Subject: m5\r\n\r\nfive\r\n"))
ids = [qid_of(x) for x in replies]
is_([x[:3] for x in replies], [b"250", b"250", b"552", b"250", b"250"],
    "one session, five messages: queued, queued, too big, queued (BDAT), "
    "queued", replies)
q1, q2, q4, q5 = ids[0], ids[1], ids[3], ids[4]
time.sleep(0.2)
pids = [cleanup_pid(q) for q in (q1, q2, q4, q5)]
ok(None not in pids and len(set((q1, q2, q4, q5))) == 4 and
   pids[0] == pids[1] and pids[2] == pids[3] and pids[0] != pids[2],
   "... four queue IDs; messages 1 and 2 from one cleanup, 4 and 5 from a "
   "fresh one after the refusal", (ids, pids))
got = DATE.sub("; DATE\n", ENV.sub("", show(q2 or "none")))
is_(got, ("*** ENVELOPE RECORDS incoming/%s ***\n"
          "sender: two@example.net\n"
          "named_attribute: client_name=unknown\n"
          "named_attribute: client_address=127.0.0.1\n"
          "named_attribute: helo_name=client.example\n"
          "named_attribute: protocol=ESMTP\n"
          "recipient: postmaster@host.example.org (pending)\n"
          "*** MESSAGE CONTENTS incoming/%s ***\n"
          "Received: from client.example (unknown [127.0.0.1])\n"
          "\tby host.example.org (postlet) with ESMTP id %s\n"
          "\tfor <postmaster@host.example.org>; DATE\n"
          "Subject: m2\n\ntwo\n"
          "*** MESSAGE FILE END incoming/%s ***\n") % ((q2,) * 4),
    "message 2: its own envelope and Received, nothing of message 1")
ok("Bcc:" not in show(q1 or "none") and "ENVID" not in show(q5 or "none")
   and "envid=" not in show(q5 or "none"),
   "message 1 lost its Bcc field; message 5 has no DSN parameter")
try:
    if pids[3]:
        os.kill(pids[3], 9)
except OSError:
    pass
time.sleep(0.2)
q6 = qid_of(data_msg(r, b"six@example.net", b"root@host.example.org",
                     b"Subject: m6\r\n\r\nsix\r\n"))
time.sleep(0.2)
p6 = cleanup_pid(q6 or "none")
ok(q6 is not None and p6 is not None and p6 != pids[3],
   "the kept cleanup killed: the next message queued by a fresh one",
   (q6, p6))
r.cmd(b"QUIT\r\n")
ok(r.eof() and (p6 is None or tap_wait(lambda: not alive(p6))),
   "QUIT: the kept cleanup ends with the session")
ok(os.listdir(Q + "/tmp") == [], "nothing left in tmp/")

# 59-64: cleanup's early answer missing, broken or late: 451 at the end
# of DATA, within smtpd_timeout (2s here), never a hang.
def fake_session(mode):
    with open(T + "/fake/cleanup.mode", "w") as f:
        f.write(mode + "\n")
    r = Raw(fake.port); r.reply(); r.cmd(b"EHLO x\r\n")
    r.cmd(b"MAIL FROM:<a@example.net>\r\n")
    r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
    t0 = time.time()
    got = r.cmd(b"DATA\r\n") + r.cmd(b"Subject: x\r\n\r\nbody\r\n.\r\n")
    r.cmd(b"QUIT\r\n")
    return got, time.time() - t0

got, _ = fake_session("exit")
is_(got, b"354 End data with <CR><LF>.<CR><LF>\r\n"
    b"451 4.3.0 no queue ID from the queue\r\n",
    "cleanup exits without an answer: 451 4.3.0")
got, _ = fake_session("garbage")
is_(got, b"354 End data with <CR><LF>.<CR><LF>\r\n"
    b"451 4.3.0 bad queue ID answer from the queue\r\n",
    "cleanup answers \"ID nope\": 451 4.3.0")
with open(T + "/fake/cleanup.mode", "w") as f:
    f.write("garbage\n")
r = Raw(fake.port); r.reply(); r.cmd(b"EHLO x\r\n")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
is_(r.cmd(b"BDAT 12\r\nSubject: x\r\n") + r.cmd(b"BDAT 3 LAST\r\nz\r\n"),
    b"451 4.3.0 bad queue ID answer from the queue\r\n"
    b"503 5.5.1 Error: need RCPT command\r\n",
    "BDAT: the broken answer refuses the first chunk, the transaction ends")
r.cmd(b"QUIT\r\n")
got, took = fake_session("silent")
is_(got, b"354 End data with <CR><LF>.<CR><LF>\r\n"
    b"451 4.3.0 timeout waiting for the queue ID\r\n",
    "cleanup does not answer: 451 4.3.0 after smtpd_timeout")
ok(1.5 < took < 10, "... after about 2s (%.1fs)" % took)
time.sleep(0.2)
with open(T + "/maillog3") as f:
    lg = f.read()
ok("warning: unknown[127.0.0.1]: message not queued: 4.3.0 timeout "
   "waiting for the queue ID\n" in lg and
   "NOQUEUE: reject: END-OF-MESSAGE from unknown[127.0.0.1]: 451 4.3.0 "
   "timeout waiting for the queue ID; from=<a@example.net> "
   "proto=ESMTP helo=<x>\n" in lg,
   "... logged as a warning and a reject line", lg[-1500:])

for d in (main, other, late, fake):
    d.s.close()
    d.wait()
sys.exit(tap.done())
PYEOF
exit $?
