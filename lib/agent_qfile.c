/* SPDX-License-Identifier: ISC */
/*
 * agent_qfile.c: a delivery agent's access to its job's queue file (see
 * agent_qfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "agent_qfile.h"
#include "bounds.h"
#include "qfile.h"
#include "str.h"
#include "xtext.h"

int
agent_qfile_open(const char *queue_dir, const struct agent_job *job,
    struct qfile *qf, struct str *why)
{
	const char	*name = str_c(&job->queue_file), *slash;
	struct str	 path = STR_INIT;
	char		 sub[32];
	size_t		 n;
	int		 rc = -1;

	if ((slash = strchr(name, '/')) == NULL ||
	    (n = (size_t)(slash - name)) >= sizeof(sub)) {
		goto bad;
	}
	memcpy(sub, name, n);
	sub[n] = '\0';
	if (!qfile_subdir_valid(sub) || !qid_valid(slash + 1) ||
	    strcmp(slash + 1, str_c(&job->queue_id)) != 0) {
		goto bad;
	}
	str_catf(&path, "%s/%s", queue_dir, name);
	if (qfile_open(path.s, O_RDONLY, qf) == -1) {
		str_set(why, "queue file ");
		str_catf(why, "%s: %s", name, str_c(&qf->error));
		goto out;
	}
	rc = 0;
	goto out;
bad:
	str_set(why, "bad queue file name in job: ");
	str_cat(why, name);
out:
	str_free(&path);
	return rc;
}

void
agent_orig_rcpt(const struct qfile_rcpt *r, const char *address,
    struct str *out)
{
	if (r != NULL && r->orcpt != NULL &&
	    strncasecmp(r->orcpt, "rfc822;", 7) == 0 &&
	    xtext_decode(r->orcpt + 7, out) == 0 && out->len > 0) {
		return;
	}
	str_set(out, address);
}

bool
agent_delivered_seen(const struct qfile *qf, const char *addr)
{
	static const char	 name[] = "delivered-to:";
	struct str		 h = STR_INIT;
	size_t			 len, i, j, k, e, alen = strlen(addr);
	ssize_t			 n;
	bool			 found = false;

	len = qf->header_len > HEADER_SECTION_MAX ? HEADER_SECTION_MAX :
	    (size_t)qf->header_len;
	str_reserve(&h, len);
	while (h.len < len) {
		n = pread(qf->fd, h.s + h.len, len - h.len,
		    qf->content_offset + (off_t)h.len);
		if (n <= 0) {
			if (n == -1 && errno == EINTR) {
				continue;
			}
			break;
		}
		h.len += (size_t)n;
	}
	for (i = 0; i < h.len && !found; i = j + 1) {
		for (j = i; j < h.len && h.s[j] != '\n'; j++) {
			continue;
		}
		if (j - i < sizeof(name) - 1 ||
		    strncasecmp(h.s + i, name, sizeof(name) - 1) != 0) {
			continue;
		}
		for (k = i + sizeof(name) - 1; k < j && (h.s[k] == ' ' ||
		    h.s[k] == '\t'); k++) {
			continue;
		}
		for (e = j; e > k && (h.s[e - 1] == ' ' ||
		    h.s[e - 1] == '\t' || h.s[e - 1] == '\r'); e--) {
			continue;
		}
		found = e - k == alen && strncasecmp(h.s + k, addr,
		    alen) == 0;
	}
	str_free(&h);
	return found;
}
