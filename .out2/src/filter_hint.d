.out2/src/filter_hint.o: src/filter_hint.c src/array.h src/filter_hint.h \
 include/bufscope/sock.h src/owners.h src/sanitize.h
src/array.h:
src/filter_hint.h:
include/bufscope/sock.h:
src/owners.h:
src/sanitize.h:
