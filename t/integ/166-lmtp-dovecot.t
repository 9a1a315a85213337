#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 166-lmtp-dovecot.t: the lmtp delivery agent against Dovecot's own LMTP
# server, end to end: sendmail, cleanup, qmgr and lmtp of a postlet
# instance hand messages to a Dovecot instance that runs from the Debian
# packages unpacked by make testtools (dovecot-core, dovecot-lmtpd; never
# installed), in a temporary directory, as the same unprivileged user as
# postlet (a throwaway user as root).  transport_maps sends x.example to
# Dovecot's TCP listener (lmtp:inet:127.0.0.1:PORT) and y.example to its
# UNIX-domain socket (lmtp:unix:PATH).  Checked: the Maildir files that
# Dovecot wrote (the body byte for byte, its Return-Path, Delivered-To
# and Received lines above ours), postlet's log lines with Dovecot's
# replies, per-recipient results when Dovecot does not know one of two
# recipients (bounced with its 550 5.1.1, and the notice delivered), the
# setup of docs/LMTP.md (smtpd, a virtual mailbox domain, virtual_transport
# to the socket), a NOTIFY=SUCCESS notice ("delivered": Dovecot offers no
# DSN), a stopped Dovecot (deferred 4.4.1) and the same
# messages delivered after Dovecot is started again and `postlet flush`.
#
# Dovecot loads its SSL module at start-up from a directory compiled in
# (/usr/lib/dovecot/modules, absent when the package is not installed):
# the test runs it with a copy of libdovecot whose copy of that path is
# replaced by a symbolic link of the same length under /tmp, removed at
# the end.
. "$(dirname "$0")/../lib.sh"

PLAN=22
tap_plan $PLAN

DC=$POSTLET_SRC/build/src/debs/dovecot-core
DL=$POSTLET_SRC/build/src/debs/dovecot-lmtpd
PY=/usr/bin/python3
if [ ! -x "$DC/usr/sbin/dovecot" ] || [ ! -x "$DL/usr/lib/dovecot/lmtp" ]; then
	tap_skip $PLAN "no Dovecot in build/src/debs (make testtools as root)"
	tap_done
fi
if [ ! -x "$PY" ]; then
	tap_skip $PLAN "python3 not installed"
	tap_done
fi
for p in postlet master cleanup qmgr sendmail postdrop pickup bounce lmtp; do
	if [ ! -x "$POSTLET_BUILD/bin/$p" ]; then
		tap_skip $PLAN "no $p: run make first"
		tap_done
	fi
done
unset MAIL_CONFIG

chmod 755 "$TAP_TMP"
postlet_as_user pld $PLAN
B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
I=$TAP_TMP/i
R=$TAP_TMP/dovecot
mkdir -p "$I" "$R"
[ -z "$TU" ] || chown "$TU:$GROUP" "$I" "$R"
as_me mkdir -p "$I/conf" "$R/home" || tap_bail "mkdir as $ME"

# Dovecot's programs, where the test user can run them (a checkout
# under /root is out of its reach: then a copy).
if ! as_me test -x "$DC/usr/sbin/dovecot" ||
    ! as_me test -x "$DL/usr/lib/dovecot/lmtp"; then
	mkdir -p "$TAP_TMP/dc" "$TAP_TMP/dl"
	if ! cp -a "$DC/usr" "$TAP_TMP/dc/" ||
	    ! cp -a "$DL/usr" "$TAP_TMP/dl/"; then
		tap_bail "cannot copy Dovecot"
	fi
	chmod -R a+rX "$TAP_TMP/dc" "$TAP_TMP/dl"
	DC=$TAP_TMP/dc DL=$TAP_TMP/dl
fi
DLIB=$TAP_TMP/dlib
mkdir -p "$DLIB"
# The link: as long as the path it replaces, so that the library's
# layout does not change.
DM=
n=0
while [ -z "$DM" ] && [ $n -lt 10 ]; do
	DM=$(mktemp -u /tmp/pdv.XXXXXXXXXXXXXXX)
	ln -s "$DC/usr/lib/dovecot/modules" "$DM" 2>/dev/null || DM=
	n=$((n + 1))
done
if [ -z "$DM" ]; then
	tap_skip $PLAN "cannot make a link under /tmp"
	tap_done
fi
if ! "$PY" - "$DC/usr/lib/dovecot/libdovecot.so.0.0.0" \
    "$DLIB/libdovecot.so.0" "$DM" > "$TAP_TMP/patch.err" 2>&1 <<'PY'
import sys
src, dst, new = sys.argv[1], sys.argv[2], sys.argv[3].encode() + b"\0"
old = b"/usr/lib/dovecot/modules\0"
d = open(src, "rb").read()
if d.count(old) != 1 or len(new) != len(old):
    sys.exit("libdovecot: %d copies of the module path" % d.count(old))
open(dst, "wb").write(d.replace(old, new))
PY
then
	rm -f "$DM"
	tap_skip $PLAN "cannot adapt libdovecot: $(cat "$TAP_TMP/patch.err")"
	tap_done
fi
chmod -R a+rX "$DLIB"
DLD=$DLIB:$DC/usr/lib/dovecot:$DC/usr/lib/dovecot/modules/old-stats

# wait_for ADDRESS [down]: until something listens there (a port number
# or a socket path), or with "down" until nothing does; at most 10 s.
wait_for() {
	"$PY" -c '
import socket, sys, time
a, down = sys.argv[1], len(sys.argv) > 2
for i in range(100):
    try:
        if a.isdigit():
            socket.create_connection(("127.0.0.1", int(a)), timeout=1).close()
        else:
            s = socket.socket(socket.AF_UNIX); s.connect(a); s.close()
        up = True
    except OSError:
        up = False
    if up != down:
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)' "$@"
}
# shellcheck disable=SC2046
set -- $(free_ports 2)
PD=$1 PS=$2
SOCK=$R/lmtp
UIDN=$(id -u "$ME")
GIDN=$(id -g "$ME")

# ---- the Dovecot instance
# alice, bob and postmaster exist (the name before the @, any domain);
# carol does not.
for u in alice bob postmaster; do
	printf '%s:{PLAIN}unused:%s:%s::%s/home/%s::\n' \
	    "$u" "$UIDN" "$GIDN" "$R" "$u"
done > "$TAP_TMP/users"
as_me sh -c "cat > '$R/users'" < "$TAP_TMP/users"
as_me sh -c "cat > '$R/dovecot.conf'" <<EOF
base_dir = $R/run
state_dir = $R/state
log_path = $R/dovecot.log
libexec_dir = $DC/usr/lib/dovecot
mail_plugin_dir = $DC/usr/lib/dovecot/modules
import_environment = TZ LD_LIBRARY_PATH
hostname = lmtp.test
protocols = lmtp
ssl = no
default_login_user = $ME
default_internal_user = $ME
default_internal_group = $GROUP
first_valid_uid = $UIDN
last_valid_uid = $UIDN
auth_username_format = %Ln
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = $R/users
}
userdb {
  driver = passwd-file
  args = $R/users
}
service anvil {
  chroot =
}
service lmtp {
  executable = $DL/usr/lib/dovecot/lmtp
  inet_listener lmtp {
    address = 127.0.0.1
    port = $PD
  }
  unix_listener $SOCK {
    mode = 0600
    user = $ME
  }
}
EOF
DPID=
dv_start() {
	as_me env LD_LIBRARY_PATH="$DLD" "$DC/usr/bin/doveconf" \
	    -c "$R/dovecot.conf" -e "$DC/usr/sbin/dovecot" \
	    -c "$R/dovecot.conf" >> "$TAP_TMP/dovecot.out" 2>&1 &&
	    wait_for "$PD" && wait_for "$SOCK" &&
	    DPID=$(cat "$R/run/master.pid")
}
dv_stop() {
	# after a failed start, whatever master.pid names if it is Dovecot's
	if [ -z "$DPID" ] && [ -s "$R/run/master.pid" ] &&
	    [ "$(ps -o comm= -p "$(cat "$R/run/master.pid")")" = dovecot ]; then
		DPID=$(cat "$R/run/master.pid")
	fi
	[ -n "$DPID" ] || return 0
	kill "$DPID" 2>/dev/null
	n=0
	while kill -0 "$DPID" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$DPID" 2>/dev/null
	DPID=
}

# ---- the postlet instance
stop_all() {
	if [ -f "$I/queue/pid/master.pid" ]; then
		as_me "$B/postlet" -c "$I/conf" stop >/dev/null 2>&1
		mp=$(cat "$I/queue/pid/master.pid" 2>/dev/null)
		[ -z "$mp" ] || kill -9 "$mp" 2>/dev/null
	fi
	dv_stop
	postlet_user_end "$I/queue"
	rm -f "$DM"
}
trap 'stop_all; tap_cleanup' EXIT
as_me sh -c "cat > '$I/conf/main.cf'" <<EOF
queue_directory = $I/queue
daemon_directory = $B
command_directory = $B
mail_owner = $ME
setgid_group = $GROUP
myhostname = client.example
mydestination =
maillog_file = $I/maillog
minimal_backoff_time = 1h
queue_run_delay = 1h
transport_maps = inline:{{x.example=lmtp:inet:127.0.0.1:$PD},
    {y.example=lmtp:unix:$SOCK}}
virtual_mailbox_domains = z.example
virtual_transport = lmtp:unix:$SOCK
virtual_mailbox_maps = inline:{alice@z.example=dovecot}
EOF
as_me sh -c "cat > '$I/conf/master.cf'" <<EOF
pickup unix n - n 60 1 pickup
qmgr unix n - n 300 1 qmgr
cleanup unix n - n - 0 cleanup
bounce unix - - n - 0 bounce
lmtp unix - - n - - lmtp
127.0.0.1:$PS inet n - n - - smtpd
EOF

dv_start || tap_bail "Dovecot did not start: $(cat "$TAP_TMP/dovecot.out" "$R/dovecot.log" 2>/dev/null)"
as_me "$B/postlet" -c "$I/conf" start > "$TAP_TMP/start.out" 2>&1
tap_is "$?" 0 "postlet start" || tap_diag "$(cat "$TAP_TMP/start.out")"

# send FILE RCPT...: sendmail -i from postmaster@y.example.
send() {
	f=$1
	shift
	as_me env MAIL_CONFIG="$I/conf" "$B/sendmail" -i \
	    -f postmaster@y.example "$@" < "$f"
}
# wait_log PATTERN N: until the maillog has N lines matching (10 s).
wait_log() {
	n=0
	while [ "$(grep -c "$1" "$I/maillog" 2>/dev/null)" -lt "$2" ] &&
	    [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}
# qmgr's delivery lines for one address, with the delay and Dovecot's
# session id in its reply (with ":T2" for a second transaction on a
# connection) made constant.
logged() {
	grep "postlet/qmgr\[[0-9]*\]: [0-9A-F]*: to=<$1>" "$I/maillog" |
	    sed -e 's/^.*: to=/to=/' -e 's/delay=[0-9.]*/delay=D/' \
	    -e 's/> [A-Za-z0-9+\/:]* Saved/> ID Saved/'
}
# newest USER: the newest message file in USER's Maildir/new.
newest() {
	ls -t "$R/home/$1/Maildir/new/"* 2>/dev/null | head -n 1
}
# body FILE: what follows the first empty line.
body() {
	sed '1,/^$/d' "$1"
}
want() {
	printf '%s\n' "$@" > "$TAP_TMP/want"
}

# ---- over TCP
cat > "$TAP_TMP/m1" <<'EOF'
From: Postmaster <postmaster@y.example>
To: alice@x.example
Subject: to Dovecot over TCP
Message-ID: <166.1@client.example>

first line
.a leading dot
..two dots
	a tab, trailing spaces   
last line
EOF
send "$TAP_TMP/m1" alice@x.example
wait_log 'to=<alice@x.example>.*status=' 1
logged alice@x.example > "$TAP_TMP/got"
want "to=<alice@x.example>, relay=127.0.0.1[127.0.0.1]:$PD, delay=D, dsn=2.0.0, status=sent (250 2.0.0 <alice@x.example> ID Saved)"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "inet: logged sent with Dovecot's reply"
F=$(newest alice)
body "${F:-/dev/null}" > "$TAP_TMP/got"
body "$TAP_TMP/m1" > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "inet: the body in alice's Maildir, byte for byte"
# The header: Dovecot's three lines above ours, then the message's
# (cleanup added Date), with ids, dates and our uid made constant.
sed -e '/^$/q' -e 's/^\(	id \)[^;]*/\1ID/' -e 's/; [A-Z][a-z][a-z], .*/; DATE/' \
    -e 's/^Date: .*/Date: DATE/' -e 's/userid [0-9]*/userid U/' \
    "${F:-/dev/null}" > "$TAP_TMP/got"
cat > "$TAP_TMP/want" <<'EOF'
Return-Path: <postmaster@y.example>
Delivered-To: alice@x.example
Received: from client.example ([127.0.0.1])
	by lmtp.test with LMTP
	id ID
	(envelope-from <postmaster@y.example>)
	for <alice@x.example>; DATE
Received: by client.example (postlet, from userid U)
	id ID; DATE
From: Postmaster <postmaster@y.example>
To: alice@x.example
Subject: to Dovecot over TCP
Message-ID: <166.1@client.example>
Date: DATE

EOF
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "inet: Dovecot's Return-Path, Delivered-To, Received above ours"

# ---- over the UNIX-domain socket
cat > "$TAP_TMP/m2" <<'EOF'
Subject: to Dovecot over its socket

over the socket
.
EOF
send "$TAP_TMP/m2" bob@y.example
wait_log 'to=<bob@y.example>.*status=' 1
logged bob@y.example > "$TAP_TMP/got"
want "to=<bob@y.example>, relay=client.example[$SOCK], delay=D, dsn=2.0.0, status=sent (250 2.0.0 <bob@y.example> ID Saved)"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "unix: logged sent with Dovecot's reply"
F=$(newest bob)
{ sed -n '2p' "${F:-/dev/null}"; body "${F:-/dev/null}"; } > "$TAP_TMP/got"
{ echo "Delivered-To: bob@y.example"; body "$TAP_TMP/m2"; } > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "unix: delivered to bob's Maildir, body byte for byte"

# ---- two recipients, one that Dovecot does not know (and that one
# again at the socket)
printf 'Subject: two\n\nfor alice and carol\n' > "$TAP_TMP/m3"
send "$TAP_TMP/m3" alice@x.example carol@x.example carol@y.example
wait_log 'to=<postmaster@y.example>.*status=' 1
wait_log 'to=<alice@x.example>.*status=' 2
logged alice@x.example | sed -n 2p > "$TAP_TMP/got"
want "to=<alice@x.example>, relay=127.0.0.1[127.0.0.1]:$PD, delay=D, dsn=2.0.0, status=sent (250 2.0.0 <alice@x.example> ID Saved)"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "two recipients: alice sent"
logged carol@x.example > "$TAP_TMP/got"
want "to=<carol@x.example>, relay=127.0.0.1[127.0.0.1]:$PD, delay=D, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <carol@x.example> User doesn't exist: carol@x.example (in reply to RCPT TO command))"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "two recipients: carol bounced with Dovecot's 550 5.1.1"
logged carol@y.example > "$TAP_TMP/got"
want "to=<carol@y.example>, relay=client.example[$SOCK], delay=D, dsn=5.1.1, status=bounced (host client.example[$SOCK] said: 550 5.1.1 <carol@y.example> User doesn't exist: carol@y.example (in reply to RCPT TO command))"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "unix: carol@y.example bounced the same way"
F=$(newest alice)
body "${F:-/dev/null}" > "$TAP_TMP/got"
body "$TAP_TMP/m3" > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "two recipients: alice's copy in her Maildir"
# the notice to the sender, through Dovecot's socket
logged postmaster@y.example > "$TAP_TMP/got"
want "to=<postmaster@y.example>, relay=client.example[$SOCK], delay=D, dsn=2.0.0, status=sent (250 2.0.0 <postmaster@y.example> ID Saved)"
F=$(newest postmaster)
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "the non-delivery notice delivered to postmaster@y.example"
grep -c "<carol@x.example>: host 127.0.0.1\[127.0.0.1\] said: 550 5.1.1 <carol@x.example> User doesn't exist: carol@x.example" "${F:-/dev/null}" > "$TAP_TMP/got"
want 1
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "the notice quotes Dovecot's reply"

# ---- docs/LMTP.md's setup: a virtual mailbox domain, virtual_transport
# to the socket, smtpd refusing the addresses virtual_mailbox_maps lacks
wait_for "$PS" || tap_bail "smtpd does not listen on $PS"
"$PY" - "$PS" > "$TAP_TMP/got" 2>&1 <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("test.example")
print(s.mail("postmaster@y.example"))
print(s.rcpt("alice@z.example"))
print(s.rcpt("carol@z.example"))
code, msg = s.data(b"Subject: over smtpd\r\n\r\nvia smtpd and virtual_transport\r\n")
print(code, msg.split(b":")[0])
s.quit()
PY
cat > "$TAP_TMP/want" <<'EOF'
(250, b'2.1.0 Ok')
(250, b'2.1.5 Ok')
(550, b'5.1.1 <carol@z.example>: Recipient address rejected: User unknown in virtual mailbox table')
250 b'2.0.0 Ok'
EOF
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "smtpd: alice@z.example taken, carol@z.example refused at RCPT"
wait_log 'to=<alice@z.example>.*status=' 1
logged alice@z.example > "$TAP_TMP/got"
want "to=<alice@z.example>, relay=client.example[$SOCK], delay=D, dsn=2.0.0, status=sent (250 2.0.0 <alice@z.example> ID Saved)"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "virtual_transport: logged sent over the socket"
F=$(newest alice)
{ sed -n '2p' "${F:-/dev/null}"; body "${F:-/dev/null}"; } > "$TAP_TMP/got"
printf 'Delivered-To: alice@z.example\nvia smtpd and virtual_transport\n' \
    > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "virtual_transport: in alice's Maildir"

# ---- NOTIFY=SUCCESS: Dovecot offers no DSN, and LMTP is final delivery,
# so the notice says "delivered" (as Postfix's lmtp_assume_final)
printf 'Subject: tell me\n\nnotify success\n' > "$TAP_TMP/m5"
as_me env MAIL_CONFIG="$I/conf" "$B/sendmail" -i -N success \
    -f postmaster@y.example bob@y.example < "$TAP_TMP/m5"
wait_log 'to=<postmaster@y.example>.*status=sent' 2
F=$(newest postmaster)
grep '^Subject: \|^Final-Recipient: \|^Action: \|^Status: ' "${F:-/dev/null}" \
    > "$TAP_TMP/got"
want "Subject: Successful Mail Delivery Report" \
    "Final-Recipient: rfc822; bob@y.example" "Action: delivered" \
    "Status: 2.0.0" "Subject: tell me"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "NOTIFY=SUCCESS: the notice says delivered"

# ---- Dovecot stopped: deferred; started again and flushed: delivered
dv_stop
wait_for "$PD" down || tap_bail "Dovecot still listens on $PD"
printf 'Subject: later\n\nwhile Dovecot was down\n' > "$TAP_TMP/m4"
send "$TAP_TMP/m4" alice@x.example
send "$TAP_TMP/m4" bob@y.example
wait_log 'status=deferred' 2
grep 'status=deferred' "$I/maillog" | sed -e 's/^.*: to=/to=/' \
    -e 's/delay=[0-9.]*/delay=D/' | sort > "$TAP_TMP/got"
want "to=<alice@x.example>, relay=none, delay=D, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:$PD: Connection refused)" \
    "to=<bob@y.example>, relay=none, delay=D, dsn=4.4.1, status=deferred (connect to $SOCK: Connection refused)"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "Dovecot stopped: both deferred 4.4.1"
dv_start || tap_bail "Dovecot did not start again: $(cat "$TAP_TMP/dovecot.out" "$R/dovecot.log" 2>/dev/null)"
as_me "$B/postlet" -c "$I/conf" flush > "$TAP_TMP/flush.out" 2>&1
tap_is "$?" 0 "postlet flush" || tap_diag "$(cat "$TAP_TMP/flush.out")"
wait_log 'to=<bob@y.example>.*status=sent' 3
wait_log 'to=<alice@x.example>.*status=sent' 3
{ logged alice@x.example | sed -n 4p; logged bob@y.example | sed -n 4p; } > "$TAP_TMP/got"
want "to=<alice@x.example>, relay=127.0.0.1[127.0.0.1]:$PD, delay=D, dsn=2.0.0, status=sent (250 2.0.0 <alice@x.example> ID Saved)" \
    "to=<bob@y.example>, relay=client.example[$SOCK], delay=D, dsn=2.0.0, status=sent (250 2.0.0 <bob@y.example> ID Saved)"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "after flush: both delivered"
{ body "$(newest alice)"; body "$(newest bob)"; } > "$TAP_TMP/got"
{ body "$TAP_TMP/m4"; body "$TAP_TMP/m4"; } > "$TAP_TMP/want"
tap_file_is "$TAP_TMP/got" "$TAP_TMP/want" "after flush: in alice's and bob's Maildirs"
n=0
for u in alice bob postmaster; do
	n=$((n + $(ls "$R/home/$u/Maildir/new" | wc -l)))
done
tap_is "$n" 9 "nine messages in the Maildirs: 4 alice, 3 bob, 2 notices"
as_me "$B/postlet" -c "$I/conf" queue > "$TAP_TMP/out" 2>&1
tap_is "$(cat "$TAP_TMP/out")" "Mail queue is empty" "the queue is empty"

tap_done
