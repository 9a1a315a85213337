/* SPDX-License-Identifier: ISC */
/*
 * bounds.h: every fixed upper bound on input in postlet, with where it
 * comes from.  A limit that is reached gives a clear error; nothing is
 * truncated silently.
 */
#ifndef POSTLET_BOUNDS_H
#define POSTLET_BOUNDS_H

/* main.cf and master.cf: a logical line (with its continuations). */
#define CONF_LINE_MAX		(64 * 1024)
/* Nesting of $name expansion before we call it a loop (Postfix: 100). */
#define CONF_EXPAND_DEPTH	100
/* Names expanded for one value, or by conf_check for all of main.cf: a
 * few dozen per value in real configurations; the bound stops "a = $b$b",
 * "b = $c$c", ... whose work doubles per level while the value (empty)
 * stays short. */
#define CONF_EXPAND_NAMES	(1024 * 1024)
/* A whole main.cf or master.cf file. */
#define CONF_FILE_MAX		(4 * 1024 * 1024)
/* Parameter names. */
#define CONF_NAME_MAX		100
/* An expanded parameter value. */
#define CONF_VALUE_MAX		(256 * 1024)
/* master.cf: arguments of one service's command. */
#define MASTERCF_ARGS_MAX	64

/* Lookup tables: one key, one value, one source line. */
#define MAP_KEY_MAX		1024
#define MAP_VALUE_MAX		(64 * 1024)
#define MAP_LINE_MAX		(64 * 1024)

/* RFC 5321 §4.5.3.1: local part 64, domain 255, path 256 octets.  We
 * accept a little more than the RFC (as Postfix does) but keep a bound. */
#define ADDR_LOCAL_MAX		64
#define ADDR_DOMAIN_MAX		255
#define ADDR_PATH_MAX		1000
/* RFC 5322 address lists in one header field. */
#define ADDR_LIST_MAX		1000

/* Queue files: an envelope record line and the recipients of one message. */
#define QFILE_RECORD_MAX	4096
#define QFILE_RCPT_MAX		10000

/* Log lines are cut (and marked) at this length. */
#define LOG_LINE_MAX		2048

/* Processes: variables in an environment built for a command (Postfix has
 * no limit; ours stops a runaway export_environment). */
#define PROC_ENV_MAX		1000
/* The highest descriptor proc_init and proc_spawn close when the system
 * offers neither close_range(2), closefrom(2) nor /proc/self/fd. */
#define PROC_FD_SCAN_MAX	65536
/* getpwnam_r(3)/getgrnam_r(3) buffer: one passwd or group entry. */
#define PRIV_PWBUF_MAX		(64 * 1024)

/* Lookup table sources (postlet map/alias input, texthash:): the whole
 * file is read into memory, so it is bounded; and the tables named in one
 * list parameter (alias_maps = cdb:/a, texthash:/b, ...). */
#define MAP_SOURCE_MAX		(128L * 1024 * 1024)
#define MAP_LIST_MAX		64

/* RFC 5321 §4.5.3.1.3: the path limit an ADDR_PATH_STRICT parse enforces
 * (with '<' and '>'); RFC 1035 §2.3.4: one label of a domain name. */
#define ADDR_PATH_RFC_MAX	256
#define ADDR_LABEL_MAX		63

/* Queue files (docs/queue.5): attributes (A records) of one message, and
 * the whole envelope in bytes, which a reader holds in memory (4 MiB is
 * about 400 bytes for each of QFILE_RCPT_MAX recipients); the writer
 * refuses more, so every written file can be read back. */
#define QFILE_ATTR_MAX		100
#define QFILE_ENVELOPE_MAX	(4 * 1024 * 1024)

/* Message headers: a field name is at most one line (RFC 5322 §2.1.1:
 * 998 characters); the header section that cleanup holds in memory until
 * it ends (it must see every header before it writes the envelope; real
 * header sections are a few KiB, and header_size_limit bounds each
 * field). */
#define HEADER_NAME_MAX		998
#define HEADER_SECTION_MAX	(4 * 1024 * 1024)
#endif
