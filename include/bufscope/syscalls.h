/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The system calls that read a socket and that the trace names: x86-64
 * numbers (arch/x86/entry/syscalls/syscall_64.tbl). The tracepoint tier's
 * decoder takes the requested size from the arguments of all but recvmmsg.
 */
#ifndef BUFSCOPE_SYSCALLS_H
#define BUFSCOPE_SYSCALLS_H

#define BS_NR_READ 0
#define BS_NR_READV 19
#define BS_NR_RECVFROM 45
#define BS_NR_RECVMSG 47
#define BS_NR_RECVMMSG 299
#define BS_NR_PREADV2 327

#endif
