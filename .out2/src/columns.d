.out2/src/columns.o: src/columns.c src/columns.h
src/columns.h:
