#!/bin/sh
# SPDX-License-Identifier: ISC
#
# mk/fuzz.sh BUILD SECONDS JOBS HARNESS...: run each libFuzzer harness
# (built by `make fuzz` into BUILD/fuzz/NAME) for SECONDS, JOBS of them
# at once, each from a copy of its seed corpus t/fuzz/corpus/NAME/ in a
# temporary directory (the seeds in the tree are never written).  Prints
# one line per harness: runs, coverage (edges) and features as libFuzzer
# reports them.  Any crash, sanitizer report, leak or timeout fails, and
# its input is kept as BUILD/fuzz/crash/NAME-*; make it a unit test.
set -u
build=$1
secs=$2
jobs=$3
shift 3

case $secs in ''|*[!0-9]*) echo "fuzz: FUZZ_TIME must be seconds" >&2; exit 2;; esac
case $jobs in ''|*[!0-9]*|0) echo "fuzz: FUZZ_JOBS must be a number" >&2; exit 2;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/postlet-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
crashdir=$build/fuzz/crash
mkdir -p "$crashdir"

# One harness: its result line goes to $work/NAME.result.
run_one() {
	bin=$1
	name=${bin##*/}
	dir=$work/$name
	mkdir -p "$dir/corpus" "$dir/tmp"
	if [ -d "t/fuzz/corpus/$name" ]; then
		cp -R "t/fuzz/corpus/$name/." "$dir/corpus/"
	fi
	TMPDIR=$dir/tmp ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=40000 -print_final_stats=1 \
	    -artifact_prefix="$crashdir/$name-" "$dir/corpus" \
	    > "$dir/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	cov=$(sed -n 's/^#[0-9]*.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/p' "$dir/log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz: %-12s ok   %10s runs  cov %s ft %s\n' "$name" \
		    "${runs:-?}" "${cov% *}" "${cov#* }" > "$dir/result"
	else
		{
			printf 'fuzz: %-12s FAILED (exit %s) after %s runs; last lines of its log:\n' \
			    "$name" "$rc" "${runs:-?}"
			grep -v '^#[0-9]' "$dir/log" | tail -n 40
			for f in "$crashdir/$name-"*; do
				[ -e "$f" ] && echo "fuzz: input kept: $f"
			done
		} > "$dir/result"
	fi
	return "$rc"
}

fail=0
running=0
pids=""
for bin in "$@"; do
	run_one "$bin" &
	pids="$pids $!"
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		for p in $pids; do
			wait "$p" || fail=1
		done
		pids=""
		running=0
	fi
done
for p in $pids; do
	wait "$p" || fail=1
done
for bin in "$@"; do
	name=${bin##*/}
	cat "$work/$name/result" 2>/dev/null ||
	    echo "fuzz: $name: no result"
done
if [ "$fail" -ne 0 ]; then
	echo "fuzz: FAILED: see above; reproduce with BUILD/fuzz/NAME FILE" >&2
	exit 1
fi
exit 0
