.out2/bpf/closing.bpf.o: bpf/closing.bpf.c bpf/bufscope.bpf.h \
  vmlinux/x86/vmlinux.h include/bufscope/sock.h include/bufscope/log2.h \
  bpf/flow.bpf.h bpf/closing.bpf.h bpf/closing_types.h

bpf/bufscope.bpf.h:

vmlinux/x86/vmlinux.h:

include/bufscope/sock.h:

include/bufscope/log2.h:

bpf/flow.bpf.h:

bpf/closing.bpf.h:

bpf/closing_types.h:
