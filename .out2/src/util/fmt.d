.out2/src/util/fmt.o: src/util/fmt.c src/util/fmt.h \
 include/bufscope/sock.h include/bufscope/syscalls.h
src/util/fmt.h:
include/bufscope/sock.h:
include/bufscope/syscalls.h:
