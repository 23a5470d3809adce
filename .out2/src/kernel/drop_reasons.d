.out2/src/kernel/drop_reasons.o: src/kernel/drop_reasons.c \
 include/bufscope/sock.h src/kernel/drop_reasons.h
include/bufscope/sock.h:
src/kernel/drop_reasons.h:
