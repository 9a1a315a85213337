#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 162-smtp-policy.t: the smtp agent's per-destination policies:
# smtp_tls_policy_maps (levels per next hop, parent domains, match=
# names against a test CA made with openssl, a table that cannot be
# read) and smtp_sender_dependent_authentication (SASL credentials per
# envelope sender, sessions not shared between credentials).  Servers:
# Python's aiosmtpd on 127.0.0.1, ports chosen by the kernel (plain, with
# STARTTLS, with AUTH), each recording what it received.  The agent is
# driven through the delivery agent protocol (lib/agent.h) as in
# 160-smtp.t; answers, log lines and what the servers saw are compared
# byte for byte.  The Python part prints the TAP itself (t/smtptest.py).
. "$(dirname "$0")/../lib.sh"

PLAN=28
PY=/usr/bin/python3
if ! "$PY" -c 'import aiosmtpd' >/dev/null 2>&1; then
	tap_plan $PLAN
	tap_skip $PLAN "python3-aiosmtpd not installed (make testtools as root)"
	tap_done
fi
if ! command -v openssl >/dev/null 2>&1; then
	tap_plan $PLAN
	tap_skip $PLAN "openssl not installed"
	tap_done
fi
S=$(postlet_bin smtp) || tap_bail "$S"
unset MAIL_CONFIG
T=$TAP_TMP
chmod 755 "$T"
mkdir -p "$T/conf" "$T/q/active" "$T/pki"

# A test CA and a server certificate for mail.test (subjectAltName),
# signed by it.
(
	cd "$T/pki" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -days 2 -subj "/CN=postlet test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -keyout ca.key -out ca.pem &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=mail.test -keyout srv.key -out srv.csr &&
	printf 'subjectAltName=DNS:mail.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	    > srv.ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile srv.ext -out srv.pem
) > "$T/pki/log" 2>&1 || tap_bail "openssl: $(tail -n 3 "$T/pki/log")"

cat > "$T/conf/main.cf" <<EOF
queue_directory = $T/q
mail_owner = $(id -un)
myhostname = client.example
maillog_file = $T/log
smtp_connection_cache_time_limit = 5s
smtp_tls_CAfile = $T/pki/ca.pem
EOF

"$PY" - "$S" "$T" "$POSTLET_SRC" "$PLAN" <<'PYEOF'
import asyncio, logging, os, re, ssl, subprocess, sys, threading, warnings

SMTP_BIN, T, SRC, PLAN = sys.argv[1:5]
sys.path.insert(0, SRC + "/t")
from smtptest import Tap
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# aiosmtpd's own complaints (handshakes we break off on purpose) go to a
# file, not into the TAP stream
srvlog = logging.getLogger("mail.log")
srvlog.addHandler(logging.FileHandler(T + "/aiosmtpd.log"))
srvlog.propagate = False
warnings.simplefilter("ignore")
tap = Tap(int(PLAN))
ok, is_ = tap.ok, tap.is_
LOG = T + "/log"
L = "127.0.0.1[127.0.0.1]"


# ---- servers: one asyncio loop in a thread, ports chosen by the kernel
class Server:
    """Records connections, messages (sender, recipients, TLS) and AUTH
    attempts (mechanism, login, password as bytes)."""

    def __init__(self, name, tls=None, auth=False):
        self.name, self.conns, self.msgs, self.auths = name, 0, [], []
        self.tls, self.auth = tls, auth

    def made(self):
        self.conns += 1
        kw = {}
        if self.tls is not None:
            kw["tls_context"] = self.tls
        if self.auth:
            kw["authenticator"] = self.authenticate
            kw["auth_require_tls"] = False
        return SMTP(self, hostname=self.name, **kw)

    def authenticate(self, server, session, envelope, mechanism, data):
        if isinstance(data, LoginPassword):
            self.auths.append((mechanism, data.login, data.password))
        return AuthResult(success=isinstance(data, LoginPassword),
                          handled=False)

    async def handle_DATA(self, server, session, envelope):
        self.msgs.append((envelope.mail_from, tuple(envelope.rcpt_tos),
                          session.ssl is not None))
        return "250 2.0.0 Ok: queued by " + self.name

    def reset(self):
        self.conns, self.msgs, self.auths = 0, [], []


tls_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls_ctx.load_cert_chain(T + "/pki/srv.pem", T + "/pki/srv.key")
plain = Server("plain.test")
tlss = Server("tls.test", tls=tls_ctx)
auth = Server("auth.test", auth=True)
loop = asyncio.new_event_loop()


def start(srv):
    s = loop.run_until_complete(loop.create_server(srv.made, "127.0.0.1", 0))
    return s.sockets[0].getsockname()[1]


PP, PT, PA = start(plain), start(tlss), start(auth)
threading.Thread(target=loop.run_forever, daemon=True).start()


# ---- queue files (docs/queue.5) and jobs (lib/agent.h)
def mkq(qid, sender, *rcpts):
    body = b"From: %s\nSubject: policy\n\nbody\n" % sender.encode()
    env = b"postlet-queue 1\nT 1700000000.000000\nS %s\n" % sender.encode()
    for r in rcpts:
        env += b"R P - - %s\n" % r.encode()
    env += b"E %020d %020d\n" % (len(body), body.index(b"\n\n") + 2)
    with open(os.path.join(T, "q", "active", qid), "wb") as f:
        f.write(env + body + b"END\n")


def job(qid, hop, *rcpts):
    j = "J %s active/%s\nN %s\n" % (qid, qid, hop)
    for i, r in enumerate(rcpts):
        j += "R %d %s\n" % (i, r)
    return j + "G\n"


bad = []


def agent(jobs, *opts):
    """Run smtp on jobs with -o opts; its answers without "@ relay"
    lines, and the log lines it wrote."""
    before = os.path.getsize(LOG) if os.path.exists(LOG) else 0
    argv = [SMTP_BIN, "-c", T + "/conf"]
    for o in opts:
        argv += ["-o", o]
    try:
        r = subprocess.run(argv, input=jobs.encode(), capture_output=True,
                           timeout=60)
        out = r.stdout.decode("latin-1")
        if r.returncode != 0 or r.stderr:
            # (a sanitizer build reports there)
            bad.append("exit %d: %s" % (r.returncode,
                                        r.stderr.decode("latin-1")))
    except subprocess.TimeoutExpired:
        out = "TIMEOUT\n"
        bad.append("timeout")
    with open(LOG, "rb") as f:
        f.seek(before)
        log = f.read().decode("latin-1")
    return "".join(l + "\n" for l in out.splitlines()
                   if not l.startswith("@ ")), log


def logged(log, pattern):
    """Log lines matching pattern (after "postlet/smtp[PID]: ")."""
    return [m for m in (re.sub(r"^.*?postlet/smtp\[\d+\]: ", "", l)
                        for l in log.splitlines()) if re.search(pattern, m)]


ID = "0674A0000000001"
mkq(ID, "sender@client.example", "u1@x.example")
J_PLAIN = job(ID, "[127.0.0.1]:%d" % PP, "u1@x.example")
J_TLS = job(ID, "[127.0.0.1]:%d" % PT, "u1@x.example")
HOP_P, HOP_T = "[127.0.0.1]:%d" % PP, "[127.0.0.1]:%d" % PT
DONE_P = "0 D 2.0.0 250 2.0.0 Ok: queued by plain.test\n.\n"
DONE_T = "0 D 2.0.0 250 2.0.0 Ok: queued by tls.test\n.\n"


def policy(*entries):
    return "smtp_tls_policy_maps=inline:{%s}" % ", ".join(
        "{%s}" % e for e in entries)


# 1-3: encrypt from the table, global level none, no STARTTLS offered
out, log = agent(J_PLAIN, policy(HOP_P + " = encrypt"))
is_(out, "!\n0 T 4.7.4 TLS is required, but was not offered by host %s\n.\n"
    % L, "policy encrypt, global none, no STARTTLS: deferred 4.7.4")
is_(plain.msgs, [], "policy encrypt: nothing was sent")
out, log = agent(J_PLAIN, policy("[127.0.0.1]:1 = encrypt"))
is_(out, DONE_P, "the same with the entry for another next hop: delivered "
    "in plaintext (global none)")

# 4-6: none from the table, global level encrypt, STARTTLS offered
tlss.reset()
out, log = agent(J_TLS, "smtp_tls_security_level=encrypt",
                 policy(HOP_T + " = none"))
