/* SPDX-License-Identifier: ISC */
/* fd.c: descriptor I/O that survives EINTR and short writes (see fd.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0
#endif
#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC	0
#endif
/* Descriptors one received packet may bring (more are closed). */
#define FD_PACKET_FDS_MAX	8

ssize_t
fd_read(int fd, void *p, size_t n)
{
	ssize_t	r;
	int	saved = errno;

	do {
		r = read(fd, p, n);
	} while (r == -1 && errno == EINTR);
	if (r != -1) {
		/* an EINTR that was retried is no error */
		errno = saved;
	}
	return r;
}

ssize_t
fd_write(int fd, const void *p, size_t n)
{
	ssize_t	r;
	int	saved = errno;

	do {
		r = write(fd, p, n);
	} while (r == -1 && errno == EINTR);
	if (r != -1) {
		/* an EINTR that was retried is no error */
		errno = saved;
	}
	return r;
}

int
fd_write_all(int fd, const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 r;

	while (n > 0) {
		if ((r = fd_write(fd, s, n)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (fd_wait(fd, POLLOUT, -1) == -1) {
					return -1;
				}
				continue;
			}
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

int
fd_wait(int fd, short events, long long deadline)
{
	struct pollfd	pfd;
	int		r;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, clock_left(deadline));
		if (r == -1) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* POLLHUP/POLLERR: let the read or write report it. */
		return 1;
	}
}

int
fd_send_packet(int sock, const void *data, size_t len, int passfd)
{
	union {
		struct cmsghdr	h;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 u;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	/* sendmsg takes a non-const iov_base; it only reads it */
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (passfd != -1) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == -1) {
		if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

ssize_t
fd_recv_packet(int sock, bool wait, void *buf, size_t len, int *fds,
    size_t maxfds, size_t *nfds, bool *trunc)
{
	union {
		struct cmsghdr	h;
		char		buf[CMSG_SPACE(sizeof(int) *
				    FD_PACKET_FDS_MAX)];
	}		 u;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	ssize_t		 r;
	size_t		 i, n, avail;
	int		 passed;

	*nfds = 0;
	*trunc = false;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do {
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC |
		    (wait ? 0 : MSG_DONTWAIT));
	} while (r == -1 && errno == EINTR);
	if (r == -1) {
		return -1;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
	    cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0)) {
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		/* never past what was received (a cut header may claim
		 * more on some systems) */
		avail = (size_t)((char *)msg.msg_control + msg.msg_controllen -
		    (char *)CMSG_DATA(cm)) / sizeof(int);
		if (n > avail) {
			n = avail;
			*trunc = true;
		}
		for (i = 0; i < n; i++) {
			memcpy(&passed, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			if (MSG_CMSG_CLOEXEC == 0) {
				(void)fd_set_cloexec(passed, true);
			}
			if (*nfds < maxfds) {
				fds[(*nfds)++] = passed;
			} else {
				(void)close(passed);
				*trunc = true;
			}
		}
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
		*trunc = true;
	}
	return r;
}

int
fd_set_nonblock(int fd, bool on)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1) {
		return -1;
	}
	if (((fl & O_NONBLOCK) != 0) == on) {
		return 0;
	}
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl) == -1 ? -1 : 0;
}

int
fd_set_cloexec(int fd, bool on)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1) {
		return -1;
	}
	fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, fl) == -1 ? -1 : 0;
}

int
fd_open(const char *path, int flags, mode_t mode)
{
	return openat(AT_FDCWD, path, flags, mode);
}

int
fd_open_noatime(const char *path, int flags, mode_t mode)
{
#ifdef O_NOATIME
	int	fd, saved = errno;

	/* EPERM: not ours; any other failure is the open's own */
	if ((fd = fd_open(path, flags | O_NOATIME, mode)) != -1 ||
	    errno != EPERM) {
		return fd;
	}
	errno = saved;
#endif
	return fd_open(path, flags, mode);
}

/* struct statx as statx(2) documents it (musl before 1.2.5 has none):
 * the fields up to the inode number, and the rest of its 256 bytes. */
struct fd_statx {
	uint32_t	mask;
	uint32_t	blksize;
	uint64_t	attributes;
	uint32_t	nlink;
	uint32_t	uid;
	uint32_t	gid;
	uint16_t	mode;
	uint16_t	spare0;
	uint64_t	ino;
	unsigned char	rest[256 - 40];
};
#define FD_STATX_MODE	0x2U	/* STATX_TYPE 0x1 | STATX_MODE 0x2 */
#define FD_STATX_TYPE	0x1U
#define FD_STATX_INO	0x100U

int
fd_ino_mode(int fd, ino_t *ino, mode_t *mode)
{
	struct stat	st;
#if defined(__linux__) && defined(SYS_statx)
	struct fd_statx	sx;
	unsigned	want = FD_STATX_TYPE | FD_STATX_MODE | FD_STATX_INO;

	memset(&sx, 0, sizeof(sx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, want, &sx) == 0 &&
	    (sx.mask & want) == want) {
		*ino = (ino_t)sx.ino;
		*mode = (mode_t)sx.mode;
		return 0;
	}
	/* ENOSYS (before Linux 4.11), or fields missing: fstat */
#endif
	if (fstat(fd, &st) == -1) {
		return -1;
	}
	*ino = st.st_ino;
	*mode = st.st_mode;
	return 0;
}

int
fd_open_fifo(const char *path, int flags)
{
	struct stat	st;
	int		fd;

	fd = fd_open_noatime(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
	    0);
	if (fd == -1) {
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int
fd_read_file(const char *path, int flags, size_t max, struct str *out)
{
	struct stat	st;
	char		chunk[8192];
	ssize_t		n;
	int		fd, saved;

	str_clear(out);
	fd = fd_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    ((flags & FD_FILE_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
	if (fd == -1) {
		return errno == ENOENT && (flags & FD_FILE_MISSING_OK) ? 0 : -1;
	}
	if (fstat(fd, &st) == -1) {
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	while ((n = fd_read(fd, chunk, sizeof(chunk))) > 0) {
		if ((size_t)n > max - out->len) {
			errno = EFBIG;
			goto fail;
		}
		str_cat_mem(out, chunk, (size_t)n);
	}
	if (n == -1) {
		goto fail;
	}
	(void)close(fd);
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	str_clear(out);
	errno = saved;
	return -1;
}
