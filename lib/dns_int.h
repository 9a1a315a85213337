/* SPDX-License-Identifier: ISC */
/*
 * dns_int.h: what the files of the DNS resolver (dns.c, dns_packet.c,
 * dns_hosts.c) share and nobody else uses.
 */
#ifndef POSTLET_DNS_INT_H
#define POSTLET_DNS_INT_H

#include <stddef.h>

#include "dns.h"
#include "str.h"

/* strlcpy, which glibc lacks: 0, or -1 when src did not fit (cut). */
int	dns_text_copy(char *dst, const char *src, size_t size);

/* name for a text: bytes other than printable ASCII as '?', no final dot. */
void	dns_name_safe(char *out, size_t size, const char *name);

/*
 * Postfix's words for a failed lookup into why (replacing it): "Host or
 * domain name not found. Name service error for name=NAME type=TYPE:
 * Host not found" (and ", try again", or "Host found but no data record
 * of requested type", or "malformed domain name").
 */
void	dns_why_set(struct str *why, const char *name, unsigned type,
	    enum dns_status);

#endif
