#!/bin/sh
# SPDX-License-Identifier: ISC
#
# 001-lint.t: the checks of `make lint`: man pages pass mandoc -Tlint,
# no banned string or process function appears in lib/ or cmd/, every
# header compiles on its own, and every program has a man page.
. "$(dirname "$0")/../lib.sh"

cd "$POSTLET_SRC" || tap_bail "cannot cd to $POSTLET_SRC"
mans=$(ls docs/*.[1-8])
nmans=$(printf '%s\n' $mans | wc -l)
headers=$(ls lib/*.h)
nheaders=$(printf '%s\n' $headers | wc -l)
progs=$(ls cmd)
nprogs=$(printf '%s\n' $progs | wc -l)
tap_plan $((nmans + 1 + nheaders + nprogs + 1))

# Man pages: mandoc's warnings and errors (style notes such as
# "referenced manual not found" are not ours to fix).
for m in $mans; do
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -Tlint -Wwarning "$m" 2>&1)
		tap_is "$out" "" "mandoc -Tlint $m"
	else
		tap_skip 1 "mandoc not installed"
	fi
done

# STYLE.md §4: functions that cannot be used safely, or hide a shell.
banned='(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|system|popen|tmpnam|mktemp|alloca)[[:space:]]*\('
out=$(grep -nE "(^|[^A-Za-z0-9_])$banned" lib/*.c lib/*.h cmd/*/*.c cmd/*/*.h \
    2>/dev/null | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|\*)')
tap_is "$out" "" "no banned functions in lib/ and cmd/"

# Each header includes what it needs.
# The include path of the dependencies, from the flags make passed.
depsinc=$(printf '%s\n' ${POSTLET_CFLAGS:-} | sed -n 's/^-I//p' | head -n 1)
depsinc=${depsinc:-$POSTLET_BUILD/deps/include}
sysflags="-std=c11 -Os -D_DEFAULT_SOURCE -D_GNU_SOURCE -DPOSTLET_VERSION=\"0\"
    -DPOSTLET_SYSCONFDIR=\"/etc\" -DPOSTLET_SPOOLDIR=\"/var\"
    -DPOSTLET_SBINDIR=\"/sbin\" -DPOSTLET_LIBEXECDIR=\"/libexec\"
    -iquote lib -iquote t ${depsinc:+-I$depsinc} -Wall -Wextra -Wpedantic -Wshadow
    -Wvla -Wformat=2 -Wcast-qual -Wwrite-strings -Wmissing-prototypes
    -Wstrict-prototypes"
cc=${POSTLET_CC:-cc}
cflags=${POSTLET_CFLAGS:--iquote lib -I$depsinc}
for h in $headers; do
	printf '#include "%s"\nint lint_unit;\n' "${h#lib/}" > "$TAP_TMP/h.c"
	# shellcheck disable=SC2086
	out=$($cc $cflags -iquote lib -fsyntax-only "$TAP_TMP/h.c" 2>&1)
	tap_is "$out" "" "$h compiles alone"
done

# The system compiler too must find nothing to warn about (the build
# itself uses musl-gcc, or gcc in sanitizer builds).
if command -v gcc >/dev/null 2>&1; then
	out=""
	for c in lib/*.c cmd/*/*.c t/tap.c t/unit/*.c; do
		# shellcheck disable=SC2086
		msg=$(gcc $sysflags -c "$c" -o "$TAP_TMP/x.o" 2>&1) ||
		    msg="$msg (failed)"
		[ -z "$msg" ] || out="$out$msg
"
	done
	tap_is "$out" "" "every source compiles warning-free with the system gcc"
else
	tap_skip 1 "no system gcc"
fi

# Every program has its manual.
for p in $progs; do
	ls docs/"$p".[1-8] >/dev/null 2>&1
	tap_ok $? "cmd/$p has a man page in docs/"
done

tap_done
