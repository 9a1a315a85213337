#!/usr/bin/python3
# SPDX-License-Identifier: ISC
#
# perfsplit.py: where an MTA's CPU goes, for bench/run.sh's PROFILE=1:
# reads `perf script -F comm,pid,ip,sym,dso` of a `perf record -a -g -F HZ` taken
# during a load of MESSAGES messages, and prints, for each program named,
# its CPU per message and what it is spent in: user space (the program's
# own code and its C library), each system call (named by the kernel
# function that handles it), and what the kernel does on its way back to
# user space (interrupts, page faults, the scheduler).  One sample is
# 1000/HZ ms of one CPU.
#
#	perf script -F comm,pid,ip,sym,dso |
#	    perfsplit.py [-x PID,...] HZ MESSAGES PROGRAM...
#
# -x: processes not to count, though they have one of those names (another
# MTA's, running meanwhile).
#
# Output: a Markdown table, one row per program and category of at least
# 1 % of all the programs' samples, largest first, then the programs'
# totals.
import collections
import sys

# How a system call's handler shows in a call chain (callee first): the
# frame right above do_syscall_64 (skipping the dispatcher x64_sys_call)
SKIP = ("x64_sys_call",)
PREFIXES = ("__x64_sys_", "__do_sys_", "__se_sys_", "ksys_", "__sys_")


def category(chain, kernel):
    """The category of one sample's call chain (function names, callee
    first); kernel: whether the sample was taken in the kernel."""
    if not kernel:
        return "user space"
    if "do_syscall_64" in chain:
        i = chain.index("do_syscall_64") - 1
        while i > 0 and chain[i] in SKIP:
            i -= 1
        name = chain[i] if i >= 0 else "?"
        if name.startswith(("exit_to_user_mode", "syscall_exit")):
            return "return to user (scheduler, signals)"
        for p in PREFIXES:
            if name.startswith(p):
                name = name[len(p):]
                break
        return "syscall " + name
    for f in chain:
        if f.startswith("asm_exc_page_fault"):
            return "page faults"
        if f.startswith("asm_") or f.startswith("irqentry_") or \
                f.startswith("exit_to_user_mode"):
            return "interrupts, return to user"
    return "kernel, other"


def main():
    args = sys.argv[1:]
    skip = set()
    if args[:1] == ["-x"]:
        skip = set(p for p in args[1].split(",") if p)
        args = args[2:]
    hz, messages = float(args[0]), int(args[1])
    wanted = set(args[2:])
    per = collections.Counter()
    cats = collections.Counter()
    comm, pid, chain, kernel = None, None, [], False

    def done():
        if comm in wanted and pid not in skip:
            per[comm] += 1
            cats[(comm, category(chain, kernel))] += 1

    for line in sys.stdin:
        if not line.strip():
            done()
            comm, pid, chain, kernel = None, None, [], False
            continue
        if comm is None:
            # "COMM PID" (perf pads the name)
            head = line.split()
            comm = head[0] if head else ""
            pid = head[1] if len(head) > 1 else ""
            continue
        # "ADDRESS SYMBOL (DSO)"; the first frame says where it was
        parts = line.split()
        if len(parts) >= 2:
            if not chain:
                kernel = parts[-1] == "([kernel.kallsyms])"
            chain.append(parts[1])
    done()
    total = sum(per.values())
    if total == 0:
        print("no samples of %s" % " ".join(sorted(wanted)))
        return
    ms = 1000.0 / hz / messages
    print("| program | where | ms per message | share |")
    print("|---|---|---:|---:|")
    for (c, k), n in cats.most_common():
        if n * 100 < total:
            continue
        print("| %s | %s | %.3f | %.1f%% |" % (c, k, n * ms,
                                              100.0 * n / total))
    for c, n in per.most_common():
        print("| %s | all | %.3f | %.1f%% |" % (c, n * ms, 100.0 * n / total))
    print("| all | | %.3f | 100%% |" % (total * ms))


if __name__ == "__main__":
    main()
