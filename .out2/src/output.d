.out2/src/output.o: src/output.c src/output.h
src/output.h:
