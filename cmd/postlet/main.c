/* SPDX-License-Identifier: ISC */
/* main.c: placeholder */
#include <stddef.h>
#include "log.h"
int
main(int argc, char *argv[])
{
	(void)argc; (void)argv;
	log_open("postlet", NULL);
	return 0;
}
