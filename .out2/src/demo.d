.out2/src/demo.o: src/demo.c src/cmd/cmd.h include/bufscope/sock.h \
 src/engine.h src/collector.h src/hooks.h src/model.h src/counts.h \
 src/hooks.h src/render.h src/fmt.h src/json.h src/view.h src/view.h \
 src/log.h
src/cmd/cmd.h:
include/bufscope/sock.h:
src/engine.h:
src/collector.h:
src/hooks.h:
src/model.h:
src/counts.h:
src/hooks.h:
src/render.h:
src/fmt.h:
src/json.h:
src/view.h:
src/view.h:
src/log.h:
