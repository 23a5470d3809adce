.out2/src/owners.o: src/owners.c src/array.h src/owners.h \
 include/bufscope/sock.h
src/array.h:
src/owners.h:
include/bufscope/sock.h:
