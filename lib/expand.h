/* SPDX-License-Identifier: ISC */
/*
 * expand.h: Postfix's "$name" expansion of delivery templates, the one
 * expander of local(8) (forward_path, command_execution_directory) and
 * pipe(8) (each argv= word).
 *
 * A template may hold $name, ${name}, ${name?text} (text when name is
 * not empty) and ${name:text} (text when name is empty); a name is
 * letters, digits and '_'.  Names not in the caller's list are empty.
 * The text of the ? and : forms is copied as it is (not expanded again).
 * A '$' that ends the template, or is followed by no name, stays.
 * Values are inserted as bytes, never parsed again: whatever a value
 * holds (blanks, quotes, '$', ';') stays inside the one result, which is
 * what keeps an address in pipe's argv one argument.  When a filter is
 * given, each value byte not in it becomes '_' (Postfix's
 * forward_expansion_filter and command_expansion_filter).  Pure, no
 * limits beyond memory (the caller bounds its inputs).
 */
#ifndef POSTLET_EXPAND_H
#define POSTLET_EXPAND_H

#include <stddef.h>

#include "str.h"

/* Postfix's default expansion filter set (forward and command). */
#define EXPAND_FILTER_DEFAULT	"1234567890!@%-_=+:,./" \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

/*
 * Expand the template t (len bytes) into out (replaced) with vars: name
 * and value pairs, a NULL name ends the list (values must not be NULL).
 * filter: NULL keeps values as they are, else see above.  Returns 0, 1
 * when a plain $name or ${name} was empty (it expanded to nothing), or
 * -1 for a "${" without its '}' (out then holds what came before).
 */
int	expand_vars(const char *t, size_t len, const char *const *vars,
	    const char *filter, struct str *out);

#endif
