.out2/src/drop_reasons.o: src/drop_reasons.c include/bufscope/sock.h \
 src/drop_reasons.h
include/bufscope/sock.h:
src/drop_reasons.h:
