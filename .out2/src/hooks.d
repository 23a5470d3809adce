.out2/src/hooks.o: src/hooks.c src/hooks.h
src/hooks.h:
