#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 155-smtpd-tls.t: STARTTLS, smtpd_tls_wrappermode and AUTH in smtpd, on
# real connections (a Python "inetd" as in 150-smtpd.t runs smtpd per
# connection).  A CA, an RSA and an EC server certificate are made here
# with openssl; the password table is a cdb built by `postlet map` from
# `openssl passwd -6` hashes.  Clients nobody here wrote: openssl
# s_client -starttls smtp, swaks (--tls, --tlsc, --auth PLAIN/LOGIN),
# Python's smtplib (starttls, login); raw sockets for the STARTTLS
# injection (CVE-2011-0411), AUTH corner cases and a failed handshake.
# Checked byte for byte: replies, the Received header and queue file
# attributes (postlet show), log lines.  Also measured: the peak RSS of
# one smtpd in a TLS session.
. "$(dirname "$0")/../lib.sh"

for tool in python3 openssl; do
	if ! command -v $tool >/dev/null 2>&1; then
		tap_plan 1
		tap_skip 1 "$tool not installed"
		tap_done
	fi
done
SMTPD=$(postlet_bin smtpd) || tap_bail "$SMTPD"
POSTLET=$(postlet_bin postlet) || tap_bail "$POSTLET"
unset MAIL_CONFIG
T=$TAP_TMP
Q=$T/q
C=$T/certs
mkdir -p "$Q/incoming" "$Q/tmp" "$Q/public" "$Q/corrupt" "$Q/maildrop" \
    "$C" "$T/etc"

# The certificates: a CA; RSA 2048 and EC P-256 server certificates for
# host.example.org (the EC one with its key in the same file); a key
# that matches neither.
(
	cd "$C" || exit 1
	printf 'subjectAltName=DNS:host.example.org\n' > san.ext
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
	    -days 2 -subj '/CN=Test CA' &&
	openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr \
	    -subj '/CN=host.example.org' &&
	openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile san.ext -out rsa.crt &&
	openssl ecparam -name prime256v1 -genkey -noout -out ec.key &&
	openssl req -new -key ec.key -out ec.csr -subj '/CN=host.example.org' &&
	openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile san.ext -out ec.crt &&
	cat ec.crt ec.key > ec.pem &&
	openssl ecparam -name prime256v1 -genkey -noout -out other.key
) > "$T/openssl.log" 2>&1 || tap_bail "openssl: $(cat "$T/openssl.log")"

# The password table: alice / secret, bob / hunter2 (SHA-256 crypt).
# carol's hash is MD5 crypt, which we do not take.
printf 'alice %s\nbob %s\ncarol %s\n' \
    "$(openssl passwd -6 -salt alicesalt secret)" \
    "$(openssl passwd -5 -salt bobsalt hunter2)" \
    "$(openssl passwd -1 -salt carolsal secret)" > "$T/etc/passwd"

conf() {
	dir=$T/$1
	shift
	mkdir -p "$dir"
	cat > "$dir/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $POSTLET_BUILD/bin
mail_owner = $(id -un)
setgid_group = $(id -gn)
maillog_file = $T/maillog
myhostname = host.example.org
mydomain = example.org
mynetworks = 192.0.2.0/24
alias_maps =
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 20
smtpd_error_sleep_time = 0
smtpd_timeout = 20s
smtpd_tls_cert_file = $C/rsa.crt
smtpd_tls_key_file = $C/rsa.key
smtpd_sasl_auth_enable = yes
smtpd_sasl_password_maps = cdb:$T/etc/passwd
EOF
	for line in "$@"; do
		printf '%s\n' "$line" >> "$dir/main.cf"
	done
}
conf etc smtpd_tls_security_level=may smtpd_tls_received_header=yes \
    smtpd_sasl_authenticated_header=yes
conf etc-ec smtpd_tls_security_level=may smtpd_tls_cert_file=$C/ec.pem \
    smtpd_tls_key_file=$C/ec.pem
conf etc-enc smtpd_tls_security_level=encrypt
conf etc-wrap smtpd_tls_wrappermode=yes smtpd_tls_received_header=yes
conf etc-plain smtpd_tls_auth_only=no smtpd_hard_error_limit=5
conf etc-bad smtpd_tls_security_level=may smtpd_tls_key_file=$C/other.key
# As root: a key only root may read, smtpd running as nobody.
conf etc-root smtpd_tls_security_level=may mail_owner=nobody
chmod 600 "$C/rsa.key"
"$POSTLET" -c "$T/etc" map "cdb:$T/etc/passwd" ||
    tap_bail "postlet map cdb:$T/etc/passwd failed"

python3 - "$SMTPD" "$POSTLET" "$T" "$POSTLET_SRC" <<'PYEOF'
import base64, os, re, shutil, socket, ssl, subprocess, sys, threading
import time, smtplib

SMTPD, POSTLET, T, SRC = sys.argv[1:5]
sys.path.insert(0, SRC + "/t")
import smtptest
C = T + "/certs"
tap = smtptest.Tap()
ok, is_, skip = tap.ok, tap.is_, tap.skip

def Inetd(conf):
    # stderr: where a sanitizer build reports
    return smtptest.Inetd([SMTPD, "-c", conf], stderr=T + "/smtpd.stderr")

may = Inetd(T + "/etc")
ec = Inetd(T + "/etc-ec")
enc = Inetd(T + "/etc-enc")
wrap = Inetd(T + "/etc-wrap")
plain = Inetd(T + "/etc-plain")
bad = Inetd(T + "/etc-bad")
root = Inetd(T + "/etc-root")

def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(C + "/ca.pem")
    return ctx

class Raw(smtptest.Raw):
    def tls(self):
        self.c = client_context().wrap_socket(
            self.c, server_hostname="host.example.org")

def show(qid):
    r = subprocess.run([POSTLET, "-c", T + "/etc", "show", qid],
                       capture_output=True, text=True, timeout=20)
    return r.stdout

def log():
    time.sleep(0.2)
    with open(T + "/maillog") as f:
        return f.read()

def log_has(line):
    return re.search(r"^\S+ +\S+ \S+ \S+ postlet/smtpd\[\d+\]: " +
                     re.escape(line) + "$", log(), re.M) is not None

def b64(s):
    return base64.b64encode(s.encode()).decode()

ENV = re.compile(r"^(arrival_time|message_size): .*\n", re.M)
DATE = re.compile(r"; [A-Z][a-z]{2}, .*\n")
RSA_TLS = "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)"
EC_TLS = "TLSv1.2 with cipher ECDHE-ECDSA-AES256-GCM-SHA384 (256/256 bits)"
EHLO_TAIL = (b"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
             b"250-SMTPUTF8\r\n250 CHUNKING\r\n")

# EHLO before and after STARTTLS, byte for byte; AUTH refused before.
r = Raw(may.port)
r.reply()
is_(r.cmd(b"EHLO client.example\r\n"),
    b"250-host.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
    b"250-VRFY\r\n250-STARTTLS\r\n" + EHLO_TAIL,
    "EHLO before TLS: STARTTLS, no AUTH")
is_(r.cmd(b"AUTH PLAIN " + b64("\0alice\0secret").encode() + b"\r\n"),
    b"538 5.7.11 Encryption required for requested authentication "
    b"mechanism\r\n", "AUTH before TLS: 538")
is_(r.cmd(b"STARTTLS extra\r\n"), b"501 5.5.4 Syntax: STARTTLS\r\n",
    "STARTTLS with an argument: 501")
is_(r.cmd(b"STARTTLS\r\n"), b"220 2.0.0 Ready to start TLS\r\n",
    "STARTTLS: 220")
r.tls()
is_(r.c.version() + " " + r.c.cipher()[0], "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384",
    "Python's ssl: TLSv1.2, ECDHE-RSA-AES256-GCM-SHA384")
is_(r.cmd(b"MAIL FROM:<a@example.net>\r\n"),
    b"250 2.1.0 Ok\r\n", "after STARTTLS, MAIL without EHLO is fine "
    "(smtpd_helo_required = no)")
r.cmd(b"RSET\r\n")
is_(r.cmd(b"EHLO client.example\r\n"),
    b"250-host.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
    b"250-VRFY\r\n250-AUTH PLAIN LOGIN\r\n" + EHLO_TAIL,
    "EHLO under TLS: AUTH, no STARTTLS")
is_(r.cmd(b"STARTTLS\r\n"), b"554 5.5.1 Error: TLS already active\r\n",
    "STARTTLS twice: 554")
is_(r.cmd(b"AUTH CRAM-MD5\r\n"),
    b"504 5.5.4 Unrecognized authentication type\r\n",
    "unknown mechanism: 504")
is_(r.cmd(b"AUTH PLAIN\r\n"), b"334 \r\n", "AUTH PLAIN: empty challenge")
is_(r.cmd(b"*\r\n"), b"501 5.7.0 Authentication aborted\r\n",
    "\"*\" cancels: 501")
is_(r.cmd(b"AUTH PLAIN !!!!\r\n"), b"501 5.5.2 Cannot decode response\r\n",
    "bad base64: 501")
is_(r.cmd(b"AUTH PLAIN " + b64("\0alice\0wrong").encode() + b"\r\n"),
    b"535 5.7.8 Error: authentication failed: authentication failure\r\n",
    "wrong password: 535")
is_(r.cmd(b"AUTH PLAIN " + b64("\0nobody\0secret").encode() + b"\r\n"),
    b"535 5.7.8 Error: authentication failed: authentication failure\r\n",
    "unknown user: 535")
is_(r.cmd(b"AUTH PLAIN " + b64("carol\0alice\0secret").encode() + b"\r\n"),
    b"535 5.7.8 Error: authentication failed: authentication failure\r\n",
    "another authorization identity: 535")
r.cmd(b"MAIL FROM:<a@example.net>\r\n")
is_(r.cmd(b"AUTH PLAIN " + b64("\0alice\0secret").encode() + b"\r\n"),
    b"503 5.5.1 Error: MAIL transaction in progress\r\n",
    "AUTH in a transaction: 503")
r.cmd(b"RSET\r\n")
is_(r.cmd(b"AUTH LOGIN\r\n"), b"334 VXNlcm5hbWU6\r\n", "AUTH LOGIN: Username:")
is_(r.cmd(b64("alice").encode() + b"\r\n"), b"334 UGFzc3dvcmQ6\r\n",
    "AUTH LOGIN: Password:")
is_(r.cmd(b64("secret").encode() + b"\r\n"),
    b"235 2.7.0 Authentication successful\r\n", "AUTH LOGIN: 235")
is_(r.cmd(b"AUTH PLAIN " + b64("\0alice\0secret").encode() + b"\r\n"),
    b"503 5.5.1 Error: already authenticated\r\n", "AUTH twice: 503")
is_(r.cmd(b"MAIL FROM:<a@example.net> AUTH=a+0Db\r\n"),
    b"501 5.5.4 Bad AUTH parameter syntax\r\n", "AUTH=xtext with CR: 501")
is_(r.cmd(b"MAIL FROM:<a@example.net> AUTH=<>\r\n"), b"250 2.1.0 Ok\r\n",
    "AUTH=<>: 250")
is_(r.cmd(b"RCPT TO:<x@example.com>\r\n"), b"250 2.1.5 Ok\r\n",
    "relay after AUTH (permit_sasl_authenticated)")
is_(r.cmd(b"QUIT\r\n"), b"221 2.0.0 Bye\r\n", "QUIT under TLS")
ok(log_has("Anonymous TLS connection established from "
           "unknown[127.0.0.1]: " + RSA_TLS), "log: TLS connection line")
ok(log_has("warning: unknown[127.0.0.1]: SASL PLAIN authentication "
           "failed: authentication failure"), "log: failed AUTH")
ok(log_has("disconnect from unknown[127.0.0.1] ehlo=2 starttls=1/3 "
           "auth=1/10 mail=3/4 rcpt=1 rset=2 quit=1 commands=11/23"),
   "log: disconnect line with starttls= and auth=", log()[-800:])

# smtplib: starttls, login, a message relayed; the queue file.
s = smtplib.SMTP("127.0.0.1", may.port, timeout=20)
s._host = "host.example.org"	# the name to verify
s.ehlo("client.example")
s.starttls(context=client_context())
s.ehlo("client.example")
try:
    s.login("alice", "wrong")
    code = 0
except smtplib.SMTPAuthenticationError as e:
    code, text = e.smtp_code, e.smtp_error
is_((code, text), (535, b"5.7.8 Error: authentication failed: "
    b"authentication failure"), "smtplib login, wrong password: 535")
code, text = s.login("alice", "secret")
is_((code, text), (235, b"2.7.0 Authentication successful"),
    "smtplib login: 235")
s.mail("sender@example.net")
s.rcpt("x@example.com")
code, resp = s.data("Subject: tls\r\n\r\nover TLS\r\n")
s.quit()
m = re.match(r"2\.0\.0 Ok: queued as ([0-9A-F]+)$", resp.decode())
ok(code == 250 and m is not None, "smtplib over TLS: queued", resp)
qid = m.group(1) if m else "none"
got = DATE.sub("; DATE\n", ENV.sub("", show(qid)))
want = ("*** ENVELOPE RECORDS incoming/%s ***\n"
        "sender: sender@example.net\n"
        "named_attribute: client_name=unknown\n"
        "named_attribute: client_address=127.0.0.1\n"
        "named_attribute: helo_name=client.example\n"
        "named_attribute: protocol=ESMTPSA\n"
        "named_attribute: sasl_username=alice\n"
        "recipient: x@example.com (pending)\n"
        "*** MESSAGE CONTENTS incoming/%s ***\n"
        "Received: from client.example (unknown [127.0.0.1])\n"
        "\t(using %s)\n"
        "\t(No client certificate requested)\n"
        "\t(Authenticated sender: alice)\n"
        "\tby host.example.org (postlet) with ESMTPSA id %s\n"
        "\tfor <x@example.com>; DATE\n"
        "Subject: tls\n\nover TLS\n"
        "*** MESSAGE FILE END incoming/%s ***\n") % (qid, qid, RSA_TLS, qid,
                                                   qid)
is_(got, want, "queue file: ESMTPSA, sasl_username, Received with TLS "
    "and AUTH")
ok(log_has("%s: client=unknown[127.0.0.1], sasl_method=LOGIN, "
           "sasl_username=alice" % qid) or
   log_has("%s: client=unknown[127.0.0.1], sasl_method=PLAIN, "
           "sasl_username=alice" % qid),
   "log: client= line with sasl_method and sasl_username")

# Without AUTH over TLS, no relay; the EC certificate; Postfix's default
# Received header (no TLS details) says ESMTPS.
s = smtplib.SMTP("127.0.0.1", ec.port, timeout=20)
s._host = "host.example.org"
s.starttls(context=client_context())
ok(s.sock.cipher()[0] == "ECDHE-ECDSA-AES256-GCM-SHA384",
   "EC certificate: ECDHE-ECDSA-AES256-GCM-SHA384", s.sock.cipher())
s.ehlo("client.example")
code, text = s.docmd("MAIL FROM:<a@example.net>")
code, text = s.docmd("RCPT TO:<x@example.com>")
is_((code, text), (454, b"4.7.1 <x@example.com>: Relay access denied"),
    "TLS without AUTH: no relay")
s.rcpt("root@host.example.org")
code, resp = s.data("Subject: ec\r\n\r\nbody\r\n")
s.quit()
m = re.match(r"2\.0\.0 Ok: queued as ([0-9A-F]+)$", resp.decode())
got = DATE.sub("; DATE\n", show(m.group(1) if m else "none"))
ok("Received: from client.example (unknown [127.0.0.1])\n"
   "\tby host.example.org (postlet) with ESMTPS id %s\n"
   "\tfor <root@host.example.org>; DATE\n" % (m.group(1) if m else "none")
   in got and
   "named_attribute: protocol=ESMTPS\n" in got,
   "ESMTPS in the Received header and queue file, no TLS details "
   "by default", got)

# openssl s_client -starttls smtp, RSA and EC, verified against the CA.
for name, port, cipher in (("RSA", may.port, "ECDHE-RSA-AES256-GCM-SHA384"),
                           ("EC", ec.port, "ECDHE-ECDSA-AES256-GCM-SHA384")):
    p = subprocess.run(["openssl", "s_client", "-starttls", "smtp",
                        "-connect", "127.0.0.1:%d" % port, "-brief",
                        "-CAfile", C + "/ca.pem",
                        "-verify_hostname", "host.example.org",
                        "-verify_return_error", "-ign_eof"],
                       input="quit\r\n", capture_output=True, text=True,
                       timeout=60)
    out = p.stdout + p.stderr
    ok("Protocol version: TLSv1.2\n" in out and
       "Ciphersuite: %s\n" % cipher in out and
       "Verification: OK\n" in out and
       "Verified peername: host.example.org\n" in out,
       "openssl s_client -starttls smtp (%s): TLSv1.2, %s, verified" %
       (name, cipher), out)
    ok("221 2.0.0 Bye" in out, "openssl s_client (%s): QUIT answered" %
       name, out)

# A client without any of our ciphers, and one without TLS 1.2.
for args, why in ((["-tls1_2", "-cipher", "AES128-SHA"],
                   "sent fatal alert 40 (handshake failure)"),
                  (["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
                   "sent fatal alert 70 (protocol version)")):
    p = subprocess.run(["openssl", "s_client", "-starttls", "smtp",
                        "-connect", "127.0.0.1:%d" % may.port] + args,
                       input="", capture_output=True, text=True, timeout=60)
    ok(p.returncode != 0 and
       log_has("SSL_accept error from unknown[127.0.0.1]: " + why),
       "openssl s_client %s: refused, logged: %s" % (" ".join(args), why),
       p.stdout[-500:] + p.stderr[-500:] + log()[-500:])

# CVE-2011-0411: a command pipelined after STARTTLS in plain text is
# thrown away, not run inside TLS.
r = Raw(may.port)
r.reply()
r.cmd(b"EHLO client.example\r\n")
is_(r.cmd(b"STARTTLS\r\nRSET\r\n"), b"220 2.0.0 Ready to start TLS\r\n",
    "STARTTLS with RSET in the same packet: 220")
r.tls()
got = r.cmd(b"NOOP\r\n")
is_(got, b"250 2.0.0 Ok\r\n", "the injected RSET got no reply")
r.cmd(b"QUIT\r\n")
ok(log_has("disconnect from unknown[127.0.0.1] ehlo=1 starttls=1 noop=1 "
           "quit=1 commands=4"), "the injected RSET never ran")

# A failed handshake (plain text after STARTTLS) costs that session only.
r = Raw(may.port)
r.reply()
r.cmd(b"EHLO client.example\r\n")
r.cmd(b"STARTTLS\r\n")
r.c.sendall(b"MAIL FROM:<x@example.net>\r\n")
ok(r.eof(), "plain text after STARTTLS: disconnected")
ok(log_has("SSL_accept error from unknown[127.0.0.1]: unsupported protocol "
           "version") and
   log_has("lost connection after STARTTLS from unknown[127.0.0.1]"),
   "log: SSL_accept error, lost connection after STARTTLS", log()[-600:])
r = Raw(may.port)
is_(r.reply(), b"220 host.example.org ESMTP postlet\r\n",
    "the next connection is served")
r.cmd(b"QUIT\r\n")

# smtpd_tls_security_level = encrypt; the memory TLS costs one session:
# the peak RSS of its smtpd before STARTTLS and after.
def hwm(inetd):
    time.sleep(0.1)
    for p in inetd.procs:
        try:
            with open("/proc/%d/status" % p.pid) as f:
                st = f.read()
            if p.poll() is None:
                return int(re.search(r"VmHWM:\s+(\d+)", st).group(1))
        except (OSError, AttributeError):
            pass
    return None

r = Raw(enc.port)
r.reply()
r.cmd(b"EHLO client.example\r\n")
is_(r.cmd(b"MAIL FROM:<a@example.net>\r\n"),
    b"530 5.7.0 Must issue a STARTTLS command first\r\n",
    "encrypt: MAIL before STARTTLS: 530")
before = hwm(enc)
r.cmd(b"STARTTLS\r\n")
r.tls()
r.cmd(b"EHLO client.example\r\n")
is_(r.cmd(b"MAIL FROM:<a@example.net>\r\n"), b"250 2.1.0 Ok\r\n",
    "encrypt: MAIL after STARTTLS: 250")
r.cmd(b"RCPT TO:<root@host.example.org>\r\n")
r.cmd(b"DATA\r\n")
is_(r.cmd(b"Subject: x\r\n\r\n" + b"y" * 70000 + b"\r\n.\r\n")[:24],
    b"250 2.0.0 Ok: queued as ", "encrypt: a 70 kB message over TLS")
after = hwm(enc)
print("# smtpd peak RSS: %s kB before STARTTLS, %s kB in TLS" %
      (before, after))
if os.environ.get("POSTLET_SANITIZE") == "1":
    skip(1, "sanitizer build: VmHWM %s/%s kB" % (before, after))
else:
    ok(before is not None and after is not None and after - before < 256,
       "TLS costs a session less than 256 kB of RSS (%s kB)" %
       (after - before if after and before else None))
r.cmd(b"QUIT\r\n")

# A key that does not match: logged, no STARTTLS.
r = Raw(bad.port)
r.reply()
got = r.cmd(b"EHLO client.example\r\n")
ok(b"STARTTLS" not in got, "unusable key: no STARTTLS offered", got)
is_(r.cmd(b"STARTTLS\r\n"),
    b"454 4.7.0 TLS not available due to local problem\r\n",
    "unusable key: STARTTLS gets 454")
r.cmd(b"QUIT\r\n")
ok(log_has("warning: TLS is not available: %s/rsa.crt and %s/other.key: "
           "the private key does not match the certificate" % (C, C)),
   "log: the key does not match the certificate")

# As root, smtpd reads a key that only root may read, then runs as
# mail_owner.
if os.getuid() != 0:
    skip(2, "not root: no privileges to drop")
else:
    r = Raw(root.port)
    r.reply()
    r.cmd(b"EHLO client.example\r\n")
    r.cmd(b"STARTTLS\r\n")
    r.tls()
    got = r.cmd(b"EHLO client.example\r\n")
    ok(got.startswith(b"250-host.example.org\r\n"),
       "root-only key (mode 600): STARTTLS works", got)
    uid = None
    time.sleep(0.1)
    for p in root.procs:
        try:
            with open("/proc/%d/status" % p.pid) as f:
                uid = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", f.read(),
                                re.M).groups()
        except (OSError, AttributeError):
            pass
    nobody = str(__import__("pwd").getpwnam("nobody").pw_uid)
    is_(uid, (nobody, nobody, nobody), "... and smtpd runs as mail_owner")
    r.cmd(b"QUIT\r\n")

# smtpd_tls_auth_only = no: AUTH in plain text; a hash we cannot check;
# error limits count.
r = Raw(plain.port)
r.reply()
r.cmd(b"EHLO client.example\r\n")
is_(r.cmd(b"AUTH PLAIN " + b64("\0carol\0secret").encode() + b"\r\n"),
    b"535 5.7.8 Error: authentication failed: authentication failure\r\n",
    "an MD5 crypt hash: 535")
r.cmd(b"QUIT\r\n")
ok(log_has("warning: smtpd_sasl_password_maps: the password hash of carol "
           "is not SHA-256 ($5$) or SHA-512 ($6$) crypt"),
   "log: the hash is of an unsupported kind")
r = Raw(plain.port)
r.reply()
got = r.cmd(b"EHLO client.example\r\n")
ok(b"250-AUTH PLAIN LOGIN\r\n" in got and b"STARTTLS" not in got,
   "auth_only = no, level none: AUTH offered without STARTTLS", got)
is_(r.cmd(b"STARTTLS\r\n"), b"502 5.5.1 Error: command not implemented\r\n",
    "level none: STARTTLS not implemented")
for i in range(3):
    r.cmd(b"AUTH PLAIN " + b64("\0bob\0wrong").encode() + b"\r\n")
is_(r.cmd(b"AUTH PLAIN " + b64("\0bob\0wrong").encode() + b"\r\n"),
    b"535 5.7.8 Error: authentication failed: authentication failure\r\n",
    "fifth error: 535")
is_(r.reply(), b"421 4.7.0 host.example.org Error: too many errors\r\n",
    "failed AUTH counts toward smtpd_hard_error_limit: 421")

# swaks: STARTTLS and AUTH LOGIN/PLAIN, wrapper mode, AUTH without TLS.
if shutil.which("swaks") is None or subprocess.run(
        ["perl", "-MNet::SSLeay", "-e", "1"]).returncode != 0:
    skip(5, "swaks or Perl's Net::SSLeay not installed")
else:
    def swaks(port, *args):
        return subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                               str(port), "--ehlo", "swaks.test",
                               "--from", "a@example.net",
                               "--to", "x@example.com"] + list(args),
                              capture_output=True, text=True, timeout=60)
    sw = swaks(may.port, "--tls", "--auth", "LOGIN", "--auth-user", "bob",
               "--auth-password", "hunter2")
    ok(sw.returncode == 0 and "<~  235 2.7.0 Authentication successful"
       in sw.stdout and re.search(r"<~  250 2\.0\.0 Ok: queued as",
                                  sw.stdout),
       "swaks --tls --auth LOGIN (SHA-256 crypt): 235, relayed",
       sw.stdout[-2000:])
    sw = swaks(may.port, "--tls", "--auth", "PLAIN", "--auth-user", "bob",
               "--auth-password", "wrong")
    ok(sw.returncode != 0 and "<~* 535 5.7.8 Error: authentication "
       "failed: authentication failure" in sw.stdout,
       "swaks --tls --auth PLAIN, wrong password: 535", sw.stdout[-2000:])
    sw = swaks(wrap.port, "--tlsc", "--auth", "PLAIN", "--auth-user",
               "alice", "--auth-password", "secret")
    m = re.search(r"<~  250 2\.0\.0 Ok: queued as ([0-9A-F]+)", sw.stdout)
    ok(sw.returncode == 0 and m is not None,
       "swaks --tlsc (smtpd_tls_wrappermode): AUTH PLAIN, queued",
       sw.stdout[-2000:])
    got = DATE.sub("; DATE\n", show(m.group(1) if m else "none"))
    ok("Received: from swaks.test (unknown [127.0.0.1])\n"
       "\t(using %s)\n\t(No client certificate requested)\n"
       "\tby host.example.org (postlet) with ESMTPSA id %s\n" %
       (RSA_TLS, m.group(1) if m else "none") in got,
       "wrapper mode: Received with TLS, ESMTPSA, no AUTH name "
       "(smtpd_sasl_authenticated_header = no)", got)
    sw = swaks(plain.port, "--auth", "PLAIN", "--auth-user", "alice",
               "--auth-password", "secret")
    m = re.search(r"<-  250 2\.0\.0 Ok: queued as ([0-9A-F]+)", sw.stdout)
    got = show(m.group(1) if m else "none")
    ok(sw.returncode == 0 and m is not None and
       "with ESMTPA id %s\n" % m.group(1) in got and
       "named_attribute: sasl_username=alice\n" in got,
       "swaks --auth without TLS (auth_only = no): ESMTPA", sw.stdout[-2000:])

for d in (may, ec, enc, wrap, plain, bad, root):
    d.s.close()
    d.wait()
with open(T + "/smtpd.stderr") as f:
    err = f.read()
is_(err, "", "smtpd wrote nothing to stderr (no sanitizer report)")
sys.exit(tap.done())
PYEOF
exit $?
