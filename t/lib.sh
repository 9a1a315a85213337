# SPDX-License-Identifier: ISC
#
# lib.sh: shared helpers for postlet's integration tests (t/integ/*.t),
# which are POSIX sh scripts speaking TAP.  A test sources this file,
# calls tap_plan, runs checks, and ends with tap_done, whose exit status
# is 0 only when every check passed and the plan was kept.
#
#	. "$(dirname "$0")/../lib.sh"
#	tap_plan 2
#	P=$(postlet_bin postlet) || tap_bail "$P"
#	tap_run "$P" -c "$TAP_TMP" conf -h mail_name
#	tap_ok "$tap_status" "postlet conf exits 0"
#	tap_is "$(cat "$TAP_TMP/out")" postlet "default mail_name"
#	tap_done
#
# On load it makes a fresh directory, $TAP_TMP, with mktemp -d; a trap
# removes it when the script exits (set TAP_KEEP=1 to keep it).  Binaries
# come from $POSTLET_BUILD/bin, which `make check` sets; the default is
# the build/ directory of the source tree the script is in.  Nothing here
# reads the host's mail configuration.

tap_count=0
tap_failed=0
tap_planned=

# The source tree and the build tree, as absolute paths.
POSTLET_SRC=$(cd "$(dirname "$0")/../.." && pwd)
POSTLET_BUILD=${POSTLET_BUILD:-$POSTLET_SRC/build}
if [ -d "$POSTLET_BUILD" ]; then
	POSTLET_BUILD=$(cd "$POSTLET_BUILD" && pwd)
fi

# tap_diag TEXT...: a diagnostic line (each line of TEXT gets "# ").
tap_diag()
{
	printf '%s\n' "$*" | sed 's/^/# /'
}

# tap_bail TEXT: stop the whole test run.
tap_bail()
{
	printf 'Bail out! %s\n' "$*"
	exit 1
}

# tap_plan N: the number of checks this script will run.
tap_plan()
{
	tap_planned=$1
	printf '1..%s\n' "$1"
}

# tap_ok STATUS NAME: one check; it passes when STATUS is 0 (so a
# command's $? can be passed directly).  Returns 0 when it passed.
tap_ok()
{
	tap_count=$((tap_count + 1))
	if [ "$1" = 0 ]; then
		printf 'ok %d - %s\n' "$tap_count" "$2"
		return 0
	fi
	printf 'not ok %d - %s\n' "$tap_count" "$2"
	tap_failed=$((tap_failed + 1))
	return 1
}

# tap_is GOT WANT NAME: passes when the two strings are equal; shows both
# when they are not.
tap_is()
{
	if [ "$1" = "$2" ]; then
		tap_ok 0 "$3"
		return 0
	fi
	tap_ok 1 "$3"
	tap_diag "  got: '$1'"
	tap_diag " want: '$2'"
	return 1
}

# tap_file_is GOTFILE WANTFILE NAME: passes when the files are equal byte
# for byte; shows a diff when they are not.
tap_file_is()
{
	if cmp -s "$1" "$2"; then
		tap_ok 0 "$3"
		return 0
	fi
	tap_ok 1 "$3"
	if [ -e "$1" ] && [ -e "$2" ]; then
		diff -u "$2" "$1" | sed 's/^/# /'
	else
		tap_diag "missing: $1 or $2"
	fi
	return 1
}

# tap_skip N REASON: N checks skipped (a missing tool, an unmet need).
tap_skip()
{
	tap_skip_n=$1
	while [ "$tap_skip_n" -gt 0 ]; do
		tap_count=$((tap_count + 1))
		printf 'ok %d # SKIP %s\n' "$tap_count" "$2"
		tap_skip_n=$((tap_skip_n - 1))
	done
}

# tap_done: the end.  Exits 0 only when all passed and the plan was kept.
tap_done()
{
	if [ -z "$tap_planned" ]; then
		printf '1..%d\n' "$tap_count"
	elif [ "$tap_planned" -ne "$tap_count" ]; then
		tap_diag "planned $tap_planned checks but ran $tap_count"
		exit 1
	fi
	if [ "$tap_failed" -gt 0 ]; then
		tap_diag "failed $tap_failed of $tap_count"
		exit 1
	fi
	exit 0
}

# tap_run COMMAND...: run it with standard output in $TAP_TMP/out, errors
# in $TAP_TMP/err and the exit status in $tap_status.
tap_run()
{
	"$@" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
	tap_status=$?
}

# postlet_bin NAME: the path of a built program, or a message and 1.
postlet_bin()
{
	if [ ! -x "$POSTLET_BUILD/bin/$1" ]; then
		printf '%s\n' "no $POSTLET_BUILD/bin/$1: run make first"
		return 1
	fi
	printf '%s\n' "$POSTLET_BUILD/bin/$1"
}

# postlet_bin_copy: copy the built programs into $TAP_TMP/bin (hard
# links kept) and print that directory.  Daemons that run as another user
# (mail_owner, a recipient) must exec programs that user can reach, and a
# checkout under /root is not.
postlet_bin_copy()
{
	mkdir -p "$TAP_TMP/bin" &&
	    cp -a "$POSTLET_BUILD/bin/." "$TAP_TMP/bin/" &&
	    chmod 755 "$TAP_TMP" "$TAP_TMP/bin" &&
	    printf '%s\n' "$TAP_TMP/bin"
}

# postlet_as_user PREFIX NCHECKS: the non-root mode of an instance.  As
# root, create a throwaway user named PREFIX<random> (TU; the caller
# removes it with userdel in its trap) and define as_me to run a command
# as that user; otherwise use ourselves (TU empty).  Sets ME (the user's
# name) and GROUP.  Without useradd or setpriv, skips NCHECKS checks and
# ends the script.
postlet_as_user()
{
	TU=
	if [ "$(id -u)" -eq 0 ]; then
		if ! command -v useradd >/dev/null 2>&1 ||
		    ! command -v setpriv >/dev/null 2>&1; then
			tap_skip "$2" "useradd or setpriv missing"
			tap_done
		fi
		TU=$1$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
		if ! useradd -M -U -d /nonexistent -s /bin/sh "$TU" \
		    >/dev/null 2>&1; then
			TU=
			tap_skip "$2" "useradd failed"
			tap_done
		fi
		ME=$TU
		as_me() {
			setpriv --reuid="$TU" --regid="$(id -g "$TU")" \
			    --clear-groups "$@"
		}
	else
		ME=$(id -un)
		as_me() { "$@"; }
	fi
	GROUP=$(id -gn "$ME")
}

# postlet_user_end QUEUE_DIR: the end of an instance run as the test
# user of postlet_as_user: give a daemonless pass (sendmail's background
# child holds QUEUE_DIR/active or incoming locked) up to 10 seconds to
# end, then, as root, kill what still runs as the test user and remove
# the user.  Stop master first.
postlet_user_end()
{
	if command -v flock >/dev/null 2>&1 && [ -d "$1/active" ]; then
		flock -w 10 "$1/incoming" flock -w 10 "$1/active" true \
		    2>/dev/null
	fi
	if [ -n "$TU" ]; then
		for p in $(ps -u "$TU" -o pid= 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		# userdel refuses a user that a process still runs as, and
		# a killed process takes a moment to go: up to 5 seconds.
		pu_i=0
		while [ -n "$(ps -u "$TU" -o pid= 2>/dev/null)" ] &&
		    [ $pu_i -lt 50 ]; do
			sleep 0.1
			pu_i=$((pu_i + 1))
		done
		userdel "$TU" >/dev/null 2>&1
	fi
}

# postlet_instance: a whole instance in $TAP_TMP/i run as $ME (after
# postlet_as_user): the programs copied (B), I, C (conf), Q (queue), LOG
# (maillog), mail_spool_directory $I/mail/ (a Maildir per user) and
# myhostname host.example.test, mynetworks 127.0.0.0/8, no aliases, no
# reverse DNS.  More main.cf lines come on standard input.  The caller
# writes $C/master.cf and starts it; postlet_instance_stop ends it.
postlet_instance()
{
	chmod 755 "$TAP_TMP"
	B=$(postlet_bin_copy) || tap_bail "cannot copy the programs"
	I=$TAP_TMP/i
	C=$I/conf
	Q=$I/queue
	LOG=$I/maillog
	mkdir -p "$C" "$I/mail"
	{
		cat <<EOS
queue_directory = $Q
command_directory = $B
daemon_directory = $B
mail_owner = $ME
setgid_group = $GROUP
maillog_file = $LOG
mail_spool_directory = $I/mail/
myhostname = host.example.test
mydestination = \$myhostname
alias_maps =
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
EOS
		cat
	} > "$C/main.cf"
	chown -R "$ME:$GROUP" "$I"
}

# postlet_master_cf PORT MAXPROC: $C/master.cf of the instance of
# postlet_instance, with smtpd on 127.0.0.1:PORT (at most MAXPROC) and
# the daemons of the local mail path (pickup, cleanup, qmgr, local); the
# configuration directory then belongs to $ME.
postlet_master_cf()
{
	cat > "$C/master.cf" <<EOS
127.0.0.1:$1 inet n - n - $2 smtpd
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
local     unix  -  -  n  -    -  local
EOS
	chown -R "$ME:$GROUP" "$C"
}

# postlet_instance_stop: stop the instance of postlet_instance (master
# killed if it does not stop) and end the test user's processes.
postlet_instance_stop()
{
	as_me "$B/postlet" -c "$C" stop >/dev/null 2>&1
	pi_pid=$(cat "$Q/pid/master.pid" 2>/dev/null)
	[ -z "$pi_pid" ] || kill -9 "$pi_pid" 2>/dev/null
	postlet_user_end "$Q"
}

# free_ports N: N free TCP ports on 127.0.0.1 (python3), separated by
# blanks, for listeners of the test's; free_port: one.
free_ports()
{
	python3 -c '
import socket, sys
ss = []
for i in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}
free_port()
{
	free_ports 1
}

# The temporary directory, removed at exit (also on a signal).
TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/postlet-t.XXXXXX") ||
    tap_bail "mktemp -d failed"
tap_cleanup()
{
	if [ -z "${TAP_KEEP:-}" ]; then
		rm -rf "$TAP_TMP"
	else
		printf '# kept %s\n' "$TAP_TMP"
	fi
}
trap tap_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
