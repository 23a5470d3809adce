.out2/src/render.o: src/render.c src/render.h src/collector.h \
 include/bufscope/sock.h src/hooks.h src/fmt.h src/json.h src/model.h \
 src/counts.h src/view.h
src/render.h:
src/collector.h:
include/bufscope/sock.h:
src/hooks.h:
src/fmt.h:
src/json.h:
src/model.h:
src/counts.h:
src/view.h:
