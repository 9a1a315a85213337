# config.mk: every build knob of postlet, and nothing else.
# Override any of them on the command line: make CC=cc LDFLAGS= ...

VERSION    = 0.1

# Where things go (make install DESTDIR=... prefixes all of them).
PREFIX     = /usr/local
SBINDIR    = $(PREFIX)/sbin
LIBEXECDIR = $(PREFIX)/libexec
MANDIR     = $(PREFIX)/share/man
SYSCONFDIR = /etc/postlet
SPOOLDIR   = /var/spool/postlet
# The group postdrop is set-group-ID to (main.cf's setgid_group): make
# install, as root, gives it to postdrop when the group exists.
SETGID_GROUP = postdrop

# The compiler.  musl-gcc gives small static binaries; on Debian and Ubuntu
# the build installs musl-tools when it is missing and we are root.
CC         = musl-gcc
WARN       = -Wall -Wextra -Wpedantic -Wshadow -Wvla -Wformat=2 -Wcast-qual \
             -Wwrite-strings -Wmissing-prototypes -Wstrict-prototypes
OPT        = -Os
CPPFLAGS   = -D_DEFAULT_SOURCE -D_GNU_SOURCE
CFLAGS     = -std=c11 $(OPT) -ffunction-sections -fdata-sections $(WARN)
LDFLAGS    = -static -Wl,--gc-sections -s
DEP_CFLAGS = $(OPT) -ffunction-sections -fdata-sections
# CI sets WERROR=1: warnings become errors.
WERROR     =

# Where BearSSL and tinycdb come from.  Empty: on Debian/Ubuntu, the
# build runs `apt-get source bearssl tinycdb` into build/src/.  Elsewhere,
# name unpacked source trees (see README for Alpine and FreeBSD).
BEARSSL_SRC =
TINYCDB_SRC =
# DEPS_SYSTEM=1: use the system's own BearSSL and tinycdb instead (their
# headers and static libraries, built for the same libc as CC).
DEPS_SYSTEM =

# SANITIZE=1: the system compiler with AddressSanitizer and UBSan, not
# static, into build/san/ (dependencies are rebuilt the same way).
SANITIZE   =
SAN_CC     = gcc
SAN_FLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer -g -O1

# MULTICALL=1: one static binary for all programs but SOLO_PROGS, run
# under each program's name (hard links), as busybox does: the code they
# share is on disk once.  postdrop stays alone: it is setgid, and a
# setgid hard link would make every name setgid.  MULTICALL=0: one binary
# per program.
MULTICALL  = 1
SOLO_PROGS = postdrop
OBJCOPY    = objcopy

# Test tools.
PROVE      = prove
