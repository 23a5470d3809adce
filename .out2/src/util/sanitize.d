.out2/src/util/sanitize.o: src/util/sanitize.c src/util/sanitize.h
src/util/sanitize.h:
