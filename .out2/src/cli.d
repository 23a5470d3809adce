.out2/src/cli.o: src/cli.c src/cli.h src/cmd/cmd.h \
 include/bufscope/sock.h src/engine.h src/collector.h src/hooks.h \
 src/model.h src/counts.h src/hooks.h src/render.h src/fmt.h src/json.h \
 src/view.h src/view.h
src/cli.h:
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
