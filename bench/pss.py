#!/usr/bin/python3
# SPDX-License-Identifier: ISC
#
# pss.py: the resident memory of an MTA, for bench/run.sh: the sum of the
# proportional set size (Pss in /proc/PID/smaps_rollup, KiB) of every
# process whose executable lies under one of the DIRs.
#
#	pss.py DIR...			one sample: "KIB NPROCS"
#	pss.py -t DIR...		the CPU seconds those processes and
#					the children they reaped have used
#					(utime, stime, cutime, cstime)
#	pss.py -w STOPFILE DIR...	a sample every 0.2 s until STOPFILE
#					exists (at most 600 s): the peak,
#					"KIB NPROCS" of the largest sum;
#					STOPFILE.ready appears after the
#					first sample
import os
import sys
import time


def sample(dirs):
    total, n = 0, 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % d)
            if not any(exe.startswith(p) for p in dirs):
                continue
            with open("/proc/%s/smaps_rollup" % d) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        n += 1
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total, n


def cpu(dirs):
    ticks = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % d)
            if not any(exe.startswith(p) for p in dirs):
                continue
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += sum(int(x) for x in fields[11:15])
        except (OSError, ValueError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def main():
    args = sys.argv[1:]
    stop = None
    if args[:1] == ["-t"]:
        print("%.2f" % cpu([os.path.join(os.path.realpath(a), "")
                            for a in args[1:]]))
        return
    if args[:1] == ["-w"]:
        stop, args = args[1], args[2:]
    dirs = [os.path.join(os.path.realpath(a), "") for a in args]
    if stop is None:
        print("%d %d" % sample(dirs))
        return
    peak = (0, 0)
    end = time.time() + 600
    while time.time() < end and not os.path.exists(stop):
        s = sample(dirs)
        if s[0] > peak[0]:
            peak = s
        if not os.path.exists(stop + ".ready"):
            open(stop + ".ready", "w").close()
        time.sleep(0.2)
    print("%d %d" % peak)


main()
