/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/mastercf.c: master.cf text (lib/mastercf.c and lib/cfline.c):
 * services, their fields, -o overrides and continuation lines.  Every
 * parsed service must be found again by name and type.
 */
#include "fuzz.h"
#include "mastercf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mastercf				 m = MASTERCF_INIT;
	const struct mastercf_service		*sv;
	struct str				 errs = STR_INIT;
	size_t					 i;

	(void)mastercf_parse(&m, (const char *)data, size, "master.cf",
	    &errs);
	for (i = 0; i < m.n; i++) {
		sv = &m.services[i];
		if (sv->name == NULL || sv->type == NULL ||
		    sv->command == NULL || sv->argv == NULL ||
		    sv->argv[sv->argc] != NULL ||
		    mastercf_find(&m, sv->name, sv->type) == NULL) {
			abort();
		}
	}
	(void)mastercf_find(&m, "smtp", "inet");
	mastercf_free(&m);
	str_free(&errs);
	return 0;
}
