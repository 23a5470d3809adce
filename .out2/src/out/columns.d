.out2/src/out/columns.o: src/out/columns.c src/out/columns.h
src/out/columns.h:
