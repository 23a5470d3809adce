.out2/bpf/arrival.bpf.o: bpf/arrival.bpf.c bpf/bufscope.bpf.h \
  vmlinux/x86/vmlinux.h include/bufscope/sock.h include/bufscope/log2.h \
  bpf/flow.bpf.h

bpf/bufscope.bpf.h:

vmlinux/x86/vmlinux.h:

include/bufscope/sock.h:

include/bufscope/log2.h:

bpf/flow.bpf.h:
