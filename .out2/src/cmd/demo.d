.out2/src/cmd/demo.o: src/cmd/demo.c src/cmd/cmd.h \
 include/bufscope/sock.h src/engine/engine.h src/kernel/collector.h \
 src/kernel/hooks.h src/model/model.h src/model/counts.h src/out/render.h \
 src/util/fmt.h src/util/json.h src/model/view.h src/util/log.h \
 workloads/workload.h
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
src/util/log.h:
workloads/workload.h:
