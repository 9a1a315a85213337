#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 152-smtpd-policy.t: smtpd's restriction lists on real connections, as a
# client outside mynetworks: client, HELO, sender and recipient
# restrictions with access tables (texthash), smtpd_delay_reject both
# ways, smtpd_helo_required, unlisted senders and relay recipients,
# sender login maps, queue_minfree.  Every reply is checked byte for
# byte, and one reject log line whole.
. "$(dirname "$0")/../lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	tap_plan 1
	tap_skip 1 "python3 not installed"
	tap_done
fi
SMTPD=$(postlet_bin smtpd) || tap_bail "$SMTPD"
REWRITE=$(postlet_bin trivial-rewrite) || tap_bail "$REWRITE"
unset MAIL_CONFIG
T=$TAP_TMP
Q=$T/q
mkdir -p "$Q/incoming" "$Q/tmp" "$Q/public" "$Q/corrupt" "$Q/maildrop"
base() {
	cat <<EOF
queue_directory = $Q
daemon_directory = $POSTLET_BUILD/bin
mail_owner = $(id -un)
setgid_group = $(id -gn)
maillog_file = $T/maillog
myhostname = host.example.org
mydomain = example.org
mydestination = example.org
myorigin = example.org
mynetworks = 192.0.2.0/24
alias_maps =
local_recipient_maps = texthash:$T/locals
relay_domains = relay.example.net
relay_recipient_maps = texthash:$T/relay_rcpts
smtpd_error_sleep_time = 0
smtpd_timeout = 20s
smtpd_peername_lookup = no
EOF
}
conf() {
	mkdir -p "$T/$1"
	{ base; cat; } > "$T/$1/main.cf"
}
printf 'root x\nknown x\nowned x\nfree x\nblocked x\ndeferred x\n' \
    > "$T/locals"
printf 'ok@relay.example.net x\n' > "$T/relay_rcpts"
cat > "$T/sender_access" <<'EOF'
spammer@bad.example	REJECT no thanks
bad.example		DEFER try later
user@			550 5.7.9 no user
<>			OK
EOF
cat > "$T/rcpt_access" <<'EOF'
blocked@example.org	REJECT
deferred@example.org	450 4.2.1 mailbox busy
okrelay@other.example	OK
EOF
printf '127.0.0 REJECT local net not welcome\n' > "$T/client_access"
printf 'evil.example REJECT\n' > "$T/helo_access"
printf 'owned@example.org alice, bob\n' > "$T/logins"

conf etc1 <<EOF
smtpd_helo_restrictions = reject_invalid_helo_hostname,
    reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = reject_non_fqdn_sender,
    check_sender_access texthash:$T/sender_access
smtpd_recipient_restrictions = reject_non_fqdn_recipient,
    check_recipient_access texthash:$T/rcpt_access
EOF
conf etc2 <<EOF
smtpd_delay_reject = no
smtpd_client_restrictions = check_client_access texthash:$T/client_access
EOF
conf etc3 <<EOF
smtpd_client_restrictions = check_client_access texthash:$T/client_access
EOF
conf etc4 <<EOF
smtpd_delay_reject = no
smtpd_helo_required = yes
smtpd_helo_restrictions = check_helo_access texthash:$T/helo_access
smtpd_sender_restrictions = reject_unlisted_sender
EOF
conf etc5 <<EOF
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_sender_login_maps = texthash:$T/logins
EOF
conf etc6 <<EOF
queue_minfree = 1000000000000000
EOF
conf etc8 <<EOF
local_recipient_maps =
EOF
conf etc9 <<EOF
smtpd_relay_restrictions = permit_mynetworks
EOF
conf etc7 <<EOF
message_size_limit = 0
smtpd_recipient_restrictions = frobnicate
EOF

python3 - "$SMTPD" "$T" "$POSTLET_SRC" "$REWRITE" <<'PYEOF'
import subprocess, sys
SMTPD, T, SRC, REWRITE = sys.argv[1:5]
sys.path.insert(0, SRC + "/t")
from smtptest import Tap, Inetd, Raw

tap = Tap(41)
d = {}
for i in range(1, 10):
    d[i] = Inetd([SMTPD, "-c", "%s/etc%d" % (T, i)])

def session(n, helo=b"client.example.com"):
    r = Raw(d[n].port)
    r.reply()
    if helo is not None:
        r.cmd(b"EHLO " + helo + b"\r\n")
    return r

OK_MAIL = b"250 2.1.0 Ok\r\n"
OK_RCPT = b"250 2.1.5 Ok\r\n"

def rcpt_reply(n, sender, rcpt, helo=b"client.example.com"):
    r = session(n, helo)
    m = r.cmd(b"MAIL FROM:<" + sender + b">\r\n")
    if m != OK_MAIL:
        r.close()
        return b"MAIL: " + m
    out = r.cmd(b"RCPT TO:<" + rcpt + b">\r\n")
    r.close()
    return out

# 1-3: HELO restrictions, applied at RCPT (smtpd_delay_reject = yes).
tap.is_(rcpt_reply(1, b"a@client.example.com", b"root@example.org",
        b"bad_name!"),
        b"501 5.5.2 <bad_name!>: Helo command rejected: Invalid name\r\n",
        "reject_invalid_helo_hostname")
tap.is_(rcpt_reply(1, b"a@client.example.com", b"root@example.org",
        b"localhost"),
        b"504 5.5.2 <localhost>: Helo command rejected: need "
        b"fully-qualified hostname\r\n", "reject_non_fqdn_helo_hostname")
tap.is_(rcpt_reply(1, b"a@client.example.com", b"root@example.org",
        b"[127.0.0.1]"), OK_RCPT, "an address literal is a valid HELO")

# 4-9: sender restrictions and check_sender_access lookups.
tap.is_(rcpt_reply(1, b"spammer@bad.example", b"root@example.org"),
        b"554 5.7.1 <spammer@bad.example>: Sender address rejected: "
        b"no thanks\r\n", "sender access: REJECT text, whole address")
tap.is_(rcpt_reply(1, b"x@bad.example", b"root@example.org"),
        b"450 4.7.1 <x@bad.example>: Sender address rejected: "
        b"try later\r\n", "sender access: DEFER, domain key")
tap.is_(rcpt_reply(1, b"x@sub.bad.example", b"root@example.org"),
        b"450 4.7.1 <x@sub.bad.example>: Sender address rejected: "
        b"try later\r\n", "sender access: parent domain matches")
tap.is_(rcpt_reply(1, b"user@anything.example", b"root@example.org"),
        b"550 5.7.9 <user@anything.example>: Sender address rejected: "
        b"no user\r\n", "sender access: user@ key, code and status given")
tap.is_(rcpt_reply(1, b"user", b"root@example.org"),
        b"504 5.5.2 <user>: Sender address rejected: need "
        b"fully-qualified address\r\n", "reject_non_fqdn_sender")
tap.is_(rcpt_reply(1, b"", b"root@example.org"), OK_RCPT,
        "null sender: OK through smtpd_null_access_lookup_key")

# 10-16: recipient restrictions, the relay policy first, unlisted.
tap.is_(rcpt_reply(1, b"a@client.example.com", b"blocked@example.org"),
        b"554 5.7.1 <blocked@example.org>: Recipient address rejected: "
        b"Access denied\r\n", "recipient access: REJECT without text")
tap.is_(rcpt_reply(1, b"a@client.example.com", b"deferred@example.org"),
        b"450 4.2.1 <deferred@example.org>: Recipient address rejected: "
        b"mailbox busy\r\n", "recipient access: 450 with its own status")
tap.is_(rcpt_reply(1, b"a@client.example.com", b"okrelay@other.example"),
        b"454 4.7.1 <okrelay@other.example>: Relay access denied\r\n",
        "an access OK cannot open relaying: relay restrictions run first")
tap.is_(rcpt_reply(1, b"a@client.example.com", b"nobody@relay.example.net"),
        b"550 5.1.1 <nobody@relay.example.net>: Recipient address "
        b"rejected: User unknown in relay recipient table\r\n",
        "relay_recipient_maps")
tap.is_(rcpt_reply(1, b"a@client.example.com", b"ok@relay.example.net"),
        OK_RCPT, "a listed relay recipient")
tap.is_(rcpt_reply(1, b"a@client.example.com", b"root"),
        b"504 5.5.2 <root>: Recipient address rejected: need "
        b"fully-qualified address\r\n", "reject_non_fqdn_recipient")
log = open(T + "/maillog").read()
tap.ok("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 "
       "<blocked@example.org>: Recipient address rejected: Access "
       "denied; from=<a@client.example.com> to=<blocked@example.org> "
       "proto=ESMTP helo=<client.example.com>\n" in log,
       "the reject log line", log)

# 17-19: client restrictions with smtpd_delay_reject = no: at EHLO,
# and the rejection answers MAIL too.
r = Raw(d[2].port)
r.reply()
tap.is_(r.cmd(b"EHLO client.example.com\r\n"),
        b"554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: local net "
        b"not welcome\r\n", "delay_reject=no: client rejected at EHLO "
        "(network key 127.0.0)")
tap.is_(r.cmd(b"MAIL FROM:<a@client.example.com>\r\n"),
        b"554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: local net "
        b"not welcome\r\n", "... and at MAIL")
tap.is_(r.cmd(b"QUIT\r\n"), b"221 2.0.0 Bye\r\n", "... QUIT still works")
r.close()

# 20-21: the same with smtpd_delay_reject = yes: at RCPT.
r = session(3)
tap.is_(r.cmd(b"MAIL FROM:<a@client.example.com>\r\n"), OK_MAIL,
        "delay_reject=yes: MAIL accepted")
tap.is_(r.cmd(b"RCPT TO:<root@example.org>\r\n"),
        b"554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: local net "
        b"not welcome\r\n", "... the client rejected at RCPT")
r.close()

# 22-26: helo_required, HELO access at HELO, unlisted sender at MAIL.
r = session(4, None)
tap.is_(r.cmd(b"MAIL FROM:<root@example.org>\r\n"),
        b"503 5.5.1 Error: send HELO/EHLO first\r\n", "smtpd_helo_required")
tap.is_(r.cmd(b"HELO evil.example\r\n"),
        b"554 5.7.1 <evil.example>: Helo command rejected: Access "
        b"denied\r\n", "check_helo_access at HELO")
tap.is_(r.cmd(b"MAIL FROM:<root@example.org>\r\n"),
        b"503 5.5.1 Error: send HELO/EHLO first\r\n",
        "a rejected HELO does not count")
r.cmd(b"HELO good.example\r\n")
tap.is_(r.cmd(b"MAIL FROM:<nosuch@example.org>\r\n"),
        b"550 5.1.0 <nosuch@example.org>: Sender address rejected: User "
        b"unknown in local recipient table\r\n",
        "reject_unlisted_sender at MAIL")
tap.is_(r.cmd(b"MAIL FROM:<known@example.org>\r\n"), OK_MAIL,
        "a listed local sender")
r.close()

# 27-28: sender login maps without AUTH.
tap.is_(rcpt_reply(5, b"owned@example.org", b"root@example.org"),
        b"553 5.7.1 <owned@example.org>: Sender address rejected: not "
        b"logged in\r\n", "reject_sender_login_mismatch: owned, no AUTH")
tap.is_(rcpt_reply(5, b"free@example.org", b"root@example.org"), OK_RCPT,
        "a sender nobody owns")

# 29: queue_minfree.
r = session(6)
tap.is_(r.cmd(b"MAIL FROM:<a@client.example.com>\r\n"),
        b"452 4.3.1 Insufficient system storage\r\n",
        "queue_minfree above the free space: 452 4.3.1 at MAIL")
r.close()

# 30-31: SIZE= above the free space; an unknown restriction.
r = session(7)
tap.is_(r.cmd(b"MAIL FROM:<a@client.example.com> "
              b"SIZE=1000000000000000000\r\n"),
        b"452 4.3.1 Insufficient system storage\r\n",
        "SIZE= above the free space: 452 4.3.1")
r.close()
tap.is_(rcpt_reply(7, b"a@client.example.com", b"root@example.org"),
        b"451 4.3.5 Server configuration error\r\n",
        "an unknown restriction: 451 4.3.5, nothing accepted")

# 32-39: the classic relay tricks, with every local address accepted
# (empty local_recipient_maps): each is refused, or accepted as a local
# address (which local delivery then treats as a user name).
TRICKS = [
    (b"user%other.example@example.org", b"250 2.1.5 Ok\r\n"),
    (b"@example.org:user@other.example",
     b"454 4.7.1 <user@other.example>: Relay access denied\r\n"),
    (b'"user@other.example"@example.org', b"250 2.1.5 Ok\r\n"),
    (b"user@other.example@example.org", None),
    (b"other.example!user@example.org", b"250 2.1.5 Ok\r\n"),
    (b"user@other.example.", b"501 5.1.3 Bad recipient address syntax\r\n"),
]
for addr, want in TRICKS:
    got = rcpt_reply(8, b"a@client.example.com", addr)
    if want is None:
        tap.ok(got[:1] in (b"4", b"5"), "relay trick <%s> refused" %
               addr.decode(), got)
    else:
        tap.is_(got, want, "relay trick <%s>" % addr.decode())
# Sender-specified routing into a relay domain; no relay guard.
tap.is_(rcpt_reply(8, b"a@client.example.com",
                   b"user%evil.example@relay.example.net"),
        b"454 4.7.1 <user%evil.example@relay.example.net>: Relay access "
        b"denied\r\n", "user%host@relay_domain from outside: not relayed "
        "(allow_untrusted_routing = no)")
tap.is_(rcpt_reply(9, b"a@client.example.com", b"root@example.org"),
        b"451 4.3.5 Server configuration error\r\n",
        "no reject_unauth_destination anywhere: every RCPT refused, 451")
for addr in (b"user%other.example@example.org",
             b'"user@other.example"@example.org'):
    out = subprocess.run([REWRITE, "-c", T + "/etc8", addr.decode()],
                         capture_output=True, text=True).stdout
    tap.ok(out.startswith("local local "), "<%s> resolves as a local "
           "address" % addr.decode(), out)

for i in d:
    d[i].wait()
sys.exit(tap.done())
PYEOF
exit $?
