// SPDX-License-Identifier: GPL-2.0
/*
 * Safe creation of the files bufscope writes (wfile.h). O_NOFOLLOW refuses
 * a link as the last component; the checks on the open file (not on the
 * name, which may change between a check and an open) refuse the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/wfile.h"

/* The rules on what is there already (lstat or fstat of it). */
static int judge(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_nlink > 1)
		return -EMLINK;
	if (st->st_uid != geteuid())
		return -EPERM;
	return 0;
}

int wfile_create(const char *path)
{
	/* O_NONBLOCK: opening a FIFO without a reader would wait forever */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	struct stat st;
	int err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else
		err = judge(&st);
	/* emptied only once judged: O_TRUNC would have emptied a file with
	 * other names before the refusal */
	if (!err && ftruncate(fd, 0))
		err = -errno;
	if (!err && fcntl(fd, F_SETFL, 0))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int wfile_check(const char *path)
{
	char *dir = strdup(path), *slash;
	struct stat st;
	int err = 0;

	if (!dir)
		return -ENOMEM;
	if (!lstat(path, &st))
		err = judge(&st);
	slash = strrchr(dir, '/');
	if (!err && slash) {
		slash[slash == dir] = 0;	/* "/x": the root */
		if (stat(dir, &st))
			err = -errno;
		else if (!S_ISDIR(st.st_mode))
			err = -ENOTDIR;
	}
	if (!err && access(slash ? dir : ".", W_OK))
		err = -errno;
	free(dir);
	return err;
}

const char *wfile_strerror(int err)
{
	switch (-err) {
	case ELOOP:
		return "it is a symbolic link (refused: bufscope writes through none)";
	case EINVAL:
		return "it is not a regular file (a FIFO, a device...)";
	case EMLINK:
		return "it has other hard links (refused: emptying it would empty them)";
	case EPERM:
		return "it belongs to another user (refused: choose a new name or "
		       "remove it first)";
	case ENOENT:	/* with O_CREAT, only a missing directory on the way */
		return "its directory does not exist";
	default:
		return strerror(-err);
	}
}
