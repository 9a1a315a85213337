/* SPDX-License-Identifier: ISC */
/*
 * fuzz_tmp.h: a private directory under $TMPDIR (else /tmp) for the
 * harnesses that must go through a file, made once and removed at
 * exit; mk/fuzz.sh points TMPDIR into its own work directory, so even a
 * crashed run leaves nothing behind.
 */
#ifndef POSTLET_FUZZ_TMP_H
#define POSTLET_FUZZ_TMP_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char	fuzz_tmp_dir[4096];
static char	fuzz_tmp_file[4200];

static void
fuzz_tmp_remove(void)
{
	(void)unlink(fuzz_tmp_file);
	(void)rmdir(fuzz_tmp_dir);
}

/* Make the directory; the file name is fuzz_tmp_file (dir/NAME). */
static void
fuzz_tmp_init(const char *name)
{
	const char	*t = getenv("TMPDIR");

	if (snprintf(fuzz_tmp_dir, sizeof(fuzz_tmp_dir), "%s/fuzz.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp") >=
	    (int)sizeof(fuzz_tmp_dir) || mkdtemp(fuzz_tmp_dir) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	(void)snprintf(fuzz_tmp_file, sizeof(fuzz_tmp_file), "%s/%s",
	    fuzz_tmp_dir, name);
	(void)atexit(fuzz_tmp_remove);
}

/* Replace the file with data; aborts when it cannot. */
static void
fuzz_tmp_write(const uint8_t *data, size_t size)
{
	size_t	off = 0;
	ssize_t	n;
	int	fd;

	(void)unlink(fuzz_tmp_file);
	fd = open(fuzz_tmp_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		perror("fuzz: open");
		abort();
	}
	while (off < size) {
		if ((n = write(fd, data + off, size - off)) <= 0) {
			perror("fuzz: write");
			abort();
		}
		off += (size_t)n;
	}
	(void)close(fd);
}

#endif
