.out2/src/out/render_json.o: src/out/render_json.c src/util/fmt.h \
 include/bufscope/sock.h src/model/hist.h src/model/counts.h \
 src/out/render.h src/kernel/collector.h src/kernel/hooks.h \
 src/util/json.h src/model/model.h src/model/view.h \
 src/kernel/drop_reasons.h
src/util/fmt.h:
include/bufscope/sock.h:
src/model/hist.h:
src/model/counts.h:
src/out/render.h:
src/kernel/collector.h:
src/kernel/hooks.h:
src/util/json.h:
src/model/model.h:
src/model/view.h:
src/kernel/drop_reasons.h:
