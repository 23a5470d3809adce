.out2/bpf/read.bpf.o: bpf/read.bpf.c bpf/bufscope.bpf.h \
  vmlinux/x86/vmlinux.h include/bufscope/sock.h include/bufscope/log2.h \
  bpf/syscall_args.bpf.h include/bufscope/syscalls.h bpf/flow.bpf.h

bpf/bufscope.bpf.h:

vmlinux/x86/vmlinux.h:

include/bufscope/sock.h:

include/bufscope/log2.h:

bpf/syscall_args.bpf.h:

include/bufscope/syscalls.h:

bpf/flow.bpf.h:
