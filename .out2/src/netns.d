.out2/src/netns.o: src/netns.c src/array.h src/netns.h
src/array.h:
src/netns.h:
