#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 153-smtpd-dns.t: smtpd's use of the DNS, against dnsmasq serving a
# made-up zone on a loopback port (dns_servers): the client's name
# (PTR, forward-confirmed) in the log, reject_unknown_client_hostname,
# reject_unknown_reverse_client_hostname, reject_rbl_client with its TXT
# text, reject_unknown_sender_domain (MX, A fallback, NXDOMAIN).  The
# clients connect from 127.0.0.1, 127.0.0.2 and 127.0.0.3.
. "$(dirname "$0")/../lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	tap_plan 1
	tap_skip 1 "python3 not installed"
	tap_done
fi
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
if [ ! -x "$DNSMASQ" ]; then
	tap_plan 1
	tap_skip 1 "dnsmasq not installed (mk/testtools.sh installs it as root)"
	tap_done
fi
SMTPD=$(postlet_bin smtpd) || tap_bail "$SMTPD"
unset MAIL_CONFIG
T=$TAP_TMP
Q=$T/q
mkdir -p "$Q/incoming" "$Q/tmp" "$Q/public" "$Q/corrupt" "$Q/maildrop"
DPORT=$(python3 -c 'import socket
for i in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break')
"$DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --no-poll \
    --conf-file=/dev/null --user="$(id -un)" --pid-file= \
    --listen-address=127.0.0.1 --bind-interfaces --port="$DPORT" \
    --local=/test/ --local=/in-addr.arpa/ \
    --host-record=client.test,127.0.0.1 \
    --ptr-record=2.0.0.127.in-addr.arpa,liar.test \
    --host-record=liar.test,192.0.2.55 \
    --host-record=3.0.0.127.bl.test,127.0.0.2 \
    --txt-record=3.0.0.127.bl.test,"listed for testing" \
    --mx-host=good.test,mx.good.test,10 \
    --host-record=mx.good.test,192.0.2.10 \
    --host-record=nomx.test,192.0.2.11 \
    2> "$T/dnsmasq.log" &
DNSMASQ_PID=$!
trap 'kill $DNSMASQ_PID 2>/dev/null; tap_cleanup' EXIT
cat > "$T/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $POSTLET_BUILD/bin
mail_owner = $(id -un)
setgid_group = $(id -gn)
maillog_file = $T/maillog
myhostname = host.example.org
mydestination = example.org
mynetworks = 192.0.2.0/24
alias_maps =
local_recipient_maps =
smtpd_error_sleep_time = 0
smtpd_timeout = 20s
dns_servers = 127.0.0.1:$DPORT
smtpd_client_restrictions = \$client_restrictions
smtpd_sender_restrictions = reject_unknown_sender_domain
client_restrictions = reject_unknown_client_hostname
EOF
for v in reverse rbl; do
	mkdir -p "$T/$v"
	cp "$T/main.cf" "$T/$v/main.cf"
done
echo "client_restrictions = reject_unknown_reverse_client_hostname" \
    >> "$T/reverse/main.cf"
echo "client_restrictions = reject_rbl_client bl.test" >> "$T/rbl/main.cf"

python3 - "$SMTPD" "$T" "$POSTLET_SRC" <<'PYEOF'
import socket, sys, time
SMTPD, T, SRC = sys.argv[1:4]
sys.path.insert(0, SRC + "/t")
from smtptest import Tap, Inetd, Raw

tap = Tap(10)

# dnsmasq may take a moment to listen.
for i in range(50):
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        u.close()
        with open(T + "/dnsmasq.log") as f:
            if "started" in f.read():
                break
    except OSError:
        pass
    time.sleep(0.1)

d = {n: Inetd([SMTPD, "-c", T + "/" + n]) for n in ("", "reverse", "rbl")}

def rcpt(conf, source, sender=b"a@good.test"):
    r = Raw(d[conf].port, source=source)
    r.reply()
    r.cmd(b"EHLO client.test\r\n")
    m = r.cmd(b"MAIL FROM:<" + sender + b">\r\n")
    out = r.cmd(b"RCPT TO:<root@example.org>\r\n")
    r.cmd(b"QUIT\r\n")
    r.close()
    return m + out

OK = b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
tap.is_(rcpt("", "127.0.0.1"), OK, "a confirmed client name passes")
time.sleep(0.2)
log = open(T + "/maillog").read()
tap.ok("connect from client.test[127.0.0.1]\n" in log,
       "the log names the client by its confirmed name", log)
tap.is_(rcpt("", "127.0.0.2"), b"250 2.1.0 Ok\r\n450 4.7.25 Client host "
        b"rejected: cannot find your hostname, [127.0.0.2]\r\n",
        "a PTR name that does not resolve back: unknown, 450 4.7.25")
time.sleep(0.2)
log = open(T + "/maillog").read()
tap.ok("connect from unknown[127.0.0.2]\n" in log and
       "hostname liar.test does not resolve to address 127.0.0.2" in log,
       "... logged as unknown, with a warning", log)
tap.is_(rcpt("reverse", "127.0.0.2"), OK,
        "reject_unknown_reverse_client_hostname: a PTR name is enough")
tap.is_(rcpt("reverse", "127.0.0.3"), b"250 2.1.0 Ok\r\n450 4.7.25 Client "
        b"host rejected: cannot find your reverse hostname, [127.0.0.3]\r\n",
        "reject_unknown_reverse_client_hostname: no PTR")
tap.is_(rcpt("rbl", "127.0.0.3"), b"250 2.1.0 Ok\r\n554 5.7.1 Service "
        b"unavailable; Client host [127.0.0.3] blocked using bl.test; "
        b"listed for testing\r\n", "reject_rbl_client: listed, TXT text")
tap.is_(rcpt("rbl", "127.0.0.1"), OK, "reject_rbl_client: not listed")
tap.is_(rcpt("", "127.0.0.1", b"a@nomx.test"), OK,
        "reject_unknown_sender_domain: an A record will do")
tap.is_(rcpt("", "127.0.0.1", b"a@nosuch.test"), b"250 2.1.0 Ok\r\n450 "
        b"4.1.8 <a@nosuch.test>: Sender address rejected: Domain not "
        b"found\r\n", "reject_unknown_sender_domain: NXDOMAIN")
for n in d:
    d[n].wait()
sys.exit(tap.done())
PYEOF
exit $?
