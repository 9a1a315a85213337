/* SPDX-License-Identifier: ISC */
/*
 * local_expand.c: what happens to one local recipient, in Postfix's
 * order: the alias, else the user's .forward, else the user's mailbox.
 *
 * Aliases.  The local part (lowercased; with its extension, then
 * without) is looked up in each alias_maps table in turn.  The value's
 * elements (mapsrc_alias_next) are "|command", /file, :include:/path,
 * \user and addresses.  A bare name that is itself an alias (with its
 * extension, then without) expands in turn (LOCAL_EXPAND_DEPTH deep at
 * most); an alias that lists its own name is delivered to that user
 * instead (.forward, then mailbox), as Postfix does; a name that an outer
 * alias is already expanding (a: b, b: a) is a loop, returned with
 * 5.4.6 "alias database loop"; any other address is forwarded.  With
 * propagate_unmatched_extensions "alias" ("forward"), an extension that
 * the alias lookup (the .forward file name) did not match is added to
 * the addresses found (user+ext found as user: other becomes other+ext);
 * in :include: files only with "include" too.
 * When the table has owner-NAME (owner_request_special), mail forwarded
 * for NAME gets the sender
 * owner-NAME (expand_owner_alias = yes: that alias's value when it is a
 * single address), so that bounces go to the list's owner; this carries
 * over into :include: files and nested aliases without their own owner.
 * Commands and files of an alias run as the owner of its table file
 * (default_privs when that is root, or for tables without a file),
 * those of an :include: file as the owner of that file (same rule),
 * unless the :include: is in a .forward file: then as the user.  No
 * command or file delivery ever runs as root: root's own .forward and
 * mailbox_command run as default_privs, as in Postfix.
 *
 * .forward.  forward_path ($home, $user, $extension, ... expanded, a
 * path with an empty $name skipped, as Postfix) is tried in order; the
 * first file that exists is used if it is owned by the user and not
 * writable by group or others (else it is logged and ignored, and the
 * next is tried).  Its elements are those of an alias value, one or
 * more a line ('#' lines are comments); the user's own name (or \user)
 * delivers to the mailbox; an empty file means the mailbox.  Read and
 * run as the user.  Only as root, or for local's own user.
 *
 * Every destination is delivered once per recipient (duplicates are
 * dropped).  All forwarded addresses with the same sender go in one new
 * message (local_forward).  The recipient's result: deferred if any
 * destination was, else bounced if any was, else delivered, with the
 * texts of the deliveries; so a deferral may deliver some destinations
 * again later, as in Postfix ("better safe than sorry").
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "expand.h"
#include "local.h"
#include "log.h"
#include "map.h"
#include "mapsrc.h"
#include "priv.h"
#include "safeopen.h"
#include "str.h"

/* Forwarded addresses with one sender. */
struct fwd_group {
	struct str	 sender;
	struct str	*addrs;
	size_t		 n, cap;
};

/* One recipient's expansion. */
struct expand {
	const struct local	*l;
	const struct local_env	*env;
	/* destinations handled (duplicates dropped) */
	struct str		*seen;
	size_t			 nseen, capseen;
	struct fwd_group	*fwd;
	size_t			 nfwd, capfwd;
	/* alias names being expanded, outermost first */
	const char		*chain[LOCAL_EXPAND_DEPTH + 2];
	size_t			 nchain;
	/* the unmatched extension added to addresses (borrowed), or
	 * NULL; with its delimiter */
	const char		*ext;
	char			 delim;
	/* the outcome so far */
	bool			 temp, perm;
	struct local_status	 fail;
	struct str		 ok;
	size_t			 nok;
};

static void	outcome(struct expand *, const struct local_status *);
static void	fail(struct expand *, enum dsn_status, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static bool	seen(struct expand *, const char *, uid_t);
static void	lower(struct str *);
static enum map_result alias_find(struct expand *, const char *,
		    struct str *, size_t *, int *);
static void	alias_id(struct expand *, size_t, struct local_id *);
static void	privs_id(struct expand *, struct local_id *);
static const struct local_id *not_root(struct expand *,
		    const struct local_id *, struct local_id *);
static void	expand_alias(struct expand *, const char *, const char *,
		    size_t, const char *, size_t, const char *, char);
static void	ext_add(const struct expand *, struct str *);
static size_t	expand_list(struct expand *, const char *, size_t, int,
		    const struct local_id *, const char *, size_t,
		    const char *, bool);
static void	dest(struct expand *, const char *, int,
		    const struct local_id *, const char *, size_t,
		    const char *);
static void	include(struct expand *, const char *, int,
		    const struct local_id *, const char *, size_t,
		    const char *);
static void	forward_add(struct expand *, const char *, const char *);
static void	user_deliver(struct expand *, const char *, size_t);
static void	mailbox(struct expand *, const struct local_id *);

/* Keep the result of one destination. */
static void
outcome(struct expand *ex, const struct local_status *st)
{
	if (st->status == DSN_OK) {
		if (ex->nok < 3) {
			if (ex->ok.len > 0) {
				str_cat(&ex->ok, "; ");
			}
			str_cat(&ex->ok, str_c(&st->text));
		} else if (ex->nok == 3) {
			str_cat(&ex->ok, "; ...");
		}
		ex->nok++;
		return;
	}
	if (st->status == DSN_TEMP && !ex->temp) {
		ex->temp = true;
	} else if (st->status == DSN_PERM && !ex->temp && !ex->perm) {
		ex->perm = true;
	} else {
		return;
	}
	local_status_set(&ex->fail, st->status, st->code, "%s",
	    str_c(&st->text));
}

static void
fail(struct expand *ex, enum dsn_status status, const char *code,
    const char *fmt, ...)
{
	struct local_status	st = LOCAL_STATUS_INIT;
	va_list			ap;

	local_status_set(&st, status, code, "%s", "");
	va_start(ap, fmt);
	str_vcatf(&st.text, fmt, ap);
	va_end(ap);
	outcome(ex, &st);
	local_status_free(&st);
}

/* True when key (for uid) was handled already; else remember it. */
static bool
seen(struct expand *ex, const char *key, uid_t uid)
{
	struct str	k = STR_INIT;
	size_t		i;

	str_catf(&k, "%lu %s", (unsigned long)uid, key);
	for (i = 0; i < ex->nseen; i++) {
		if (str_eq(&ex->seen[i], k.s)) {
			str_free(&k);
			return true;
		}
	}
	if (ex->nseen == ex->capseen) {
		ex->capseen = ex->capseen == 0 ? 8 : ex->capseen * 2;
		ex->seen = xreallocarray(ex->seen, ex->capseen,
		    sizeof(*ex->seen));
	}
	ex->seen[ex->nseen++] = k;
	return false;
}

static void
lower(struct str *s)
{
	size_t	i;

	for (i = 0; i < s->len; i++) {
		s->s[i] = (char)tolower((unsigned char)s->s[i]);
	}
}

/*
 * Look name up in the alias tables, in order, then (Postfix's order)
 * the part before its extension in the tables again.  MAP_FOUND with the
 * value, the table's index and whether the extension was dropped.
 */
static enum map_result
alias_find(struct expand *ex, const char *name, struct str *value,
    size_t *table, int *noext)
{
	struct str	err = STR_INIT, user = STR_INIT;
	enum map_result	r = MAP_NOTFOUND;
	size_t		i, len = strlen(name), n;

	n = local_ext_split(ex->l, name, len);
	str_set_mem(&user, name, n);
	*noext = 0;
	for (i = 0; r == MAP_NOTFOUND && i < 2 * ex->l->ntables; i++) {
		if (i == ex->l->ntables) {
			if (n == len) {
				break;
			}
			*noext = 1;
		}
		r = map_list_lookup(ex->l->tables[i % ex->l->ntables].list,
		    *noext ? user.s : name, value, &err);
		*table = i % ex->l->ntables;
	}
	if (r == MAP_ERROR) {
		fail(ex, DSN_TEMP, "4.3.0", "alias database unavailable: %s",
		    str_c(&err));
	}
	str_free(&err);
	str_free(&user);
	return r;
}

/* default_privs, or local's own identity when not root. */
static void
privs_id(struct expand *ex, struct local_id *id)
{
	if (!ex->l->root || local_id_user(ex->l->default_privs, id) == -1) {
		if (ex->l->root) {
			log_warnx("default_privs %s: no such user; using "
			    "uid 65534", ex->l->default_privs);
			id->uid = 65534;
			id->gid = 65534;
			str_set(&id->name, "");
			str_set(&id->home, "/");
			str_set(&id->shell, "/bin/sh");
			return;
		}
		local_id_self(id);
	}
}

/*
 * Commands and files never run as root (Postfix: default_privs instead):
 * id, or default_privs in tmp when id is root.
 */
static const struct local_id *
not_root(struct expand *ex, const struct local_id *id, struct local_id *tmp)
{
	if (!ex->l->root || id->uid != 0) {
		return id;
	}
	privs_id(ex, tmp);
	return tmp;
}

/* Who the commands and files of table i run as. */
static void
alias_id(struct expand *ex, size_t i, struct local_id *id)
{
	const char	*spec = ex->l->tables[i].spec, *colon;
	struct str	 path = STR_INIT;
	struct stat	 sb;

	if (!ex->l->root) {
		local_id_self(id);
		return;
	}
	colon = strchr(spec, ':');
	if (colon != NULL && strncmp(spec, "cdb:", 4) == 0) {
		str_set(&path, colon + 1);
		str_cat(&path, ".cdb");
	} else if (colon != NULL && strncmp(spec, "texthash:", 9) == 0) {
		str_set(&path, colon + 1);
	}
	if (path.len > 0 && stat(path.s, &sb) == 0 && sb.st_uid != 0 &&
	    local_id_uid(sb.st_uid, id) == 0) {
		str_free(&path);
		return;
	}
	str_free(&path);
	privs_id(ex, id);
}

/* Queue addr for forwarding with sender. */
static void
forward_add(struct expand *ex, const char *sender, const char *addr)
{
	struct fwd_group	*g = NULL;
	size_t			 i;

	if (seen(ex, addr, (uid_t)-1)) {
		return;
	}
	for (i = 0; i < ex->nfwd; i++) {
		if (str_eq(&ex->fwd[i].sender, sender)) {
			g = &ex->fwd[i];
			break;
		}
	}
	if (g == NULL) {
		if (ex->nfwd == ex->capfwd) {
			ex->capfwd = ex->capfwd == 0 ? 2 : ex->capfwd * 2;
			ex->fwd = xreallocarray(ex->fwd, ex->capfwd,
			    sizeof(*ex->fwd));
		}
		g = &ex->fwd[ex->nfwd++];
		memset(g, 0, sizeof(*g));
		str_set(&g->sender, sender);
	}
	if (g->n == g->cap) {
		g->cap = g->cap == 0 ? 4 : g->cap * 2;
		g->addrs = xreallocarray(g->addrs, g->cap, sizeof(*g->addrs));
	}
	memset(&g->addrs[g->n], 0, sizeof(g->addrs[g->n]));
	str_set(&g->addrs[g->n++], addr);
}

/*
 * Add the unmatched extension being propagated (if any) to the local
 * part of the address s: user@domain becomes user+ext@domain.  A quoted
 * local part is left alone.
 */
static void
ext_add(const struct expand *ex, struct str *s)
{
	struct str	 out = STR_INIT;
	const char	*at;
	size_t		 n;

	if (ex->ext == NULL || *ex->ext == '\0' || s->len == 0 ||
	    s->s[0] == '"') {
		return;
	}
	at = strrchr(s->s, '@');
	n = at == NULL ? s->len : (size_t)(at - s->s);
	if (n == 0) {
		return;
	}
	str_set_mem(&out, s->s, n);
	str_cat_char(&out, ex->delim);
	str_cat(&out, ex->ext);
	if (at != NULL) {
		str_cat(&out, at);
	}
	str_set(s, out.s);
	str_free(&out);
}

/*
 * Expand alias name (found in table) with value; sender inherited.  ext
 * is the extension the lookup did not match (else NULL), delim its
 * delimiter: propagated to the addresses of the value when
 * propagate_unmatched_extensions has "alias".
 */
static void
expand_alias(struct expand *ex, const char *name, const char *value,
    size_t table, const char *sender, size_t depth, const char *ext,
    char delim)
{
	struct local_id	 id = LOCAL_ID_INIT;
	struct str	 key = STR_INIT, owner = STR_INIT, elem = STR_INIT;
	struct str	 extra = STR_INIT;
	const char	*saved_ext = ex->ext;
	char		 saved_delim = ex->delim;
	size_t		 t, pos = 0;
	int		 noext;

	if (ex->nchain >= LOCAL_EXPAND_DEPTH || depth >= LOCAL_EXPAND_DEPTH) {
		fail(ex, DSN_PERM, "5.4.6", "alias expansion of %s is nested "
		    "too deeply (more than %d)", name, LOCAL_EXPAND_DEPTH);
		return;
	}
	ex->chain[ex->nchain++] = name;
	ex->ext = NULL;
	if (ext != NULL && (ex->l->propagate_ext & LOCAL_CLASS_ALIAS) != 0) {
		ex->ext = ext;
		ex->delim = delim;
	}
	/*
	 * owner-NAME: bounces of what NAME forwards go there
	 * (owner_request_special; not for owner-NAME itself)
	 */
	str_catf(&key, "owner-%s", name);
	switch (!ex->l->owner_request_special ||
	    strncmp(name, "owner-", 6) == 0 ? MAP_NOTFOUND :
	    alias_find(ex, key.s, &owner, &t, &noext)) {
	case MAP_FOUND:
		if (ex->l->expand_owner_alias &&
		    mapsrc_alias_next(owner.s, owner.len, &pos, &elem) == 1 &&
		    mapsrc_alias_next(owner.s, owner.len, &pos, &extra) == 0 &&
		    elem.s[0] != '|' && elem.s[0] != '/' &&
		    elem.s[0] != ':') {
			str_set(&key, elem.s);
		}
		sender = key.s;
		break;
	case MAP_ERROR:
		goto out;
	default:
		break;
	}
	alias_id(ex, table, &id);
	(void)expand_list(ex, value, strlen(value), LOCAL_CLASS_ALIAS, &id,
	    sender, depth + 1, NULL, false);
out:
	ex->nchain--;
	ex->ext = saved_ext;
	ex->delim = saved_delim;
	local_id_free(&id);
	str_free(&key);
	str_free(&owner);
	str_free(&elem);
	str_free(&extra);
}

/*
 * The elements of text (an alias value, or a .forward or :include:
 * file: then one or more a line, '#' lines skipped), of class, as id.
 * self is the user whose .forward this is (else NULL).
 */
static size_t
expand_list(struct expand *ex, const char *text, size_t len, int class,
    const struct local_id *id, const char *sender, size_t depth,
    const char *self, bool count_only)
{
	struct str	 joined = STR_INIT, elem = STR_INIT;
	const char	*p, *nl, *end = text + len, *q;
	size_t		 pos = 0, n = 0;
	int		 r;

	if (class == LOCAL_CLASS_ALIAS) {
		str_set_mem(&joined, text, len);
	} else {
		for (p = text; p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) ==
			    NULL) {
				nl = end;
			}
			for (q = p; q < nl && (*q == ' ' || *q == '\t'); q++) {
				continue;
			}
			if (q < nl && *q != '#') {
				str_cat(&joined, ",");
				str_cat_mem(&joined, p, (size_t)(nl - p));
			}
			if (nl == end) {
				break;
			}
		}
	}
	if (joined.s == NULL) {
		str_set(&joined, "");
	}
	while ((r = mapsrc_alias_next(joined.s, joined.len, &pos,
	    &elem)) == 1) {
		n++;
		if (!count_only) {
			dest(ex, elem.s, class, id, sender, depth, self);
		}
	}
	if (r == -1 && !count_only) {
		fail(ex, DSN_PERM, "5.3.5", "bad alias or forward list: "
		    "unbalanced quotes");
	}
	str_free(&joined);
	str_free(&elem);
	return n;
}

/* One element. */
static void
dest(struct expand *ex, const char *elem, int class,
    const struct local_id *id, const char *sender, size_t depth,
    const char *self)
{
	const struct local	*l = ex->l;
	const struct local_id	*run;
	struct local_id		 tmp = LOCAL_ID_INIT;
	struct local_status	 st = LOCAL_STATUS_INIT;
	struct str		 a = STR_INIT, value = STR_INIT;
	struct str		 fwd = STR_INIT, key = STR_INIT;
	const char		*at, *name;
	size_t			 i, n, table;
	int			 noext;

	if (ex->nseen >= LOCAL_EXPAND_MAX) {
		fail(ex, DSN_TEMP, "4.3.0", "alias expansion: more than %d "
		    "destinations", LOCAL_EXPAND_MAX);
		return;
	}
	if (elem[0] == '|') {
		run = not_root(ex, id, &tmp);
		if ((l->allow_commands & class) == 0) {
			fail(ex, DSN_PERM, "5.7.1", "mail to command is "
			    "restricted");
		} else if (!seen(ex, elem, run->uid)) {
			local_command(l, ex->env, run, elem + 1, &st);
			outcome(ex, &st);
		}
		goto out;
	}
	if (elem[0] == '/') {
		run = not_root(ex, id, &tmp);
		if ((l->allow_files & class) == 0) {
			fail(ex, DSN_PERM, "5.7.1", "mail to file is "
			    "restricted");
		} else if (!seen(ex, elem, run->uid)) {
			local_file(l, ex->env, run, elem, &st);
			outcome(ex, &st);
		}
		goto out;
	}
	if (strncasecmp(elem, ":include:", 9) == 0) {
		include(ex, elem + 9, class, id, sender, depth, self);
		goto out;
	}
	str_set(&a, elem[0] == '\\' ? elem + 1 : elem);
	lower(&a);
	/* "user@our domain" counts as "user" for self-references */
	name = a.s;
	if ((at = strrchr(a.s, '@')) != NULL &&
	    strcmp(at + 1, ex->env->domain) == 0) {
		str_truncate(&a, (size_t)(at - a.s));
		at = NULL;
	}
	if (a.len == 0) {
		goto out;
	}
	/* the address to forward: as written, plus an unmatched extension */
	str_set(&fwd, elem[0] == '\\' ? elem + 1 : elem);
	if (elem[0] != '\\') {
		ext_add(ex, &fwd);
	}
	if (self != NULL) {
		/* in a .forward: the user's own name is the mailbox */
		if (at == NULL && strcmp(name, self) == 0) {
			mailbox(ex, id);
		} else {
			forward_add(ex, sender, fwd.s);
		}
		goto out;
	}
	if (elem[0] == '\\' && at == NULL) {
		/* \user: that user's mailbox, nothing else */
		struct local_id	uid = LOCAL_ID_INIT;

		if (local_id_user(name, &uid) == -1) {
			fail(ex, DSN_PERM, "5.1.1", "unknown user: \"%s\"",
			    name);
		} else {
			mailbox(ex, &uid);
		}
		local_id_free(&uid);
		goto out;
	}
	if (at == NULL) {
		/* a local name: an alias, with the extension, then without */
		str_set(&key, a.s);
		ext_add(ex, &key);
		switch (alias_find(ex, key.s, &value, &table, &noext)) {
		case MAP_FOUND:
			break;
		case MAP_ERROR:
			goto out;
		default:
			forward_add(ex, sender, fwd.s);
			goto out;
		}
		n = noext ? local_ext_split(l, key.s, key.len) : key.len;
		str_truncate(&a, 0);
		str_cat_mem(&a, key.s, n);
		if (ex->nchain > 0 &&
		    strcmp(ex->chain[ex->nchain - 1], a.s) == 0) {
			/* listed in its own alias: the user instead */
			user_deliver(ex, a.s, depth);
			goto out;
		}
		for (i = 0; i < ex->nchain; i++) {
			if (strcmp(ex->chain[i], a.s) == 0) {
				/* a: b, b: a */
				log_warnx("%s: alias database loop for %s",
				    ex->env->address, a.s);
				fail(ex, DSN_PERM, "5.4.6", "alias database "
				    "loop for %s", a.s);
				goto out;
			}
		}
		expand_alias(ex, a.s, value.s, table, sender, depth,
		    noext ? key.s + n + 1 : NULL, noext ? key.s[n] : 0);
		goto out;
	}
	forward_add(ex, sender, fwd.s);
out:
	local_status_free(&st);
	local_id_free(&tmp);
	str_free(&a);
	str_free(&value);
	str_free(&fwd);
	str_free(&key);
}

/* :include:PATH */
static void
include(struct expand *ex, const char *path, int class,
    const struct local_id *id, const char *sender, size_t depth,
    const char *self)
{
	struct local_id	 inc = LOCAL_ID_INIT;
	struct str	 text = STR_INIT, why = STR_INIT;
	const char	*saved_ext = ex->ext;
	uid_t		 owner = 0;
	int		 r;

	while (*path == ' ' || *path == '\t') {
		path++;
	}
	if (*path != '/') {
		fail(ex, DSN_PERM, "5.3.5", ":include:%s: not an absolute "
		    "path", path);
		return;
	}
	if (depth >= LOCAL_EXPAND_DEPTH) {
		fail(ex, DSN_PERM, "5.4.6", ":include:%s: nested too deeply "
		    "(more than %d)", path, LOCAL_EXPAND_DEPTH);
		return;
	}
	if (seen(ex, path, (uid_t)-2)) {
		return;
	}
	r = local_read_list(ex->l, id, path, false, &text, &owner, &why);
	if (r != 1) {
		fail(ex, DSN_TEMP, "4.3.0", "cannot open include file %s: %s",
		    path, why.len > 0 ? why.s : "No such file or directory");
		goto out;
	}
	if (self != NULL || !ex->l->root) {
		/* in a .forward: still the user */
		local_id_copy(&inc, id);
	} else if (owner == 0 || local_id_uid(owner, &inc) == -1) {
		privs_id(ex, &inc);
	}
	(void)class;
	/* an unmatched extension goes on only with the class include */
	if ((ex->l->propagate_ext & LOCAL_CLASS_INCLUDE) == 0) {
		ex->ext = NULL;
	}
	(void)expand_list(ex, text.s, text.len, LOCAL_CLASS_INCLUDE, &inc,
	    sender, depth + 1, self, false);
	ex->ext = saved_ext;
out:
	local_id_free(&inc);
	str_free(&text);
	str_free(&why);
}

/* Deliver to user: .forward, else the mailbox. */
static void
user_deliver(struct expand *ex, const char *user, size_t depth)
{
	const struct local	*l = ex->l;
	const struct local_env	*env = ex->env;
	struct local_id		 id = LOCAL_ID_INIT;
	struct str		 word = STR_INIT, path = STR_INIT;
	struct str		 text = STR_INIT, why = STR_INIT;
	struct str		 plain = STR_INIT;
	const char		*vars[LOCAL_PATH_VARS];
	const char		*novars[LOCAL_PATH_VARS];
	const char		*saved_ext = ex->ext;
	char			 saved_delim = ex->delim;
	struct stat		 sb;
	size_t			 pos = 0, n = 0, i;
	uid_t			 owner;
	int			 r;

	if (!safeopen_name_ok(user) || local_id_user(user, &id) == -1) {
		if (safeopen_name_ok(user) && errno != ENOENT) {
			fail(ex, DSN_TEMP, "4.3.0", "user lookup: %s",
			    strerror(errno));
		} else {
			fail(ex, DSN_PERM, "5.1.1", "unknown user: \"%s\"",
			    strcmp(user, env->user) == 0 ? env->local :
			    user);
		}
		goto out;
	}
	if (*l->forward_path == '\0' || (!l->root && id.uid != geteuid()) ||
	    depth >= LOCAL_EXPAND_DEPTH) {
		mailbox(ex, &id);
		goto out;
	}
	n = local_path_vars(vars, user, id.home.s, id.shell.s, env);
	/* the same without the extension: which files do not depend on it */
	for (i = 0; i <= n; i++) {
		novars[i] = vars[i];
	}
	novars[LOCAL_PATH_VAR_EXT] = "";
	novars[LOCAL_PATH_VAR_DELIM] = "";
	while (conf_list_next(l->forward_path, &pos, &word) == 1) {
		/* an empty plain $name: skipped, as Postfix's "undefined" */
		if (expand_vars(word.s, word.len, vars,
		    EXPAND_FILTER_DEFAULT, &path) != 0 ||
		    path.s[0] != '/') {
			continue;
		}
		/*
		 * No such file is no such file whoever looks (a directory
		 * we may not search says EACCES): then no child is started
		 * to read it as the user, the common case, and one process
		 * per delivery is saved.
		 */
		if (lstat(path.s, &sb) == -1 && (errno == ENOENT ||
		    errno == ENOTDIR)) {
			continue;
		}
		r = local_read_list(l, &id, path.s, true, &text, &owner,
		    &why);
		if (r == -1) {
			fail(ex, DSN_TEMP, "4.3.0", "cannot read %s: %s",
			    path.s, why.s);
			goto out;
		}
		if (r == 0 && why.len > 0) {
			log_warnx("%s: ignored: %s", path.s, why.s);
			continue;
		}
		if (r == 0) {
			continue;
		}
		if (expand_list(ex, text.s, text.len, LOCAL_CLASS_FORWARD,
		    &id, env->qf->sender, depth + 1, user, true) == 0) {
			/* an empty .forward (or only comments): the mailbox */
			break;
		}
		/* a file found without the extension: propagate it? */
		ex->ext = NULL;
		if ((l->propagate_ext & LOCAL_CLASS_FORWARD) != 0 &&
		    *env->extension != '\0' &&
		    expand_vars(word.s, word.len, novars,
		    EXPAND_FILTER_DEFAULT, &plain) == 0 &&
		    str_eq(&plain, path.s)) {
			ex->ext = env->extension;
			ex->delim = *env->delimiter;
		}
		(void)expand_list(ex, text.s, text.len, LOCAL_CLASS_FORWARD,
		    &id, env->qf->sender, depth + 1, user, false);
		ex->ext = saved_ext;
		ex->delim = saved_delim;
		goto out;
	}
	mailbox(ex, &id);
out:
	str_free(&plain);
	local_id_free(&id);
	str_free(&word);
	str_free(&path);
	str_free(&text);
	str_free(&why);
}

/* The mailbox of id (mailbox_command, or an mbox file or Maildir). */
static void
mailbox(struct expand *ex, const struct local_id *id)
{
	struct local_status	st = LOCAL_STATUS_INIT;
	struct local_rcpt	r = LOCAL_RCPT_INIT;
	struct local_id		tmp = LOCAL_ID_INIT;

	if (seen(ex, "mailbox", id->uid)) {
		return;
	}
	if (*ex->l->mailbox_command != '\0') {
		local_command(ex->l, ex->env, not_root(ex, id, &tmp),
		    ex->l->mailbox_command, &st);
		local_id_free(&tmp);
		outcome(ex, &st);
		local_status_free(&st);
		return;
	}
	r.address = ex->env->address;
	str_set(&r.delivered, ex->env->delivered);
	str_set(&r.user, str_c(&id->name));
	r.uid = id->uid;
	r.gid = id->gid;
	str_set(&r.home, str_c(&id->home));
	local_mailbox(ex->l, ex->env->qf, &r, ex->env->head, &st);
	outcome(ex, &st);
	local_status_free(&st);
	str_free(&r.delivered);
	str_free(&r.user);
	str_free(&r.home);
}

void
local_expand(const struct local *l, const struct local_env *env,
    struct local_status *st)
{
	struct expand	 ex;
	struct str	 value = STR_INIT, key = STR_INIT;
	struct local_status fst = LOCAL_STATUS_INIT;
	size_t		 i, j, table;
	int		 noext = 0;

	memset(&ex, 0, sizeof(ex));
	ex.l = l;
	ex.env = env;
	local_status_set(&ex.fail, DSN_TEMP, "4.3.0", "not delivered");
	if (l->tables_error.len > 0) {
		fail(&ex, DSN_TEMP, "4.3.0", "alias database unavailable: %s",
		    l->tables_error.s);
	} else {
		switch (alias_find(&ex, env->local, &value, &table, &noext)) {
		case MAP_FOUND:
			str_set(&key, noext ? env->user : env->local);
			expand_alias(&ex, key.s, value.s, table,
			    env->qf->sender, 0, noext ? env->extension : NULL,
			    *env->delimiter);
			break;
		case MAP_NOTFOUND:
			user_deliver(&ex, env->user, 0);
			break;
		default:
			break;
		}
	}
	/* Forward only when nothing must be tried again anyway. */
	for (i = 0; i < ex.nfwd && !ex.temp; i++) {
		local_forward(l, env, ex.fwd[i].sender.s, ex.fwd[i].addrs,
		    ex.fwd[i].n, &fst);
		outcome(&ex, &fst);
	}
	if (ex.temp || ex.perm) {
		local_status_set(st, ex.fail.status, ex.fail.code, "%s",
		    str_c(&ex.fail.text));
	} else if (ex.nok == 0) {
		/* an alias or :include: list without a destination: an
		 * administrator can fix it; keep the mail meanwhile */
		local_status_set(st, DSN_TEMP, "4.3.0", "%s expands to no "
		    "destination", env->local);
	} else {
		local_status_set(st, DSN_OK, "2.0.0", "%s", ex.ok.s);
	}
	for (i = 0; i < ex.nfwd; i++) {
		for (j = 0; j < ex.fwd[i].n; j++) {
			str_free(&ex.fwd[i].addrs[j]);
		}
		free(ex.fwd[i].addrs);
		str_free(&ex.fwd[i].sender);
	}
	free(ex.fwd);
	for (i = 0; i < ex.nseen; i++) {
		str_free(&ex.seen[i]);
	}
	free(ex.seen);
	local_status_free(&ex.fail);
	local_status_free(&fst);
	str_free(&ex.ok);
	str_free(&value);
	str_free(&key);
}

size_t
local_path_vars(const char *vars[LOCAL_PATH_VARS], const char *user,
    const char *home, const char *shell, const struct local_env *env)
{
	size_t	n = 0;

	vars[n++] = "user";
	vars[n++] = user;
	vars[n++] = "home";
	vars[n++] = home;
	vars[n++] = "shell";
	vars[n++] = shell;
	vars[n++] = "recipient";
	vars[n++] = env->address;
	vars[n++] = "extension";
	vars[n++] = env->extension;		/* LOCAL_PATH_VAR_EXT */
	vars[n++] = "domain";
	vars[n++] = env->domain;
	vars[n++] = "local";
	vars[n++] = env->local;
	vars[n++] = "recipient_delimiter";
	vars[n++] = env->delimiter;		/* LOCAL_PATH_VAR_DELIM */
	vars[n] = NULL;
	return n;
}
