.out2/src/view.o: src/view.c src/hist.h include/bufscope/sock.h \
 src/view.h src/collector.h src/hooks.h src/model.h src/counts.h
src/hist.h:
include/bufscope/sock.h:
src/view.h:
src/collector.h:
src/hooks.h:
src/model.h:
src/counts.h:
