.out2/src/kernel/netns.o: src/kernel/netns.c src/util/array.h \
 src/kernel/netns.h
src/util/array.h:
src/kernel/netns.h:
