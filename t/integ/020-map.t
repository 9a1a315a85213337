#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 020-map.t: `postlet map` and `postlet alias` end to end: building cdb
# tables from sources (case folding, continuation lines, CRLF, duplicates,
# 8-bit bytes), queries with -q (exit 0 found, 1 not found, -q - from
# standard input), a bad source (file:line on stderr, EX_DATAERR, the old
# table untouched, nothing left behind), alias_maps, texthash: and
# inline:, a corrupt table, and interoperability with tinycdb's cdb(1)
# in both directions (skipped when cdb is not installed).

. "$(dirname "$0")/../lib.sh"

POSTLET=$(postlet_bin postlet) || tap_bail "$POSTLET"
unset MAIL_CONFIG
dir=$TAP_TMP
printf 'alias_maps = cdb:%s/aliases\n' "$dir" > "$dir/main.cf"

# check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds.
check() {
	desc=$1
	shift
	"$@"
	tap_ok $? "$desc"
}
# same FILE TEXT: FILE holds exactly TEXT (printf format, no arguments).
# shellcheck disable=SC2317  # called through check
same() {
	# shellcheck disable=SC2059
	printf "$2" > "$dir/want"
	if cmp -s "$1" "$dir/want"; then
		return 0
	fi
	echo "# got:"; od -c "$1" | sed 's/^/#   /'
	echo "# want:"; od -c "$dir/want" | sed 's/^/#   /'
	return 1
}
# run ARGS...: postlet -c $dir ARGS, stdout in $dir/out, stderr in
# $dir/err, exit status in $rc.
run() {
	"$POSTLET" -c "$dir" "$@" > "$dir/out" 2> "$dir/err"
	rc=$?
}
skip_cdb() {
	tap_skip 1 "cdb tool not installed"
}

tap_plan 36

# 1-4: build, found, not found, case folding.
printf '# virtual table\nAlice@Example.ORG Value With Case\nbob@example.org a@example.org,\n   b@example.org\r\ncarol@example.org\tc1\ncarol@example.org c2\ncl\303\251 v\303\244lue\n' \
    > "$dir/virt"
run map "$dir/virt"
check "build: exit 0" [ "$rc" -eq 0 ]
check "build: duplicate entry warned, file and line" same "$dir/err" \
    "postlet: warning: $dir/virt, line 6: duplicate entry: \"carol@example.org\" (ignored, line 5 is kept)\n"
run map -q alice@example.org "cdb:$dir/virt"
check "-q found: exit 0" [ "$rc" -eq 0 ]
check "-q found: the value, case kept" same "$dir/out" 'Value With Case\n'
run map -q ALICE@EXAMPLE.ORG "$dir/virt"
check "-q folds the key; cdb: is the default type" same "$dir/out" \
    'Value With Case\n'
run map -q nobody@example.org "$dir/virt"
check "-q not found: exit 1" [ "$rc" -eq 1 ]
check "-q not found: no output" same "$dir/out" ''
run map -q bob@example.org "$dir/virt"
check "continuation line joined with one space, CR dropped" \
    same "$dir/out" 'a@example.org, b@example.org\n'
run map -q carol@example.org "$dir/virt"
check "duplicate: the first entry is kept" same "$dir/out" 'c1\n'
run map -q "$(printf 'CL\303\251')" "$dir/virt"
check "8-bit key and value" same "$dir/out" 'v\303\244lue\n'

# -q - reads keys from standard input.
printf 'bob@example.org\nnone\r\nALICE@example.org\r\n' |
    "$POSTLET" -c "$dir" map -q - "$dir/virt" > "$dir/out" 2> "$dir/err"
rc=$?
check "-q -: exit 0" [ "$rc" -eq 0 ]
check "-q -: key<TAB>value for each key found" same "$dir/out" \
    'bob@example.org\ta@example.org, b@example.org\nALICE@example.org\tValue With Case\n'
printf 'x\ny\n' | "$POSTLET" -c "$dir" map -q - "$dir/virt" > "$dir/out"
check "-q -: none found, exit 1" [ "$?" -eq 1 ]

# A bad source: every problem with file:line, EX_DATAERR (65), the old
# table untouched and nothing left behind.
cp "$dir/virt.cdb" "$dir/virt.save"
nfiles=$(find "$dir" | wc -l)
printf 'good value\nlonely\n  \n# comment\nx\0y z\nfine again\n' > "$dir/virt"
run map "$dir/virt"
check "bad source: exit EX_DATAERR" [ "$rc" -eq 65 ]
check "bad source: each problem as postlet: FILE, line N: text" \
    same "$dir/err" \
    "postlet: $dir/virt, line 2: expected format: key whitespace value\npostlet: $dir/virt, line 5: NUL byte in line\n"
check "bad source: old table untouched" cmp -s "$dir/virt.cdb" \
    "$dir/virt.save"
check "bad source: no temporary file left" \
    [ "$(find "$dir" | wc -l)" -eq "$nfiles" ]
run map -q alice@example.org "$dir/virt"
check "bad source: the old table still answers" same "$dir/out" \
    'Value With Case\n'

# A missing source, a missing table, a corrupt table.
run map "$dir/nosuch"
check "missing source: exit EX_NOINPUT" [ "$rc" -eq 66 ]
run map -q x "$dir/nosuch"
check "missing table: exit EX_NOINPUT" [ "$rc" -eq 66 ]
dd if=/dev/zero of="$dir/bad.cdb" bs=100 count=1 2> /dev/null
run map -q x "$dir/bad"
check "corrupt table: exit EX_DATAERR" [ "$rc" -eq 65 ]
check "corrupt table: message" same "$dir/err" \
    "postlet: $dir/bad.cdb: not a cdb file (shorter than 2048 bytes)\n"

# alias: names before ':', folded; built from alias_maps without a file.
printf 'Root: admin, "|/bin/cmd arg"\n"Quoted Name": q,\n  /var/mail/q\npostmaster: root\n' \
    > "$dir/aliases"
run alias
check "alias from alias_maps: exit 0" [ "$rc" -eq 0 ]
check "alias: aliases.cdb built" [ -f "$dir/aliases.cdb" ]
run alias -q ROOT
check "alias -q, tables from alias_maps" same "$dir/out" \
    'admin, "|/bin/cmd arg"\n'
run alias -q 'quoted name' "$dir/aliases"
check "alias: quoted name, continuation" same "$dir/out" \
    'q, /var/mail/q\n'
run alias -q @ "$dir/aliases"
check "alias: no \"@\" entry (unlike postalias)" [ "$rc" -eq 1 ]
printf 'root admin\n' > "$dir/badalias"
run alias "$dir/badalias"
check "alias: bad source, file:line" same "$dir/err" \
    "postlet: $dir/badalias, line 1: expected format: name: value\n"

# Tables read without building: texthash:, inline:.
printf 'Key spaced value\n' > "$dir/th"
run map -q KEY "texthash:$dir/th"
check "texthash: -q" same "$dir/out" 'spaced value\n'
run map -q B 'inline:{a=1, b=Two, {c = x y}}'
check "inline: -q" same "$dir/out" 'Two\n'
run map -q zz 'inline:{a=1}' "texthash:$dir/th" 'static:{fall back}'
check "-q with several tables: searched in order" same "$dir/out" \
    'fall back\n'

# Interoperability with tinycdb's cdb(1).
if command -v cdb > /dev/null 2>&1; then
	printf 'Alpha Beta Gamma\ncl\303\251 v\303\244l\n' > "$dir/interop"
	run map "$dir/interop"
	cdb -q "$dir/interop.cdb" alpha > "$dir/out" 2>&1
	check "cdb -q reads our table: exact bytes, no NUL" same "$dir/out" \
	    'Beta Gamma'
	cdb -q "$dir/interop.cdb" "$(printf 'cl\303\251')" \
	    > "$dir/out" 2>&1
	check "cdb -q reads our 8-bit entry" same "$dir/out" \
	    'v\303\244l'
	printf '+5,11:hello->Hello World\n+3,0:nul->\n\n' |
	    cdb -c "$dir/made.cdb"
	run map -q hello "cdb:$dir/made"
	check "we read a table made by cdb -c" same "$dir/out" \
	    'Hello World\n'
	run map -q nul "cdb:$dir/made"
	check "empty value from cdb -c" same "$dir/out" '\n'
else
	skip_cdb
	skip_cdb
	skip_cdb
	skip_cdb
fi

# Usage.
run map
check "map without a file: EX_USAGE" [ "$rc" -eq 64 ]

tap_done
