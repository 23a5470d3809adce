.out2/src/render_json.o: src/render_json.c src/fmt.h \
 include/bufscope/sock.h src/hist.h src/counts.h src/render.h \
 src/collector.h src/hooks.h src/json.h src/model.h src/view.h \
 src/drop_reasons.h
src/fmt.h:
include/bufscope/sock.h:
src/hist.h:
src/counts.h:
src/render.h:
src/collector.h:
src/hooks.h:
src/json.h:
src/model.h:
src/view.h:
src/drop_reasons.h:
