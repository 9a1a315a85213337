/* SPDX-License-Identifier: ISC */
/*
 * netmatch.h: is a client address in a list of networks, as Postfix's
 * mynetworks is matched (smtpd's permit_mynetworks).
 *
 * The list is the value of a CONF_LIST parameter: words separated by
 * commas and/or blanks, tried in order, the first match deciding:
 *	192.0.2.0/24	an IPv4 network (the host bits must be zero, as
 *			Postfix requires)
 *	192.0.2.1	one IPv4 address (/32)
 *	[2001:db8::]/32	an IPv6 network, with or without the brackets
 *	[::1]		one IPv6 address (/128)
 *	!pattern	a match of pattern means "not in the list"
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is matched as the IPv4
 * address.  Postfix's "/file/name" and "type:table" patterns are not
 * supported: such a word, or a malformed one, is an error (the caller
 * answers with a temporary error, never takes it for "no match").
 */
#ifndef POSTLET_NETMATCH_H
#define POSTLET_NETMATCH_H

#include "str.h"

/*
 * Whether addr (text: dotted IPv4 or IPv6, no brackets) is in list.
 * Returns 1 (in the list), 0 (not), or -1 with a message in err
 * (replacing it): an unsupported or malformed pattern, or an addr that
 * is not an IP address.
 */
int	netmatch_list(const char *list, const char *addr, struct str *err);

#endif
