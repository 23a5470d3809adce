.out2/src/out/render.o: src/out/render.c src/out/render.h \
 src/kernel/collector.h include/bufscope/sock.h src/kernel/hooks.h \
 src/util/fmt.h src/util/json.h src/model/model.h src/model/counts.h \
 src/model/view.h
src/out/render.h:
src/kernel/collector.h:
include/bufscope/sock.h:
src/kernel/hooks.h:
src/util/fmt.h:
src/util/json.h:
src/model/model.h:
src/model/counts.h:
src/model/view.h:
