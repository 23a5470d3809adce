.out2/src/cmd/common.o: src/cmd/common.c src/cmd/cmd.h src/cli.h \
 include/bufscope/sock.h src/hooks.h src/render.h src/collector.h \
 src/fmt.h src/json.h src/model.h src/counts.h src/view.h src/engine.h \
 src/render.h
src/cmd/cmd.h:
src/cli.h:
include/bufscope/sock.h:
src/hooks.h:
src/render.h:
src/collector.h:
src/fmt.h:
src/json.h:
src/model.h:
src/counts.h:
src/view.h:
src/engine.h:
src/render.h:
