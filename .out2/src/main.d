.out2/src/main.o: src/main.c src/cmd/cli.h src/cmd/cmd.h \
 include/bufscope/sock.h src/engine/engine.h src/kernel/collector.h \
 src/kernel/hooks.h src/model/model.h src/model/counts.h src/out/render.h \
 src/util/fmt.h src/util/json.h src/model/view.h src/cmd/cmd.h \
 src/kernel/collector.h src/util/log.h src/util/output.h
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
src/cmd/cmd.h:
src/kernel/collector.h:
src/util/log.h:
src/util/output.h:
