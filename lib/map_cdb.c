/* SPDX-License-Identifier: ISC */
/*
 * map_cdb.c: cdb: tables, read with tinycdb and built atomically.
 *
 * Reading: tinycdb maps the file and checks every offset it follows
 * against the file size (cdb_find), so a corrupt file gives EPROTO, not
 * a crash; we add the checks it leaves to us (a regular file, at least
 * the 2048-byte header, under 4 GiB, values within MAP_VALUE_MAX and
 * without NUL bytes).  The file is mapped, so a file truncated in place
 * under a reader would make it fault (SIGBUS); our tables are only ever
 * replaced by rename(2), which leaves the old inode intact for readers
 * that still have it open.  XXX: an administrator who truncates a .cdb
 * by hand can still crash a running reader.
 *
 * Freshness: every lookup stat(2)s the path and reopens when the device,
 * inode, size or mtime differ from the open file's (fstat of the
 * descriptor we read, so a rename between stat and open cannot fool us).
 * One stat per lookup is cheap next to a delivery, and always right.
 * A table kept open for a chrooted process (map_keep_open) is the one
 * exception: its path may be outside the jail, so it is not stat(2)ed
 * again once open.
 *
 * Building: the whole source is parsed into memory first (so nothing is
 * written when it has errors), then written through lib/durable.  Keys
 * and values are stored without a trailing NUL, in source order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "durable.h"
#include "bounds.h"
#include "map_int.h"

/* tinycdb's cdb_init refuses anything shorter than its header. */
#define MAP_CDB_HEADER	2048

static int	map_cdb_refresh(struct map *, struct str *);
static bool	map_cdb_same(const struct map *, const struct stat *);

static bool
map_cdb_same(const struct map *m, const struct stat *st)
{
	return m->fd != -1 && st->st_dev == m->dev && st->st_ino == m->ino &&
	    st->st_size == m->size &&
	    st->st_mtim.tv_sec == m->mtime.tv_sec &&
	    st->st_mtim.tv_nsec == m->mtime.tv_nsec;
}

bool
map_cdb_changed(const struct map *m)
{
	struct stat	st;

	if (m->fd == -1) {
		return false;
	}
	return fstat(m->fd, &st) == -1 || st.st_nlink == 0 ||
	    !map_cdb_same(m, &st);
}

/* Make sure the open file is the one at m->path: 0, or -1 with err. */
static int
map_cdb_refresh(struct map *m, struct str *err)
{
	struct stat	st;
	struct cdb	cdb;
	int		fd, saved;

	if (m->kept && m->fd != -1) {
		return 0;
	}
	if (stat(m->path, &st) == -1) {
		saved = errno;
		str_catf(err, "%s: %s", m->path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (map_cdb_same(m, &st)) {
		return 0;
	}
	if ((fd = open(m->path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		saved = errno;
		str_catf(err, "open %s: %s", m->path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		str_catf(err, "stat %s: %s", m->path, strerror(saved));
		goto fail;
	}
	saved = EPROTO;
	if (!S_ISREG(st.st_mode)) {
		str_catf(err, "%s: not a regular file", m->path);
		goto fail;
	}
	if (st.st_size < MAP_CDB_HEADER) {
		str_catf(err, "%s: not a cdb file (shorter than %d bytes)",
		    m->path, MAP_CDB_HEADER);
		goto fail;
	}
	if ((uintmax_t)st.st_size > UINT32_MAX) {
		str_catf(err, "%s: not a cdb file (larger than 4 GiB)",
		    m->path);
		goto fail;
	}
	memset(&cdb, 0, sizeof(cdb));
	if (cdb_init(&cdb, fd) == -1) {
		saved = errno;
		str_catf(err, "%s: cannot map the cdb file: %s", m->path,
		    strerror(saved));
		goto fail;
	}
	map_close_cdb(m);
	m->fd = fd;
	m->cdb = cdb;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->size = st.st_size;
	m->mtime = st.st_mtim;
	return 0;

fail:
	(void)close(fd);
	errno = saved;
	return -1;
}

int
map_open_cdb(struct map *m, const char *name, struct str *err)
{
	size_t	n = strlen(name);

	m->fd = -1;
	if (n == 0) {
		str_catf(err, "%s: missing file name", m->spec);
		errno = EINVAL;
		return -1;
	}
	/* A name too long for the system is ENAMETOOLONG from stat(2). */
	m->path = xmalloc(n + sizeof(".cdb"));
	memcpy(m->path, name, n);
	memcpy(m->path + n, ".cdb", sizeof(".cdb"));
	return map_cdb_refresh(m, err);
}

void
map_close_cdb(struct map *m)
{
	if (m->fd != -1) {
		cdb_free(&m->cdb);
		(void)close(m->fd);
		m->fd = -1;
	}
}

enum map_result
map_lookup_cdb(struct map *m, const char *key, size_t keylen,
    struct str *value, struct str *err)
{
	const char	*p;
	unsigned	 n;
	int		 r;

	if (map_cdb_refresh(m, err) == -1) {
		return MAP_ERROR;
	}
	if ((r = cdb_find(&m->cdb, key, (unsigned)keylen)) == 0) {
		return MAP_NOTFOUND;
	}
	if (r == -1) {
		str_catf(err, "%s: corrupt cdb file", m->path);
		errno = EPROTO;
		return MAP_ERROR;
	}
	n = cdb_datalen(&m->cdb);
	if (n > MAP_VALUE_MAX) {
		str_catf(err, "%s: value longer than %d bytes", m->path,
		    MAP_VALUE_MAX);
		errno = EPROTO;
		return MAP_ERROR;
	}
	if ((p = cdb_get(&m->cdb, n, cdb_datapos(&m->cdb))) == NULL) {
		str_catf(err, "%s: corrupt cdb file", m->path);
		errno = EPROTO;
		return MAP_ERROR;
	}
	/* Callers use values as C strings: a NUL would cut them short. */
	if (memchr(p, '\0', n) != NULL) {
		str_catf(err, "%s: value with a NUL byte", m->path);
		errno = EPROTO;
		return MAP_ERROR;
	}
	str_set_mem(value, p, n);
	return MAP_FOUND;
}

int
map_cdb_build(const char *path, enum mapsrc_format format, struct str *msgs)
{
	struct map_hash		 h = MAP_HASH_INIT;
	struct durable		 d = DURABLE_INIT;
	struct cdb_make		 cm;
	struct str		 text = STR_INIT, dir = STR_INIT;
	struct str		 name = STR_INIT;
	const struct map_entry	*e;
	const char		*slash;
	mode_t			 mode;
	size_t			 i;
	int			 saved = 0, nerr;

	if (map_source_read(path, &text, &mode, msgs) == -1) {
		return -1;
	}
	nerr = map_source_load(&h, text.s, text.len, path, format, msgs);
	str_free(&text);
	if (nerr > 0) {
		saved = EINVAL;
		goto out;
	}
	/* The table goes next to its source: same directory, so rename(2)
	 * works and the tmp file is on the same filesystem. */
	if ((slash = strrchr(path, '/')) == NULL) {
		str_set(&dir, ".");
		str_set(&name, path);
	} else {
		str_set_mem(&dir, path, slash == path ? 1 :
		    (size_t)(slash - path));
		str_set(&name, slash + 1);
	}
	str_cat(&name, ".cdb");
	if (durable_create_named(&d, dir.s, name.s, mode & 0666) == -1) {
		saved = errno;
		str_catf(msgs, "create a temporary file in %s: %s\n", dir.s,
		    strerror(saved));
		goto out;
	}
	(void)cdb_make_start(&cm, d.fd);
	for (i = 0; i < h.n; i++) {
		e = &h.entries[i];
		if (cdb_make_add(&cm, h.data.s + e->key, (unsigned)e->keylen,
		    h.data.s + e->value, (unsigned)e->valuelen) == -1) {
			saved = errno;
			break;
		}
	}
	/* Always finish: it frees what cdb_make_add allocated. */
	if (cdb_make_finish(&cm) == -1 && saved == 0) {
		saved = errno;
	}
	if (saved != 0) {
		str_catf(msgs, "write %s: %s\n", d.tmp_path.s,
		    strerror(saved));
		goto out;
	}
	if (durable_commit(&d, dir.s, name.s, DURABLE_REPLACE) == -1) {
		saved = errno;
		str_catf(msgs, "install %s/%s: %s\n", dir.s, name.s,
		    strerror(saved));
		goto out;
	}

out:
	durable_abort(&d);
	map_hash_free(&h);
	str_free(&dir);
	str_free(&name);
	if (saved != 0) {
		errno = saved;
		return -1;
	}
	return 0;
}
