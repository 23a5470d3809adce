.out2/src/model.o: src/model.c src/array.h src/drop_reasons.h src/model.h \
 include/bufscope/sock.h src/counts.h
src/array.h:
src/drop_reasons.h:
src/model.h:
include/bufscope/sock.h:
src/counts.h:
