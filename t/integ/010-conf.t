#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 010-conf.t: `postlet conf` and `postlet check` on configuration files in
# a temporary directory.  Output is compared byte for byte with what
# postconf(1) would print for the same main.cf; edits are compared with
# the whole expected file (comments, continuation lines, mode); refused
# edits must leave the file as it was.  Last, every parameter that
# `postlet conf -d` shows must be documented, with the same default, in
# docs/postlet.cf.5.

. "$(dirname "$0")/../lib.sh"

tap_plan 65

P=$(postlet_bin postlet) || tap_bail "$P"
T=$TAP_TMP
OUT=$T/out
ERR=$T/err
unset MAIL_CONFIG

# The mode of a file as ls shows it ("-rw-r-----").
mode_of()
{
	ls -ln "$1" | cut -c1-10
}

# --- Showing: -n, -h, -x, -d ---------------------------------------------

D=$T/etc
mkdir "$D"
cat >"$D/main.cf" <<'EOF'
# main.cf for 010-conf.t
myhostname = mail.example.com
mynetworks = 127.0.0.0/8,
    10.0.0.0/8
# a comment between settings
relayhost = [$mydomain]:587
my_relay = x
mail_name = Mail $my_relay
EOF

tap_run "$P" -c "$D" conf -n
tap_ok "$tap_status" "conf -n: exit 0"
cat >"$T/want" <<'EOF'
mail_name = Mail $my_relay
my_relay = x
myhostname = mail.example.com
mynetworks = 127.0.0.0/8, 10.0.0.0/8
relayhost = [$mydomain]:587
EOF
tap_file_is "$OUT" "$T/want" "conf -n: the settings, sorted, unexpanded"
tap_is "$(cat "$ERR")" "" "conf -n: no warnings (my_relay is used)"

tap_run "$P" -c "$D" conf -h relayhost
printf '%s\n' '[$mydomain]:587' >"$T/want"
tap_file_is "$OUT" "$T/want" "conf -h: the raw value alone"

tap_run "$P" -c "$D" conf -h -x relayhost
printf '%s\n' '[example.com]:587' >"$T/want"
tap_file_is "$OUT" "$T/want" "conf -h -x: expanded"

tap_run "$P" -c "$D" conf -x myorigin mydomain mail_name mydestination
cat >"$T/want" <<'EOF'
myorigin = mail.example.com
mydomain = example.com
mail_name = Mail x
mydestination = mail.example.com, localhost.example.com, localhost
EOF
tap_file_is "$OUT" "$T/want" "conf -x: defaults and settings expanded, in \
the order asked"

tap_run "$P" -c "$D" conf myorigin relayhost maillog_file
cat >"$T/want" <<'EOF'
myorigin = $myhostname
relayhost = [$mydomain]:587
maillog_file =
EOF
tap_file_is "$OUT" "$T/want" "conf: raw default, raw setting, empty \
value as 'name ='"

tap_run "$P" -c "$D" conf -d message_size_limit mail_name relayhost \
    mydestination myorigin bounce_queue_lifetime alias_maps
cat >"$T/want" <<'EOF'
message_size_limit = 10240000
mail_name = postlet
relayhost =
mydestination = $myhostname, localhost.$mydomain, localhost
myorigin = $myhostname
bounce_queue_lifetime = 5d
alias_maps = cdb:/etc/postlet/aliases
EOF
tap_file_is "$OUT" "$T/want" "conf -d: defaults, not the settings"

tap_run "$P" -c "$D" conf -d -h mail_name
tap_is "$(cat "$OUT")" "postlet" "conf -d -h: the default alone"

tap_run "$P" -c "$D" conf -n message_size_limit relayhost
tap_is "$(cat "$OUT")" 'relayhost = [$mydomain]:587' \
    "conf -n with names: only those set"

tap_run "$P" -c "$D" conf -h config_directory
tap_is "$(cat "$OUT")" "$D" "conf -h config_directory: the -c directory"

tap_run "$P" -c "$D" conf -h no_such_parameter
tap_is "$(cat "$OUT")" "" "unknown name: nothing on standard output"
grep -q 'no_such_parameter: unknown parameter' "$ERR"
tap_ok $? "unknown name: a warning"

tap_run "$P" -c "$D" conf
tap_ok "$tap_status" "conf: exit 0"
grep -q '^myhostname = mail.example.com$' "$OUT" &&
    grep -q '^message_size_limit = 10240000$' "$OUT" &&
    ! grep -q '^my_relay' "$OUT"
tap_ok $? "conf: every known parameter, set or default, not the user's"

# --- MAIL_CONFIG --------------------------------------------------------

D2=$T/etc2
mkdir "$D2"
printf 'myhostname = other.example.org\n' >"$D2/main.cf"
tap_run env MAIL_CONFIG="$D" "$P" conf -h myhostname
tap_is "$(cat "$OUT")" "mail.example.com" "MAIL_CONFIG picks the directory"
tap_run env MAIL_CONFIG="$D" "$P" conf -h config_directory
tap_is "$(cat "$OUT")" "$D" "MAIL_CONFIG is config_directory"
tap_run env MAIL_CONFIG="$D" "$P" -c "$D2" conf -h myhostname
tap_is "$(cat "$OUT")" "other.example.org" "-c wins over MAIL_CONFIG"

# --- Editing: name=value --------------------------------------------------

E=$T/edit
mkdir "$E"
cat >"$E/main.cf" <<'EOF'
# Edited by 010-conf.t
# mynetworks = a commented-out setting stays
myhostname = old.example.com
mynetworks = 127.0.0.0/8,
    10.0.0.0/8
# a comment inside the value
    192.168.0.0/16

relayhost = [old]
mynetworks = second
  second-continued
mynetworks_style = host
# tail comment
EOF
chmod 640 "$E/main.cf"

tap_run "$P" -c "$E" conf mynetworks=1.2.3.4 'mail_name = New Name' \
    myhostname=new.example.com
tap_ok "$tap_status" "edit: exit 0"
tap_is "$(cat "$ERR")" "" "edit: silent (nothing new is wrong)"
cat >"$T/want" <<'EOF'
# Edited by 010-conf.t
# mynetworks = a commented-out setting stays
myhostname = new.example.com
mynetworks = 1.2.3.4
# a comment inside the value

relayhost = [old]
mynetworks_style = host
# tail comment
mail_name = New Name
EOF
tap_file_is "$E/main.cf" "$T/want" "edit: first setting replaced with its \
continuations, later ones removed, comments kept, new name appended"
tap_is "$(mode_of "$E/main.cf")" "-rw-r-----" "edit: file mode kept"
tap_is "$(ls "$E")" "main.cf" "edit: no temporary file left behind"

tap_run "$P" -c "$E" conf -h -x mynetworks mail_name
tap_is "$(cat "$OUT")" "1.2.3.4
New Name" "edit: the new values read back"

tap_run "$P" -c "$E" conf -e relayhost=
tap_ok "$tap_status" "edit -e with an empty value: exit 0"
grep -q '^relayhost = $' "$E/main.cf"
tap_ok $? "edit -e with an empty value: 'relayhost = '"

# --- Editing: -X -----------------------------------------------------------

X=$T/remove
mkdir "$X"
cat >"$X/main.cf" <<'EOF'
# keep me
alias_maps = cdb:/a,
  cdb:/b
  # a comment inside the value
  cdb:/c
mail_name = x
relayhost = [r]
alias_maps = again
	and more
# end
EOF
chmod 600 "$X/main.cf"
tap_run "$P" -c "$X" conf -X alias_maps relayhost no_such_setting
tap_ok "$tap_status" "-X: exit 0"
cat >"$T/want" <<'EOF'
# keep me
  # a comment inside the value
mail_name = x
# end
EOF
tap_file_is "$X/main.cf" "$T/want" "-X: every setting of the names and \
their continuation lines gone, comments kept"
tap_is "$(mode_of "$X/main.cf")" "-rw-------" "-X: file mode kept"

# --- Editing: no final newline, no file ------------------------------------

N=$T/nonl
mkdir "$N"
printf 'mail_name = a' >"$N/main.cf"
tap_run "$P" -c "$N" conf relayhost=x
printf 'mail_name = a\nrelayhost = x\n' >"$T/want"
tap_file_is "$N/main.cf" "$T/want" "edit: a last line without newline \
gets one"

M=$T/new
mkdir "$M"
tap_run "$P" -c "$M" conf mail_name=first
tap_ok "$tap_status" "edit without main.cf: exit 0"
printf 'mail_name = first\n' >"$T/want"
tap_file_is "$M/main.cf" "$T/want" "edit without main.cf: creates it"
tap_is "$(mode_of "$M/main.cf")" "-rw-r--r--" "edit without main.cf: mode \
644"

# --- Editing: refused --------------------------------------------------------

cp "$E/main.cf" "$T/before"
tap_run "$P" -c "$E" conf message_size_limit=abc
tap_is "$tap_status" 78 "edit adding an error: exit 78 (EX_CONFIG)"
cmp -s "$E/main.cf" "$T/before"
tap_ok $? "edit adding an error: main.cf unchanged"
grep -q "message_size_limit: bad size value \"abc\"" "$ERR" &&
    grep -q "not changed" "$ERR"
tap_ok $? "edit adding an error: says why and that nothing changed"

tap_run "$P" -c "$E" conf mail_name=ok maximal_queue_lifetime=5x
tap_is "$tap_status" 78 "one bad value among good ones: exit 78"
cmp -s "$E/main.cf" "$T/before"
tap_ok $? "one bad value among good ones: nothing written"

tap_run "$P" -c "$E" conf 'mail_name=${oops'
tap_is "$tap_status" 78 "edit adding an expansion error: exit 78"
cmp -s "$E/main.cf" "$T/before"
tap_ok $? "edit adding an expansion error: unchanged"

tap_run "$P" -c "$E" conf a-b=c
tap_is "$tap_status" 64 "edit with a bad name: exit 64 (EX_USAGE)"
cmp -s "$E/main.cf" "$T/before"
tap_ok $? "edit with a bad name: unchanged"

tap_run "$P" -c "$E" conf -X mail_name -e relayhost=x
tap_is "$tap_status" 64 "-X with -e: exit 64"

# --- postlet check ---------------------------------------------------------

G=$T/good
mkdir "$G"
cp "$D/main.cf" "$G/main.cf"
cat >"$G/master.cf" <<'EOF'
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       n       -       -       smtpd
submission inet n       -       n       -       -       smtpd
  -o mail_name=Submission
  -o { mynetworks = 127.0.0.0/8, [::1]/128 }
  -o message_size_limit=${my_relay?20480000}
pickup    unix  n       -       n       60      1       pickup
qmgr      unix  n       -       n       300?    1       qmgr
local     unix  -       n       n       -       -       local
EOF
tap_run "$P" -c "$G" check
tap_is "$tap_status" 0 "check, good files: exit 0"
tap_is "$(cat "$OUT" "$ERR")" "" "check, good files: prints nothing"

B=$T/bad
mkdir "$B"
cat >"$B/main.cf" <<'EOF'
message_size_limit = abc
unknown_thing = 1
mail_name = ${oops
# comment
maximal_queue_lifetime = 5x
EOF
cat >"$B/master.cf" <<'EOF'
smtp      inet  n       -       n       -       -       smtpd
  -o message_size_limit=x
pickup    unix  n       -       n       60s     1       pickup
smtp      inet  n       -       n       -       -       smtpd
short     unix  n       -       n
EOF
tap_run "$P" -c "$B" check
tap_is "$tap_status" 78 "check, bad files: exit 78 (EX_CONFIG)"
tap_is "$(cat "$OUT")" "" "check, bad files: nothing on standard output"
cat >"$T/want" <<EOF
postlet: error: $B/main.cf, line 1: message_size_limit: bad size value "abc"
postlet: warning: $B/main.cf, line 2: unknown parameter "unknown_thing"
postlet: error: $B/main.cf, line 3: mail_name: missing '}' in parameter expansion
postlet: error: $B/main.cf, line 5: maximal_queue_lifetime: bad time value "5x" (a number with an optional unit s, m, h, d or w)
postlet: error: $B/master.cf, line 3: bad wakeup time "60s"
postlet: error: $B/master.cf, line 4: duplicate service "smtp/inet"
postlet: error: $B/master.cf, line 5: expected 8 or more fields (service type private unpriv chroot wakeup maxproc command), found 5
postlet: error: $B/master.cf, line 1: service smtp/inet: -o message_size_limit: bad size value "x"
postlet: error: 7 errors found
EOF
tap_file_is "$ERR" "$T/want" "check, bad files: one line per problem with \
file and line, then the count"

W=$T/warn
mkdir "$W"
printf 'mail_name = x\nfoo = 1\n' >"$W/main.cf"
printf 'smtp inet n - n - - smtpd\n  -o mail_name=x\n' >"$W/master.cf"
tap_run "$P" -c "$W" check
tap_is "$tap_status" 0 "check, unknown parameter: exit 0"
tap_is "$(cat "$ERR")" "postlet: warning: $W/main.cf, line 2: unknown \
parameter \"foo\"" "check, unknown parameter: a warning with file and line"

# A parameter of our own that only a master.cf -o uses is not "unknown"
# (Postfix's submission example does this).
R=$T/ref
mkdir "$R"
printf 'mua_name = y\nunused_name = z\n' >"$R/main.cf"
printf 'smtp inet n - n - - smtpd\n  -o mail_name=$mua_name\n' >"$R/master.cf"
tap_run "$P" -c "$R" check
tap_is "$(cat "$ERR")" "postlet: warning: $R/main.cf, line 2: unknown \
parameter \"unused_name\"" "check: a name used by a master.cf -o is not unknown"

# Empty values of typed parameters (once a crash: an empty expansion).
Z=$T/empty
mkdir "$Z"
printf 'relayhost =\nmessage_size_limit =\n' >"$Z/main.cf"
printf 'smtp inet n - n - - smtpd\n  -o maximal_queue_lifetime=\n' \
    >"$Z/master.cf"
tap_run "$P" -c "$Z" check
tap_is "$tap_status" 78 "check, empty typed values: exit 78"
cat >"$T/want" <<EOF
postlet: error: $Z/main.cf, line 2: message_size_limit: bad size value ""
postlet: error: $Z/master.cf, line 1: service smtp/inet: -o maximal_queue_lifetime: bad time value "" (a number with an optional unit s, m, h, d or w)
postlet: error: 2 errors found
EOF
tap_file_is "$ERR" "$T/want" "check, empty typed values: both reported"

tap_run env MAIL_CONFIG="$G" "$P" check
tap_is "$tap_status" 0 "check with MAIL_CONFIG: exit 0"

O=$T/nomaster
mkdir "$O"
cp "$G/main.cf" "$O/main.cf"
tap_run "$P" -c "$O" check
tap_is "$tap_status" 78 "check without master.cf: exit 78"
grep -q "$O/master.cf: No such file or directory" "$ERR"
tap_ok $? "check without master.cf: says so"

tap_run "$P" -c "$G" check extra
tap_is "$tap_status" 64 "check with an operand: exit 64"

# --- Usage -------------------------------------------------------------------

tap_run "$P" -c "$G" no_such_command
tap_is "$tap_status" 64 "unknown command: exit 64 (EX_USAGE)"
grep -q 'unknown command "no_such_command"' "$ERR"
tap_ok $? "unknown command: says so"
tap_run "$P" -c "$G"
tap_is "$tap_status" 64 "no command: exit 64"
tap_run "$P" -c "$G" conf -Q
tap_is "$tap_status" 64 "conf with a bad option: exit 64"

# --- docs/postlet.cf.5 documents every parameter, with its default -----------

MAN=$POSTLET_SRC/docs/postlet.cf.5
E2=$T/emptyconf
mkdir "$E2"
tap_run "$P" -c "$E2" conf -d
tap_ok "$tap_status" "conf -d: exit 0"
sed -n 's/^\([a-z0-9_]*\) =.*/\1/p' "$OUT" >"$T/names"
tap_ok "$([ -s "$T/names" ] && echo 0 || echo 1)" "conf -d: lists parameters"
if [ -r "$MAN" ]; then
	# "NAME<TAB>default text" for each ".It Va NAME" and its "Default:".
	awk '/^\.It Va /	{ name = $3; next }
	    /^Default:/ && name != "" {
		d = $0; sub(/^Default: */, "", d)
		print name "\t" d; name = "" }' "$MAN" >"$T/documented"
	missing=
	wrong=
	while IFS= read -r name; do
		doc=$(awk -F '\t' -v n="$name" '$1 == n { print $2; exit }' \
		    "$T/documented")
		if ! grep -q "^\.It Va $name\( \|\$\)" "$MAN"; then
			missing="$missing $name"
			continue
		fi
		got=$(sed -n "s/^$name = \{0,1\}//p" "$OUT")
		case $doc in
		"(computed)"*)
			;;
		"(empty"*)
			[ -z "$got" ] || wrong="$wrong $name"
			;;
		*)
			[ "$doc" = "$got" ] || wrong="$wrong $name"
			if [ "$doc" != "$got" ]; then
				tap_diag "$name: conf -d '$got', manual '$doc'"
			fi
			;;
		esac
	done <"$T/names"
	tap_is "$missing" "" "every parameter of conf -d is in docs/postlet.cf.5"
	tap_is "$wrong" "" "docs/postlet.cf.5 gives each default as conf -d"
else
	tap_ok 1 "every parameter of conf -d is in docs/postlet.cf.5 (no $MAN)"
	tap_ok 1 "docs/postlet.cf.5 gives each default as conf -d (no $MAN)"
fi

tap_done
