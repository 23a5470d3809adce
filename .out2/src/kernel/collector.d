.out2/src/kernel/collector.o: src/kernel/collector.c \
 include/bufscope/sock.h .out2/bufscope.skel.h src/util/array.h \
 src/kernel/collector.h src/kernel/hooks.h src/kernel/drop_reasons.h \
 src/kernel/netns.h src/util/log.h
include/bufscope/sock.h:
.out2/bufscope.skel.h:
src/util/array.h:
src/kernel/collector.h:
src/kernel/hooks.h:
src/kernel/drop_reasons.h:
src/kernel/netns.h:
src/util/log.h:
