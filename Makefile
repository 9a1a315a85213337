# Makefile: one non-recursive GNU make build for all of postlet.
#
#   make            build every program (static, musl) into build/bin/
#   make check      build, then run every test through prove
#   make install    install into $(DESTDIR)$(PREFIX) and friends
#   make size       installed size of each program and the total
#   make lint       mandoc -Tlint, banned functions, headers compile alone
#   make clean      remove build/ (keeps downloaded sources in build/src/)
#
# Every knob lives in config.mk.  Nothing is written outside build/ except
# by `make install` and by the dependency step, which as root may install
# Debian packages (musl-tools, dpkg-dev, xz-utils; see mk/deps.sh).

include config.mk

ifeq ($(SANITIZE),1)
BUILD     ?= build/san
CC        := $(SAN_CC)
CFLAGS    := -std=c11 $(SAN_FLAGS) $(WARN)
LDFLAGS   := $(SAN_FLAGS)
DEP_CFLAGS := $(SAN_FLAGS)
else
BUILD     ?= build
endif
# In CI (CI=true), warnings are errors.
ifeq ($(CI),true)
WERROR    := 1
endif
ifeq ($(WERROR),1)
CFLAGS    += -Werror
endif

DEPS      = $(BUILD)/deps
PATHS     = -DPOSTLET_VERSION='"$(VERSION)"' \
            -DPOSTLET_SYSCONFDIR='"$(SYSCONFDIR)"' \
            -DPOSTLET_SPOOLDIR='"$(SPOOLDIR)"' \
            -DPOSTLET_SBINDIR='"$(SBINDIR)"' \
            -DPOSTLET_LIBEXECDIR='"$(LIBEXECDIR)/postlet"'
ALL_CPPFLAGS = $(CPPFLAGS) $(PATHS) -iquote lib -iquote t -I$(DEPS)/include

# Objects depend on the flags they were built with: changing PREFIX or
# CFLAGS on the command line rebuilds what it affects.
FLAGS_FILE = $(BUILD)/flags
FLAGS_NOW  = $(CC) $(ALL_CPPFLAGS) $(CFLAGS) $(LDFLAGS)
ifneq ($(FLAGS_NOW),$(file <$(FLAGS_FILE)))
$(shell mkdir -p $(BUILD))
$(file >$(FLAGS_FILE),$(FLAGS_NOW))
endif

LIB_SRC   = $(sort $(wildcard lib/*.c))
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB       = $(BUILD)/lib/libpostlet.a
ifeq ($(DEPS_SYSTEM),1)
# BearSSL and tinycdb as the system installed them (headers and static
# libraries on the compiler's default paths, built for its libc).
DEP_LIBS  = -lbearssl -lcdb
DEPS_STAMP = $(DEPS)/.system
else
DEP_LIBS  = $(DEPS)/lib/libbearssl.a $(DEPS)/lib/libcdb.a
DEPS_STAMP = $(DEPS)/.built
endif

PROGS     = $(notdir $(wildcard cmd/*))
BINS      = $(PROGS:%=$(BUILD)/bin/%)
# Installed in SBINDIR; everything else goes to LIBEXECDIR/postlet.
SBIN_PROGS = postlet sendmail

UNIT_SRC  = $(sort $(wildcard t/unit/*.c))
UNIT_BINS = $(UNIT_SRC:t/unit/%.c=$(BUILD)/t/unit/%.t)
TAP_OBJ   = $(BUILD)/t/tap.o
MANS      = $(wildcard docs/*.[1-8])

.PHONY: all check units install size lint clean distclean deps tools testtools
.SUFFIXES:
# Keep objects that only a test binary needs.
.SECONDARY:

all: $(BINS)

# The compiler itself: musl-gcc comes from musl-tools.
tools:
	@sh mk/tools.sh '$(CC)'

$(DEPS)/.system: config.mk | tools
	@mkdir -p $(@D)
	@touch $@

$(DEPS)/.built: mk/deps.sh config.mk | tools
	@sh mk/deps.sh '$(CC)' '$(DEP_CFLAGS)' '$(DEPS)' build/src \
	    '$(BEARSSL_SRC)' '$(TINYCDB_SRC)'
	@touch $@
deps: $(DEPS_STAMP)

$(BUILD)/%.o: %.c config.mk $(FLAGS_FILE) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# cmd/NAME/*.c -> build/bin/NAME
define prog_rule
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard cmd/$(1)/*.c))) $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB) $(DEP_LIBS) $$(LDFLAGS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

$(BUILD)/t/unit/%.t: $(BUILD)/t/unit/%.o $(TAP_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(TAP_OBJ) $(LIB) $(DEP_LIBS) $(LDFLAGS)

units: $(UNIT_BINS)

testtools:
	@sh mk/testtools.sh

# The test command: unit tests (C), then integration tests (sh), in TAP.
check: all units testtools
	POSTLET_BUILD=$(CURDIR)/$(BUILD) POSTLET_SANITIZE=$(SANITIZE) \
	    POSTLET_CC='$(CC)' POSTLET_CFLAGS='$(CPPFLAGS) -iquote lib -I$(DEPS)/include $(CFLAGS)' \
	    $(PROVE) --exec '' $(UNIT_BINS) $(sort $(wildcard t/integ/*.t))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/postlet \
	    $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(MANDIR)/man8
	for p in $(PROGS); do \
	    case " $(SBIN_PROGS) " in \
	    *" $$p "*) install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(SBINDIR)/$$p;; \
	    *) install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(LIBEXECDIR)/postlet/$$p;; \
	    esac; \
	done
	for m in $(MANS); do \
	    s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done
	for f in conf/main.cf conf/master.cf; do \
	    b=$${f##*/}; [ -e $(DESTDIR)$(SYSCONFDIR)/$$b ] || \
	    install -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/$$b; \
	done

size: all
	@total=0; for b in $(BINS); do \
	    n=$$(wc -c < $$b); total=$$((total + n)); \
	    printf '%8d  %s\n' $$n $${b##*/}; \
	done; printf '%8d  total\n' $$total; \
	[ $$total -le 1048576 ] || { echo 'size: over the 1 MiB budget'; exit 1; }

# The same checks run in `make check` as t/integ/001-lint.t.
lint: deps
	POSTLET_BUILD=$(CURDIR)/$(BUILD) POSTLET_CC='$(CC)' \
	    POSTLET_CFLAGS='$(CPPFLAGS) -iquote lib -I$(DEPS)/include $(CFLAGS)' \
	    $(PROVE) --exec '' t/integ/001-lint.t

# make print-SBINDIR: the value of a make variable (for tests and scripts).
print-%:
	@printf '%s\n' '$($*)'

# clean keeps build/src/ (the dependencies' sources, slow to fetch again).
clean:
	find build -mindepth 1 -maxdepth 1 ! -name src -exec rm -rf {} + \
	    2>/dev/null || true

distclean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(UNIT_BINS:.t=.d) $(TAP_OBJ:.o=.d)
-include $(foreach p,$(PROGS),$(patsubst %.c,$(BUILD)/%.d,$(wildcard cmd/$(p)/*.c)))
