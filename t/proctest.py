# SPDX-License-Identifier: ISC
#
# proctest.py: shared Python helpers for the tests that look at live
# processes through /proc (185-privileges.t, 186-chroot.t): bounded
# waiting, the processes and their parent, command, identity and root
# directory.  Every reader returns None (or [] / the error text) for a
# process that is gone, never raises.
#
#	PYTHONPATH="$POSTLET_SRC/t" python3 - ... <<'PYEOF'
#	from proctest import *
import os
import time


def wait_for(fn, secs=10):
    """Call fn every 0.1 s until it returns something true, for at most
    secs seconds; return its last result."""
    end = time.time() + secs
    while True:
        r = fn()
        if r or time.time() > end:
            return r
        time.sleep(0.1)


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def ids(pid):
    """{"Uid": [real, effective, saved, fs], "Gid": [...], "Groups": [...]}
    as strings, from /proc/PID/status."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Uid", "Gid", "Groups"):
                    out[k] = v.split()
    except OSError:
        return None
    return out


def want_ids(uid, gid):
    """What ids() says of a process that is uid and gid, no other group."""
    return {"Uid": [str(uid)] * 4, "Gid": [str(gid)] * 4,
            "Groups": [str(gid)]}


def root_of(pid):
    """The process's root directory, or the error text."""
    try:
        return os.readlink("/proc/%d/root" % pid)
    except OSError as e:
        return str(e)
