/* SPDX-License-Identifier: ISC */
/*
 * fmt.c: vsnprintf for the formats postlet formats per message (see
 * fmt.h).  The arguments are taken from a copy of the argument list: at
 * a conversion this file does not handle, the C library's vsnprintf
 * formats the whole format again from the start, with the list as it
 * came.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "fmt.h"

/* The widest width this file pads to itself; wider goes to vsnprintf. */
#define FMT_WIDTH_MAX	64
/* The largest precision of a %.Ns written in the format. */
#define FMT_PREC_MAX	100000
/* Precision: none given, or taken from the argument list (%.*s). */
#define FMT_PREC_NONE	(-1)
#define FMT_PREC_ARG	(-2)

enum fmt_length {
	FMT_INT,	/* none: int, unsigned int */
	FMT_LONG,	/* l */
	FMT_LLONG,	/* ll */
	FMT_SIZE,	/* z: size_t, ssize_t */
	FMT_MAX		/* j: intmax_t, uintmax_t */
};

/* One conversion, from the % to its conversion character. */
struct fmt_spec {
	char		 conv;	/* s c % d i u x X */
	bool		 zero;	/* the 0 flag */
	size_t		 width;	/* of an integer; 0: none */
	int		 prec;	/* of a string, or FMT_PREC_* */
	enum fmt_length	 length;
};

/* The output: buf holds at most size - 1 bytes and a NUL; len counts
 * every byte of the whole result, also those that did not fit. */
struct fmt_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static const char *fmt_skip_text(const char *);
static bool	fmt_parse(const char **, struct fmt_spec *);
static void	fmt_put(struct fmt_out *, const char *, size_t);
static void	fmt_pad(struct fmt_out *, char, size_t);
static void	fmt_integer(struct fmt_out *, const struct fmt_spec *,
		    va_list *);

/* The first '%' or the NUL at or after p: a format's text runs are short,
 * too short for strchr's word-at-a-time setup to pay. */
static const char *
fmt_skip_text(const char *p)
{
	while (*p != '\0' && *p != '%') {
		p++;
	}
	return p;
}

/*
 * Read the conversion after a '%' at *pp into sp and move *pp past it.
 * False when this file does not format it.
 */
static bool
fmt_parse(const char **pp, struct fmt_spec *sp)
{
	const char	*p = *pp;

	memset(sp, 0, sizeof(*sp));
	sp->prec = FMT_PREC_NONE;
	if (*p == '0') {
		sp->zero = true;
		p++;
	}
	while (*p >= '0' && *p <= '9') {
		sp->width = sp->width * 10 + (size_t)(*p++ - '0');
		if (sp->width > FMT_WIDTH_MAX) {
			return false;
		}
	}
	if (*p == '.') {
		p++;
		if (*p == '*') {
			sp->prec = FMT_PREC_ARG;
			p++;
		} else {
			sp->prec = 0;
			while (*p >= '0' && *p <= '9') {
				sp->prec = sp->prec * 10 + (*p++ - '0');
				if (sp->prec > FMT_PREC_MAX) {
					return false;
				}
			}
		}
	}
	if (*p == 'l' && p[1] == 'l') {
		sp->length = FMT_LLONG;
		p += 2;
	} else if (*p == 'l') {
		sp->length = FMT_LONG;
		p++;
	} else if (*p == 'z') {
		sp->length = FMT_SIZE;
		p++;
	} else if (*p == 'j') {
		sp->length = FMT_MAX;
		p++;
	}
	sp->conv = *p;
	*pp = *p == '\0' ? p : p + 1;
	switch (sp->conv) {
	case 's':
		return !sp->zero && sp->width == 0 && sp->length == FMT_INT;
	case 'c':
	case '%':
		return !sp->zero && sp->width == 0 &&
		    sp->prec == FMT_PREC_NONE && sp->length == FMT_INT;
	case 'd':
	case 'i':
	case 'u':
	case 'x':
	case 'X':
		return sp->prec == FMT_PREC_NONE;
	default:
		return false;
	}
}

static void
fmt_put(struct fmt_out *o, const char *s, size_t n)
{
	size_t	room;

	if (o->size > 0 && o->len < o->size - 1) {
		room = o->size - 1 - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
fmt_pad(struct fmt_out *o, char c, size_t n)
{
	while (n-- > 0) {
		fmt_put(o, &c, 1);
	}
}

/* An integer conversion: its argument, taken from *ap, in o. */
static void
fmt_integer(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	const char	*digits = sp->conv == 'X' ? "0123456789ABCDEF" :
			    "0123456789abcdef";
	char		 tmp[3 * sizeof(uintmax_t)];
	uintmax_t	 u;
	intmax_t	 v;
	unsigned	 base = sp->conv == 'x' || sp->conv == 'X' ? 16 : 10;
	size_t		 n = 0, used;
	bool		 negative = false;

	if (sp->conv == 'd' || sp->conv == 'i') {
		switch (sp->length) {
		case FMT_LONG:
			v = va_arg(*ap, long);
			break;
		case FMT_LLONG:
			v = va_arg(*ap, long long);
			break;
		case FMT_SIZE:
			v = va_arg(*ap, ssize_t);
			break;
		case FMT_MAX:
			v = va_arg(*ap, intmax_t);
			break;
		default:
			v = va_arg(*ap, int);
			break;
		}
		negative = v < 0;
		/* -(v + 1) + 1: INTMAX_MIN has no positive intmax_t */
		u = negative ? (uintmax_t)-(v + 1) + 1 : (uintmax_t)v;
	} else {
		switch (sp->length) {
		case FMT_LONG:
			u = va_arg(*ap, unsigned long);
			break;
		case FMT_LLONG:
			u = va_arg(*ap, unsigned long long);
			break;
		case FMT_SIZE:
			u = va_arg(*ap, size_t);
			break;
		case FMT_MAX:
			u = va_arg(*ap, uintmax_t);
			break;
		default:
			u = va_arg(*ap, unsigned);
			break;
		}
	}
	/* the digits, last first, at the end of tmp */
	do {
		tmp[sizeof(tmp) - ++n] = digits[u % base];
		u /= base;
	} while (u != 0);
	used = n + (negative ? 1 : 0);
	if (sp->width > used && !sp->zero) {
		fmt_pad(o, ' ', sp->width - used);
	}
	if (negative) {
		fmt_put(o, "-", 1);
	}
	if (sp->width > used && sp->zero) {
		fmt_pad(o, '0', sp->width - used);
	}
	fmt_put(o, tmp + sizeof(tmp) - n, n);
}

int
fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out	 o = { buf, size, 0 };
	struct fmt_spec	 spec;
	const char	*p = fmt, *pct, *s;
	va_list		 aq;
	size_t		 n;
	int		 prec;
	char		 c;

	/* the arguments are taken from a copy (whose address fmt_integer
	 * can take), so that ap is still whole for the C library */
	va_copy(aq, ap);
	while (*(pct = fmt_skip_text(p)) == '%') {
		fmt_put(&o, p, (size_t)(pct - p));
		p = pct + 1;
		if (!fmt_parse(&p, &spec)) {
			/* not ours: the C library formats it all again */
			va_end(aq);
			return vsnprintf(buf, size, fmt, ap);
		}
		switch (spec.conv) {
		case '%':
			fmt_put(&o, "%", 1);
			break;
		case 'c':
			c = (char)va_arg(aq, int);
			fmt_put(&o, &c, 1);
			break;
		case 's':
			prec = spec.prec;
			if (prec == FMT_PREC_ARG) {
				/* a negative one is taken as none */
				prec = va_arg(aq, int);
			}
			s = va_arg(aq, const char *);
			if (s == NULL) {
				s = "(null)";
			}
			n = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
			fmt_put(&o, s, n);
			break;
		default:
			fmt_integer(&o, &spec, &aq);
			break;
		}
	}
	va_end(aq);
	fmt_put(&o, p, (size_t)(pct - p));
	if (size > 0) {
		buf[o.len < size ? o.len : size - 1] = '\0';
	}
	if (o.len > INT_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return (int)o.len;
}

int
fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
