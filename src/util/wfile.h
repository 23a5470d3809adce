/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files bufscope writes on request (validate's --svg picture, a scenario's
 * tcpdump capture), created so that nothing planted where they go is written
 * through: bufscope runs as root, and such paths are often in shared
 * directories like /tmp.
 */
#ifndef BUFSCOPE_WFILE_H
#define BUFSCOPE_WFILE_H

/*
 * Opens path for writing, emptied, created 0644 if missing: an fd, or
 * -errno. Refused: a symbolic link (-ELOOP, also one planted after a
 * check), anything but a regular file (-EINVAL: a FIFO or a device), a file
 * with other hard links (-EMLINK: truncating it would empty the other
 * names), a file of another user (-EPERM: in a shared directory, someone
 * else's).
 */
int wfile_create(const char *path);

/* The same refusals said before a run (nothing is created), and a missing
 * or unwritable directory (-ENOENT, -ENOTDIR, -EACCES), a directory
 * (-EISDIR): 0 when wfile_create should succeed. */
int wfile_check(const char *path);

/* What wfile_create's or wfile_check's -errno means, in words. */
const char *wfile_strerror(int err);

#endif
