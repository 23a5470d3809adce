.out2/src/kernel/hooks.o: src/kernel/hooks.c src/kernel/hooks.h
src/kernel/hooks.h:
