.out2/src/model/counts.o: src/model/counts.c src/model/counts.h \
 include/bufscope/sock.h
src/model/counts.h:
include/bufscope/sock.h:
