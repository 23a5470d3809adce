.out2/src/util/json.o: src/util/json.c src/util/json.h \
 src/util/sanitize.h
src/util/json.h:
src/util/sanitize.h:
