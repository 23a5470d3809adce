.out2/src/kernel/filter_hint.o: src/kernel/filter_hint.c src/util/array.h \
 src/kernel/filter_hint.h include/bufscope/sock.h src/kernel/owners.h \
 src/util/sanitize.h
src/util/array.h:
src/kernel/filter_hint.h:
include/bufscope/sock.h:
src/kernel/owners.h:
src/util/sanitize.h:
