.out2/src/model/model.o: src/model/model.c src/util/array.h \
 src/kernel/drop_reasons.h src/model/model.h include/bufscope/sock.h \
 src/model/counts.h
src/util/array.h:
src/kernel/drop_reasons.h:
src/model/model.h:
include/bufscope/sock.h:
src/model/counts.h:
