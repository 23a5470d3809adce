.out2/src/model/view.o: src/model/view.c src/model/hist.h \
 include/bufscope/sock.h src/model/view.h src/kernel/collector.h \
 src/kernel/hooks.h src/model/model.h src/model/counts.h
src/model/hist.h:
include/bufscope/sock.h:
src/model/view.h:
src/kernel/collector.h:
src/kernel/hooks.h:
src/model/model.h:
src/model/counts.h:
