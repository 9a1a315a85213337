# SPDX-License-Identifier: ISC
#
# smtptest.py: shared Python helpers for the smtpd integration tests:
# TAP output (also for the Python part of a shell test: Tap(plan, start,
# plan_printed=True)), a small "inetd" that runs smtpd per connection with the
# socket on fd 0 and 1 (as master does), and a raw SMTP client that
# returns replies byte for byte.
#
#	import sys; sys.path.insert(0, SRC + "/t"); from smtptest import *
#	tap = Tap(3)
#	d = Inetd(SMTPD, T + "/etc")
#	r = Raw(d.port); tap.is_(r.reply(), b"220 ...\r\n", "greeting")
#	sys.exit(tap.done())
import socket
import subprocess
import sys
import threading
import time


class Tap:
    def __init__(self, plan=None, start=0, plan_printed=False):
        """plan None: the plan is printed at the end, by done().  start:
        the checks a shell part of the test ran before (t/lib.sh's
        tap_count), which then printed the plan already (plan_printed)."""
        self.n = start
        self.fails = 0
        self.plan = plan
        if plan is not None and not plan_printed:
            print("1..%d" % plan)
            sys.stdout.flush()

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name))
        sys.stdout.flush()
        if not cond:
            self.fails += 1
            # on standard error, as Test::More does: prove shows it
            # without -v, so a failure that does not come back when CI
            # runs the test again verbosely still says why
            if diag is not None:
                for line in str(diag).splitlines():
                    sys.stderr.write("# " + line + "\n")
                sys.stderr.flush()
        return cond

    def is_(self, got, want, name, diag=None):
        d = "got:  %r\nwant: %r" % (got, want)
        if diag is not None:
            d += "\n" + str(diag)
        return self.ok(got == want, name, d)

    def skip(self, count, why):
        for i in range(count):
            self.n += 1
            print("ok %d # skip %s" % (self.n, why))
        sys.stdout.flush()

    def done(self):
        if self.plan is None:
            print("1..%d" % self.n)
            return 1 if self.fails else 0
        if self.n != self.plan:
            print("# planned %d checks, ran %d" % (self.plan, self.n))
            return 1
        return 1 if self.fails else 0


def free_port(kind=socket.SOCK_STREAM):
    """A port free on 127.0.0.1 for TCP (or kind) right now."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Inetd:
    """Listen on 127.0.0.1 (a free port); run argv per connection."""

    def __init__(self, argv, delay=0, stderr=None):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(8)
        self.port = self.s.getsockname()[1]
        self.argv, self.delay, self.procs = argv, delay, []
        # stderr: a file to append to (where a sanitizer build reports)
        self.stderr = stderr
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            if self.delay:
                time.sleep(self.delay)
            if self.stderr is None:
                p = subprocess.Popen(self.argv, stdin=c, stdout=c,
                                     stderr=subprocess.DEVNULL)
            else:
                with open(self.stderr, "ab") as err:
                    p = subprocess.Popen(self.argv, stdin=c, stdout=c,
                                         stderr=err)
            c.close()
            self.procs.append(p)

    def wait(self):
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


class Raw:
    """A client that sends bytes and reads whole replies."""

    def __init__(self, port, timeout=20, source=None):
        self.c = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.c.recv(65536)
            if not d:
                r, self.buf = self.buf, b""
                return r
            self.buf += d
        i = self.buf.index(b"\r\n") + 2
        r, self.buf = self.buf[:i], self.buf[i:]
        return r

    def reply(self):
        out = b""
        while True:
            l = self.line()
            out += l
            if len(l) < 4 or l[3:4] != b"-":
                return out

    def cmd(self, text):
        self.c.sendall(text)
        return self.reply()

    def eof(self):
        try:
            return self.c.recv(100) == b""
        except OSError:
            return True

    def close(self):
        self.c.close()
