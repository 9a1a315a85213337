#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 092-flow.t: in_flow_delay, arrival flow control (lib/flow.h), in a
# whole instance in non-root mode.  qmgr fills the FIFO public/flow
# (mode 0600, mail_owner's) with default_process_limit tokens; each
# message takes one in cleanup and gets it back when qmgr is done with
# it; with the tokens taken away (the test reads them), a message waits
# in_flow_delay and is then accepted anyway; with a token there it does
# not wait.  Python's smtplib is the client; the FIFO is read with
# FIONREAD (as root, or as the instance's user when not root).
. "$(dirname "$0")/../lib.sh"

NCHECK=10
tap_plan $NCHECK

if ! command -v python3 >/dev/null 2>&1; then
	tap_skip $NCHECK "python3 not installed"
	tap_done
fi
unset MAIL_CONFIG
postlet_as_user plf $NCHECK
postlet_instance <<EOS
default_process_limit = 7
in_flow_delay = 3s
EOS
PORT=$(free_port)
trap 'postlet_instance_stop; tap_cleanup' EXIT
postlet_master_cf "$PORT" 10

as_me "$B/postlet" -c "$C" start > "$TAP_TMP/out" 2>&1
tap_ok $? "postlet start" || tap_diag "$(cat "$TAP_TMP/out")"

# tokens [take]: how many tokens the FIFO holds (after taking them all)
cat > "$TAP_TMP/tokens.py" <<'PY'
import array, fcntl, os, sys, termios, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
a = array.array("i", [0])
fcntl.ioctl(fd, termios.FIONREAD, a)
if len(sys.argv) > 2:
    while True:
        try:
            if not os.read(fd, 4096):
                break
        except BlockingIOError:
            break
print(a[0])
PY
tokens() { python3 "$TAP_TMP/tokens.py" "$Q/public/flow" "$@"; }
# wait_tokens N: until the FIFO holds N tokens, 10 seconds at most
wait_tokens() {
	wt_i=0
	while [ "$(tokens)" != "$1" ] && [ $wt_i -lt 100 ]; do
		sleep 0.1
		wt_i=$((wt_i + 1))
	done
	tokens
}
# send N: one message, to the local user; prints the seconds it took
send() {
	python3 - "$PORT" "$ME" "$1" <<'PY'
import smtplib, sys, time
port, me, n = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t = time.time()
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.sendmail("sender@example.org", ["%s@host.example.test" % me],
           "Subject: flow %s\r\n\r\nbody %s\r\n" % (n, n))
s.quit()
print("%.2f" % (time.time() - t))
PY
}
# delivered N: until N messages are in the Maildir, 10 seconds at most
delivered() {
	dl_i=0
	while [ "$(ls "$I/mail/$ME/new" 2>/dev/null | wc -l)" -lt "$1" ] &&
	    [ $dl_i -lt 100 ]; do
		sleep 0.1
		dl_i=$((dl_i + 1))
	done
	ls "$I/mail/$ME/new" 2>/dev/null | wc -l | tr -d ' '
}

tap_is "$(stat -c '%F %a %U' "$Q/public/flow")" "fifo 600 $ME" \
    "public/flow: a FIFO, mode 0600, mail_owner's"
tap_is "$(wait_tokens 7)" 7 "qmgr fills it: default_process_limit tokens"

t=$(send 1)
tap_is "$(delivered 1) $(wait_tokens 7)" "1 7" \
    "a message delivered, its token back: 7 again"

tap_is "$(tokens take)" 7 "the test takes the 7 tokens away"
t=$(send 2)
awk -v t="$t" 'BEGIN { exit !(t >= 2.5) }'
tap_ok $? "without a token, the message waited in_flow_delay (${t}s)"
tap_is "$(delivered 2)" 2 "and was accepted and delivered anyway"
tap_is "$(wait_tokens 1)" 1 "its token back: one in the FIFO"
t=$(send 3)
awk -v t="$t" 'BEGIN { exit !(t < 2.5) }'
tap_ok $? "with that token, the next message did not wait (${t}s)"
tap_is "$(delivered 3) $(wait_tokens 1)" "3 1" \
    "delivered; it took the token and gave it back"
