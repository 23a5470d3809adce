.out2/src/engine.o: src/engine.c src/array.h src/engine.h src/collector.h \
 include/bufscope/sock.h src/hooks.h src/model.h src/counts.h \
 src/filter_hint.h src/log.h src/netns.h src/output.h src/owners.h
src/array.h:
src/engine.h:
src/collector.h:
include/bufscope/sock.h:
src/hooks.h:
src/model.h:
src/counts.h:
src/filter_hint.h:
src/log.h:
src/netns.h:
src/output.h:
src/owners.h:
