.out2/src/counts.o: src/counts.c src/counts.h include/bufscope/sock.h
src/counts.h:
include/bufscope/sock.h:
