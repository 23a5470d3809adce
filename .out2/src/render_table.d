.out2/src/render_table.o: src/render_table.c src/columns.h src/hist.h \
 include/bufscope/sock.h src/fmt.h src/render.h src/collector.h \
 src/hooks.h src/json.h src/model.h src/counts.h src/view.h \
 src/sanitize.h src/drop_reasons.h
src/columns.h:
src/hist.h:
include/bufscope/sock.h:
src/fmt.h:
src/render.h:
src/collector.h:
src/hooks.h:
src/json.h:
src/model.h:
src/counts.h:
src/view.h:
src/sanitize.h:
src/drop_reasons.h:
