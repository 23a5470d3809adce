.out2/src/hist.o: src/hist.c src/hist.h include/bufscope/sock.h \
 include/bufscope/log2.h
src/hist.h:
include/bufscope/sock.h:
include/bufscope/log2.h:
