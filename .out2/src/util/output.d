.out2/src/util/output.o: src/util/output.c src/util/output.h
src/util/output.h:
