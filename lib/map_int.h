/* SPDX-License-Identifier: ISC */
/*
 * map_int.h: what map.c, map_hash.c and map_cdb.c share, and nobody else
 * should use (the public interface is map.h).
 *
 * struct map_hash is an in-memory table for texthash: and inline: maps
 * and for the duplicate check of map_cdb_build: entries in insertion
 * (source) order, an open-addressing index over them, and one arena for
 * the bytes of all keys and values (each NUL-terminated), so a table of
 * n entries costs three allocations, not 2n.
 */
#ifndef POSTLET_MAP_INT_H
#define POSTLET_MAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <cdb.h>

#include "map.h"
#include "mapsrc.h"
#include "str.h"

enum map_type {
	MAP_TYPE_CDB,
	MAP_TYPE_TEXTHASH,
	MAP_TYPE_INLINE,
	MAP_TYPE_STATIC,
};

struct map_entry {
	/* offsets into map_hash.data */
	size_t	key, keylen;
	size_t	value, valuelen;
	/* source line, for messages */
	int	line;
};

struct map_hash {
	/* keys and values, NUL after each */
	struct str		 data;
	struct map_entry	*entries;
	size_t			 n, cap;
	/* entry index + 1; 0 is free */
	size_t			*slots;
	/* 0 or a power of two */
	size_t			 nslots;
};
#define MAP_HASH_INIT	{ STR_INIT, NULL, 0, 0, NULL, 0 }

struct map {
	enum map_type	 type;
	char		*spec;		/* as opened, for messages */
	bool		 kept;		/* map_keep_open: never closed */
	/* cdb: */
	char		*path;		/* name + ".cdb" */
	int		 fd;		/* -1: no file open yet */
	struct cdb	 cdb;
	/* identity of the open file */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	/* texthash:, inline: */
	struct map_hash	 hash;
	/* static: */
	struct str	 value;
};

/* Whether the open file of cdb table m was replaced (no link left) or
 * changed in place since it was opened; false when none is open. */
bool	map_cdb_changed(const struct map *m);

/* Fold n bytes of src to ASCII lowercase into dst (may be the same). */
void	map_fold(char *dst, const char *src, size_t n);

void	map_hash_free(struct map_hash *);
/*
 * Add key (already folded) -> value.  Returns NULL when added, or the
 * entry that already has this key (then nothing is added).
 */
const struct map_entry *map_hash_add(struct map_hash *, const char *key,
	    size_t keylen, const char *value, size_t valuelen, int line);
/* The entry for key (already folded), or NULL. */
const struct map_entry *map_hash_find(const struct map_hash *,
	    const char *key, size_t keylen);

/*
 * Read the whole regular file path (at most MAP_SOURCE_MAX bytes) into
 * text; *mode (when not NULL) gets its permission bits.  Returns 0, or -1
 * with errno and a message line appended to msgs.
 */
int	map_source_read(const char *path, struct str *text, mode_t *mode,
	    struct str *msgs);
/*
 * Parse a source (mapsrc_parse) into h, keys folded; a duplicate key is
 * a "warning: FILE, line N: duplicate entry ..." line in msgs and the
 * later entry is dropped.  Returns the number of errors (warnings do not
 * count).
 */
int	map_source_load(struct map_hash *h, const char *text, size_t len,
	    const char *file, enum mapsrc_format format, struct str *msgs);

/* The next word of a list (commas and white space separate; "{...}"
 * stays whole): 1 with the word, or 0 at the end. */
int	map_word_next(const char *s, size_t len, size_t *pos,
	    struct str *word);

/* Type-specific parts of map_open: 0, or -1 with errno and err set. */
int	map_open_texthash(struct map *, const char *name, struct str *err);
int	map_open_inline(struct map *, const char *name, struct str *err);
int	map_open_static(struct map *, const char *name, struct str *err);
int	map_open_cdb(struct map *, const char *name, struct str *err);
/* Lookups of an already folded key that fits MAP_KEY_MAX. */
enum map_result map_lookup_cdb(struct map *, const char *key, size_t keylen,
	    struct str *value, struct str *err);
void	map_close_cdb(struct map *);

#endif
