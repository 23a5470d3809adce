.out2/src/engine/engine.o: src/engine/engine.c src/util/array.h \
 src/engine/engine.h src/kernel/collector.h include/bufscope/sock.h \
 src/kernel/hooks.h src/model/model.h src/model/counts.h \
 src/kernel/filter_hint.h src/util/log.h src/kernel/netns.h \
 src/util/output.h src/kernel/owners.h
src/util/array.h:
src/engine/engine.h:
src/kernel/collector.h:
include/bufscope/sock.h:
src/kernel/hooks.h:
src/model/model.h:
src/model/counts.h:
src/kernel/filter_hint.h:
src/util/log.h:
src/kernel/netns.h:
src/util/output.h:
src/kernel/owners.h:
