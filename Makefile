# Makefile: one non-recursive GNU make build for all of postlet.
#
#   make            build every program (static, musl) into build/bin/
#   make check      build, then run every test through prove
#                   (SANITIZE=1: the same with ASan+UBSan in build/san/)
#   make run        an instance as the current user under ./run/
#   make install    install into $(DESTDIR)$(PREFIX) and friends
#   make size       size of each program and the total of distinct files
#   make lint       mandoc -Tlint, banned functions, headers compile alone
#   make fuzz       run the libFuzzer harnesses of t/fuzz/ (clang)
#   make bench      postlet and Debian's Postfix side by side (root;
#                   bench/README.md), results in bench/RESULTS.md
#   make clean      remove build/ (keeps downloaded sources in build/src/)
#
# Every knob lives in config.mk.  Nothing is written outside build/ except
# by `make install` and by the dependency step, which as root may install
# Debian packages (musl-tools, dpkg-dev, xz-utils; see mk/deps.sh).

include config.mk

# make fuzz: libFuzzer harnesses t/fuzz/*.c, built with clang, ASan and
# UBSan (FUZZ=1, into build/fuzz/), each run FUZZ_TIME seconds from a
# copy of its seed corpus t/fuzz/corpus/NAME/, FUZZ_JOBS at once.
FUZZ_CC    = clang
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1
FUZZ_TIME  = 60
FUZZ_JOBS  = 1

# (clang's -Wformat=2 also flags lib/log.c's vsnprintf of its own format
# argument, which gcc accepts: hence -Wno-format-nonliteral.)
ifeq ($(FUZZ),1)
BUILD     ?= build/fuzz
CC        := $(FUZZ_CC)
CFLAGS    := -std=c11 $(FUZZ_FLAGS) $(WARN) -Wno-format-nonliteral
LDFLAGS   := $(FUZZ_FLAGS)
DEP_CFLAGS := -O1 -g
else ifeq ($(SANITIZE),1)
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
# The multi-call dispatcher lists the programs: it is remade when one
# comes or goes (an incremental build after adding cmd/NAME).
PROGS_FILE = $(BUILD)/progs
ifneq ($(PROGS),$(file <$(PROGS_FILE)))
$(shell mkdir -p $(BUILD))
$(file >$(PROGS_FILE),$(PROGS))
endif
BINS      = $(PROGS:%=$(BUILD)/bin/%)
# lmtp is smtp under another name (it checks argv[0]), as in Postfix.
ALIAS_BINS = $(if $(filter smtp,$(PROGS)),$(BUILD)/bin/lmtp)
# Installed in SBINDIR; everything else goes to LIBEXECDIR/postlet.
SBIN_PROGS = postlet sendmail

UNIT_SRC  = $(sort $(wildcard t/unit/*.c))
UNIT_BINS = $(UNIT_SRC:t/unit/%.c=$(BUILD)/t/unit/%.t)
TAP_OBJ   = $(BUILD)/t/tap.o
MANS      = $(wildcard docs/*.[1-8])
FUZZ_SRC  = $(sort $(wildcard t/fuzz/*.c))
FUZZ_BINS = $(FUZZ_SRC:t/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all check check-these units install size lint clean distclean deps tools testtools \
        bench run fuzz fuzz-run
.SUFFIXES:
# Keep objects that only a test binary needs.
.SECONDARY:

all: $(BINS) $(ALIAS_BINS)

$(BUILD)/bin/lmtp: $(BUILD)/bin/smtp
	ln -f $(BUILD)/bin/smtp $@

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

# cmd/NAME/*.c -> build/bin/NAME, one static binary per program.
define prog_rule
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard cmd/$(1)/*.c))) $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB) $(DEP_LIBS) $$(LDFLAGS)
endef

ifeq ($(MULTICALL),1)
# One multi-call binary for every program but the SOLO_PROGS: each
# program's main.o gets its main() renamed NAME_main (objcopy), a
# generated dispatcher picks one by argv[0], and build/bin/NAME are hard
# links to it.  The programs' code is the same as in separate binaries.
MULTI_PROGS = $(filter-out $(SOLO_PROGS),$(PROGS))
MULTI       = $(BUILD)/bin/postlet-multicall
MULTI_OBJS  = $(foreach p,$(MULTI_PROGS),$(BUILD)/multi/$(p)-main.o \
              $(filter-out %/main.o,$(patsubst %.c,$(BUILD)/%.o,\
              $(sort $(wildcard cmd/$(p)/*.c)))))

define multi_main_rule
$(BUILD)/multi/$(1)-main.o: $(BUILD)/cmd/$(1)/main.o
	@mkdir -p $$(@D)
	$(OBJCOPY) --redefine-sym main=$(subst -,_,$(1))_main $$< $$@
endef
$(foreach p,$(MULTI_PROGS),$(eval $(call multi_main_rule,$(p))))

$(BUILD)/multi/dispatch.c: mk/multicall.sh $(FLAGS_FILE) $(PROGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	sh mk/multicall.sh $(MULTI_PROGS) > $@.tmp && mv $@.tmp $@
$(BUILD)/multi/dispatch.o: $(BUILD)/multi/dispatch.c
	$(CC) $(CFLAGS) -c $< -o $@

$(MULTI): $(MULTI_OBJS) $(BUILD)/multi/dispatch.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(DEP_LIBS) $(LDFLAGS)

$(MULTI_PROGS:%=$(BUILD)/bin/%): $(MULTI)
	ln -f $(MULTI) $@
$(foreach p,$(SOLO_PROGS),$(eval $(call prog_rule,$(p))))
else
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))
endif

$(BUILD)/t/unit/%.t: $(BUILD)/t/unit/%.o $(TAP_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(TAP_OBJ) $(LIB) $(DEP_LIBS) $(LDFLAGS)

units: $(UNIT_BINS)

testtools:
	@sh mk/testtools.sh

# What the tests are told: where the build is, and how to compile C.
TEST_ENV = POSTLET_BUILD=$(CURDIR)/$(BUILD) POSTLET_SANITIZE=$(SANITIZE) \
    POSTLET_CC='$(CC)' \
    POSTLET_CFLAGS='$(CPPFLAGS) -iquote lib -I$(DEPS)/include $(CFLAGS)'

# The test command: unit tests (C), then integration tests (sh), in TAP.
check: all units testtools
	$(TEST_ENV) $(PROVE) --exec '' $(UNIT_BINS) $(sort $(wildcard t/integ/*.t))

# Some test files again, verbosely: make check-these TESTS="t/integ/x.t"
# (.ci/run does this for the ones that failed, so that their diagnostics
# end up at the end of its output).
check-these: all units testtools
	$(TEST_ENV) $(PROVE) -v --exec '' $(TESTS)

# Fuzzing (never part of check): clang and its libFuzzer runtime
# (installed as root by mk/testtools.sh), then the harnesses in the FUZZ=1
# flavour, then mk/fuzz.sh runs each; any crash, leak or timeout fails.
fuzz:
	@sh mk/testtools.sh fuzz '$(FUZZ_CC)'
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-run

fuzz-run: $(FUZZ_BINS)
	sh mk/fuzz.sh '$(BUILD)' '$(FUZZ_TIME)' '$(FUZZ_JOBS)' $(FUZZ_BINS)

$(BUILD)/fuzz/%: $(BUILD)/t/fuzz/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDFLAGS)

# The smtpd harness runs smtpd's own code: its objects but main.o, and
# smtpd_data.c, which the harness includes with cleanup stubbed out.
SMTPD_FUZZ_OBJS = $(filter-out %/main.o %/smtpd_data.o,\
    $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/smtpd/*.c)))
$(BUILD)/fuzz/smtpd: $(BUILD)/t/fuzz/smtpd.o $(SMTPD_FUZZ_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(SMTPD_FUZZ_OBJS) $(LIB) \
	    $(DEP_LIBS) $(LDFLAGS)

# The smtp_reply harness includes smtp_session.c (for its static
# functions) and links the agent's other objects but main.o.
SMTP_FUZZ_OBJS = $(filter-out %/main.o %/smtp_session.o,\
    $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/smtp/*.c)))
$(BUILD)/fuzz/smtp_reply: $(BUILD)/t/fuzz/smtp_reply.o $(SMTP_FUZZ_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(SMTP_FUZZ_OBJS) $(LIB) \
	    $(DEP_LIBS) $(LDFLAGS)

# postlet and Debian's Postfix side by side (never part of check): as
# root, minutes; knobs and output in bench/README.md.
bench: all testtools
	sh bench/run.sh $(BUILD)

# A self-contained instance under ./run/ as the current user, in the
# foreground with its log on stdout (mk/run.sh); Ctrl-C stops it.
run: all
	sh mk/run.sh $(BUILD)

# Programs go to LIBEXECDIR/postlet, sendmail and postlet to SBINDIR too;
# the names of the multi-call binary are hard links (a copy where the two
# directories are on different file systems).
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/postlet \
	    $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(MANDIR)/man8
	@set -e; lib=$(DESTDIR)$(LIBEXECDIR)/postlet; \
	if [ -n "$(MULTI)" ]; then \
	    install -m 755 $(MULTI) $$lib/postlet-multicall.new; \
	    mv -f $$lib/postlet-multicall.new $$lib/postlet-multicall; \
	fi; \
	for p in $(PROGS); do \
	    case " $(MULTI_PROGS) " in \
	    *" $$p "*) ln -f $$lib/postlet-multicall $$lib/$$p;; \
	    *) install -m 755 $(BUILD)/bin/$$p $$lib/$$p;; \
	    esac; \
	done; \
	for p in $(SBIN_PROGS); do \
	    ln -f $$lib/$$p $(DESTDIR)$(SBINDIR)/$$p 2>/dev/null || \
	    install -m 755 $$lib/$$p $(DESTDIR)$(SBINDIR)/$$p; \
	done; \
	if [ -e $$lib/smtp ]; then ln -f $$lib/smtp $$lib/lmtp; fi; \
	if [ "$$(id -u)" -eq 0 ] && \
	    chgrp $(SETGID_GROUP) $$lib/postdrop 2>/dev/null; then \
	    chmod 2755 $$lib/postdrop; \
	else \
	    echo "install: postdrop is not set-group-ID $(SETGID_GROUP):" \
	        "as root, groupadd $(SETGID_GROUP) and make install again," \
	        "or see postdrop(1)" >&2; \
	fi; \
	if [ -e $$lib/sendmail ]; then \
	    for a in mailq newaliases; do \
	        ln -f $(DESTDIR)$(SBINDIR)/sendmail $(DESTDIR)$(SBINDIR)/$$a; \
	    done; \
	fi
	for m in $(MANS); do \
	    s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done
	if [ -e docs/smtp.8 ]; then \
	    ln -f $(DESTDIR)$(MANDIR)/man8/smtp.8 $(DESTDIR)$(MANDIR)/man8/lmtp.8; \
	fi
	for f in conf/main.cf conf/master.cf; do \
	    b=$${f##*/}; [ -e $(DESTDIR)$(SYSCONFDIR)/$$b ] || \
	    install -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/$$b; \
	done

# Sizes of the distinct files (hard links count once), and the budget.
size: all
	@sh mk/size.sh $(BUILD)/bin

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

-include $(LIB_OBJ:.o=.d) $(UNIT_BINS:.t=.d) $(TAP_OBJ:.o=.d) \
    $(FUZZ_SRC:%.c=$(BUILD)/%.d)
-include $(foreach p,$(PROGS),$(patsubst %.c,$(BUILD)/%.d,$(wildcard cmd/$(p)/*.c)))
