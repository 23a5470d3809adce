.out2/bpf/maps.bpf.o: bpf/maps.bpf.c vmlinux/x86/vmlinux.h \
  include/bufscope/sock.h bpf/closing_types.h

vmlinux/x86/vmlinux.h:

include/bufscope/sock.h:

bpf/closing_types.h:
