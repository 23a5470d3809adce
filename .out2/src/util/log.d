.out2/src/util/log.o: src/util/log.c src/util/log.h src/util/json.h \
 src/util/output.h
src/util/log.h:
src/util/json.h:
src/util/output.h:
