.out2/src/kernel/owners.o: src/kernel/owners.c src/util/array.h \
 src/kernel/owners.h include/bufscope/sock.h
src/util/array.h:
src/kernel/owners.h:
include/bufscope/sock.h:
