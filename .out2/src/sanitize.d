.out2/src/sanitize.o: src/sanitize.c src/sanitize.h
src/sanitize.h:
