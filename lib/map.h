/* SPDX-License-Identifier: ISC */
/*
 * map.h: lookup tables, opened from Postfix-style specifications
 * "type:name", alone or as a list (alias_maps = cdb:/a, texthash:/b).
 *
 * Types:
 *   cdb:/path        /path.cdb, built by `postlet map` or `postlet alias`
 *                    (map_cdb_build).  Keys and values are stored without
 *                    a trailing NUL, so tinycdb's `cdb -q` reads our files
 *                    and we read files made by `cdb -c`.  Before every
 *                    lookup the file is stat(2)ed; when it was replaced
 *                    (another inode, size or mtime) it is opened again, so
 *                    a rebuilt table is used at once.  A file that is not
 *                    a valid cdb gives MAP_ERROR, never a crash.
 *   texthash:/path   a postmap-format source (mapsrc.h) read into memory
 *                    when the map is opened (Postfix: changes are not
 *                    seen until the program opens it again).
 *   inline:{k=v, ...} entries separated by commas or blanks; an entry may
 *                    be "{key = value with blanks}" (blanks around '=' are
 *                    dropped); Postfix 3.0 syntax.
 *   static:value     every key finds value; static:{text with blanks} too
 *                    (braces and the blanks inside them are dropped).
 *
 * Case: keys are folded to lowercase when a table is built (postmap's
 * default) or read (texthash, inline), and every lookup folds its key,
 * so lookups ignore case; values keep theirs.  Folding is ASCII only
 * (XXX: Postfix folds UTF-8 when smtputf8_enable is on).
 *
 * Results are enum map_result: MAP_FOUND with the value, MAP_NOTFOUND, or
 * MAP_ERROR with a message ("cdb:/etc/postlet/aliases: /etc/postlet/
 * aliases.cdb: not a cdb file (too short)").  An error must not be taken
 * for "not found": callers defer (DSN_TEMP), as Postfix does.
 *
 * Nothing here is fatal except running out of memory (alloc.h).
 */
#ifndef POSTLET_MAP_H
#define POSTLET_MAP_H

#include <stddef.h>

#include "mapsrc.h"
#include "str.h"

enum map_result {
	MAP_FOUND,
	MAP_NOTFOUND,
	MAP_ERROR,
};

struct map;
struct map_list;

/*
 * Open one table from spec "type:name".  Returns the map (owned by the
 * caller, freed with map_close), or NULL with a message in err (replacing
 * its contents) and errno: EINVAL for a bad or unsupported spec or a bad
 * texthash/inline source, ENOENT when a file is missing, EPROTO for a
 * file that is not a cdb, EFBIG for a source over MAP_SOURCE_MAX, or the
 * system's error.  Warnings (duplicate keys in texthash:) are logged.
 */
struct map	*map_open(const char *spec, struct str *err);
/* Close m and free everything it holds; NULL is allowed. */
void		 map_close(struct map *m);
/*
 * For a process about to chroot(2) (lib/jail.h): from now on every table
 * that opens stays open for the life of the process.  map_open of a spec
 * already open returns that same table (so it must not be looked up
 * twice at once, which single-threaded callers never do), map_close
 * leaves it open, and a cdb file is no longer stat(2)ed for replacement,
 * as its path may be outside the jail.  Such a process sees a rebuilt
 * table only when it starts again, so it must be short-lived, restarted
 * on reload, or end when map_kept_changed says so.  A spec that failed to open is tried again at its
 * next map_open (and fails in the jail, as a table error).
 */
void		 map_keep_open(void);
/*
 * After map_keep_open: the spec of a kept cdb table whose file changed
 * since it was opened (rebuilt: the open file was replaced, so it has no
 * link left, or it was changed in place), or NULL.  It looks only at the
 * open descriptors, so it works inside a jail; a long-lived jailed
 * process (a reused smtpd or cleanup) ends when it sees one, to be
 * started again with the new table.
 */
const char	*map_kept_changed(void);
/* The spec m was opened with, for messages; owned by m. */
const char	*map_spec(const struct map *m);

/*
 * Look key (a C string, folded here) up in m.  MAP_FOUND: value holds the
 * value (replacing its contents; binary-safe but never holding a NUL).
 * MAP_NOTFOUND: value is cleared; a key longer than MAP_KEY_MAX is never
 * found.  MAP_ERROR: err holds a message naming the table, errno is set
 * (EPROTO: corrupt cdb file, or a value with a NUL byte or over
 * MAP_VALUE_MAX; else the system error), and value is cleared.
 */
enum map_result	 map_lookup(struct map *m, const char *key,
		    struct str *value, struct str *err);

/*
 * Open every table named in tables, the value of a CONF_TABLE parameter:
 * specs separated by commas and/or white space, where "{...}" groups stay
 * in one word (inline:{a=b, c=d}).  An empty value gives an empty list
 * (nothing is ever found).  At most MAP_LIST_MAX tables.  Returns the list
 * (freed with map_list_close), or NULL with the message of the first
 * table that failed in err and errno as for map_open (E2BIG: too many).
 */
struct map_list	*map_list_open(const char *tables, struct str *err);
/* An empty list, to be filled with map_list_add. */
struct map_list	*map_list_new(void);
/*
 * Append m to l, which then owns it (map_list_close closes it).  Returns
 * 0, or -1 with errno E2BIG when l already has MAP_LIST_MAX tables (m is
 * then still the caller's).
 */
int		 map_list_add(struct map_list *l, struct map *m);
/* Close every table of l and free l; NULL is allowed. */
void		 map_list_close(struct map_list *l);
/* Number of tables in l. */
size_t		 map_list_count(const struct map_list *l);
/* Table i of l (i < map_list_count), borrowed. */
struct map	*map_list_get(const struct map_list *l, size_t i);

/*
 * Look key up in each table of l in order: the first MAP_FOUND wins; a
 * MAP_ERROR stops the search and is returned (a later table must not
 * answer for one that could not).  Same conventions as map_lookup.
 */
enum map_result	 map_list_lookup(struct map_list *l, const char *key,
		    struct str *value, struct str *err);

/*
 * Where the address extension starts in the local part local (len
 * bytes), for recipient_delimiter delims (a set of bytes, any of which
 * separates; NULL or "" for none).  Returns the length of the part before
 * the first delimiter, or len when the local part has no extension.  As
 * Postfix does, these are never split: an empty user part ("+foo"),
 * "postmaster" and "mailer-daemon" (any case), and, when '-' is a
 * delimiter, "owner-*" and "*-request" (mailing list conventions).
 */
size_t		 map_ext_split(const char *local, size_t len,
		    const char *delims);

/* map_lookup_addr flags. */
/* the domain is ours: try local part forms */
#define MAP_ADDR_OURS	0x01

/* Which form of the address a map_lookup_addr match was found with. */
enum map_addr_form {
	/* user+ext@domain (the address as given) */
	MAP_FORM_ADDR,
	MAP_FORM_ADDR_NOEXT,	/* user@domain */
	MAP_FORM_LOCAL,		/* user+ext */
	MAP_FORM_LOCAL_NOEXT,	/* user */
	MAP_FORM_DOMAIN,	/* @domain */
};

/*
 * Look an address up the way Postfix's virtual(5) and canonical(5)
 * tables are searched: for user+ext@domain (recipient_delimiter delims)
 *
 *	user+ext@domain, user@domain, user+ext, user, @domain
 *
 * where the two local part forms are tried only when flags has
 * MAP_ADDR_OURS (Postfix: the domain is $myorigin, in $mydestination,
 * $inet_interfaces or $proxy_interfaces; the caller decides), forms
 * without an extension only when the address has one (map_ext_split),
 * and a form equal to one already tried is skipped.  The domain is what
 * follows the last '@'; an address without '@' is a bare local part and
 * gets the local part forms only (whatever the flags), an empty domain
 * no @domain form.  Each form is looked up in every table of l before
 * the next form (Postfix's order: the most specific form wins across
 * tables).  access(5) tables use a different order (user@domain, domain,
 * user@) that is not implemented here.
 *
 * Same results as map_list_lookup; on MAP_FOUND, *form (when not NULL)
 * says which form matched, so that the caller can propagate an unmatched
 * extension (Postfix's propagate_unmatched_extensions).
 */
enum map_result	 map_lookup_addr(struct map_list *l, const char *addr,
		    const char *delims, int flags, struct str *value,
		    enum map_addr_form *form, struct str *err);

/*
 * Look a local part up in alias tables (aliases(5): the key is the local
 * part only, folded to lowercase): first local as given, then, when it
 * has an extension (map_ext_split with delims), the part before it, as
 * local(8) does.  Same results as map_list_lookup; on MAP_FOUND, *noext
 * (when not NULL) says whether the extension was dropped.
 */
enum map_result	 map_lookup_alias(struct map_list *l, const char *local,
		    const char *delims, struct str *value, int *noext,
		    struct str *err);

/*
 * Build path.cdb from the text source path, in format (postmap or
 * aliases; mapsrc.h), atomically: the whole source is parsed first, then
 * written to a new file in the same directory, fsync'ed, renamed over
 * path.cdb and the directory fsync'ed (lib/durable), so a reader sees
 * the old table or the new one, never a mix.  Keys are folded to
 * lowercase.  A duplicate key is a warning and the later entry is
 * ignored (Postfix's postmap/postalias default: "duplicate entry").
 * Postfix's postalias also stores a "@" -> "@" entry (old NIS
 * convention); we do not.  The new file gets the permission bits of the
 * source (a private source gives a private table).
 *
 * Every problem is appended to msgs as a line "FILE, line N: text\n";
 * warnings as "warning: FILE, line N: text\n".  Returns 0 when the new
 * table is in place; -1 otherwise, with errno EINVAL when the source has
 * errors (listed in msgs), ENOENT when it is missing, EFBIG when it is
 * over MAP_SOURCE_MAX, or the system's error, each also described in
 * msgs; path.cdb is then untouched.
 */
int		 map_cdb_build(const char *path, enum mapsrc_format format,
		    struct str *msgs);

#endif
