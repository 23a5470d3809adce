.out2/src/cmd/cli.o: src/cmd/cli.c src/cmd/cli.h src/cmd/cmd.h \
 include/bufscope/sock.h src/engine/engine.h src/kernel/collector.h \
 src/kernel/hooks.h src/model/model.h src/model/counts.h src/out/render.h \
 src/util/fmt.h src/util/json.h src/model/view.h
src/cmd/cli.h:
src/cmd/cmd.h:
include/bufscope/sock.h:
src/engine/engine.h:
src/kernel/collector.h:
src/kernel/hooks.h:
src/model/model.h:
src/model/counts.h:
src/out/render.h:
src/util/fmt.h:
src/util/json.h:
src/model/view.h:
