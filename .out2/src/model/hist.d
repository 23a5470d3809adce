.out2/src/model/hist.o: src/model/hist.c src/model/hist.h \
 include/bufscope/sock.h include/bufscope/log2.h
src/model/hist.h:
include/bufscope/sock.h:
include/bufscope/log2.h:
