.out2/src/fmt.o: src/fmt.c src/fmt.h include/bufscope/sock.h \
 include/bufscope/syscalls.h
src/fmt.h:
include/bufscope/sock.h:
include/bufscope/syscalls.h:
