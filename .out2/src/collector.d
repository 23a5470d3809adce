.out2/src/collector.o: src/collector.c include/bufscope/sock.h \
 .out2/bufscope.skel.h src/array.h src/collector.h src/hooks.h \
 src/drop_reasons.h src/netns.h src/log.h
include/bufscope/sock.h:
.out2/bufscope.skel.h:
src/array.h:
src/collector.h:
src/hooks.h:
src/drop_reasons.h:
src/netns.h:
src/log.h:
