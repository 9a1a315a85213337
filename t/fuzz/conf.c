/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/conf.c: main.cf text (lib/conf.c and lib/cfline.c): parsed,
 * checked as `postlet check` does, every entry expanded ($name, ${name},
 * ${name?text}, ${name:text}, loops and depth), and each expanded value
 * split as a list.  A line "#ref TEXT" in the input is also added as a
 * reference (text of master.cf that may use $name).
 */
#include <string.h>

#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c = CONF_INIT;
	struct str	 errs = STR_INIT, out = STR_INIT, word = STR_INIT,
			 why = STR_INIT;
	const char	*ref;
	char		*text;
	size_t		 i, pos;
	int		 words;

	text = fuzz_cstr(data, size);
	(void)conf_parse(&c, text, size, "main.cf", &errs);
	if ((ref = strstr(text, "#ref ")) != NULL) {
		conf_add_reference(&c, ref + 5);
	}
	(void)conf_check(&c, &errs);
	for (i = 0; i < c.n; i++) {
		if (conf_expand_param(&c, c.entries[i].name, &out) == -1) {
			continue;
		}
		pos = 0;
		for (words = 0; words < 1000 &&
		    conf_list_next(out.s, &pos, &word) == 1; words++) {
			if (pos > out.len) {
				abort();
			}
		}
		(void)conf_check_param(c.entries[i].name, out.s, &why);
		(void)conf_expand(&c, c.entries[i].value, &out);
	}
	(void)conf_expand(&c, text, &out);
	(void)conf_raw(&c, "myhostname");
	conf_free(&c);
	free(text);
	str_free(&errs);
	str_free(&out);
	str_free(&word);
	str_free(&why);
	return 0;
}
