/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The system calls whose arguments give the requested read size: x86-64
 * numbers (arch/x86/entry/syscalls/syscall_64.tbl), used by the BPF decoder
 * and by the collector to name them.
 */
#ifndef BUFSCOPE_SYSCALLS_H
#define BUFSCOPE_SYSCALLS_H

#define BS_NR_READ 0
#define BS_NR_READV 19
#define BS_NR_RECVFROM 45
#define BS_NR_RECVMSG 47
#define BS_NR_PREADV2 327

#endif
