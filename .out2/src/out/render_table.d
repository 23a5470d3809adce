.out2/src/out/render_table.o: src/out/render_table.c src/out/columns.h \
 src/model/hist.h include/bufscope/sock.h src/util/fmt.h src/out/render.h \
 src/kernel/collector.h src/kernel/hooks.h src/util/json.h \
 src/model/model.h src/model/counts.h src/model/view.h \
 src/util/sanitize.h src/kernel/drop_reasons.h
src/out/columns.h:
src/model/hist.h:
include/bufscope/sock.h:
src/util/fmt.h:
src/out/render.h:
src/kernel/collector.h:
src/kernel/hooks.h:
src/util/json.h:
src/model/model.h:
src/model/counts.h:
src/model/view.h:
src/util/sanitize.h:
src/kernel/drop_reasons.h:
