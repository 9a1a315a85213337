#!/bin/sh
# SPDX-License-Identifier: ISC
#
# mk/size.sh DIR: the size of each program in DIR and the total of the
# distinct files (names that are hard links to one file count once), and
# exit 1 above the 1 MiB budget of DESIGN §8.
set -eu
dir=$1
total=0
seen=" "
for b in "$dir"/*; do
	[ -f "$b" ] || continue
	ino=$(ls -i "$b" | awk '{ print $1 }')
	n=$(wc -c < "$b")
	case $seen in
	*" $ino:"*)
		first=${seen#*" $ino:"}
		printf '%8s  %s (a link to %s)\n' "" "${b##*/}" "${first%% *}";;
	*)
		seen="$seen$ino:${b##*/} "
		total=$((total + n))
		printf '%8d  %s\n' "$n" "${b##*/}";;
	esac
done
printf '%8d  total\n' "$total"
if [ "$total" -gt 1048576 ]; then
	echo "size: over the 1 MiB budget" >&2
	exit 1
fi
