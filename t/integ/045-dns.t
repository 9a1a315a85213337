#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 045-dns.t: postlet's DNS stub resolver (lib/dns) against dnsmasq, a
# real name server nobody here wrote, on a free port of 127.0.0.1,
# through `postlet dns', which prints what the smtp client and smtpd
# would see.  Exact output and exit status for: MX records, the smtp
# client's host list in preference order (AAAA then A per host; only A
# with inet_protocols = ipv4), random order among equal preferences, no
# MX (the domain's own address), null MX (5.1.10, both as dnsmasq's
# --mx-host "." and as raw RDATA), NXDOMAIN (5.4.4) and NODATA against
# REFUSED and an upstream that never answers (4.4.3, bounded by
# resolv.conf's timeout and attempts), a dead server before a live one,
# AAAA, CNAME, TXT, an answer too big for UDP (truncated, asked again
# over TCP), address literals, PTR with forward confirmation ("unknown"
# when it fails), and configuration errors.

. "$(dirname "$0")/../lib.sh"

POSTLET=$(postlet_bin postlet) || tap_bail "$POSTLET"
unset MAIL_CONFIG
NTESTS=34

DNSMASQ=$(command -v dnsmasq 2>/dev/null || true)
[ -n "$DNSMASQ" ] || { [ -x /usr/sbin/dnsmasq ] && DNSMASQ=/usr/sbin/dnsmasq; }
if [ -z "$DNSMASQ" ] || ! command -v python3 >/dev/null 2>&1; then
	tap_plan "$NTESTS"
	tap_skip "$NTESTS" "dnsmasq or python3 missing (mk/testtools.sh installs dnsmasq-base as root)"
	tap_done
fi
tap_plan "$NTESTS"

D=$TAP_TMP/etc
mkdir "$D" "$D/v4" "$D/dead" "$D/bad" || tap_bail "mkdir"
DPID=
stop_dns()
{
	[ -z "$DPID" ] || kill "$DPID" 2>/dev/null
	[ -z "$DPID" ] || wait "$DPID" 2>/dev/null
	DPID=
}
trap 'stop_dns; tap_cleanup' EXIT

# A free port number for UDP and TCP (bound and released: a tiny race,
# so dnsmasq is started again on another port when it cannot bind).
free_port()
{
	python3 -c '
import socket
for i in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break'
}

# The zone.  .test and 2.0.192.in-addr.arpa are answered locally
# (NXDOMAIN for unknown names); dead.test is forwarded to a port where
# nothing answers; anything else is REFUSED (no upstream).
LONG=$(printf '%0200d' 0 | tr 0 x)
start_dns()
{
	PORT=$(free_port)
	[ -n "$PORT" ] || return 1
	set -- --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
	    --port="$PORT" --listen-address=127.0.0.1 --bind-interfaces \
	    --pid-file= --log-facility=- --log-queries \
	    --local=/test/ --local=/2.0.192.in-addr.arpa/ \
	    --server=/dead.test/127.0.0.1#$DEAD \
	    --mx-host=example.test,mx2.example.test,20 \
	    --mx-host=example.test,mx1.example.test,10 \
	    --mx-host=example.test,gone.test,30 \
	    --host-record=mx1.example.test,192.0.2.1,2001:db8::1 \
	    --host-record=mx2.example.test,192.0.2.2 \
	    --mx-host=eq.test,a.eq.test,10 --mx-host=eq.test,b.eq.test,10 \
	    --mx-host=eq.test,c.eq.test,10 --mx-host=eq.test,d.eq.test,20 \
	    --host-record=a.eq.test,192.0.2.11 \
	    --host-record=b.eq.test,192.0.2.12 \
	    --host-record=c.eq.test,192.0.2.13 \
	    --host-record=d.eq.test,192.0.2.14 \
	    --host-record=plain.test,192.0.2.9 \
	    --mx-host=nullmx.test,.,0 --dns-rr=rawnull.test,15,000000 \
	    --cname=alias.test,mx1.example.test \
	    --txt-record=example.test,"v=spf1 -all" \
	    --txt-record=big.test,"1$LONG" --txt-record=big.test,"2$LONG" \
	    --txt-record=big.test,"3$LONG" \
	    --ptr-record=2.2.0.192.in-addr.arpa,mx1.example.test
	if [ "$(id -u)" -eq 0 ]; then
		set -- "$@" --user=nobody
	fi
	"$DNSMASQ" "$@" >"$TAP_TMP/dnsmasq.log" 2>&1 &
	DPID=$!
	# ready when it answers (at most 5 s)
	i=0
	while [ $i -lt 50 ]; do
		printf 'dns_servers = 127.0.0.1:%s\n' "$PORT" >"$D/main.cf"
		if "$POSTLET" -c "$D" dns a plain.test >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	stop_dns
	return 1
}

DEAD=$(free_port)
# An upstream that never answers: a bound UDP socket nobody reads.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(60)' "$DEAD" &
SINK=$!
trap 'stop_dns; kill $SINK 2>/dev/null; tap_cleanup' EXIT
tries=0
until start_dns; do
	tries=$((tries + 1))
	if [ $tries -ge 5 ]; then
		tap_diag "$(cat "$TAP_TMP/dnsmasq.log")"
		tap_skip "$NTESTS" "dnsmasq does not start on 127.0.0.1"
		tap_done
	fi
done

# resolv.conf options for the slow cases; dns_servers replaces its
# nameserver lines
printf 'nameserver 192.0.2.53\noptions timeout:1 attempts:1\n' \
    >"$D/resolv.conf"
cat >"$D/main.cf" <<EOF
dns_servers = 127.0.0.1:$PORT
dns_resolv_conf = $D/resolv.conf
EOF
cat >"$D/v4/main.cf" <<EOF
dns_servers = 127.0.0.1:$PORT
inet_protocols = ipv4
EOF
cat >"$D/bad/main.cf" <<EOF
dns_servers = 127.0.0.1:$PORT, [::1
EOF

# dns WANT_STATUS WANT_OUT WANT_ERR NAME ARGS...: one call, exact output.
dns()
{
	ws=$1 wo=$2 we=$3 name=$4
	shift 4
	if [ "$1" = sh ]; then
		tap_run "$@"
	else
		tap_run "$POSTLET" "$@"
	fi
	tap_is "$tap_status|$(cat "$TAP_TMP/out")|$(cat "$TAP_TMP/err")" \
	    "$ws|$wo|$we" "$name"
}
NL='
'
dns 0 "10 mx1.example.test${NL}20 mx2.example.test${NL}30 gone.test" "" \
    "MX records" sh -c "'$POSTLET' -c '$D' dns mx example.test | sort"
dns 0 "10 mx1.example.test[2001:db8::1]${NL}10 mx1.example.test[192.0.2.1]${NL}20 mx2.example.test[192.0.2.2]" "" \
    "hosts: by preference, AAAA then A, host without address skipped" \
    -c "$D" dns hosts example.test
dns 0 "10 mx1.example.test[192.0.2.1]${NL}20 mx2.example.test[192.0.2.2]" "" \
    "hosts with inet_protocols = ipv4" -c "$D/v4" dns hosts example.test
dns 0 "0 plain.test[192.0.2.9]" "" "no MX: the domain's own address" \
    -c "$D/v4" dns hosts plain.test
dns 68 "" "postlet: 5.1.10 Domain nullmx.test does not accept mail (nullMX)" \
    "null MX (dnsmasq --mx-host .)" -c "$D" dns hosts nullmx.test
dns 68 "" "postlet: 5.1.10 Domain rawnull.test does not accept mail (nullMX)" \
    "null MX (raw RDATA)" -c "$D" dns hosts rawnull.test
dns 0 "0 ." "" "null MX record shown as ." -c "$D" dns mx nullmx.test
dns 68 "" "postlet: 5.4.4 Host or domain name not found. Name service error for name=nx.test type=MX: Host not found" \
    "NXDOMAIN: permanent" -c "$D" dns hosts nx.test
dns 68 "" "postlet: 5.4.4 Host or domain name not found. Name service error for name=example.test type=A: Host found but no data record of requested type" \
    "NODATA: permanent" -c "$D/v4" dns host example.test
dns 75 "" "postlet: 4.4.3 Host or domain name not found. Name service error for name=other.example type=MX: Host not found, try again" \
    "REFUSED: temporary" -c "$D" dns hosts other.example
tap_run "$POSTLET" -v -c "$D" dns mx other.example
tap_is "$(grep -c 'other.example MX from 127.0.0.1:'"$PORT"': server error (rcode 5: REFUSED)' "$TAP_TMP/err")" 1 \
    "REFUSED seen once with attempts:1 (postlet -v)"
start=$(date +%s)
dns 75 "" "postlet: 4.4.3 Host or domain name not found. Name service error for name=dead.test type=MX: Host not found, try again" \
    "upstream never answers: timeout, temporary" -c "$D" dns hosts dead.test
end=$(date +%s)
[ $((end - start)) -le 4 ]
tap_ok $? "timeout:1 attempts:1 bound the wait ($((end - start)) s)"

# a dead server first: the next one answers
cat >"$D/dead/main.cf" <<EOF
dns_servers = 127.0.0.1:$DEAD 127.0.0.1:$PORT
dns_resolv_conf = $D/resolv.conf
EOF
dns 0 "192.0.2.9" "" "a server that never answers, then a live one" \
    -c "$D/dead" dns a plain.test

dns 0 "2001:db8::1" "" "AAAA" -c "$D" dns aaaa mx1.example.test
dns 0 "192.0.2.1" "" "CNAME followed" -c "$D" dns a alias.test
dns 0 '"v=spf1 -all"' "" "TXT" -c "$D" dns txt example.test
dns 0 "\"1$LONG\"$NL\"2$LONG\"$NL\"3$LONG\"" "" \
    "answer over 512 bytes: truncated over UDP, taken over TCP" \
    sh -c "'$POSTLET' -c '$D' dns txt big.test | sort"
tap_is "$(grep -c 'query\[TXT\] big.test from 127.0.0.1' "$TAP_TMP/dnsmasq.log")" 2 \
    "big.test asked twice (UDP, then TCP)"
dns 0 "0 192.0.2.3[192.0.2.3]" "" "address literal, no lookup" \
    -c "$D" dns hosts "[192.0.2.3]"
dns 0 "0 2001:db8::3[2001:db8::3]" "" "IPv6 address literal" \
    -c "$D" dns hosts "[IPv6:2001:db8::3]"
dns 68 "" "postlet: 5.4.4 Host or domain name not found. Name service error for name=[192.0.2.300] type=A: malformed domain name" \
    "malformed address literal" -c "$D" dns hosts "[192.0.2.300]"
dns 0 "mx1.example.test[2001:db8::1]${NL}mx1.example.test[192.0.2.1]" "" \
    "host without MX lookup (relayhost = [host])" \
    -c "$D" dns host mx1.example.test

# smtpd's client names
dns 0 "mx1.example.test" "" "PTR of an address" -c "$D" dns ptr 192.0.2.1
dns 0 "mx1.example.test[192.0.2.1]" "" "client name forward-confirmed" \
    -c "$D" dns client 192.0.2.1
dns 0 "mx1.example.test[2001:db8::1]" "" "IPv6 client name forward-confirmed" \
    -c "$D" dns client 2001:db8::1
dns 68 "unknown[192.0.2.2]" "postlet: 5.4.4 hostname mx1.example.test does not resolve to address 192.0.2.2" \
    "PTR not confirmed: unknown, permanent" -c "$D" dns client 192.0.2.2
dns 68 "unknown[192.0.2.77]" "postlet: 5.4.4 Host or domain name not found. Name service error for name=77.2.0.192.in-addr.arpa type=PTR: Host not found" \
    "no PTR: unknown, permanent" -c "$D" dns client 192.0.2.77
dns 75 "unknown[198.51.100.1]" "postlet: 4.4.3 Host or domain name not found. Name service error for name=1.100.51.198.in-addr.arpa type=PTR: Host not found, try again" \
    "PTR lookup refused: unknown, temporary" -c "$D" dns client 198.51.100.1

# random order among equal preferences, preference order kept: 30 runs
firsts=
ordered=0
i=0
while [ $i -lt 30 ]; do
	out=$("$POSTLET" -c "$D/v4" dns hosts eq.test)
	set -- $out
	# 4 lines of 2 words; the last is d, the three others a, b, c
	if [ "$7 $8" = "20 d.eq.test[192.0.2.14]" ] &&
	    [ "$(printf '%s\n' "$2" "$4" "$6" | sort | tr '\n' ' ')" = \
	    "a.eq.test[192.0.2.11] b.eq.test[192.0.2.12] c.eq.test[192.0.2.13] " ]; then
		ordered=$((ordered + 1))
	fi
	case " $firsts " in
	*" $2 "*) ;;
	*) firsts="$firsts $2" ;;
	esac
	i=$((i + 1))
done
tap_is "$ordered" 30 "equal preferences: 30 lists in preference order"
set -- $firsts
[ $# -ge 2 ]
tap_ok $? "equal preferences: more than one host first in 30 runs ($firsts )"

# configuration and usage errors
tap_run "$POSTLET" -c "$D/bad" dns a plain.test
tap_is "$tap_status|$(cat "$TAP_TMP/err")" \
    "78|postlet: error: dns_servers: malformed address \"[::1\"" \
    "malformed dns_servers: configuration error"
tap_run "$POSTLET" -c "$D" dns srv plain.test
tap_is "$tap_status|$(cat "$TAP_TMP/err")" \
    "64|usage: postlet dns a|aaaa|mx|ptr|txt|cname|hosts|host|client name" \
    "unknown lookup type: usage"
tap_run "$POSTLET" -c "$D" conf -h dns_servers dns_resolv_conf
tap_is "$(cat "$TAP_TMP/out")" "127.0.0.1:$PORT$NL$D/resolv.conf" \
    "postlet conf knows dns_servers and dns_resolv_conf"
tap_done
