/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The application's requested read size, taken from the arguments of the system
 * call the current task is in. The tracepoint tier's read hook
 * (sock:sock_recv_length) sees the returned bytes but not the buffer size; the
 * syscall's saved user registers still hold it, so no second hook on every
 * system call (raw_syscalls:sys_enter) is needed.
 *
 * System call numbers and argument registers are the x86-64 ABI.
 */
#ifndef BUFSCOPE_SYSCALL_ARGS_BPF_H
#define BUFSCOPE_SYSCALL_ARGS_BPF_H

#include "bufscope.bpf.h"
#include "bufscope/syscalls.h"

#if !defined(__TARGET_ARCH_x86)
#error "requested-size decoding is written for x86-64 only"
#endif


#define BS_MAX_IOV 64		/* longer iovec arrays: size reported unknown */

/* include/linux/sched.h: stable since the flags were introduced. */
#define BS_PF_IO_WORKER 0x00000010
#define BS_PF_KTHREAD 0x00200000
/* arch/x86/include/asm/thread_info.h: a 32-bit (ia32) system call. */
#define BS_TS_COMPAT 0x0002

/* The user-space ABI of struct msghdr's leading fields (not a kernel type). */
struct bs_user_msghdr {
	__u64 name;
	__s32 namelen;
	__u32 pad;
	__u64 iov;
	__u64 iovlen;
};

struct bs_user_iovec {
	__u64 base;
	__u64 len;
};

static __always_inline bool iov_total(__u64 uiov, __u64 cnt, __u64 *total)
{
	struct bs_user_iovec iov;
	__u64 sum = 0;

	if (cnt > BS_MAX_IOV)
		return false;
	for (int i = 0; i < BS_MAX_IOV; i++) {
		if (i >= cnt)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov),
					(void *)(uiov + i * sizeof(iov))))
			return false;
		sum += iov.len;
	}
	*total = sum;
	return true;
}

/*
 * The user registers of the system call the task is in; NULL for kernel
 * threads and io_uring workers (no meaningful user registers) and for ia32
 * processes (other numbers and registers).
 */
static __always_inline struct pt_regs *syscall_regs(struct task_struct *task)
{
	if (task->flags & (BS_PF_KTHREAD | BS_PF_IO_WORKER))
		return NULL;
	if (bpf_core_field_exists(task->thread_info.status) &&
	    (task->thread_info.status & BS_TS_COMPAT))
		return NULL;
	return (struct pt_regs *)bpf_task_pt_regs(task);
}

/* The current system call's number, -1 if unknown (for trace records). */
static __always_inline __s32 current_syscall_nr(void)
{
	struct pt_regs *regs = syscall_regs(bpf_get_current_task_btf());

	return regs ? (__s32)regs->orig_ax : -1;
}

/*
 * Sets *nr to the system call number (or -1) and *req to the requested size;
 * returns whether the size is known.
 */
static __always_inline bool requested_size(struct task_struct *task, __u64 *req,
					   __s32 *nr)
{
	struct bs_user_msghdr msg;
	struct pt_regs *regs = syscall_regs(task);

	*nr = -1;
	if (!regs)
		return false;
	*nr = (__s32)regs->orig_ax;
	switch (*nr) {
	case BS_NR_READ:
	case BS_NR_RECVFROM:
		*req = regs->dx;
		return true;
	case BS_NR_READV:
	case BS_NR_PREADV2:
		return iov_total(regs->si, regs->dx, req);
	case BS_NR_RECVMSG:
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)regs->si))
			return false;
		return iov_total(msg.iov, msg.iovlen, req);
	}
	return false;
}

#endif /* BUFSCOPE_SYSCALL_ARGS_BPF_H */