is_(out, DONE_T, "policy none, global encrypt: delivered")
is_(tlss.msgs, [("sender@client.example", ("u1@x.example",), False)],
    "policy none: the server got the message without TLS")
plain.reset()
out, log = agent(J_PLAIN, "smtp_tls_security_level=encrypt",
                 policy(HOP_T + " = none"))
is_(out, "!\n0 T 4.7.4 TLS is required, but was not offered by host %s\n.\n"
    % L, "global encrypt applies to a next hop without an entry")

# 7-10: keys: the next hop as written, parent domains only for a bare
# domain (an invalid entry shows which key matched: no DNS needed)
out, log = agent(job(ID, "mx.sub.example", "u1@x.example"),
                 policy(".example = none", ".sub.example = bogus"))
is_(out, '0 T 4.7.5 client TLS configuration problem: smtp_tls_policy_maps: '
    '.sub.example: unknown TLS security level "bogus"\n.\n',
    "mx.sub.example: the nearest parent .sub.example decides; a bad "
    "level defers 4.7.5 (no site failure)")
is_(logged(log, "warning: "), ['warning: mx.sub.example: client TLS '
    'configuration problem: smtp_tls_policy_maps: .sub.example: unknown TLS '
    'security level "bogus"'], "the bad entry is logged")
out, log = agent(job(ID, "mx.sub.example", "u1@x.example"),
                 policy("mx.sub.example = verify match=nexthop protocols=x",
                        ".sub.example = bogus"), "dns_servers=127.0.0.1:9")
is_(logged(log, "warning: .*not supported|policy"),
    ['warning: smtp_tls_policy_maps: mx.sub.example: attribute '
     '"protocols=x" is not supported: ignored'],
    "the exact key before its parents; protocols= ignored with a warning")
out, log = agent(job(ID, "[mx.sub.example]", "u1@x.example"),
                 policy(".sub.example = bogus"), "dns_servers=127.0.0.1:9")
ok(out.startswith("!\n0 T 4.4.3 ") and "TLS" not in out,
   "[mx.sub.example]: no parent domain lookup (DNS decides: 4.4.3)", out)

# 11-18: verify and secure with match= against the test CA
tlss.reset()
out, log = agent(J_TLS, policy(HOP_T + " = secure match=mail.test"))
is_(out, DONE_T, "secure match=mail.test: delivered")
is_(len(logged(log, r"^Verified TLS connection established to %s:%d: "
               r"TLSv1\.2 with cipher \S+ \(\d+/\d+ bits\)$"
               % (re.escape(L), PT))), 1,
    "secure match=mail.test: Verified TLS connection logged")
is_(tlss.msgs, [("sender@client.example", ("u1@x.example",), True)],
    "secure: the server got the message over TLS")
tlss.reset()
out, log = agent(J_TLS, policy(HOP_T + " = secure match=other.test"))
is_(out, "!\n0 T 4.7.5 TLS handshake with %s failed: certificate "
    "verification failed: server name mismatch (match=other.test)\n.\n" % L,
    "secure match=other.test: deferred 4.7.5")
is_(tlss.msgs, [], "secure, wrong name: nothing sent")
tlss.reset()
out, log = agent(J_TLS, policy(HOP_T + " = verify match=other.test:.test:"
                               "hostname:mail.test"))
is_((out, tlss.conns), (DONE_T, 3), "verify match=other.test:.test:hostname:"
    "mail.test: names other.test, 127.0.0.1, mail.test; the third matches")
M = "other.test:.test:hostname:mail.test"
want = []
for n in ("other.test", "127.0.0.1"):
    want += ["TLS handshake with %s failed: certificate verification failed: "
             "server name mismatch (match=%s): name %s" % (L, M, n),
             "%s: trying again for another certificate name of match=%s"
             % (L, M)]
want.append("Verified TLS connection established to %s:%d: TLSv1.2 ..."
            % (L, PT))
is_([re.sub(r": TLSv1\.2 with cipher .*", ": TLSv1.2 ...", x)
     for x in logged(log, "trying again|Verified|failed")], want,
    "each name tried in vain is logged, then the Verified session")
out, log = agent(J_TLS, policy(HOP_T + " = dane"))
is_((out, logged(log, "warning: ")),
    ("!\n0 T 4.7.5 TLS handshake with %s failed: certificate verification "
     "failed: server name mismatch\n.\n" % L,
     ['warning: smtp_tls_policy_maps: %s: TLS security level "dane" is not '
      'supported: using "secure"' % HOP_T]),
    "dane: refused with a warning, checked as secure (certificate for "
    "mail.test, next hop 127.0.0.1): deferred")

# 19-20: match= where it means nothing; secure with no name left
out, log = agent(J_TLS, policy(HOP_T + " = encrypt match=mail.test"))
is_(out, '0 T 4.7.5 client TLS configuration problem: smtp_tls_policy_maps: '
    '%s: match= is invalid at security level "encrypt"\n.\n' % HOP_T,
    "match= with encrypt: an invalid entry, deferred")
out, log = agent(J_TLS, policy(HOP_T + " = secure match=.example"))
is_(out, "!\n0 T 4.7.5 Server certificate not verified: no name of "
    "match=.example applies to host %s\n.\n" % L,
    "secure match=.example, server 127.0.0.1: no name applies, deferred")

# 21-22: a table that cannot be read: deferred 4.3.0, nothing sent
with open(T + "/bad.cdb", "wb") as f:
    f.write(b"not a cdb file")
plain.reset()
out, log = agent(J_PLAIN, "smtp_tls_policy_maps=cdb:%s/bad" % T)
is_((out, plain.conns), ("0 T 4.3.0 smtp_tls_policy_maps: %s/bad.cdb: not a "
    "cdb file (shorter than 2048 bytes)\n.\n" % T, 0),
    "a corrupt policy table: deferred 4.3.0, no connection")
out, log = agent(J_PLAIN, "smtp_tls_policy_maps=cdb:%s/missing" % T)
is_((out, plain.conns), ("0 T 4.3.0 smtp_tls_policy_maps: %s/missing.cdb: "
    "No such file or directory\n.\n" % T, 0),
    "a missing policy table: deferred 4.3.0, no connection")

# 23-27: smtp_sender_dependent_authentication
SASL = ("smtp_sasl_password_maps=inline:{alice@one.example=alice:pw-a, "
        "@two.example=bob:pw-b, [127.0.0.1]:%d=relay:pw-r}" % PA)
SASLOPT = ["smtp_sasl_auth_enable=yes", SASL,
           "smtp_sasl_security_options=noanonymous"]
senders = ["alice@one.example", "bob+tag@two.example", "carol@three.example",
           "dave@three.example"]
jobs = ""
for i, snd in enumerate(senders):
    qid = "0674A000000001%d" % i
    mkq(qid, snd, "u%d@x.example" % i)
    jobs += job(qid, "[127.0.0.1]:%d" % PA, "u%d@x.example" % i)
auth.reset()
out, log = agent(jobs, "smtp_sender_dependent_authentication=yes", *SASLOPT)
is_(out, "0 D 2.0.0 250 2.0.0 Ok: queued by auth.test\n.\n" * 4,
    "sender-dependent: four jobs delivered")
is_(auth.auths, [("PLAIN", b"alice", b"pw-a"), ("PLAIN", b"bob", b"pw-b"),
                 ("PLAIN", b"relay", b"pw-r")],
    "the server saw alice (address), bob (@domain), relay (next hop)")
is_((auth.conns, [m[0] for m in auth.msgs]),
    (3, senders), "three sessions: dave's mail reuses carol's (same "
    "credentials), no other reuse")
is_(logged(log, "not reused"),
    ["%s: not reused for sender <bob+tag@two.example>: other SASL "
     "credentials" % L, "%s: not reused for sender <carol@three.example>: "
     "other SASL credentials" % L], "each refused reuse is logged")
auth.reset()
out, log = agent(jobs, *SASLOPT)
is_((out.count(" D 2.0.0 "), auth.auths, auth.conns),
    (4, [("PLAIN", b"relay", b"pw-r")], 1),
    "sender-dependent off: the next hop's entry, one session for all")
is_(bad, [], "every run of the agent exited 0 with nothing on stderr")
sys.exit(tap.done())
PYEOF
exit $?
