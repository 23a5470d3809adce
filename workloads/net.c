// SPDX-License-Identifier: GPL-2.0
/* The workload library's sockets: listen, connect, one in-process connection. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "workload.h"

/* addr NULL: the loopback address of family. */
static int make_addr(struct sockaddr_storage *ss, socklen_t *len, int family,
		     const char *addr, unsigned port)
{
	void *dst;

	if (port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		dst = &sin->sin_addr;
		*len = sizeof(*sin);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = in6addr_loopback;
		dst = &sin6->sin6_addr;
		*len = sizeof(*sin6);
	} else {
		return -EAFNOSUPPORT;
	}
	if (addr && inet_pton(family, addr, dst) != 1)
		return -EINVAL;
	return 0;
}

/* A TCP socket and the address it is to bind or connect to; the socket or -errno. */
static int tcp_socket(struct sockaddr_storage *ss, socklen_t *len, int family,
		      const char *addr, unsigned port)
{
	int fd, err = make_addr(ss, len, family, addr, port);

	if (err)
		return err;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/* Closes fd keeping errno, and returns -err. */
static int close_fail(int fd, int err)
{
	if (fd >= 0)
		close(fd);
	return -err;
}

int wl_listen(int family, const char *addr, unsigned port, int rcvbuf, int backlog,
	      unsigned *bound)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd = tcp_socket(&ss, &len, family, addr, port), p;

	if (fd < 0)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog))
		return close_fail(fd, errno);
	if (bound) {
		p = wl_port(fd, 0);
		if (p < 0)
			return close_fail(fd, -p);
		*bound = (unsigned)p;
	}
	return fd;
}

int wl_connect(int family, const char *addr, unsigned port, int rcvbuf)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = tcp_socket(&ss, &len, family, addr, port);

	if (fd < 0)
		return fd;
	if ((rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) ||
	    connect(fd, (struct sockaddr *)&ss, len))
		return close_fail(fd, errno);
	return fd;
}

int wl_port(int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		     : getsockname(fd, (struct sockaddr *)&ss, &len);

	if (r)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}

static int conn_fail(struct wl_conn *c, int lfd, int err)
{
	if (lfd >= 0)
		close(lfd);
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->sfd >= 0)
		close(c->sfd);
	c->rfd = c->sfd = -1;
	return err;
}

int wl_conn_open(struct wl_conn *c, int family, const char *addr, unsigned port,
		 int rcvbuf)
{
	unsigned bound;
	int lfd, lport, rport, sport;

	memset(c, 0, sizeof(*c));
	c->family = family;
	c->rfd = c->sfd = -1;
	lfd = wl_listen(family, addr, port, rcvbuf, 4, &bound);
	if (lfd < 0)
		return lfd;
	c->sfd = wl_connect(family, addr, bound, 0);
	if (c->sfd < 0)
		return conn_fail(c, lfd, c->sfd);
	c->rfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c->rfd < 0)
		return conn_fail(c, lfd, -errno);
	close(lfd);
	lport = wl_port(c->rfd, 0);
	rport = wl_port(c->rfd, 1);
	sport = wl_port(c->sfd, 0);
	if (lport < 0 || rport < 0 || sport < 0)
		return conn_fail(c, -1, lport < 0 ? lport : rport < 0 ? rport : sport);
	/* the accepted socket must be the other end of ours */
	if (rport != sport || (port && (unsigned)lport != port))
		return conn_fail(c, -1, -EADDRNOTAVAIL);
	c->lport = (unsigned)lport;
	c->rport = (unsigned)rport;
	return 0;
}

int wl_inq(int fd)
{
	int n;

	if (ioctl(fd, FIONREAD, &n))
		return -errno;
	return n;
}

int wl_rcvbuf(int fd)
{
	int v;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len))
		return -errno;
	return v;
}

int wl_set_rcvbuf(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)))
		return -errno;
	return 0;
}

int wl_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK))
		return -errno;
	return 0;
}

int wl_close(int fd, enum wl_close_how how)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	switch (how) {
	case WL_SHUT_WR:
		return shutdown(fd, SHUT_WR) ? -errno : 0;
	case WL_CLOSE_RST:
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			return close_fail(fd, errno);
		/* fall through */
	case WL_CLOSE_FIN:
		return close(fd) ? -errno : 0;
	}
	return -EINVAL;
}
